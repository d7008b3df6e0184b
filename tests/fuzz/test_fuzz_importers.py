"""Malformed files against the importers: parse_json / parse_csv on arbitrary text and on documents
that are structured but wrong, and ImportService.import_path on files written to disk. Parsers
never raise (every problem is a row with a line number and a reason); an import either goes in
whole or fails with a clear message, and every film it stores can be found again by its title."""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.app import Services
from bot.errors import AmbiguousFilm, ImportFailed, ReviewBotError
from bot.importers.csv_formats import LETTERBOXD_REVIEWS, LETTERBOXD_WATCHLIST, REVIEWS_CSV_COLUMNS, parse_csv
from bot.importers.json_format import FILM_FIELDS, REVIEW_FIELDS, parse_json
from bot.importers.records import ParsedFile
from storage.normalize import normalize_title
from tests.fuzz.hostile import (
    EDGE_NUMBERS,
    budget,
    check_error,
    hostile_text,
    long_text,
    review_texts,
    titles,
)

# --- values a wrong document is made of --------------------------------------------------------
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), hostile_text(3),
    st.sampled_from(EDGE_NUMBERS), st.sampled_from(("tt0054215", "tt", "tt12x", "2024-05-31", "2024-13-45", "yes")),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text(1), inner, max_size=3),
    max_leaves=8,
)


def _record(fields: set[str], plausible: dict[str, st.SearchStrategy[object]]) -> st.SearchStrategy[dict[str, object]]:
    """A dict with some of the format's fields (plausible or wrong values), maybe a misspelt one."""
    optional = {f: st.one_of(plausible.get(f, json_values), json_values) for f in fields}
    return st.fixed_dictionaries({}, optional={**optional, "director": json_values})


film_records = _record(
    FILM_FIELDS,
    {
        "title": titles,
        "year": st.integers(1800, 2200),
        "aliases": st.lists(titles, max_size=3),
        "directors": st.lists(hostile_text(2), max_size=3),
        "cast": st.lists(hostile_text(2), max_size=3),
        "runtime_minutes": st.integers(-5, 2000),
        "imdb_id": st.from_regex(r"tt[0-9]{1,9}", fullmatch=True),
    },
)
review_records = _record(
    REVIEW_FIELDS,
    {
        "film": st.one_of(titles, st.sampled_from(("Parasite", "Psycho", "Dune", "Se7en"))),
        "year": st.integers(1800, 2200),
        "text": review_texts,
        "rating": st.sampled_from((0.5, 3, 5, 5.5, "4", "x")),
        "contains_spoilers": st.sampled_from((True, False, "yes", "no", "maybe", 1)),
        "created_at": st.sampled_from(("2024-05-31", "2024-05-31T10:00:00+02:00", "31/05/2024", "")),
    },
)
# Documents that are right apart from their hostile text: they import, so the films can be looked for.
good_films = st.fixed_dictionaries(
    {"title": st.one_of(titles, st.integers(150, 520).flatmap(long_text)), "year": st.integers(1870, 2100)},
    optional={"aliases": st.lists(titles, max_size=2), "directors": st.lists(hostile_text(2), max_size=2)},
)
good_documents = st.lists(good_films, min_size=1, max_size=3).flatmap(
    lambda films: st.fixed_dictionaries({
        "films": st.just(films),
        "reviews": st.lists(
            st.fixed_dictionaries({
                "film": st.sampled_from([f["title"] for f in films]),
                "text": review_texts,
                "author": hostile_text(2),
            }),
            max_size=3,
        ),
    })
)
documents = st.one_of(
    good_documents,
    st.fixed_dictionaries(
        {}, optional={"films": st.lists(film_records, max_size=4), "reviews": st.lists(review_records, max_size=4)}
    ),
    json_values,
)


def check_parsed(parsed: ParsedFile) -> None:
    for problem in parsed.problems:
        assert problem.line >= 1 and problem.reason.strip(), problem
    for line, film in parsed.films:
        assert line >= 1 and film.title.strip()
    for row in parsed.reviews:
        assert row.line >= 1 and row.film_title.strip() and row.text.strip()
        assert row.rating is None or 0.5 <= row.rating <= 5
    if parsed.unreadable:
        assert parsed.problems


# --- the parsers ------------------------------------------------------------------------------------
@budget(200)
@given(text=st.one_of(hostile_text(20), st.text(), long_text(5000)))
def test_parse_json_never_raises_on_arbitrary_text(text: str) -> None:
    check_parsed(parse_json(text))


@budget(200)
@given(document=documents, indent=st.sampled_from((None, 1, "\t")))
def test_parse_json_reports_wrong_documents_row_by_row(document: object, indent: int | str | None) -> None:
    parsed = parse_json(json.dumps(document, indent=indent, ensure_ascii=False))
    check_parsed(parsed)
    if isinstance(document, dict) and not parsed.unreadable:
        total = len(document.get("films", [])) + len(document.get("reviews", []))
        assert len(parsed.films) + len(parsed.reviews) + len(parsed.problems) == total


@pytest.mark.parametrize("depth", [50, 10_000, 200_000])
def test_parse_json_deep_nesting_is_a_problem_not_a_crash(depth: int) -> None:
    for text in ("[" * depth + "]" * depth, '{"films": ' + "[" * depth + "]" * depth + "}"):
        parsed = parse_json(text)
        check_parsed(parsed)


HEADERS = (
    ",".join(REVIEWS_CSV_COLUMNS), ",".join(REVIEWS_CSV_COLUMNS[:5]), "film,text", "FILM,Text,Author",
    ",".join(LETTERBOXD_REVIEWS), ",".join(LETTERBOXD_WATCHLIST), "Date,Name,Year,Letterboxd URI,Rating",
    "\ufefffilm,text", "film\ttext\tauthor", "film,text,film", "", "a,b,c",
)
cells = st.one_of(hostile_text(3), titles, review_texts, st.sampled_from(EDGE_NUMBERS), st.just(""))


def _csv(header: str, rows: list[list[str]], delimiter: str, raw_tail: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    return header + "\r\n" + out.getvalue() + raw_tail


@budget(200)
@given(
    header=st.sampled_from(HEADERS),
    rows=st.lists(st.lists(cells, max_size=10), max_size=5),
    delimiter=st.sampled_from((",", "\t")),
    raw_tail=st.one_of(st.just(""), hostile_text(4), st.sampled_from(('"unclosed,quote', 'a"b,c', "x" * 200_000))),
    name=st.sampled_from(("reviews.csv", "reviews.tsv", "watchlist.csv", "watched.csv", "ratings.csv", "x.txt")),
)
def test_parse_csv_never_raises(header: str, rows: list[list[str]], delimiter: str, raw_tail: str, name: str) -> None:
    check_parsed(parse_csv(_csv(header, rows, delimiter, raw_tail), name=name))


@budget(100)
@given(text=st.one_of(hostile_text(20), st.text()), name=st.sampled_from(("reviews.csv", "reviews.tsv")))
def test_parse_csv_never_raises_on_arbitrary_text(text: str, name: str) -> None:
    check_parsed(parse_csv(text, name=name))


# --- whole imports ----------------------------------------------------------------------------------
_files = itertools.count(1)
contents = st.one_of(
    documents.map(lambda d: json.dumps(d, ensure_ascii=False).encode()),
    st.builds(
        _csv, st.sampled_from(HEADERS), st.lists(st.lists(cells, max_size=10), max_size=4), st.just(","), st.just("")
    ).map(str.encode),
    st.binary(max_size=200),
    st.sampled_from(
        (b"\xff\xfe\x00f\x00i\x00l\x00m", b"film,text\n\xe9t\xe9,caf\xe9 review text here ok", b"\xef\xbb\xbf", b"")
    ),
)
SUFFIXES = (".json", ".csv", ".tsv", ".txt", ".JSON", "", ".xlsx")


@pytest.mark.asyncio(loop_scope="module")
@budget(120)
@given(
    content=contents,
    suffix=st.sampled_from(SUFFIXES),
    skip_bad=st.booleans(),
    stem=st.sampled_from(("reviews", "watchlist", "watched", "x")),
)
async def test_import_path_imports_whole_or_says_why(
    fuzz_services: Services,
    tmp_path_factory: pytest.TempPathFactory,
    content: bytes,
    suffix: str,
    skip_bad: bool,
    stem: str,
) -> None:
    path = tmp_path_factory.getbasetemp() / f"{stem}-{next(_files)}{suffix}"
    path.write_bytes(content)
    try:
        report = await fuzz_services.importer.import_path(path, skip_bad=skip_bad, user_id="importer")
    except ReviewBotError as error:
        event(f"rejected: {type(error).__name__}")
        check_error(error)
        return
    event("imported")
    assert report.describe().strip()
    for problem in report.skipped:
        assert problem.line >= 1 and problem.reason.strip()
    parsed = fuzz_services.importer.parse_path(path)
    for _, film in parsed.films:  # every film in the file can be found again by what it was called
        label = f"{film.title} ({film.year})" if film.year else film.title
        try:
            found = await fuzz_services.films.resolve(label)
        except AmbiguousFilm as error:  # another film has this name and year (as an alias, say)
            check_error(error)
            continue
        except ReviewBotError as error:
            raise AssertionError(f"imported film {label!r} can't be found: {error}") from None
        assert normalize_title(label) in {normalize_title(n) for n in (found.label, found.title, *found.aliases)} or (
            found.original_title and normalize_title(film.title) == normalize_title(found.original_title)
        ), (label, found)



@pytest.mark.asyncio(loop_scope="module")
async def test_json_escapes_of_lone_surrogates_are_bad_rows(
    fuzz_services: Services, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A JSON "\udcff" escape decodes to a lone surrogate, which SQLite can't store: it crashed the import.
    path = tmp_path_factory.getbasetemp() / "surrogates.json"
    path.write_text(
        '{"films": [{"title": "X\\udcff", "year": 2000, "cast": ["A\\ud800"]}],'
        ' "reviews": [{"film": "Parasite", "text": "A fine review \\ud800 of the film here", "author": "a"}]}'
    )
    with pytest.raises(ImportFailed) as caught:
        await fuzz_services.importer.import_path(path)
    check_error(caught.value)
    assert caught.value.message.count("lone surrogate") == 2
