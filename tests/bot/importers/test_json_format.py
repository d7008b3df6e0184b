"""The project's JSON format: every field, line numbers per element, and each kind of bad row."""

from __future__ import annotations

import json
import time

from bot.importers.json_format import element_lines, parse_json
from storage.records import FilmInput

EVERY_FIELD = """{
  "films": [
    {
      "title": "Past Lives",
      "year": 2023,
      "original_title": "Jeon-saeng",
      "aliases": ["Passed Lives"],
      "directors": ["Celine Song"],
      "cast": ["Greta Lee", "Teo Yoo"],
      "characters": ["Nora", "Hae Sung"],
      "runtime_minutes": 106,
      "genres": ["Drama", "Romance"],
      "imdb_id": "tt13238346",
      "logline": "Two childhood friends meet again decades later."
    }
  ],
  "reviews": [
    {
      "film": "Past Lives",
      "year": 2023,
      "author": "mia",
      "rating": 4.5,
      "text": "Quiet and devastating.\\nThe bar scene is a marvel of restraint.",
      "contains_spoilers": false,
      "created_at": "2024-01-05T20:15:00Z"
    }
  ]
}
"""


def test_every_field() -> None:
    parsed = parse_json(EVERY_FIELD)
    assert parsed.problems == []
    assert parsed.films == [
        (
            3,
            FilmInput(
                title="Past Lives", year=2023, original_title="Jeon-saeng", aliases=("Passed Lives",),
                directors=("Celine Song",), cast=("Greta Lee", "Teo Yoo"), characters=("Nora", "Hae Sung"),
                runtime_minutes=106, genres=("Drama", "Romance"), imdb_id="tt13238346",
                logline="Two childhood friends meet again decades later.",
            ),
        )
    ]
    (review,) = parsed.reviews
    assert review.line == 18
    assert (review.film_title, review.film_year, review.author, review.rating) == ("Past Lives", 2023, "mia", 4.5)
    assert review.text == "Quiet and devastating.\nThe bar scene is a marvel of restraint."
    assert review.contains_spoilers is False
    assert review.created_at == "2024-01-05T20:15:00Z"


def test_syntax_error_reports_its_line() -> None:
    text = '{\n  "films": [\n    {"title": "A", "year": 2020}\n    {"title": "B"}\n  ]\n}\n'
    parsed = parse_json(text)
    assert parsed.films == [] and len(parsed.problems) == 1
    assert parsed.problems[0].line == 4
    assert "not valid JSON" in parsed.problems[0].reason


def test_wrong_types_are_reported_with_each_elements_line() -> None:
    reviews = [
        {"film": "Parasite", "rating": 7, "text": "Rating seven is off the scale here."},
        {"film": "Parasite", "rating": 3.3, "text": "Not a half star rating at all."},
        {"film": "Parasite", "year": "abc", "text": "The year is not a number here."},
        {"film": "Parasite", "text": "Too short."},
        {"text": "A review that names no film at all."},
        {"film": "Parasite", "text": "A perfectly fine review of the film."},
        {"film": "Parasite", "directors": ["x"], "text": "A field reviews do not have."},
        "not an object",
    ]
    text = json.dumps({"reviews": reviews}, indent=2)
    lines = [n + 1 for n, line in enumerate(text.splitlines()) if line in ("    {", '    "not an object"')]
    parsed = parse_json(text)
    assert [r.line for r in parsed.reviews] == [lines[5]]
    reasons = {p.line: p.reason for p in parsed.problems}
    assert sorted(reasons) == [lines[i] for i in (0, 1, 2, 3, 4, 6, 7)]
    assert "review #1: 'rating' 7 is not between 0.5 and 5" in reasons[lines[0]]
    assert "'rating' 3.3" in reasons[lines[1]]
    assert "'year' must be a year such as 2020, not 'abc'" in reasons[lines[2]]
    assert "too short" in reasons[lines[3]]
    assert "'film' is missing" in reasons[lines[4]]
    assert "unknown field 'directors'" in reasons[lines[6]]
    assert "must be an object" in reasons[lines[7]]


def test_film_checks() -> None:
    films = [
        {"title": "A", "runtime_minutes": "90"},
        {"title": "B", "imdb_id": "12345"},
        {"title": "C", "director": ["Someone"]},
        {"year": 2020},
        {"title": "D", "cast": "One, Two"},
        {"title": "E", "aliases": [1, 2]},
    ]
    parsed = parse_json(json.dumps({"films": films}, indent=1))
    assert [f.title for _, f in parsed.films] == ["D"]
    assert parsed.films[0][1].cast == ("One", "Two")  # a comma-separated string is accepted
    reasons = [p.reason for p in parsed.problems]
    assert "'runtime_minutes' must be a whole number" in reasons[0]
    assert "'imdb_id' must look like tt" in reasons[1]
    assert "unknown field 'director' (did you mean 'directors'?)" in reasons[2]
    assert "'title' is missing" in reasons[3]
    assert "'aliases' must be a list of names" in reasons[4]


def test_top_level_shape() -> None:
    assert "expected an object" in parse_json("[1, 2]").problems[0].reason
    assert '"films" must be a list' in parse_json('{"films": {}}').problems[0].reason


def test_element_lines_stay_linear_on_big_files() -> None:
    # Counting lines from the start for every element made this quadratic (minutes at 50k rows).
    items = [{"film": "X", "text": "word " * 20} for _ in range(50_000)]
    text = json.dumps({"films": [], "reviews": items}, indent=1)
    started = time.perf_counter()
    lines = element_lines(text, "reviews")
    assert time.perf_counter() - started < 5
    assert len(lines) == 50_000
    assert lines[:2] == [4, 8] and lines[-1] == 3 + 4 * 49_999 + 1


def test_json_the_json_module_cannot_read_is_a_problem_not_a_crash() -> None:
    # Found by fuzzing: these raised RecursionError and ValueError out of the parser.
    for text, reason in (("[" * 100_000 + "]" * 100_000, "nested too deeply"), ("1" * 5000, "thousands of digits")):
        parsed = parse_json(text)
        assert parsed.unreadable and reason in parsed.problems[0].reason


def test_titles_that_could_never_be_looked_up_are_refused() -> None:
    # Found by fuzzing: a 201-character title, or one of only "||||", was imported and then could
    # never be found (lookups refuse titles over MAX_TITLE_CHARS, and "||||" normalises to nothing).
    films = [{"title": "a" * 201, "year": 2000}, {"title": "||||", "year": 2000}, {"title": "a" * 200, "year": 2000}]
    reviews = [{"film": "b" * 201, "text": "A perfectly fine review of the film, really."}]
    parsed = parse_json(json.dumps({"films": films, "reviews": reviews}), max_title_chars=200)
    assert [f.title for _, f in parsed.films] == ["a" * 200]
    reasons = [p.reason for p in parsed.problems]
    assert "limited to 200 (MAX_TITLE_CHARS)" in reasons[0] and "no letters or digits" in reasons[1]
    assert "'film' is 201 characters" in reasons[2]
