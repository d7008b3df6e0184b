"""What the LLM is shown: film facts and review text as spotlighted data blocks.

Spoiler-free mode shows only the sentences the allow-list (bot/spoilers/allowlist.py) finds positively
safe; spoilers mode shows the rest too, on a separate `spoilers:` line so the model knows which is which.
Sentences written to a model instead of to readers (instructions) are never shown, in any mode.
Authors' names are never sent (they are chosen by strangers, and the model does not need them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from bot.llm.spotlight import Spotlight
from bot.services.summaries import Mode
from bot.spoilers.allowlist import AllowList, Kind
from bot.text.topics import opinion_of, rating_in
from storage.records import Film, Review


def film_fields(film: Film, *, characters: bool) -> list[tuple[str, str]]:
    fields = [
        ("title", film.label),
        ("original title", film.original_title or ""),
        ("directed by", ", ".join(film.directors)),
        ("starring", ", ".join(film.cast[:8])),
        ("genres", ", ".join(film.genres)),
        ("runtime", f"{film.runtime_minutes} minutes" if film.runtime_minutes else ""),
        ("premise", film.logline or ""),
    ]
    if characters:
        fields.append(("characters", ", ".join(film.characters[:12])))
    return fields


BRIEF_FIELDS = ("title", "directed by", "starring", "premise", "characters")
BRIEF_CAST = 5


def film_facts(film: Film, *, characters: bool, brief: bool = False) -> list[tuple[str, str]]:
    """The film's fields as shown to a model.

    `brief` (summaries on local servers): who made it and who is in it, and the premise only with the
    characters (spoilers mode; a spoiler-free summary has no plot points). The whole block was 230-310
    tokens, a third of what a 1.5B model had to read before its first point; this one is ~60 in
    spoiler-free mode."""
    fields = film_fields(film, characters=characters)
    if brief:
        fields = [
            (name, ", ".join(film.cast[:BRIEF_CAST]) if name == "starring" else value)
            for name, value in fields
            if name in BRIEF_FIELDS and (characters or name != "premise")
        ]
    return [(name, value) for name, value in fields if value]


def film_body(film: Film, spotlight: Spotlight, *, characters: bool, brief: bool = False) -> str:
    """The inside of a film block (the prompt file holds its delimiter lines)."""
    return spotlight.lines(film_facts(film, characters=characters, brief=brief))


def plot_facts(film: Film, *, brief: bool) -> list[tuple[str, str]]:
    """What spoilers mode shows beyond the spoiler-free film facts (the characters; the premise when
    brief): a block of its own after the reviews, so both modes' prompts start alike."""
    shown = set(film_facts(film, characters=False, brief=brief))
    return [field for field in film_facts(film, characters=True, brief=brief) if field not in shown]


def review_label(review: Review) -> str:
    """A review block's label: its id, and its rating when it has one (a label "no rating" came back as
    "The Truman Show received a no rating" from the 1.5B model)."""
    return f"{review.id} | rating {review.rating:g}/5" if review.rating is not None else str(review.id)


@dataclass(frozen=True, slots=True)
class ReviewMaterial:
    """One review as the LLM may see it in a given mode."""

    review: Review
    said_sentences: tuple[str, ...]  # sentences the allow-list finds safe
    spoiler_sentences: tuple[str, ...] = ()  # sentences judged spoilers (none in spoiler-free mode)

    @property
    def said(self) -> str:
        return " ".join(self.said_sentences)

    @property
    def spoilers(self) -> str:
        return " ".join(self.spoiler_sentences)

    @property
    def text(self) -> str:
        return f"{self.said} {self.spoilers}".strip()

    @property
    def empty(self) -> bool:
        return not self.said and not self.spoilers

    @property
    def digest_hash(self) -> str:
        """Identifies the text a digest was made from: a rescored or edited review gets a new digest."""
        return hashlib.sha256(f"{self.said}\0{self.spoilers}".encode()).hexdigest()[:32]

    def block(self, key: str, spotlight: Spotlight) -> str:
        return review_block(self.review, key, self.said, self.spoilers, spotlight)


def review_block(review: Review, key: str, said: str, spoilers: str, spotlight: Spotlight) -> str:
    """One review with both its lines (digest prompts)."""
    return spotlight.block("review", review_label(review), key, [("said", said), ("spoilers", spoilers)])


def said_block(review: Review, key: str, said: str, spotlight: Spotlight) -> str:
    """A review's spoiler-free part (summaries: the same block in both modes)."""
    return spotlight.block("review", review_label(review), key, [("said", said)])


def spoilers_block(review: Review, key: str, spoilers: str, spotlight: Spotlight) -> str:
    """A review's plot sentences (spoilers-mode summaries, after every review's `said` block)."""
    return spotlight.block("review", f"{review.id} | its spoilers", key, [("spoilers", spoilers)])


def material(review: Review, mode: Mode, allow: AllowList) -> ReviewMaterial:
    safe = tuple(s.text for s in allow.safe_sentences(review))
    spoilers = tuple(s.text for s in allow.plot_sentences(review)) if mode == "spoilers" else ()
    return ReviewMaterial(review, safe, spoilers)


def opening(text: str, words: int) -> str:
    """The first `words` words of `text`, with an ellipsis when there is more."""
    split = text.split()
    return " ".join(split[:words]) + ("…" if len(split) > words else "")


def _opinion_weight(sentence: str) -> int:
    """2: an opinion of the film's craft ("The score is haunting."); 1: a judgement of the film as a
    whole, or a rating; 0: anything else (context, the reviewer's evening, plot)."""
    # No judging word is no opinion here, though a summary reads a mention of the craft as praise
    # ("The film runs two hours and is the second feature by this director."); a rating still is one.
    aspect, polarity = opinion_of(sentence, assume_praise=False)
    if polarity is None:
        return 1 if rating_in(sentence) is not None else 0
    return 2 if aspect is not None and aspect != "verdict" else 1


def excerpt(sentences: Sequence[str], words: int) -> str:
    """What stands in for a review the model cannot be shown whole (its digest not made yet, or no
    usable digest): its opinions first, then the rest in the review's order, within `words` words.

    The opening words alone were, in reviews written by outsiders, mostly a blog's preamble ("I
    watched this last night because…") or the premise; given nothing about the film's craft, the
    1.5B model wrote a point on every aspect anyway ("The visuals are stunning."), which the support
    check rightly dropped: whole summaries went offline. The chosen sentences are given strongest
    opinion first, so cutting the excerpt shorter (`opening`) keeps the opinions."""
    ranked = sorted(range(len(sentences)), key=lambda i: (-_opinion_weight(sentences[i]), i))
    chosen: list[str] = []
    used = 0
    for index in ranked:
        length = len(sentences[index].split())
        if used + length <= words:
            chosen.append(sentences[index])
            used += length
    if not chosen and ranked:  # every sentence is longer than the whole allowance: the strongest one's opening
        return opening(sentences[ranked[0]], words)
    return " ".join(chosen)


def known_spoilers(reviews: Sequence[Review], allow: AllowList) -> list[str]:
    """Review sentences with plot content: the guard checks the LLM's sentences against them."""
    return [s.text for r in reviews for s in r.sentences if allow.classify(r.id, s).kind is Kind.PLOT]
