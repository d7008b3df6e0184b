"""Splitting long text at Discord's limits without ever showing a spoiler in the clear."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.chunking import (
    CONTENT_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    close_spoilers,
    first_piece,
    split_message,
    spoiler_markers,
)
from bot.text.segments import wrap_spoiler


def visible_and_hidden(text: str) -> list[tuple[str, bool]]:
    """Every non-space character with whether Discord would hide it (unclosed spans hide to the end)."""
    markers = set(spoiler_markers(text))
    out: list[tuple[str, bool]] = []
    hidden = False
    i = 0
    while i < len(text):
        if i in markers:
            hidden = not hidden
            i += 2
            continue
        if not text[i].isspace():
            out.append((text[i], hidden))
        i += 1
    return out


def read_all(pieces: list[str]) -> list[tuple[str, bool]]:
    return [pair for piece in pieces for pair in visible_and_hidden(piece)]


def test_short_text_is_one_piece() -> None:
    assert split_message("Hello ||there||.") == ["Hello ||there||."]
    assert split_message("x" * CONTENT_LIMIT) == ["x" * CONTENT_LIMIT]
    assert split_message("   ") == []


def test_prefers_paragraphs_then_sentences() -> None:
    para = "First sentence here. " * 40
    text = para.strip() + "\n\n" + para.strip()
    pieces = split_message(text, 1000)
    assert pieces[0] == para.strip()  # cut at the paragraph break, not mid-paragraph
    assert all(p.endswith(".") for p in pieces)


def test_a_cut_span_is_closed_and_reopened() -> None:
    secret = " ".join(f"word{i}" for i in range(400))
    text = "Intro. " + wrap_spoiler(secret) + " Outro."
    pieces = split_message(text, 500)
    assert len(pieces) > 2
    for piece in pieces:
        assert len(piece) <= 500
        assert len(spoiler_markers(piece)) % 2 == 0
    assert pieces[1].startswith("||") and pieces[1].endswith("||")
    assert read_all(pieces) == visible_and_hidden(text)


def test_unclosed_span_is_closed_fail_closed() -> None:
    assert close_spoilers("the killer is ||Bob") == "the killer is ||Bob||"
    assert close_spoilers("fine ||done||") == "fine ||done||"
    assert split_message("the killer is ||Bob") == ["the killer is ||Bob||"]


def test_escaped_bars_are_not_markup() -> None:
    text = "a \\|\\| b ||c||"
    assert spoiler_markers(text) == [len("a \\|\\| b "), len("a \\|\\| b ||c")]


def test_marker_never_escaped_or_merged_at_a_cut() -> None:
    text = "||" + "ab\\ " * 200 + "||"
    for piece in split_message(text, 100):
        assert len(spoiler_markers(piece)) % 2 == 0
        assert "\\||" not in piece


def test_one_huge_word_is_cut() -> None:
    pieces = split_message("y" * 4500, CONTENT_LIMIT)
    assert [len(p) for p in pieces] == [2000, 2000, 500]


def test_embed_limit_and_preview() -> None:
    text = "Sentence number one is here. " * 300
    assert all(len(p) <= EMBED_DESCRIPTION_LIMIT for p in split_message(text, EMBED_DESCRIPTION_LIMIT))
    preview = first_piece(text, 200)
    assert len(preview) <= 200 and preview.endswith(" …")
    assert first_piece("short") == "short"


_pieces = st.sampled_from(["a", "bc", " ", "\n", "\n\n", ". ", "||", "|", "\\", "word ", "Sentence. "])


@settings(max_examples=400, deadline=None)
@given(st.lists(_pieces, max_size=120).map("".join), st.integers(min_value=16, max_value=60))
def test_pieces_fit_balance_and_hide_exactly_what_the_text_hides(text: str, limit: int) -> None:
    pieces = split_message(text, limit)
    for piece in pieces:
        assert len(piece) <= limit
        assert len(spoiler_markers(piece)) % 2 == 0
        assert "||||" not in piece or "||||" in text
    assert read_all(pieces) == visible_and_hidden(text)


def test_rejects_tiny_limits() -> None:
    with pytest.raises(ValueError):
        split_message("abc", 5)


def test_a_span_of_white_space_longer_than_a_piece() -> None:
    # Every cut inside these spans was refused (it would leave an empty span): AssertionError.
    assert split_message("Intro. ||0" + " " * 36 + "|| Outro.", 40) == ["Intro. ||0||", "Outro."]
    assert split_message("Intro. ||" + " " * 37 + "|| Outro.", 40) == ["Intro.", "Outro."]
