"""The CSV formats: Letterboxd reviews.csv / watchlist.csv and the project's reviews CSV."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.importers.csv_formats import EXPECTED_HEADERS, letterboxd_plain_text, parse_csv

LB_HEADER = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\r\n"


def lb_reviews(*rows: str) -> str:
    return LB_HEADER + "".join(rows)


def test_letterboxd_multiline_review_with_html_and_quotes() -> None:
    text = lb_reviews(
        '2024-03-01,Arrival,2016,https://boxd.it/abc,4.5,,"First paragraph, with a comma.<br /><br />'
        'The <i>heptapods</i> are ""strange"" &amp; <b>lovely</b>.\r\nA third line here.",,2024-02-29\r\n',
        "2024-03-02,Parasite,2019,https://boxd.it/def,,Yes,Short review but long enough to count.,,\r\n",
    )
    parsed = parse_csv(text, name="reviews.csv", author="Ann")
    assert parsed.problems == []
    assert parsed.source == "letterboxd"
    assert parsed.create_missing_films and not parsed.is_watchlist
    first, second = parsed.reviews
    assert first.line == 2 and second.line == 4  # the first record spans lines 2-3
    assert first.text == (
        'First paragraph, with a comma.\n\nThe heptapods are "strange" & lovely.\nA third line here.'
    )
    assert (first.film_title, first.film_year, first.rating) == ("Arrival", 2016, 4.5)
    assert first.author == second.author == "Ann"
    assert first.created_at == "2024-03-01T00:00:00Z"
    assert second.rating is None  # unrated on Letterboxd: an empty Rating
    assert not first.contains_spoilers


def test_letterboxd_author_defaults_and_spoiler_signals() -> None:
    text = lb_reviews(
        "2024-01-01,Se7en,1995,u,4,,This review may contain spoilers. The box at the end is brutal.,,\n",
        '2024-01-01,Se7en,1995,u,4,,"I won\'t spoil it, the film is tense and grim throughout.","noir, spoilers",\n',
        "2024-01-01,Se7en,1995,u,4,,No spoilers here: the film is tense and grim throughout.,,\n",
    )
    parsed = parse_csv(text, name="reviews.csv")
    assert [r.author for r in parsed.reviews] == ["letterboxd user"] * 3
    assert [r.contains_spoilers for r in parsed.reviews] == [True, True, False]


def test_bad_rows_after_a_multiline_record_have_their_physical_line() -> None:
    text = lb_reviews(
        '2024-01-01,Arrival,2016,u,4,,"one\ntwo\nthree\nfour words at least here",,\n',  # lines 2-5
        "2024-01-01,Arrival,2016,u,7,,A rating of seven is not on the scale.,,\n",  # line 6
        "\n",  # line 7: blank, skipped
        "2024-01-01,Arrival,abc,u,3,,The year here is not a number at all.,,\n",  # line 8
        "2024-01-01,Arrival,2016,u,3,,Too short.,,\n",  # line 9
        "2024-01-01,,2016,u,3,,A review that does not name its film.,,\n",  # line 10
    )
    parsed = parse_csv(text, name="reviews.csv")
    assert [r.line for r in parsed.reviews] == [2]
    assert parsed.reviews[0].text == "one\ntwo\nthree\nfour words at least here"
    reasons = {p.line: p.reason for p in parsed.problems}
    assert sorted(reasons) == [6, 8, 9, 10]
    assert "'Rating' 7 is not between 0.5 and 5" in reasons[6]
    assert "'Year' must be a year" in reasons[8] and "'abc'" in reasons[8]
    assert "too short" in reasons[9]
    assert "'Name' is missing" in reasons[10]


def test_broken_quoting_is_reported_on_its_line_and_parsing_goes_on() -> None:
    text = lb_reviews(
        '2024-01-01,Arrival,2016,u,4,,"A stray "quote" in the middle of the text here",,\n',  # line 2
        "2024-01-01,Arrival,2016,u,4,,A good review of the film after the bad one.,,\n",  # line 3
        '2024-01-01,Arrival,2016,u,4,,"never closed\nand the file ends\n',  # line 4
    )
    parsed = parse_csv(text, name="reviews.csv")
    assert [r.line for r in parsed.reviews] == [3]
    reasons = {p.line: p.reason for p in parsed.problems}
    assert "must be doubled" in reasons[2]
    assert "never closed" in reasons[4]


def test_too_many_columns_is_a_problem() -> None:
    parsed = parse_csv("film,text\nParasite,A fine film, with an unquoted comma in it.\n", name="r.csv")
    assert parsed.reviews == []
    assert parsed.problems[0].line == 2 and "3 columns but the header has 2" in parsed.problems[0].reason


def test_letterboxd_watchlist() -> None:
    text = "Date,Name,Year,Letterboxd URI\n2024-05-01,Past Lives,2023,https://boxd.it/x\n2024-05-02,Parasite,,u\n"
    parsed = parse_csv(text, name="watchlist.csv")
    assert parsed.problems == [] and parsed.is_watchlist and parsed.source == "letterboxd"
    assert [(w.line, w.film_title, w.film_year, w.added_at) for w in parsed.watchlist] == [
        (2, "Past Lives", 2023, "2024-05-01T00:00:00Z"),
        (3, "Parasite", None, "2024-05-02T00:00:00Z"),
    ]


@pytest.mark.parametrize(
    ("name", "header", "hint"),
    [
        ("watched.csv", "Date,Name,Year,Letterboxd URI", "watched.csv"),
        ("ratings.csv", "Date,Name,Year,Letterboxd URI,Rating", "ratings.csv"),
        ("whatever.csv", "title,review,stars", "unrecognised header"),
    ],
)
def test_other_files_get_one_clear_problem_at_line_1(name: str, header: str, hint: str) -> None:
    parsed = parse_csv(header + "\n2024-01-01,Parasite,2019,u\n", name=name)
    assert not parsed.reviews and not parsed.watchlist
    assert len(parsed.problems) == 1 and parsed.problems[0].line == 1
    assert hint in parsed.problems[0].reason


def test_unknown_header_names_every_expected_format() -> None:
    parsed = parse_csv("movie;opinion\nParasite;great\n", name="mine.csv")
    reason = parsed.problems[0].reason
    assert EXPECTED_HEADERS in reason
    assert "film,year,author,rating,text,contains_spoilers" in reason
    assert "Letterboxd URI" in reason


def test_empty_file() -> None:
    parsed = parse_csv("", name="reviews.csv")
    assert parsed.problems[0].line == 1 and "empty" in parsed.problems[0].reason


def test_reviews_csv_any_order_case_bom_and_optional_columns() -> None:
    text = (
        "\ufeffText,FILM,Year,Rating,Contains_Spoilers,Author,created_at\n"
        '"A tense, grim film with a famous ending.",Se7en,1995,4.5,yes,Bo,2023-02-01T10:00:00+01:00\n'
        "Another review of the film with enough words.,Se7en,,,,,\n"
    )
    parsed = parse_csv(text, name="reviews.csv")
    assert parsed.problems == [] and parsed.source == "csv" and not parsed.create_missing_films
    first, second = parsed.reviews
    assert (first.film_title, first.film_year, first.rating, first.contains_spoilers, first.author) == (
        "Se7en", 1995, 4.5, True, "Bo",
    )
    assert first.created_at == "2023-02-01T09:00:00Z"  # stored in UTC
    assert (second.film_year, second.rating, second.contains_spoilers, second.author) == (
        None, None, False, "anonymous",
    )


def test_reviews_csv_requires_known_columns() -> None:
    parsed = parse_csv("film,text,stars\nSe7en,A tense and grim film overall.,4\n", name="reviews.csv")
    assert parsed.problems[0].line == 1 and "unknown column(s) 'stars'" in parsed.problems[0].reason


def test_reviews_csv_row_checks() -> None:
    text = (
        "film,year,author,rating,text,contains_spoilers\n"
        "Se7en,1995,a,3.3,A rating that is not in half stars.,false\n"
        "Se7en,1995,a,4,A flag that is neither yes nor no.,maybe\n"
        "Se7en,1995,a,4,A created date would be fine but there is none.,no\n"
    )
    parsed = parse_csv(text, name="reviews.csv")
    assert [r.line for r in parsed.reviews] == [4]
    reasons = {p.line: p.reason for p in parsed.problems}
    assert "'rating' 3.3 is not between 0.5 and 5 in half stars" in reasons[2]
    assert "'contains_spoilers' must be true or false" in reasons[3]


def test_tsv_by_extension() -> None:
    text = "film\ttext\nThe Prestige\tA clever, layered film about obsession.\n"
    parsed = parse_csv(text, name="reviews.tsv")
    assert parsed.problems == []
    assert parsed.reviews[0].text == "A clever, layered film about obsession."


def test_review_longer_than_the_limit() -> None:
    text = "film,text\nSe7en," + "word " * 50 + "\n"
    parsed = parse_csv(text, name="reviews.csv", max_review_chars=100)
    assert parsed.problems[0].line == 2 and "the limit is 100" in parsed.problems[0].reason


def test_whole_file_problems_are_marked_unreadable_bad_rows_are_not() -> None:
    assert parse_csv("movie,opinion\nParasite,great\n", name="x.csv").unreadable
    assert parse_csv("", name="x.csv").unreadable
    bad_row = parse_csv("film,text\nParasite,Short.\n", name="x.csv")
    assert bad_row.problems and not bad_row.unreadable


def test_decoding_errors_reach_the_caller() -> None:
    def lines() -> Iterator[str]:
        yield "film,text\n"
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    with pytest.raises(UnicodeDecodeError):
        parse_csv(lines(), name="reviews.csv")


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("a<br>b<br/>c<BR />d", "a\nb\nc\nd"),
        ("<p>One.</p><p>Two.</p>", "One.\n\nTwo."),
        ('<a href="https://x">link</a> &amp; <em>more</em>', "link & more"),
        ("I <3 this, <insert name> stays", "I <3 this, <insert name> stays"),
        ("<blockquote>quoted</blockquote>after", "quoted\n\nafter"),
        ("x<br><br><br><br>y", "x\n\ny"),
    ],
)
def test_letterboxd_plain_text(html: str, plain: str) -> None:
    assert letterboxd_plain_text(html) == plain


def test_an_unreadable_header_is_a_problem_not_a_crash() -> None:
    # Found by fuzzing: a quote opened in the header row raised csv.Error out of the parser.
    parsed = parse_csv('"film,text\n', name="reviews.csv")
    assert parsed.unreadable and "never closed" in parsed.problems[0].reason


def test_a_title_over_the_limit_is_a_bad_row() -> None:
    text = "Date,Name,Year,Letterboxd URI\n2024-01-01," + "x" * 31 + ",2000,u\n2024-01-01,Fine,2000,u\n"
    parsed = parse_csv(text, name="watchlist.csv", max_title_chars=30)
    assert [w.film_title for w in parsed.watchlist] == ["Fine"]
    assert "limited to 30 (MAX_TITLE_CHARS)" in parsed.problems[0].reason
