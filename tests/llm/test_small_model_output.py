"""What the real small models (Qwen2.5 0.5B/1.5B on llama.cpp) did wrong in bench/llm_real.py runs,
each pinned down so CI guards it without the model."""

from __future__ import annotations

import json

from bot.llm.schema import PointStream, parse_points


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
