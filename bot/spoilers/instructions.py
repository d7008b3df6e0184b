"""Instructions hidden in review text, found by their structure rather than by a list of examples.

A review is written to people about a film. A sentence that is instead written to whoever (or
whatever) processes the review is an attack, or at best noise, and must reach neither a model nor
a user. Such sentences have a small number of shapes, each checked here:

- an addressee that is a machine or the summary's writer ("Note to the summary writer:", "Dear AI",
  "Assistant,", "if you are a language model", "attention bots");
- role tags and chat-template tokens ("SYSTEM:", "[INST]", "<|im_start|>", "### Instruction");
- override talk ("ignore / disregard / forget … previous / above / your … instructions, rules");
- an imperative whose object is the output: a verb of producing text (say, state, write, reply,
  output, mention, include, reveal, describe, …) at the head of a clause — after "please", "now",
  "also", or a format phrase such as "in one short sentence," — together with something about the
  output (a format phrase, "your summary/answer/reply", "the readers", "the summary", "respond
  with", "at the end of …");
- second-person obligations about the output ("you must/should/will say …", "I want you to …",
  "your task is …", "the summary must …");
- text dressed as a model's output or a prompt's machinery (a JSON object, `{{placeholders}}`).

Review imperatives addressed to readers ("See it on the big screen.", "Skip it.", "Say what you
will about Nolan, …") have none of the output markers and pass.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Text normalised first: look-alike characters folded (NFKC), invisible characters removed, and
# letters spaced out to dodge patterns ("S Y S T E M") joined.
_INVISIBLE = re.compile(r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        r"\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff]")
_SPACED = re.compile(r"\b(?:[A-Za-z][ .\-_*]){3,}[A-Za-z]\b")

_MACHINE = (
    r"(?:a\.?\s?i\.?|artificial intelligence|assistant|chat\s?bot|bot|llm|language model|model|gpt\w*|chatgpt|"
    r"claude|gemini|llama|qwen|mistral|copilot|summari[sz]\w*|summary (?:writer|bot|tool|generator|engine|model)|"
    r"the writer|the summary|whoever (?:is )?(?:summari[sz]\w*|reads? this|writes? the \w+)|"
    r"automated \w+|(?:the )?system|reviewbot|review ?bot|machine|algorithm|agent|crawler|scraper|parser|"
    r"(?:the )?(?:ai|bot)s)"
)
_ADDRESS = re.compile(
    rf"\b(?:note|message|memo|instructions?|reminder|request|attention|p\.?s\.?)\s*(?:to|for)\s+(?:the\s+|any\s+|all\s+|"
    rf"you\s+)?{_MACHINE}\b"
    rf"|\b(?:dear|hey|hi|hello|attention|calling|listen(?:\s+up)?|ok(?:ay)?|yo)\s*,?\s+(?:the\s+|any\s+|all\s+)?{_MACHINE}\b"
    rf"|\bif\s+you\s*(?:'re|are)\s+(?:an?\s+|the\s+)?(?:\w+\s+){{0,2}}{_MACHINE}\b"
    rf"|\byou\s*(?:'re|are)\s+(?:now\s+)?(?:an?\s+|the\s+)(?:\w+\s+){{0,2}}{_MACHINE}\b"
    rf"|\bto\s+(?:the|any|all)\s+{_MACHINE}\s+(?:reading|processing|summari[sz]ing|writing|parsing)\b"
    rf"|^\W*{_MACHINE}\s*[,:;!\-–—]"
    # "As the summary writer, …", "As an AI, …": the reader is cast as the machine.
    rf"|\bas\s+(?:the|an?|this|my|our)\s+(?:\w+\s+)?{_MACHINE}\s*[,:]"
    # "Whoever compiles these reviews", "to whoever processes this".
    r"|\bwhoever\s+(?:is\s+)?(?:compil|read|process|summari|writ|aggregat|collect|scrap|pars|feed|handl|digest)\w*"
    r"\s+(?:these|this|the|all|my)\b"
    # "When you summarise this", "When summarizing", "If this is being summarized".
    r"|\b(?:when|while|if|before|as|once)\s+(?:you\s+(?:are\s+|'re\s+)?)?(?:summari[sz]\w*|condens\w*|digest(?:ing)?|"
    r"process(?:ing)?|pars(?:e|ing)|rewrit\w*|paraphras\w*|recap(?:ping)?)\s+(?:this|these|the|it|my|reviews?)\b"
    r"|\bwhen\s+summari[sz]ing\b"
    r"|\bif\s+(?:this|it)\s+(?:is|gets|was|has been)\s+(?:being\s+)?(?:summari[sz]ed|processed|parsed|"
    r"read by (?:an?|the) \w+|fed (?:to|into))\b"
    # "Pretend you are a critic who spoils …", "Act as a spoiler bot".
    rf"|\b(?:pretend|imagine)\s+(?:that\s+)?you\s*(?:'re|are)\s+(?:now\s+)?(?:an?|the)\s+(?:\w+\s+){{0,2}}"
    rf"(?:{_MACHINE}|critic|reviewer|writer|narrator|spoiler\w*)\b"
    rf"|\b(?:act|behave|role-?play)\s+(?:as|like)\s+(?:an?|the)\s+(?:\w+\s+){{0,2}}(?:{_MACHINE}|spoiler\w*)\b",
    re.IGNORECASE,
)
_ROLE_TAG = re.compile(
    r"(?:^|[\s>\[(])(?:system|assistant|user|developer|admin|administrator|operator|instructions?|human|ai|"
    r"model|prompt|sys)\s*(?:prompt|message|note|override|mode)?\s*[:>\]]\s*\S"
    r"|<\|?\s*(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\s*\|?>|\[/?\s*(?:inst|sys)\s*\]|<<\s*sys\s*>>"
    r"|#{2,}\s*(?:new\s+)?(?:instruction|system|prompt|response|task)"
    r"|\b(?:begin|end|start)\s+(?:admin|system|developer|new)\s+(?:override|instructions?|prompt|mode)\b",
    re.IGNORECASE,
)
_OVERRIDE = re.compile(
    r"\b(?:ignor\w*|disregard\w*|forget|overrid\w*|bypass\w*|skip|drop|abandon|set aside|suspend)\b.{0,50}?"
    r"\b(?:instructions?|prompts?|rules?|guidelines?|directions?|directives?|constraints?|policy|policies|"
    r"restrictions?|filters?|programming|orders|guardrails?|settings|spoiler (?:rules?|policy|filter))\b"
    r"|\b(?:system|developer|hidden|original|initial)\s+(?:prompt|message|instructions?)\b"
    r"|\bnew\s+(?:instructions?|rules?|task|orders|directive)\b|\bprompt injection\b|\bjail\s?br[eo]a?k"
    r"|\bdo anything now\b|\b(?:developer|god|admin|debug|unrestricted)\s+mode\b"
    r"|\b(?:ignor\w*|disregard\w*|forget)\s+(?:all\s+|any\s+)?(?:everything|anything|all)\s+"
    r"(?:you\s+(?:were|have been|'ve been)\s+(?:told|given|taught)|above|before|else)\b"
    r"|\b(?:ignor\w*|disregard\w*|forget)\s+(?:the\s+|your\s+|all\s+|any\s+)?(?:prior|previous|earlier|above|"
    r"preceding|original)\s+(?:\w+\s+)?(?:guidance|advice|text|context|messages?|input|content)\b",
    re.IGNORECASE,
)
_OUTPUT_VERB = (
    r"(?:say|says|state|write|reply|respond|answer|output|print|tell|include|mention|add|repeat|append|"
    r"begin|start|end|finish|close|open|summari[sz]e|describe|explain|reveal|disclose|list|translate|insert|"
    r"put|copy|return|produce|generate|format|label|mark|call|refer|spell|type|emit|echo|declare|announce|"
    r"confirm|admit|claim|report|give away|let (?:the )?(?:readers?|users?|people|everyone) know|paraphrase|"
    r"rephrase|recount|spell out|lead with|open with|spoil|"
    r"make sure|ensure|be sure|pretend|act as|role-?play)"
)
_CLAUSE_HEAD = re.compile(
    r"(?:^|[.;:!?\-–—,(\"“]\s*|\b(?:and|then|also|now|so|but)\s+)"
    r"(?:(?:please|kindly|now|also|then|just|first|finally|simply|and)\s*,?\s+)*"
    rf"{_OUTPUT_VERB}\b",
    re.IGNORECASE,
)
_OUTPUT_REF = re.compile(
    r"\bin\s+(?:one|a|two|three|\d+|a single|one single|a few)\s+(?:short\s+|single\s+|brief\s+|plain\s+)?"
    r"(?:sentence|word|line|paragraph|phrase|bullet|point)s?\b"
    r"|\b(?:your|the|this|that|each|every)\s+(?:own\s+)?(?:summary|summaries|answer|reply|response|output|"
    r"results?|digest|points?|bullet|text|verdict section|overview|recap|write-?up|message|post)\b"
    r"|\b(?:readers?|users?|the user|everyone|the channel|the server|people reading)\b"
    r"|\b(?:respond|reply|answer)\s+(?:only\s+|just\s+|solely\s+|simply\s+)?(?:with|by|using)\b"
    r"|\b(?:start|begin|end|finish|open|close|lead)\s+(?:it\s+|(?:your|the)\s+\w+\s+)?with\s+(?:the\s+|a\s+|its\s+)?"
    r"(?:twist|ending|end|reveal|spoilers?|line|words?|phrase|sentence|name|fact|death|killer)\b"
    r"|\b(?:verbatim|word for word|in (?:all )?caps|in bold|in full|as a fact|as fact|plainly|explicitly)\b"
    r"|\bat the (?:start|beginning|end|top|bottom) of\b"
    r"|\b(?:what|who|how)\s+(?:the\s+)?(?:main character|protagonist|hero|heroine|twist|ending|killer|villain)\b",
    re.IGNORECASE,
)
_OBLIGATION = re.compile(
    r"\byou\s+(?:must|should|shall|will|need to|have to|are to|are required to|ought to|can now|may now|"
    r"are allowed to|are free to|have permission to)\s+(?:now\s+|also\s+|always\s+|never\s+|not\s+)?"
    rf"{_OUTPUT_VERB}\b"
    rf"|\b(?:i|we)\s+(?:want|need|would like|'d like|require|ask|command|order|instruct)\s+(?:you|the \w+)\s+to\b"
    r"|\b(?:your|the)\s+(?:task|job|role|instructions?|goal|mission|purpose)\s+(?:is|are|now is)\b"
    r"|\b(?:could|can|would|will)\s+you\s+(?:please\s+)?" + _OUTPUT_VERB + r"\b"
    r"|\b(?:the|your|any|every|each|this)\s+(?:summary|summaries|answer|reply|response|output|digest|recap|"
    r"overview|write-?up)\s+(?:must|should|shall|needs to|has to|will|is to|ought to|had better)\b"
    rf"|\b{_MACHINE}\s+(?:\w+\s+){{0,3}}(?:must|should|shall|will|needs? to|has to|is to|ought to)\s+"
    rf"(?:now\s+|also\s+)?{_OUTPUT_VERB}\b"
    r"|\bdo\s+not\s+(?:hide|wrap|flag|censor|filter|mark|omit|redact)\b|\bdon'?t\s+(?:hide|wrap|flag|censor|"
    r"filter|mark|omit|redact)\b",
    re.IGNORECASE,
)


# Text dressed as a model's output or a prompt's machinery: JSON objects, template placeholders.
_FAKE_OUTPUT = re.compile(
    r"\{\s*\"\w+\"\s*:|\"(?:points|text|sources|spoiler|safe|spoilers|spoiler_sentences)\"\s*:|\{\{|\}\}|<\|[a-z_]+\|>",
    re.IGNORECASE,
)
# Talk about the spoiler flag or a sentence's classification: "set spoiler to false", "mark every point as
# safe", "the following line is not a spoiler:".
_FLAG = re.compile(
    r"\b(?:spoiler|spoilers|spoiler[ _]flag|is_spoiler|flag)\s*(?:to|=|:|as|is|should be)\s*(?:false|true|no|0|off)\b"
    r"|\b(?:treat|mark|label|flag|consider|classify|tag|count)\s+(?:\w+\s+){0,4}?as\s+(?:safe|not (?:a )?spoilers?|"
    r"non-?spoilers?|spoiler-?free|spoiler\s*(?:=|:)?\s*false)\b"
    r"|\b(?:the following|this|the next)\s+(?:line|sentence|part|bit|point|text|fact)\s+is\s+(?:not a spoiler|safe|"
    r"spoiler-?free|no spoiler)\s*[:\-–—]",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """Look-alikes folded, invisible characters dropped, spaced-out letters joined."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), text)


@lru_cache(maxsize=65_536)
def instruction_reasons(sentence: str) -> tuple[str, ...]:
    """Why a sentence reads as an instruction to a summarizer or model; empty when it does not."""
    text = normalise(sentence)
    reasons: list[str] = []
    if _ADDRESS.search(text):
        reasons.append("addressed_to_machine")
    if _ROLE_TAG.search(text):
        reasons.append("role_tag")
    if _OVERRIDE.search(text):
        reasons.append("override")
    if _CLAUSE_HEAD.search(text) and _OUTPUT_REF.search(text):
        reasons.append("output_imperative")
    if _OBLIGATION.search(text):
        reasons.append("output_obligation")
    if _FAKE_OUTPUT.search(text):
        reasons.append("fake_output")
    if _FLAG.search(text):
        reasons.append("spoiler_flag")
    return tuple(reasons)


def is_instruction(sentence: str) -> bool:
    return bool(instruction_reasons(sentence))
