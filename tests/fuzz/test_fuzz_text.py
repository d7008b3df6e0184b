"""The text helpers on hostile input: escaping and spoiler markup that always balances, sentence
splitting that never loses its place, title normalisation that is stable, no regex blow-ups."""

from __future__ import annotations

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from bot.services.ask import query_terms
from bot.services.films import split_year
from bot.text.chunking import split_message, spoiler_markers
from bot.text.markdown import escape_markdown, strip_display_controls, unescape_markdown
from bot.text.safety import LINK, neutralise, unsafe_reason
from bot.text.segments import escape_spoiler_bars, split_review, wrap_spoiler
from bot.text.topics import sentiment, topics_of
from storage.normalize import normalize_title, title_variants
from storage.search import Term, fts5_any_prefix, fts5_term
from tests.fuzz.hostile import budget, hostile_text, long_text

texts = st.one_of(hostile_text(), hostile_text(20), st.text(), long_text(3000))


@budget(300)
@given(text=texts)
def test_escaped_text_has_no_markup_and_reads_the_same(text: str) -> None:
    escaped = escape_markdown(text)
    assert not spoiler_markers(escaped)
    assert unescape_markdown(escaped) == strip_display_controls(text)
    assert not re.search("[\u202a-\u202e\u2066-\u2069\x00-\x08]", escaped)  # no bidi override leaks out
    # Inside the bot's own markup it stays inside: the bot's bold and spoiler spans still balance.
    framed = f"**{escaped}** ||{escaped}|| **end**"
    assert len(spoiler_markers(framed)) == 2
    assert "**" not in escaped.replace("\\*", "")
    assert "<@" not in escaped.replace("\\<", "") and "@everyone" not in escaped.lower()


@budget(300)
@given(text=texts)
def test_a_wrapped_spoiler_is_exactly_one_span_holding_the_text(text: str) -> None:
    wrapped = wrap_spoiler(text)
    assert spoiler_markers(wrapped) == [0, len(wrapped) - 2], wrapped
    assert wrapped[2:-2].strip() == escape_spoiler_bars(text).strip()
    assert not spoiler_markers(escape_spoiler_bars(text))
    for piece in split_message(f"Intro. {wrapped} Outro.", 40):
        assert len(spoiler_markers(piece)) % 2 == 0


@budget(200)
@given(text=texts)
def test_sentence_spans_point_into_the_review(text: str) -> None:
    spans = split_review(text)
    assert [s.idx for s in spans] == list(range(len(spans)))
    for span in spans:
        assert 0 <= span.start <= span.end <= len(text)
        assert span.text.strip() and any(ch.isalnum() for ch in span.text)
        assert "\n" not in span.text


@budget(300)
@given(title=texts)
def test_title_normalisation_is_stable(title: str) -> None:
    norm = normalize_title(title)
    assert normalize_title(norm) == norm
    assert norm == norm.strip() and "  " not in norm
    assert all(normalize_title(v) == v for v in title_variants(title))
    rest, year = split_year(title)
    assert year is None or 1800 <= year <= 2199
    assert rest == rest.strip()


@budget(200)
@given(word=texts, prefix=st.booleans())
def test_fts_terms_are_one_quoted_string(word: str, prefix: bool) -> None:
    term = fts5_term(Term(word, prefix=prefix))
    inner = term.removesuffix("*") if prefix else term
    assert inner.startswith('"') and inner.endswith('"')
    assert '"' not in inner[1:-1].replace('""', "")


@budget(200)
@given(question=texts)
def test_fts_query_quotes_every_term(question: str) -> None:
    query = fts5_any_prefix(query_terms(question))
    for term in filter(None, query.split(" OR ")):
        assert term.startswith('"') and term.endswith('"*') and '"' not in term[1:-2]
        assert "\x00" not in term


@budget(100)
@given(text=st.one_of(texts, long_text(6000)))
def test_safety_and_topic_regexes_stay_fast(text: str) -> None:
    start = time.perf_counter()
    unsafe_reason(text)
    cleaned = neutralise(text)
    topics_of(text)
    sentiment(text)
    assert time.perf_counter() - start < 0.5, "a regular expression backtracks on this input"
    assert not LINK.search(cleaned), f"a link survives neutralise: {cleaned!r}"
    assert not re.search(r"<[@#][!&]?\d", cleaned) and "@everyone" not in cleaned
