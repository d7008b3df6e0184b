"""Sentences about the review itself (its markup, where it was posted, plugs, thanks) are no opinion of
the film: the allow-list never calls them safe, the offline summary never reads them for opinions.
Opinions that only share a word with such notes ("below", "hidden", "piece") stay opinions."""

from __future__ import annotations

import re

import pytest

from bot.spoilers.allowlist import Kind, classify
from bot.spoilers.names import FilmNames
from bot.summarize.offline import summarize_offline
from bot.text.about_review import is_about_the_review, is_editorial
from storage.records import Film, Review, Sentence

FILM = Film(id=1, title="The Lighthouse Keeper", year=2021)
NAMES = FilmNames(people=frozenset({"song", "kang-ho"}))
THRESHOLD = 0.35
_BARS = re.compile(r"\|\|.*?\|\|", re.DOTALL)

# (sentence, what the allow-list makes of it): NEITHER when nothing else in it is plot; a sentence
# with plot cues of its own stays PLOT.
ABOUT_THE_REVIEW = [
    ("The plot details are behind bars, so click at your own risk.", Kind.NEITHER),
    ("Spoiler talk is blurred out below, tap to reveal.", Kind.PLOT),
    ("Hover over the black bars at your own peril.", Kind.NEITHER),
    ("No spoilers here, but the acting is terrific.", Kind.NEITHER),
    ("More thoughts on the stunning cinematography below.", Kind.NEITHER),
    ("Edit: on a second viewing the score is even better.", Kind.NEITHER),
    ("(Update - the gorgeous photography still holds up.)", Kind.NEITHER),
    ("You can read my full review of this gorgeous film on my blog.", Kind.NEITHER),
    ("Thanks to the studio for the screener, the acting is superb.", Kind.NEITHER),
    ("This review first appeared in a slightly different form, and the film is still wonderful.", Kind.NEITHER),
    ("Subscribe to my podcast for more reviews of brilliant films.", Kind.NEITHER),
    ("Thanks for reading, and do see this beautiful film.", Kind.NEITHER),
]

OPINIONS = [
    "The score hums below every scene.",
    "There are hidden depths in Song's performance.",
    "A quiet dread simmers below the surface of every frame.",
    "This piece of filmmaking is astonishing.",
    "You can find a lot to love here, from the score to the sets.",
    "The script is written in the style of a noir, and it is sharp.",
    "Thanks to its score, the film soars.",
    "I'm grateful for its restraint.",
    "The pieces click into place beautifully.",
]


@pytest.mark.parametrize(("sentence", "kind"), ABOUT_THE_REVIEW)
def test_a_note_about_the_review_is_never_safe(sentence: str, kind: Kind) -> None:
    assert is_about_the_review(sentence)
    verdict = classify(sentence, NAMES)
    assert verdict.kind is kind, verdict.reasons
    if kind is Kind.NEITHER:
        assert verdict.reasons == ("about_the_review",)


@pytest.mark.parametrize("sentence", ["I won’t spoil it, but the score is great.", "I can’t spoil this one.",
                                      "I don’t want to spoil it.", "I’d already reviewed it elsewhere.",
                                      "Editor’s note: the score is great."])
def test_markup_talk_with_a_typographic_apostrophe_is_about_the_review(sentence: str) -> None:
    assert is_about_the_review(sentence)
    assert is_about_the_review(sentence.replace("’", "'"))


@pytest.mark.parametrize("sentence", OPINIONS)
def test_an_opinion_sharing_a_word_with_such_notes_stays_safe(sentence: str) -> None:
    assert not is_about_the_review(sentence)
    assert classify(sentence, NAMES).kind is Kind.SAFE


def test_plot_stays_plot_and_a_warned_sentence_is_no_craft_only_verdict() -> None:
    assert classify("Spoilers: the detective's wife dies in the box.", NAMES).kind is Kind.PLOT
    # After the author's warning only a plainly craft-only verdict is let through; a note about spoilers
    # is not one.
    assert classify("No spoilers here: the pacing is superb.", NAMES, warned=True).kind is Kind.PLOT
    assert classify("The pacing is superb.", NAMES, warned=True).kind is Kind.SAFE


def _review(rid: int, sentences: list[str], score: float) -> Review:
    stored = tuple(Sentence(i, text, score, False) for i, text in enumerate(sentences))
    return Review(rid, 1, f"critic{rid}", "test", 4.0, " ".join(sentences), False, f"h{rid}", "2026-01-01",
                  sentences=stored)


def _word_runs(text: str, n: int = 4) -> set[str]:
    words = text.rstrip(".)").lstrip("(").split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.parametrize("spoilers", [False, True])
def test_the_offline_summary_never_reads_a_note_about_the_review_for_opinions(spoilers: bool) -> None:
    # Each note in a review of its own, scored as a spoiler in spoilers mode. There the plot section
    # quotes the highest-scored plot sentences behind ||…||: markup talk may be among them ("Spoilers:
    # <the reveal>" is both), an editor's note never; nothing of either stands outside the bars.
    reviews = [_review(1, ["The acting is superb.", "The score is haunting."], 0.05)]
    reviews += [_review(i + 2, [sentence], 0.9 if spoilers else 0.05)
                for i, (sentence, _) in enumerate(ABOUT_THE_REVIEW)]
    text = summarize_offline(FILM, reviews, spoilers=spoilers, threshold=THRESHOLD).text
    shown = _BARS.sub(" ", text)
    assert "The acting is superb" in shown and "The score is haunting" in shown
    for sentence, _ in ABOUT_THE_REVIEW:
        runs = _word_runs(sentence)
        assert not any(run in shown for run in runs), sentence
        if is_editorial(sentence):
            assert not any(run in text for run in runs), sentence
