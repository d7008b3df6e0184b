"""Cue patterns for spoiler sentences, grouped by what they reveal.

Deliberately broad: a false alarm costs one sentence of a summary, a miss costs a user the film.
"""

from __future__ import annotations

import re

from bot.text.regex_cache import compile_pattern

# Where a cue's last word ends: not before the "'t" of a negative contraction, whose stem is no word
# ("won't" is no "won", "can't" no "can"). Every other contraction keeps its word: "the killer's plan",
# "he's dead", "the killer'll strike" still name the killer.
NOT_NEGATED = r"(?!['’]t\b)"


def cues(pattern: str) -> str:
    """A cue pattern's text with `NOT_NEGATED` after every one of its alternatives."""
    return f"(?:{pattern}){NOT_NEGATED}"


DEATH = compile_pattern(cues(
    r"\b(?:dies|died|die|dying|death|deaths|dead|killed|kills|kill|killing|murder\w*|suicide|slain|"
    r"slaughter\w*|executed|execution|stabb\w*|stabs?|strangl\w*|drown\w*|"
    r"shoots (?:him|her|them|himself|herself)|(?:is|gets|was|been|being) shot|"
    r"shot (?:dead|down|in)|gunned down|bleeds? out|corpse|funeral|decapitat\w*|beheaded|severed|perish\w*|"
    r"survives?|survived|survivor|doesn['’]?t make it|fate|grave|mourn\w*|widow\w*|orphan\w*|lifeless|"
    r"cut (?:down|off)|overdose|poison\w*|hanged|hangs himself|hangs herself|burned alive|"
    r"head in (?:a|the) box|in the box|body|bodies|remains)\b"),
    re.IGNORECASE,
)
TWIST = compile_pattern(cues(
    r"\b(?:twist\w*|turns? out|turned out|reveal\w*|revelation|all along|(?:was|is|were|had been) actually|"
    r"actually (?:was|is|been|a|the|his|her)|real identity|true identity|secretly|secret|in reality|"
    r"never existed|imaginary|figment|ghost|behind (?:it all|everything)|mastermind|culprit|the truth|"
    r"reali[sz]\w* (?:that|he|she|they|the)|discover\w* (?:that|he|she|the)|learns? (?:that|he|she|the)|"
    r"finds? out|found out|betray\w*|double-cross\w*|unmask\w*|confess\w*|framed|pretend\w* to be|posing as|"
    r"disguis\w*|was (?:him|her) all|identical|twins?|clones?|cloning|duplicate\w*|impostor|hypnoti\w*|"
    r"brainwash\w*|trap(?:ped)? (?:him|her|them)|planned (?:it|the)|the whole time|set (?:him|her) up|"
    r"incest\w*|pregnan\w*)\b"),
    re.IGNORECASE,
)
ENDING = compile_pattern(cues(
    r"\b(?:ending|endings|ends (?:with|on|up|in)|ended (?:with|up)|the end\b|in the end|by the end|at the end|"
    r"finale|final (?:scene|shot|act|moments?|minutes|reel|twist|reveal|image|frame|confrontation|showdown|"
    r"sequence|stretch|third|line|words)|last (?:scene|shot|act|minutes|reel|line|image|frame|twenty|ten|"
    r"half hour|third|moments)|climax\w*|closing (?:scene|shot|moments?|minutes|image)|epilogue|"
    r"conclu\w*|credits roll|last-minute|ultimately|eventually|finally|in the final)\b"),
    re.IGNORECASE,
)
LATE_PLOT = compile_pattern(cues(
    r"\b(?:escapes?|escaped|caught|arrested|captured|rescued|reunit\w*|marries|married|wins|loses|lost|"
    r"sacrific\w*|kidnap\w*|hostage|massacre|shooting|gunfire|opens? fire|fired on|the killer|the murderer|"
    r"the villain|revenge|vengeance|trapped|collapses?|dismember\w*|blood|bloody|gun|knife|fight(?:s)? back|"
    r"violence|violent|bloodbath|carnage|rampage|"
    r"attack\w*|hunt\w* down|prison|jail|freed|released|run(?:s)? away|flees?|fled|goes missing|vanish\w*|"
    r"disappear\w*|alive|later|afterwards|then (?:he|she|they)|when (?:he|she|they))\b"),
    re.IGNORECASE,
)
HEDGE = compile_pattern(
    r"(?:without (?:giving|spoiling|revealing|saying)|won['’]?t (?:spoil|say|reveal|give)|no spoilers|"
    r"spoiler[- ]free|not going to (?:spoil|say|reveal)|(?:can['’]?t|cannot) say (?:more|much)|"
    r"(?:go|going|gone) in (?:blind|cold|fresh)|say no more|the less you know|i['’]?ll say only|"
    r"avoid (?:spoilers|spoiling)|won['’]?t ruin|(?:don['’]?t|do not) read (?:anything|about))",
    re.IGNORECASE,
)
OPINION_TOPICS = ("acting", "direction", "look", "sound", "pacing")
FIRST_PERSON = compile_pattern(r"\b(?:i|i'm|i've|i'd|me|my|we|us|our)\b", re.IGNORECASE)
STOPWORDS = frozenset(
    {
        'a', 'about', 'above', 'after', 'again', 'against', 'all', 'also', 'am', 'an', 'and', 'any', 'are', 'as',
        'at', 'be', 'because', 'been', 'before', 'being', 'below', 'between', 'both', 'but', 'by', 'can', 'could',
        'did', 'do', 'does', 'doing', 'down', 'during', 'each', 'few', 'for', 'from', 'further', 'had', 'has',
        'have', 'having', 'he', 'her', 'here', 'hers', 'herself', 'him', 'himself', 'his', 'how', 'i', 'if', 'in',
        'into', 'is', 'it', 'its', 'itself', 'just', 'me', 'more', 'most', 'my', 'myself', 'no', 'nor', 'not',
        'now', 'of', 'off', 'on', 'once', 'only', 'or', 'other', 'our', 'ours', 'out', 'over', 'own', 'same',
        'she', 'should', 'so', 'some', 'such', 'than', 'that', 'the', 'their', 'theirs', 'them', 'themselves',
        'then', 'there', 'these', 'they', 'this', 'those', 'through', 'to', 'too', 'under', 'until', 'up', 'very',
        'was', 'we', 'were', 'what', 'when', 'where', 'which', 'while', 'who', 'whom', 'why', 'will', 'with',
        'would', 'you', 'your', 'yours', 'film', 'movie', 'one', 'even', 'much', 'really', 'still', 'way', 'like',
        'get', 'gets', 'got', 'make', 'makes', 'made', 'thing', 'things', 'scene', 'scenes', 'time', 'see', 'seen',
        'watch', 'watching',
    }
)
