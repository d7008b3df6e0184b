"""What a review sentence talks about, and whether it praises or pans.

Small hand-made lexicons: enough for grouping an extractive summary by topic, cheap enough to
run on every sentence at import time. Stems are matched at word starts ("perform" matches
"performance", "performances").
"""

from __future__ import annotations

import re
from functools import cache

TOPICS: dict[str, tuple[str, ...]] = {
    "acting": (
        "acting", "actor", "actress", "acted", "perform", "cast", "role", "portray", "played", "plays", "turn as",
        "chemistry", "ensemble", "screen presence", "delivery", "lead performance", "lead role",
    ),
    "direction": (
        "direct", "director", "filmmak", "helm", "staging", "vision", "auteur", "mise", "craft",
        "hitchcock", "fincher", "nolan", "villeneuve", "lynch", "peele", "bong", "park chan", "jeunet",
        "konchalovsky", "shyamalan", "van sant",
    ),
    "look": (
        "cinematograph", "camera", "shot", "frame", "framing", "visual", "colour", "color", "lighting",
        "photograph", "black-and-white", "black and white", "image", "production design", "costume",
        "set design", "look", "gorgeous", "widescreen", "effects", "cgi",
    ),
    "sound": ("score", "music", "soundtrack", "sound", "composer", "zimmer", "herrmann", "silence", "song"),
    "pacing": (
        "pace", "pacing", "slow", "drag", "runtime", "length", "long", "tight", "brisk", "minutes", "boring",
        "tedious", "rushed", "editing", "edit",
    ),
    "writing": (
        "script", "screenplay", "writ", "dialogue", "story", "plot", "character", "narrative", "structure",
        "twist", "premise",
    ),
    "mood": ("tension", "suspense", "atmospher", "tone", "mood", "dread", "funny", "humour", "humor", "scary",
             "creepy", "moving", "emotional", "heart"),
    "verdict": (
        "recommend", "must-see", "must see", "masterpiece", "worth", "overall", "in short", "verdict",
        "classic", "skip", "see it", "watch it", "rewatch", "favourite", "favorite", "best film",
        "out of", "stars", "disappoint", "overrated", "underrated",
    ),
}
TOPIC_LABELS = {
    "acting": "Acting",
    "direction": "Direction",
    "look": "Look",
    "sound": "Music & sound",
    "pacing": "Pacing",
    "writing": "Writing",
    "mood": "Mood",
    "verdict": "Verdict",
}

_POSITIVE = (
    "brilliant", "great", "superb", "excellent", "masterpiece", "masterful", "stunning", "beautiful",
    "gorgeous", "perfect", "remarkable", "extraordinary", "powerful", "moving", "gripping", "terrific",
    "wonderful", "magnificent", "love", "loved", "lovely", "best", "astonishing", "haunting", "sublime",
    "riveting", "compelling", "impressive", "strong", "clever", "smart", "funny", "delight", "charming",
    "tense", "recommend", "must", "fantastic", "fresh", "precise", "elegant", "mesmeris", "mesmeriz",
    "unforgettable", "iconic", "classic", "excel", "worth", "good", "nails", "pitch-perfect", "career-best",
    "enjoy", "thrilling", "chilling", "effective", "vivid", "rich", "layered", "confident", "assured",
    "genius", "suits", "works", "beautifully", "superbly", "exquisite", "flawless", "breathtaking",
)
_NEGATIVE = (
    "bad", "boring", "dull", "weak", "flat", "tedious", "overlong", "bloated", "pretentious",
    "overrated", "mess", "messy", "clumsy", "wooden", "awful", "terrible", "worst", "disappoint", "fail",
    "lacks", "lacking", "forgettable", "confusing", "hollow", "drags", "dragged", "poor",
    "pointless", "cheap", "annoying", "grating", "uneven", "problem", "sluggish", "stiff", "inert",
    "overwrought", "plodding", "ponderous", "heavy-handed", "silly", "ridiculous", "cringe",
    "unnecessary", "lifeless", "hate", "hated", "waste", "meh", "mediocre",
)
_NEGATORS = frozenset({"not", "no", "never", "isn't", "wasn't", "doesn't", "don't", "hardly", "nothing",
                       "aren't", "without", "didn't", "isnt", "wasnt", "doesnt", "dont"})
_WORD = re.compile(r"[a-z][a-z'\-]*")


@cache
def _stem_pattern(stems: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")", re.IGNORECASE)


# One pass over the sentence for all topics: a named group per topic (8x fewer regex scans).
_ALL_TOPICS = re.compile(
    "|".join(
        rf"(?P<{topic}>\b(?:" + "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True)) + "))"
        for topic, stems in TOPICS.items()
    ),
    re.IGNORECASE,
)


def topics_of(sentence: str) -> tuple[str, ...]:
    """The topics a sentence touches, in the order of TOPICS."""
    found = {m.lastgroup for m in _ALL_TOPICS.finditer(sentence)}
    return tuple(topic for topic in TOPICS if topic in found)


def sentiment(sentence: str) -> int:
    """+1 praise, -1 criticism, 0 neutral or mixed. A negator within two words flips a cue."""
    words = _WORD.findall(sentence.lower())
    score = 0
    for i, word in enumerate(words):
        polarity = 1 if word.startswith(_POSITIVE) else -1 if word.startswith(_NEGATIVE) else 0
        if polarity and any(w in _NEGATORS for w in words[max(0, i - 2) : i]):
            polarity = -polarity
        score += polarity
    return (score > 0) - (score < 0)


def opinion_of(sentence: str) -> tuple[str | None, str | None]:
    """The sentence's main aspect (a TOPICS key) and polarity ("pos", "neg", "mixed"), each None
    when it has none. The one call the real-world benchmark scores aspect and polarity through."""
    found = topics_of(sentence)
    score = sentiment(sentence)
    polarity = "pos" if score > 0 else "neg" if score < 0 else None
    return (found[0] if found else None), polarity
