"""Review CSVs: the project's own reviews CSV, and Letterboxd's reviews.csv and watchlist.csv.

The format is recognised from the header row (case does not matter; a byte-order mark is fine):

- project reviews CSV: `film,year,author,rating,text,contains_spoilers` (+ optional `created_at`);
  only `film` and `text` are required, column order is free (see README.md, "Data formats");
- Letterboxd reviews.csv: `Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date`;
- Letterboxd watchlist.csv: `Date,Name,Year,Letterboxd URI`.

A `.tsv` file is read tab-separated. Problems carry the physical line number where the record
starts, so a review whose quoted text spans five lines is reported at its first line.

We use the standard library's `csv` module rather than splitting lines ourselves: it handles
quoting, doubled quotes and newlines inside quoted fields (Letterboxd reviews have all three), and
it reads from any iterator of lines, so a large file is streamed rather than loaded whole. No
dependency is needed for that.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import TYPE_CHECKING

from bot.importers.records import (
    ParsedFile,
    ReviewRow,
    RowError,
    WatchlistRow,
    bool_field,
    date_field,
    rating_field,
    review_text_field,
    text_field,
    title_field,
    year_field,
)

if TYPE_CHECKING:
    from _csv import Reader

REVIEWS_CSV_COLUMNS = ("film", "year", "author", "rating", "text", "contains_spoilers", "created_at")
REVIEWS_CSV_REQUIRED = ("film", "text")
LETTERBOXD_REVIEWS = (
    "Date", "Name", "Year", "Letterboxd URI", "Rating", "Rewatch", "Review", "Tags", "Watched Date",
)
LETTERBOXD_WATCHLIST = ("Date", "Name", "Year", "Letterboxd URI")
DEFAULT_LETTERBOXD_AUTHOR = "letterboxd user"

EXPECTED_HEADERS = (
    f"expected a reviews CSV ({','.join(REVIEWS_CSV_COLUMNS[:6])}), Letterboxd's reviews.csv "
    f"({','.join(LETTERBOXD_REVIEWS)}) or Letterboxd's watchlist.csv ({','.join(LETTERBOXD_WATCHLIST)})"
)

# Letterboxd keeps a review's formatting as a few HTML tags; we store plain text.
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"</p\s*>|</blockquote\s*>", re.IGNORECASE)
_INLINE_TAG = re.compile(
    r"</?(?:i|b|em|strong|u|s|strike|del|ins|a|p|blockquote|span|div|ul|ol|li|h[1-6])(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_MANY_BLANK_LINES = re.compile(r"\n\s*\n(?:\s*\n)+")
# Letterboxd shows "This review may contain spoilers." for reviews flagged on the site, but the
# export has no column for it: honour the notice (or a "spoilers" tag) when the text carries it.
_SPOILER_NOTICE = re.compile(
    r"(?<!\bno )(?<!\bwithout )\b(?:(?:may |might |does )?contains? (?:major |some |heavy )?spoilers"
    r"|spoilers? (?:ahead|below|warning|alert))\b",
    re.IGNORECASE,
)


def parse_csv(
    source: str | Iterable[str],
    *,
    name: str = "reviews.csv",
    max_review_chars: int = 6000,
    author: str | None = None,
    max_title_chars: int = 200,
) -> ParsedFile:
    """Parse CSV text, or an iterator of its lines (a file opened with `newline=""`).

    Every problem is reported in `ParsedFile.problems`; a UnicodeDecodeError raised by the lines
    (a file that is not UTF-8) is left to the caller, which knows the file.
    """
    lines: Iterator[str] = iter(io.StringIO(source, newline="") if isinstance(source, str) else source)
    first = next(lines, None)
    if first is None or not first.strip():
        parsed = ParsedFile(source="csv")
        parsed.fail(1, "the file is empty or its first line is blank; " + EXPECTED_HEADERS)
        return parsed
    tabs = PurePath(name).suffix.lower() == ".tsv" or ("\t" in first and "," not in first)
    delimiter = "\t" if tabs else ","
    # strict: a stray quote is reported on its own line instead of silently swallowing what follows.
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
    return _parse(reader, name, max_review_chars, author, max_title_chars)


def _parse(reader: Reader, name: str, max_chars: int, author: str | None, max_title: int) -> ParsedFile:
    try:
        header = [_header_cell(cell) for cell in next(reader)]
    except csv.Error as error:  # e.g. a quote opened in the header and never closed
        parsed = ParsedFile(source="csv")
        parsed.fail(1, f"the header row can't be read: {_csv_error_reason(error)}; " + EXPECTED_HEADERS)
        return parsed
    columns = {cell: n for n, cell in reversed(list(enumerate(header))) if cell}
    kind, problem = _detect(columns, name)
    parsed = ParsedFile(
        source="letterboxd" if kind.startswith("letterboxd") else "csv",
        create_missing_films=kind.startswith("letterboxd"),
        is_watchlist=kind == "letterboxd-watchlist",
    )
    if problem:
        parsed.fail(1, problem)
        return parsed
    owner = " ".join((author or "").split())[:100] or DEFAULT_LETTERBOXD_AUTHOR
    width = len(header)
    start = reader.line_num + 1  # the physical line where the next record begins
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            parsed.problem(start, _csv_error_reason(error))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            reason = f"{len(cells)} columns but the header has {width} (a comma in unquoted text?)"
            parsed.problem(line, reason)
            continue
        row = {key: (cells[n] if n < len(cells) else "") for key, n in columns.items()}
        try:
            if kind == "reviews-csv":
                parsed.reviews.append(_project_review(row, line, max_chars, max_title))
            elif kind == "letterboxd-reviews":
                parsed.reviews.append(_letterboxd_review(row, line, max_chars, owner, max_title))
            else:
                parsed.watchlist.append(_letterboxd_watchlist(row, line, max_title))
        except RowError as error:
            parsed.problem(line, str(error))
    return parsed


def _csv_error_reason(error: csv.Error) -> str:
    message = str(error)
    if "end of data" in message:
        return 'a quoted field starts on this line and is never closed (a missing ")'
    if "expected after" in message:
        return 'a quote inside a field must be doubled ("") and the whole field quoted'
    if "field limit" in message:
        return f"a field is longer than {csv.field_size_limit():,} characters (is a closing quote missing?)"
    return f"not valid CSV: {message}"


def _header_cell(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").split()).lower()


def _detect(columns: dict[str, int], name: str) -> tuple[str, str | None]:
    """(kind, problem): which of our formats the header names, or why it is none of them."""
    letterboxd = {c.lower() for c in LETTERBOXD_WATCHLIST}
    if letterboxd <= columns.keys():
        if "review" in columns:
            return "letterboxd-reviews", None
        stem = PurePath(name).stem.lower()
        if "rating" in columns:
            return "letterboxd-reviews", (
                f"{name} looks like Letterboxd's ratings.csv or diary.csv, which hold no review text; "
                "import reviews.csv (or watchlist.csv) from the same export"
            )
        if stem.startswith("watched"):
            return "letterboxd-watchlist", (
                f"{name} looks like Letterboxd's watched.csv (films already seen), not a watchlist; "
                "import watchlist.csv from the same export"
            )
        return "letterboxd-watchlist", None
    if set(REVIEWS_CSV_REQUIRED) <= columns.keys():
        unknown = [c for c in columns if c not in REVIEWS_CSV_COLUMNS]
        if unknown:
            return "reviews-csv", (
                f"unknown column(s) {', '.join(repr(c) for c in unknown)}; a reviews CSV has the columns "
                + ",".join(REVIEWS_CSV_COLUMNS)
            )
        return "reviews-csv", None
    shown = ",".join(c for c in columns)[:120] or "(nothing)"
    return "unknown", f"unrecognised header {shown!r}: {EXPECTED_HEADERS}"


def _project_review(row: dict[str, str], line: int, max_chars: int, max_title: int) -> ReviewRow:
    return ReviewRow(
        line=line,
        film_title=title_field(row["film"], "film", max_title),
        film_year=year_field(row.get("year")),
        author=text_field(row.get("author"), "author", required=False, max_len=100) or "anonymous",
        rating=rating_field(row.get("rating")),
        text=review_text_field(row["text"], max_chars),
        contains_spoilers=bool_field(row.get("contains_spoilers"), "contains_spoilers"),
        created_at=date_field(row.get("created_at"), "created_at"),
    )


def _letterboxd_review(row: dict[str, str], line: int, max_chars: int, owner: str, max_title: int) -> ReviewRow:
    film = title_field(row["name"], "Name", max_title)
    text = review_text_field(letterboxd_plain_text(row["review"]), max_chars, "Review")
    tags = {t.strip().lower() for t in row.get("tags", "").split(",")}
    return ReviewRow(
        line=line,
        film_title=film,
        film_year=year_field(row["year"], "Year"),
        author=owner,
        rating=rating_field(row.get("rating"), "Rating"),
        text=text,
        contains_spoilers=bool(tags & {"spoiler", "spoilers"}) or bool(_SPOILER_NOTICE.search(text)),
        created_at=date_field(row.get("date"), "Date"),
    )


def _letterboxd_watchlist(row: dict[str, str], line: int, max_title: int) -> WatchlistRow:
    return WatchlistRow(
        line=line,
        film_title=title_field(row["name"], "Name", max_title),
        film_year=year_field(row["year"], "Year"),
        added_at=date_field(row.get("date"), "Date"),
    )


def letterboxd_plain_text(text: str) -> str:
    """Letterboxd's review markup (`<i>`, `<b>`, `<br />`, links, entities) as plain text.

    Only known tags are removed, so "<3" or "<insert name>" in a review survive.
    """
    text = _BREAK.sub("\n", text)
    text = _PARAGRAPH_END.sub("\n\n", text)
    text = _INLINE_TAG.sub("", text)
    text = html.unescape(text)
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()
