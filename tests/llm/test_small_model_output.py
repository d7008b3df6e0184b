"""What the real small models (Qwen2.5 0.5B/1.5B on llama.cpp) did wrong in bench/llm_real.py runs,
each pinned down so CI guards it without the model."""

from __future__ import annotations

import json

import pytest

from bot.llm.schema import PointStream, parse_points
from bot.llm.summary_engine import heading_aspect


def _answer(*texts: str) -> str:
    return json.dumps({"points": [{"aspect": "plot", "sources": [1], "text": t, "spoiler": True} for t in texts]})


REPEATED = "David Mills is a strong detective. Morgan is described as calm."


def test_a_point_repeated_word_for_word_is_kept_once() -> None:
    # The 0.5B model's spoilers-mode answer for Se7en: the same point three times.
    points = parse_points(_answer(REPEATED, REPEATED, REPEATED.upper(), "The ending is bleak."), {1})
    assert [p.text for p in points] == [REPEATED, "The ending is bleak."]


def test_repeated_sentences_inside_later_points_are_left_out() -> None:
    points = parse_points(_answer("The score is loud.", "The score is loud. The pacing drags."), {1})
    assert [p.text for p in points] == ["The score is loud.", "The pacing drags."]


def test_the_stream_drops_the_same_repeats_as_the_final_parse() -> None:
    answer = _answer(REPEATED, REPEATED, "The ending is bleak.")
    stream = PointStream({1})
    streamed = [p for i in range(0, len(answer), 7) for p in stream.feed(answer[i : i + 7])]
    assert streamed == parse_points(answer, {1})


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Review 8 also gives a score of 4.5 out of 5.", "One reviewer also gives a score of 4.5 out of 5."),
        (
            "All praise the writing, with reviews 6 and 7 calling it the star.",
            "All praise the writing, with two reviewers calling it the star.",
        ),
        ("The reviewer #3 liked the score.", "One reviewer liked the score."),
        ("Three reviews praise the score.", "Three reviews praise the score."),
    ],
)
def test_review_ids_written_into_the_text_become_words(text: str, shown: str) -> None:
    # The 1.5B model wrote the ids meant for `sources` into its sentences ("Review 8 also gives …").
    (point,) = parse_points(_answer(text), {1})
    assert point.text == shown


def test_the_same_sentence_under_another_aspect_is_a_repeat() -> None:
    # The 1.5B model for Se7en: the writing point again as the sound point, one word changed.
    writing = "The writing is described as bleak, brilliant, and impossible to forget, with the countdown praised."
    sound = "The sound is described as bleak, brilliant, and impossible to forget, with the countdown praised."
    other = "The score is described as loud, with low strings and brass."
    points = parse_points(_answer(writing, sound, other), {1})
    assert [p.text for p in points] == [writing, other]


def test_sentences_with_other_numbers_are_not_repeats() -> None:
    first = "One reviewer also gives the film a score of 4.5 out of 5 overall."
    second = "One reviewer also gives the film a score of 3 out of 5 overall."
    assert [p.text for p in parse_points(_answer(first, second), {1})] == [first, second]


@pytest.mark.parametrize(
    ("aspect", "text", "shown"),
    [
        ("writing", "The music is forgettable, but it fits the film.", "sound"),
        ("writing", "Every camera move and shot has a reason; the cinematography is precise.", "visuals"),
        ("acting", "The director stages each scene with care.", "direction"),
        ("tone", "The pacing drags in the middle hour.", "pacing"),
        ("acting", "Song Kang-ho is superb.", "acting"),  # names no aspect: the model's stays
        ("sound", "The score and the sound design are superb.", "sound"),  # names the model's own
        ("verdict", "The acting alone makes it a must-see.", "verdict"),  # a verdict stays a verdict
        ("plot", "The score swells as the flood fills the basement.", "plot"),
        ("mood", "The acting is fine.", ""),  # not an aspect the schema has: no heading
    ],
)
def test_a_point_is_shown_under_the_aspect_it_names(aspect: str, text: str, shown: str) -> None:
    assert heading_aspect(aspect, text) == shown
