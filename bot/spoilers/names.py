"""Which names in a film's reviews are characters (plot) and which are people (cast, crew).

Film facts list them when the film was imported with facts; most imports have a title and a year
only, and then the reviews themselves are the evidence:

- a word is *name-like* when the film's reviews write it capitalised in the middle of a sentence and
  never in lower case (so "Cole" is a name and "Will" in "will be" is not), unless it is one of the
  capitalised words that are not people (days, months, nationalities, studios, awards, formats);
- a run of name-like words is a *person of the craft* when a review uses it like one: "directed by
  X", "X's performance", "actor X", "X plays", "performance by X", "X as …", "Y (X)";
  also "X's character", "X, as Y,", "(X Y and Z W)" after a noun, "the X Y soundtrack", "X's The …",
  "X … any Academy Awards", a list after a cue ("score from X and Y");
- a run is a *character* when a review uses it like one: "X (Actor)", "Actor as X", "Actor's X",
  "the character of X", "a man named X", "the cop (X)", or when it does something in the story ("X
  kills / leaves / finds out …", "X's wife / death", "kills X"); this wins over craft evidence
  (fail closed), so a name that is both stays a character;
- works (italics, "The …" in quotes, with a year, "the thriller X") and capitalised compounds of a
  descriptive word ("R-rating") are neither;
- every other name-like word is taken for a character: when in doubt, a name is plot.

Casing in the film's own reviews is the main evidence: character names are often ordinary words
("Jack", "Rose", "Grace"), so a word list cannot tell them apart. A word list (`english-words`, web2's
lower-case words) does settle the one case casing cannot: a capitalised word that only ever opens a
sentence is a name when it is no English word ("Malcolm tries to help."), not when it is one
("Perhaps it drags.").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from bot.spoilers.lexicon import STOPWORDS
from bot.text.regex_cache import compile_pattern
from bot.text.wordlist import WordList, default_path
from storage.records import Film

_WORD = compile_pattern(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*")
_SENTENCE_START = compile_pattern(r"(?:^|[.!?…:;\"“”()\[\]]\s*|\n\s*|[-–—]\s+)$")
# Capitalised words that are not people in a film review.
NOT_NAMES = frozenset(
    """
    i i'm i've i'd i'll mr mrs ms dr st jr sr ok okay tv usa uk us eu ii iii iv vi vii viii ix x xi
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december
    american america british britain english england french france german germany italian italy japanese
    japan korean korea chinese china spanish spain indian india european europe asian asia african africa
    russian russia mexican mexico irish ireland scottish scotland australian australia canadian canada
    swedish danish norwegian polish iranian israeli turkish greek dutch brazilian argentine latin nordic
    scandinavian western eastern northern southern hispanic catholic christian jewish muslim biblical
    hollywood bollywood oscar oscars academy award awards golden globe globes bafta cannes sundance venice
    berlin berlinale tiff criterion netflix amazon prime hulu disney pixar marvel dc hbo bbc a24 imax cgi
    dvd blu-ray bluray vhs imdb letterboxd rotten tomatoes youtube reddit twitter instagram tiktok internet
    god christmas halloween easter london paris new york los angeles la nyc tokyo rome hong kong
    film films movie movies cinema part chapter act volume episode season series trilogy sequel prequel
    edition cut director's directors festival review reviews rating verdict spoiler spoilers update edit
    note ps p.s the a an and but or so yet if when while though although however overall still also
    """.split()
)
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*"
# A run of capitalised words, with particles and initials inside it ("Herman J. Mankiewicz").
_NAME_RUN = compile_pattern(
    rf"(?:[A-Z]\.\s*){{0,3}}{_CAP}(?:\s+(?:(?:de|da|del|van|von|der|le|la|di|du|mac|bin)\s+|[A-Z]\.\s+)?{_CAP})*"
)
_RUN = _NAME_RUN.pattern
_CRAFT_NOUN = (
    r"(?:performance|performances|acting|turn|work|direction|directing|film|films|movie|camera|camerawork|"
    r"cinematography|photography|score|music|soundtrack|script|screenplay|writing|dialogue|editing|design|"
    r"costumes?|career|filmography|oeuvre|style|vision|touch|eye|best|debut|portrayal|role|casting|chops|"
    r"delivery|presence|comedic|dramatic|craft|talent|range|filmmaking|staging|framing|compositions?|lens|"
    r"visuals|voice work|physicality|screen presence)"
)
_CRAFT_BEFORE = (
    r"(?:directed|written|shot|scored|played|portrayed|performed|edited|produced|photographed|lensed|"
    r"composed|starring|stars|featuring|co-starring|director|actor|actress|star|filmmaker|composer|"
    r"cinematographer|writer|screenwriter|co-star|auteur|dp|dop|editor|filmmakers|writer-director|"
    r"performance by|performance from|performances by|performances from|turn by|turn from|work by|work from|"
    r"direction by|direction from|score by|music by|script by|score from|music from|soundtrack by|"
    r"soundtrack from|songs by|songs from|films? by|movies? by|pictures? by|"
    r"filmmaker|directors?|actors|actresses|stars|writers|composers|by)"
)
_CRAFT_AFTER = (
    r"(?:play|plays|played|portray|portrays|portrayed|stars|starred|directs|directed|wrote|writes|scored|shot|gives|gave|"
    r"delivers|delivered|turns in|turned in|is cast|was cast|co-stars|co-wrote|helms|helmed|acts|acted|"
    r"nails|carries|sells|brings|lends|commands|embodies|inhabits|channels|joint|vehicle|regular|regulars|"
    r"veteran|alum|alumnus|filmography|oeuvre)"
)
_CHARACTER_BEFORE = r"(?:the character of|character of|characters? named|named|called|the role of|role of)"


@dataclass(frozen=True, slots=True)
class FilmNames:
    """Lower-cased name tokens: `characters` are plot, `people` (cast, crew, title words) are not."""

    characters: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    name_like: frozenset[str] = frozenset()  # every word the reviews write as a name
    titles: tuple[str, ...] = ()  # the film's titles as written: the film, never an event ("Get Out")

    def is_character(self, token: str) -> bool:
        return token.lower().strip("'’") in self.characters


@cache
def common_words() -> WordList:
    """web2's words as written (about 236,000). Looked up in lower case, so "anna" is found (a word)
    and "malcolm" is not (only "Malcolm" is listed). A one-shot command searches a sorted copy of the
    list (bot/text/wordlist.py); a long-running process holds the set (`warm` at start-up)."""
    return WordList(default_path())


def warm() -> None:
    """Load the word list now (start-up, in a thread, 0.2 s) rather than during the first request."""
    common_words().load()


_SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""))


def is_common_word(word: str) -> bool:
    """An English word, inflections included (the list has "train", not "trains")."""
    words = common_words()
    key = word.lower()
    return key in words or any(
        key.endswith(suffix) and key[: -len(suffix)] + stem in words for suffix, stem in _SUFFIXES
    )


def is_sentence_start(text: str, at: int) -> bool:
    return bool(_SENTENCE_START.search(text[max(0, at - 3) : at]))


def _tokens(text: str) -> list[str]:
    return [t.lower().strip("'’-") for t in _WORD.findall(text)]


# A possessive or contraction ending, either apostrophe: "Tyler's", "Jones'", "He'll", "They've", "Don't".
_ENDING = compile_pattern(r"(?:n['’]t|['’](?:s|ll|d|ve|re|m)?)$", re.IGNORECASE)
# Negative contractions whose stem is not the word: "can't", "won't", "shan't", "ain't".
_NEGATED_STEM = {"ca": "can", "wo": "will", "sha": "shall", "ai": "am"}


def bare_word(word: str) -> str:
    """The word under a possessive or contraction ending, its case kept ("He'll" -> "He", "Don't" ->
    "Do", "Can't" -> "Can", "Tyler's" -> "Tyler"): a contraction opening a sentence is no name, and a
    name with one ("Tyler'd") is still that name."""
    stem = _ENDING.sub("", word)
    full = _NEGATED_STEM.get(stem.lower()) if stem != word else None
    if full:
        rest = full[1:]
        stem = stem[:1] + (rest.upper() if stem.isupper() else rest)
    return stem


def name_like_words(texts: Iterable[str]) -> frozenset[str]:
    """Words the texts write capitalised and never in lower case, mid-sentence or (when no English
    word) opening one; lower-cased."""
    capitalised: Counter[str] = Counter()
    lower: set[str] = set()
    for text in texts:
        for match in _WORD.finditer(text):
            word = bare_word(match.group(0))
            key = word.lower()
            if len(key) < 2:
                continue
            if word[0].islower():
                lower.add(key)
            elif (not word.isupper() or len(word) <= 3) and (
                not is_sentence_start(text, match.start()) or not is_common_word(key)
            ):
                capitalised[key] += 1
    return frozenset(w for w in capitalised if w not in lower and w not in NOT_NAMES and w not in STOPWORDS
                     and not _is_compound_word(w))


_COMPOUND_TAIL = compile_pattern(
    r"(?:rating|rated|style|styled|esque|like|based|inspired|winning|nominated|worthy|era|type|level|sized|"
    r"related|themed|induced|fueled|fuelled|driven|heavy|centric|obsessed|adjacent|friendly|approved|"
    r"certified|branded|owned|loving|hating|bashing|baiting|worthy|produced|directed|written|starring)"
)


def _is_compound_word(word: str) -> bool:
    """"R-rating", "Lyft-style", "Globe-winning": a capitalised head on a lower-case descriptive tail
    is no name. "Two-Face", "Dae-su", "Bat-woman" are (a capitalised tail, or a tail that names)."""
    *_, last = word.split("-")
    return "-" in word and _COMPOUND_TAIL.fullmatch(last) is not None


def _run_pattern(flags_before: str, flags_after: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Only the cue ignores case: a name run is capitalised words, so "by Welles who" stops at "who".
    # Markup may sit between the cue and the name ("music by `Hans Zimmer`_"); a few helper words may
    # sit between the name and its craft verb ("Toni Colette only seems to play …").
    # A cue credits a list ("score from Ben Salisbury and Portishead's Geoff Barrow").
    listed = rf"{_NAME_RUN.pattern}(?:(?:\s*,\s*|,?\s+and\s+){_NAME_RUN.pattern})*"
    before = compile_pattern(rf"\b(?i:{flags_before})\s+(?:in\s+)?[`*_\"“]*(?P<run>{listed})")
    after = compile_pattern(
        rf"(?P<run>{_NAME_RUN.pattern})(?:['’]s)?(?:\s+(?:only|also|really|always|just|still|seems to|tends to|"
        rf"continues to|used to|gets to|manages to|likes to|loves to)){{0,2}}\s+{flags_after}\b"
        # "plays along", "plays dead", "plays the piano": a story event, not a part.
        r"(?!\s+(?:along|dead|games?|with|around|together|music|songs?|chess|cards|the (?:piano|guitar|"
        r"drums?|violin|cello|trumpet|game|hero|fool|victim)|a (?:game|song|trick|prank)))"
    )
    return before, after


_CRAFT_BY_BEFORE, _CRAFT_BY_AFTER = _run_pattern(_CRAFT_BEFORE, _CRAFT_AFTER)
_CRAFT_POSSESSIVE = compile_pattern(rf"(?P<run>{_NAME_RUN.pattern})['’]s?\s+(?:[\w-]+\s+)?{_CRAFT_NOUN}\b")
# "wasn't ever in danger of winning any Academy Awards", "an Oscar-worthy turn": awards go to people.
# "the Jon Brion soundtrack", "a Fincher film", "Matt Reaves's The Batman": a name that signs a work.
_SIGNED_WORK = compile_pattern(
    rf"(?P<run>{_RUN})\s+(?:soundtrack|score|film|movie|joint|picture|production|screenplay)\b"
    rf"|(?P<owner>{_RUN})['’]s?\s+The\s+[A-Z]"
)
_AWARDED = compile_pattern(
    rf"(?P<run>{_RUN})(?:['’]s)?\s+(?:[a-z’']+\s+){{0,8}}(?:an?\s+|any\s+|the\s+|another\s+)?"
    rf"(?:Oscars?|Academy Awards?|Golden Globes?|BAFTAs?|Emmys?)\b"
)
# "the no-budget thriller Following", "his debut Memento": a work named after its kind. Never "film" or
# "movie" ("in the film Oren finds …"), and a name that acts in the story stays a character anyway.
_KIND_OF_WORK = compile_pattern(
    rf"\b(?:thriller|documentary|comedy|drama|western|horror|sequel|prequel|remake|reboot|novel|book|"
    rf"short|debut|follow-up|feature|musical|noir|blockbuster)\s+(?P<run>{_RUN})"
)
_ACTOR_AS = compile_pattern(rf"(?P<actor>{_RUN})\s+(?:is\s+|was\s+)?as\s+(?:the\s+)?(?P<role>{_RUN})")
_ROLE_ACTOR = compile_pattern(rf"(?P<role>{_RUN})\s*\((?:played by\s+)?(?P<actor>{_RUN})\)")
_CRAFT_BEFORE_PAREN = compile_pattern(
    r"(?i:director|actor|actress|star|composer|writer|screenwriter|filmmaker|cinematographer|editor|"
    r"dp|cast|score|music|soundtrack|camera|cinematography|photography|screenplay|script)s?['’]?s?\s*\($"
)
# "The cop (Teddy)": a lower-case noun, then a name in brackets.
_NOUN_PAREN = compile_pattern(rf"\b[a-z][\w'’-]*\s*\((?P<run>{_RUN})\)")
_ROLE_PLAYED_BY = compile_pattern(rf"(?P<role>{_RUN}),?\s+(?:played|portrayed)\s+by\s+(?P<actor>{_RUN})")
# "Jim Carrey, as Joel, proves …": the comma form needs the closing comma, so "Joel, as Clementine
# leaves, …" (a clause, not a cast note) is read only as far as it proves nothing.
_ACTOR_COMMA_AS = compile_pattern(rf"(?P<actor>{_RUN}),\s+as\s+(?:the\s+)?(?P<role>{_RUN}),")
# "Jim Carrey's character": the possessor of a character is the actor playing it ("character arc",
# "character development" are about the character itself and prove nothing).
_ACTOR_CHARACTER = compile_pattern(rf"(?P<run>{_RUN})['’]s?\s+character\b(?!\s+(?:arc|development|study))")
# "(Jim Carrey and Kate Winslet)": a cast note of full names after a story noun.
_CAST_NOTE = compile_pattern(rf"\((?P<runs>{_RUN}(?:\s*,\s*{_RUN})*,?\s+and\s+{_RUN})\)")
# A name doing something in the story: an agent of an event, or someone's kin. Such a name is a
# character whatever the craft evidence says (fail closed).
_STORY_VERB = (
    r"(?:kills|killed|dies|died|murders|murdered|leaves|left|finds|discovers|discovered|learns|learned|"
    r"realizes|realises|realized|realised|escapes|escaped|survives|survived|wakes|woke|falls|fell|marries|"
    r"married|meets|met|loses|tries|wants|decides|decided|becomes|"
    r"returns|returned|attacks|attacked|betrays|betrayed|confesses|confessed|saves|saved|rescues|rescued|"
    r"is killed|was killed|gets killed|is revealed|was revealed|turns out|goes missing|disappears|"
    r"disappeared|shoots himself|shoots herself|kidnaps|kidnapped|steals|stole|lies|lied|hides|hid|"
    r"remembers|forgets|forgot|wakes up|ends up|finds out|found out|is dead|was dead|is alive|explains|"
    r"confronts|confronted|fires|is fired|was fired|gets fired|got fired|been fired|slaps|slapped|hits|"
    r"throws|threw|abuses|abused|humiliates|humiliated|manipulates|manipulated|admits|admitted|"
    r"tells|told|asks|asked|runs away|ran away|breaks up|broke up|falls in love|fell in love|"
    r"is actually|was actually)"
)
_STORY_AGENT = compile_pattern(
    rf"(?P<run>{_RUN})(?:['’]s)?\s+(?:(?:then|finally|eventually|later|also|actually|really|soon|never|only|just|"
    rf"still|even|\w+ly)\s+)?{_STORY_VERB}\b"
)
_STORY_KIN = compile_pattern(
    rf"(?P<run>{_RUN})['’]s?\s+(?:own\s+|dead\s+|late\s+)?(?:wife|husband|son|daughter|father|mother|"
    r"brother|sister|girlfriend|boyfriend|death|murder|killer|fate|body|family|parents|child|children|"
    r"memories|past)\b"
)
_STORY_OBJECT = compile_pattern(rf"\b(?i:kills|killed|killing|murders|murdered|murdering|kidnaps|kidnapped|"
                           rf"kidnapping|shoots|shot|saves|saving|betrays|betraying|marries|married|marrying|"
                           rf"exploits|exploiting|frames|framing|deceives|deceiving)\s+(?P<run>{_RUN})")
_CHARACTER_NAMED = compile_pattern(rf"\b(?i:{_CHARACTER_BEFORE})\s+(?P<run>{_RUN})")
# Not people and not characters: companies ("RKO Radio Pictures", "Drinkbox Studios") and other works
# cited with their year ("The Maltese Falcon (1941)").
_COMPANY = compile_pattern(
    rf"(?P<run>{_RUN})\s+(?:Pictures|Studios?|Entertainment|Productions?|Films|Animation|Records|Media|"
    rf"Company|Corporation|Network|Theat(?:er|re)s?|Cinemas?|Drafthouse|Festival)\b"
)
_WORK_WITH_YEAR = compile_pattern(rf"(?P<run>{_RUN})\s*\((?:19|20)\d\d\)")
# Other works cited in italics or quotes ("*Fight Club*", "“The Sixth Sense”"): the whole run, nothing else.
# Quotes hold nicknames and lines too ('John "Scottie" Ferguson', '"Remember Sammy Jankis"'): only a
# "The …" title of two words or more counts there.
_WORK_QUOTED = compile_pattern(
    rf"(?<![\w*_])(?:\*{{1,2}}(?P<italic>{_RUN})[,.]?\*{{1,2}}|_(?P<underscored>{_RUN})[,.]?_"
    rf"|[“\"]The\s+(?P<quoted>{_CAP}\s+{_RUN})[,.]?[”\"])(?![\w*_])"
)


def _run_words(run: str, name_like: frozenset[str]) -> set[str]:
    return {key for t in _tokens(run) if (key := bare_word(t)) in name_like}


def film_names(film: Film | None, review_texts: Iterable[str]) -> FilmNames:
    """Characters and people of a film, from its facts and from how its reviews use names."""
    texts = list(review_texts)
    name_like = name_like_words(texts)
    people: set[str] = set()
    characters: set[str] = set()
    things: set[str] = set()
    agents: set[str] = set()  # names doing things in the story: characters, whatever else
    for text in texts:
        for pattern in (_CRAFT_BY_BEFORE, _CRAFT_BY_AFTER, _CRAFT_POSSESSIVE, _AWARDED):
            for m in pattern.finditer(text):
                people |= _run_words(m.group("run"), name_like)
        for pattern in (_ACTOR_AS, _ROLE_ACTOR, _ROLE_PLAYED_BY):
            for m in pattern.finditer(text):
                people |= _run_words(m.group("actor"), name_like)
                characters |= _run_words(m.group("role"), name_like)
        for m in _NOUN_PAREN.finditer(text):
            bracketed = _run_words(m.group("run"), name_like)
            if _CRAFT_BEFORE_PAREN.search(text, max(0, m.start() - 40), m.start("run")):
                people |= bracketed
            elif len(bracketed) == 1:
                # A full name there is as often the cast ("a stranger (Brad Pitt)") as the character
                # ("the investigator (Sammy Jankis)"): no evidence either way. A single name is a character.
                characters |= bracketed
        for m in _ACTOR_COMMA_AS.finditer(text):
            people |= _run_words(m.group("actor"), name_like)
            characters |= _run_words(m.group("role"), name_like)
        for m in _ACTOR_CHARACTER.finditer(text):
            people |= _run_words(m.group("run"), name_like)
        for m in _SIGNED_WORK.finditer(text):
            people |= _run_words(m.group("run") or m.group("owner"), name_like)
        for m in _CAST_NOTE.finditer(text):
            runs = [r for r in re.split(r"\s*,\s*|\s+and\s+", m.group("runs")) if r]
            if all(len(_run_words(r, name_like)) >= 2 for r in runs):
                for run in runs:
                    people |= _run_words(run, name_like)
        for m in _CHARACTER_NAMED.finditer(text):
            characters |= _run_words(m.group("run"), name_like)
        for pattern in (_STORY_AGENT, _STORY_KIN, _STORY_OBJECT):
            for m in pattern.finditer(text):
                agents |= _run_words(m.group("run"), name_like)
        for pattern in (_COMPANY, _WORK_WITH_YEAR, _WORK_QUOTED, _KIND_OF_WORK):
            for m in pattern.finditer(text):
                things |= _run_words(m.group(0), name_like)
        # "R-rating", "Lyft-style": capitalised compounds of a common word are no one (not name-like).
        things |= {
            key for w in _WORD.findall(text) if w[:1].isupper() and _is_compound_word(key := bare_word(w).lower())
        }
    characters |= agents
    # A full name shares its status: "Orson Welles" when "Welles's performance" made Welles a person.
    # Only the last word (a surname) passes it on, and never over character evidence.
    for text in texts:
        for m in _NAME_RUN.finditer(text):
            words = [t for t in _tokens(m.group(0)) if t in name_like]
            if len(words) >= 2 and words[-1] in people and not set(words) & characters:
                people |= set(words)
    public: set[str] = set()
    fact_characters: set[str] = set()
    if film is not None:
        public = set(_tokens(" ".join((film.title, film.original_title or "", *film.aliases, *film.directors,
                                        *film.cast))))
        fact_characters = {t for name in film.characters for t in _tokens(name) if len(t) > 2} - STOPWORDS
    people = (people - characters) | public | (things - characters)
    inferred = (name_like - people) | characters
    titles: tuple[str, ...] = ()
    if film is not None:
        titles = tuple(sorted({t for t in (film.title, film.original_title, *film.aliases) if t and t.strip()},
                              key=len, reverse=True))
    return FilmNames(
        characters=frozenset(((inferred - STOPWORDS - NOT_NAMES) | fact_characters) - public),
        people=frozenset(people - fact_characters),
        name_like=name_like,
        titles=titles,
    )
