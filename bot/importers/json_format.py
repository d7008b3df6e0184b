"""The project's own JSON format (documented in README.md, "Data formats")."""

from __future__ import annotations

import difflib
import json
from typing import Any

from bot.importers.records import (
    ParsedFile,
    ReviewRow,
    RowError,
    bool_field,
    date_field,
    list_field,
    rating_field,
    review_text_field,
    text_field,
    title_field,
    year_field,
)
from storage.records import FilmInput

FILM_FIELDS = {
    "title", "year", "original_title", "aliases", "directors", "cast", "characters", "runtime_minutes",
    "genres", "logline", "imdb_id",
}
MAX_JSON_CONTAINERS = 250_000  # objects and lists in one file (see parse_json)
REVIEW_FIELDS = {"film", "year", "author", "rating", "text", "contains_spoilers", "created_at"}


def element_lines(text: str, key: str) -> list[int]:
    """Line numbers where each element of the top-level array `key` starts.

    The json module gives no positions; walking the top-level object with raw_decode does. Lines
    are counted incrementally (positions only grow), so this stays linear on large files.
    """
    decoder = json.JSONDecoder()
    counted_to, line = 0, 1

    def line_at(pos: int) -> int:
        nonlocal counted_to, line
        line += text.count("\n", counted_to, pos)
        counted_to = pos
        return line

    i = _skip(text, 0)
    if i >= len(text) or text[i] != "{":
        return []
    i = _skip(text, i + 1)
    while i < len(text) and text[i] != "}":
        name, i = decoder.raw_decode(text, i)
        i = _skip(text, i)
        i = _skip(text, i + 1)  # the colon
        if name == key and i < len(text) and text[i] == "[":
            lines = []
            i = _skip(text, i + 1)
            while i < len(text) and text[i] != "]":
                lines.append(line_at(i))
                _, i = decoder.raw_decode(text, i)
                i = _skip(text, i)
                if i < len(text) and text[i] == ",":
                    i = _skip(text, i + 1)
            return lines
        _, i = decoder.raw_decode(text, i)
        i = _skip(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip(text, i + 1)
    return []


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def parse_json(
    text: str, *, source: str = "import", max_review_chars: int = 6000, max_title_chars: int = 200
) -> ParsedFile:
    parsed = ParsedFile(source=source)
    # Memory: json.loads makes a Python object of every {} and [] (a dict is ~64 bytes before its
    # contents, and each bad row adds a problem line), so 25 MiB of "{}," once took 2.1 GB and 38 s.
    # Counting brackets first (fast, in C) refuses such a file before anything is built; a real
    # export of that size has a few tens of thousands of reviews. Brackets inside strings count too:
    # only a file far past any real export can be refused by them.
    containers = text.count("{") + text.count("[")
    if containers > MAX_JSON_CONTAINERS:
        parsed.fail(
            1,
            f"too many entries: {containers:,} objects and lists, and an import takes at most "
            f"{MAX_JSON_CONTAINERS:,}. Split the file into smaller ones",
        )
        return parsed
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        parsed.fail(error.lineno, f"not valid JSON: {error.msg} (column {error.colno})")
        return parsed
    except RecursionError:  # '[[[[…' thousands deep: the json module gives up before the end
        parsed.fail(1, "not usable JSON: lists or objects are nested too deeply")
        return parsed
    except ValueError:  # the only other: an integer too long to convert (over 4,300 digits)
        parsed.fail(1, "not usable JSON: a number in the file has thousands of digits")
        return parsed
    if not isinstance(data, dict) or not ({"films", "reviews"} & data.keys()):
        parsed.fail(1, 'expected an object with "films" and/or "reviews" lists')
        return parsed
    for key in ("films", "reviews"):
        if key in data and not isinstance(data[key], list):
            parsed.fail(1, f'"{key}" must be a list')
            return parsed
    film_lines = element_lines(text, "films")
    review_lines = element_lines(text, "reviews")
    for n, item in enumerate(data.get("films", [])):
        line = film_lines[n] if n < len(film_lines) else 1
        try:
            parsed.films.append((line, _film(item, max_title_chars)))
        except RowError as error:
            parsed.problem(line, f"film #{n + 1}: {error}")
    for n, item in enumerate(data.get("reviews", [])):
        line = review_lines[n] if n < len(review_lines) else 1
        try:
            parsed.reviews.append(_review(item, line, max_review_chars, max_title_chars))
        except RowError as error:
            parsed.problem(line, f"review #{n + 1}: {error}")
    return parsed


def _check_fields(item: dict[str, Any], allowed: set[str]) -> None:
    """Unknown fields are errors: a typo such as "director" would otherwise lose data silently."""
    for key in item:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RowError(f"unknown field '{key}'{hint}")


def _film(item: Any, max_title_chars: int) -> FilmInput:
    if not isinstance(item, dict):
        raise RowError("each film must be an object")
    _check_fields(item, FILM_FIELDS)
    runtime = item.get("runtime_minutes")
    whole = isinstance(runtime, int) and not isinstance(runtime, bool)
    if runtime is not None and not (whole and 1 <= runtime <= 1500):
        raise RowError("'runtime_minutes' must be a whole number of minutes")
    imdb_id = text_field(item.get("imdb_id"), "imdb_id", required=False, max_len=20)
    if imdb_id is not None and not (imdb_id.startswith("tt") and imdb_id[2:].isdigit()):
        raise RowError("'imdb_id' must look like tt0054215")
    return FilmInput(
        title=title_field(item.get("title"), "title", max_title_chars),
        year=year_field(item.get("year")),
        original_title=text_field(item.get("original_title"), "original_title", required=False),
        aliases=list_field(item.get("aliases"), "aliases"),
        directors=list_field(item.get("directors"), "directors"),
        cast=list_field(item.get("cast"), "cast"),
        characters=list_field(item.get("characters"), "characters"),
        runtime_minutes=runtime,
        genres=list_field(item.get("genres"), "genres"),
        logline=text_field(item.get("logline"), "logline", required=False, max_len=1000),
        imdb_id=imdb_id,
    )


def _review(item: Any, line: int, max_review_chars: int, max_title_chars: int) -> ReviewRow:
    if not isinstance(item, dict):
        raise RowError("each review must be an object")
    _check_fields(item, REVIEW_FIELDS)
    film = title_field(item.get("film"), "film", max_title_chars)
    text = review_text_field(item.get("text"), max_review_chars)
    return ReviewRow(
        line=line,
        film_title=film,
        film_year=year_field(item.get("year")),
        author=text_field(item.get("author"), "author", required=False, max_len=100) or "anonymous",
        rating=rating_field(item.get("rating")),
        text=text,
        contains_spoilers=bool_field(item.get("contains_spoilers"), "contains_spoilers"),
        created_at=date_field(item.get("created_at"), "created_at"),
    )
