"""The sentence splitter and the author spoiler markup it understands."""

from __future__ import annotations

from bot.text.chunking import spoiler_markers
from bot.text.segments import escape_spoiler_bars, split_review, split_sentences, wrap_spoiler


def test_abbreviations_initials_quotes_ellipses_and_dashes() -> None:
    text = (
        'Mr. Smith and Dr. Crowe meet e.g. at the diner. M. Night Shyamalan directs — calmly. '
        '"It was all a dream." she said. It ends... nothing is the same. What?!? I loved it!!! Then it ended… Badly.'
    )
    assert split_sentences(text) == [
        "Mr. Smith and Dr. Crowe meet e.g. at the diner.",
        "M. Night Shyamalan directs — calmly.",
        '"It was all a dream." she said.',
        "It ends... nothing is the same.",
        "What?!?",
        "I loved it!!!",
        "Then it ended…",
        "Badly.",
    ]


def test_paragraphs_split_and_spans_point_into_the_original() -> None:
    text = "First part here.\n\nSecond part ||hidden bit|| here. Third."
    spans = split_review(text)
    assert [s.text for s in spans] == ["First part here.", "Second part hidden bit here.", "Third."]
    for span in spans:
        assert text[span.start : span.end].strip().startswith(span.text.split()[0])


def test_discord_bars_forum_tags_and_reddit_markup_mark_sentences() -> None:
    spans = split_review(
        "Fine start. ||He dies.|| Calm middle. [spoiler]She lies.[/spoiler] Ok. >!It was a dream.!< End."
    )
    marked = {s.text: s.marked for s in spans}
    assert marked == {
        "Fine start.": False, "He dies.": True, "Calm middle.": False, "She lies.": True, "Ok.": False,
        "It was a dream.": True, "End.": False,
    }


def test_unclosed_markup_hides_to_the_end() -> None:
    spans = split_review("Good film. ||The dog dies. And the cat.")
    assert [s.marked for s in spans] == [False, True, True]


def test_warning_flags_what_follows_until_end_marker() -> None:
    spans = split_review("SPOILERS AHEAD. The twist is huge. End of spoilers. The score is lovely.")
    assert [(s.is_warning, s.warned) for s in spans] == [(True, False), (False, True), (False, False), (False, False)]


def test_negated_warnings_are_not_warnings() -> None:
    for text in ("No spoilers ahead, promise. It is good.", "This is a spoiler-free review. It is good."):
        assert not any(s.is_warning or s.warned for s in split_review(text))


def test_escaping_bars_so_user_text_cannot_close_a_spoiler() -> None:
    assert escape_spoiler_bars("a || b") == "a \\|\\| b"
    assert wrap_spoiler("x||y") == "||x\\|\\|y||"


def test_a_wrapped_spoiler_always_closes() -> None:
    # A trailing backslash used to escape the closing bars: the spoiler showed in the clear.
    assert spoiler_markers(wrap_spoiler("the butler did it \\")) == [0, 22]
    assert wrap_spoiler("|edge|") == "|| |edge| ||"
