"""The shared row checks every import format uses."""

from __future__ import annotations

import pytest

from bot.importers.records import (
    RowError,
    bool_field,
    date_field,
    rating_field,
    review_text_field,
    year_field,
)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2024-05-31", "2024-05-31T00:00:00Z"),
        ("2024-05-31T10:20:30Z", "2024-05-31T10:20:30Z"),
        ("2024-05-31 23:30:00-02:00", "2024-06-01T01:30:00Z"),
        ("", None),
        (None, None),
    ],
)
def test_dates_are_stored_in_utc(value: object, stored: str | None) -> None:
    assert date_field(value, "created_at") == stored


@pytest.mark.parametrize("value", ["31/05/2024", "yesterday", 20240531])
def test_bad_dates(value: object) -> None:
    with pytest.raises(RowError, match="created_at"):
        date_field(value, "created_at")


def test_review_text_keeps_paragraphs_and_normalises_line_endings() -> None:
    assert review_text_field("  One line.\r\n\r\nAnother, after a blank line.  ", 100) == (
        "One line.\n\nAnother, after a blank line."
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Great film!", "too short"),
        ("a b c d", "too short"),  # four words but under 20 characters
        ("x" * 30 + " y z w", "the limit is 30"),
        (None, "'text' is missing"),
        (42, "'text' must be text"),
    ],
)
def test_review_text_limits(value: object, message: str) -> None:
    with pytest.raises(RowError, match=message):
        review_text_field(value, 30)


@pytest.mark.parametrize(("value", "year"), [(1999, 1999), ("2001", 2001), (" 1960 ", 1960), ("", None)])
def test_years(value: object, year: int | None) -> None:
    assert year_field(value) == year


@pytest.mark.parametrize("value", ["abc", 1800, 2200, True, 2020.5])
def test_bad_years(value: object) -> None:
    with pytest.raises(RowError):
        year_field(value)


@pytest.mark.parametrize(("value", "rating"), [(0.5, 0.5), ("4.5", 4.5), (5, 5.0), ("", None)])
def test_ratings(value: object, rating: float | None) -> None:
    assert rating_field(value) == rating


@pytest.mark.parametrize("value", [0, 7, 3.3, "five", float("nan"), True])
def test_bad_ratings(value: object) -> None:
    with pytest.raises(RowError):
        rating_field(value)


@pytest.mark.parametrize(("value", "flag"), [("Yes", True), ("0", False), (True, True), ("", False)])
def test_flags(value: object, flag: bool) -> None:
    assert bool_field(value, "contains_spoilers") is flag
