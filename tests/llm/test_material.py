"""What stands in for a review the model cannot be shown whole: an excerpt that keeps its opinions."""

from __future__ import annotations

from dataclasses import replace

from bot.llm.material import excerpt, review_label
from storage.records import Review

PREAMBLE = "We had pizza and the dog slept through the whole evening on the sofa."
CRAFT = "The cinematography is gorgeous."
VERDICT = "Overall I loved it."


def test_opinions_of_the_craft_come_first_then_the_verdict_within_the_word_budget() -> None:
    sentences = [PREAMBLE, VERDICT, "My cousin had recommended it years ago.", CRAFT]
    assert excerpt(sentences, 10) == f"{CRAFT} {VERDICT}"


def test_a_review_that_fits_is_kept_whole_opinions_first() -> None:
    sentences = [PREAMBLE, CRAFT, VERDICT]
    assert excerpt(sentences, 100) == f"{CRAFT} {VERDICT} {PREAMBLE}"


def test_a_sentence_that_does_not_fit_is_skipped_for_a_later_one_that_does() -> None:
    long_praise = "The editing is " + "remarkably " * 20 + "precise."
    assert excerpt([long_praise, VERDICT], 10) == VERDICT


def test_one_sentence_longer_than_the_budget_gives_its_opening() -> None:
    sentence = "The score is " + " ".join(f"haunting{i}" for i in range(30)) + "."
    assert excerpt([sentence], 10) == " ".join(sentence.split()[:10]) + "…"


def test_no_sentences_give_no_excerpt() -> None:
    assert excerpt([], 60) == ""


def test_a_mention_of_the_craft_with_no_judgement_is_no_opinion() -> None:
    mention = "The film runs two hours and is the second feature by this director."
    assert excerpt([mention, VERDICT], 5) == VERDICT


def test_a_review_block_names_a_rating_only_when_the_review_has_one() -> None:
    """A label "no rating" came back as "The Truman Show received a no rating" (1.5B model)."""
    rated = Review(7, 1, "someone", "import", 4.5, "Good.", False, "h", "2026-01-01")
    assert review_label(rated) == "7 | rating 4.5/5"
    assert review_label(replace(rated, rating=None)) == "7"
