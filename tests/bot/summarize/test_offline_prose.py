"""The offline summary's shape: per aspect, how many reviewers think what, with short verbatim quotes;
disagreement said plainly; a verdict from ratings and judgements; spoiler sentences never read."""

from __future__ import annotations

import re

from bot.summarize.offline import PHRASE_WORDS, summarize_offline
from bot.text.segments import split_review
from storage.records import Film, Review, Sentence

FILM = Film(id=1, title="The Lighthouse Keeper", year=2021)
THRESHOLD = 0.35
_QUOTE = re.compile(r"“([^”]*)”")
_HIDDEN = re.compile(r"\|\|.*?\|\|", re.DOTALL)


def review(rid: int, text: str, *, rating: float | None = None, spoilers: tuple[str, ...] = ()) -> Review:
    """A stored review whose sentences in `spoilers` carry a spoiler score above the threshold."""
    sentences = tuple(
        Sentence(span.idx, span.text, 0.9 if span.text in spoilers else 0.05, span.marked)
        for span in split_review(text)
    )
    return Review(rid, 1, f"critic{rid}", "test", rating, text, False, f"h{rid}", "2026-01-01", sentences=sentences)


REVIEWS = [
    review(1, "I'd originally written this on my old blog in 2015. The acting is superb throughout. "
              "The score is haunting and gorgeous. The middle hour drags badly. Highly recommended.", rating=4.5),
    review(2, "We saw it on a rainy Sunday. The performances are wonderful, especially the lead. "
              "The cinematography is stunning. The pacing is brisk and confident. A must-see.", rating=5),
    review(3, "Thanks to the studio for the screener. The acting is wooden and stiff. "
              "The music is gorgeous, though. The script is a clunky mess. 2/10", rating=1,
           spoilers=("The keeper drowns his brother in the final scene.",)),
]


def quotes(text: str) -> list[str]:
    return _QUOTE.findall(text)


def test_each_aspect_says_how_many_and_what() -> None:
    text = summarize_offline(FILM, REVIEWS, spoilers=False, threshold=THRESHOLD).text
    lines = text.splitlines()
    assert lines[0].startswith("**The Lighthouse Keeper (2021)** · 3 reviews · average 3.5/5")
    acting = next(line for line in lines if line.startswith("**Acting**"))
    assert "two of three reviewers praise it" in acting.lower() and "one criticises it" in acting
    assert "“The acting is superb throughout”" in acting and "wooden" in acting
    sound = next(line for line in lines if line.startswith("**Music & sound**"))
    assert sound.startswith("**Music & sound**: All three reviewers praise it") is False  # only two discuss it
    assert "two of three reviewers praise it" in sound.lower()
    assert len(text) < 2000


def test_disagreement_is_said_plainly() -> None:
    reviews = [
        review(1, "The script is sharp and witty."),
        review(2, "The script is clumsy and dull."),
        review(3, "The dialogue is clever and precise."),
        review(4, "The writing is lazy and trite."),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "**Writing**: Reviewers disagree: two praise it" in text and "two criticise it" in text


def test_quotes_are_short_verbatim_pieces_of_reviews() -> None:
    text = summarize_offline(FILM, REVIEWS, spoilers=False, threshold=THRESHOLD).text
    found = quotes(text)
    assert found
    for quote in found:
        quote = quote.removesuffix("…")  # a piece cut short says so
        assert any(quote in s.text for r in REVIEWS for s in r.sentences), quote
        assert len(quote.split()) <= PHRASE_WORDS


def test_verdict_is_a_judgement_never_an_opening_line_or_an_editors_note() -> None:
    text = summarize_offline(FILM, REVIEWS, spoilers=False, threshold=THRESHOLD).text
    verdict = next(line for line in text.splitlines() if line.startswith("**Verdict**"))
    assert "Two of three reviewers are positive overall" in verdict and "one is negative" in verdict
    assert "Highly recommended" in verdict and "A must-see" in verdict and "2/10" in verdict
    for not_an_opinion in ("originally written", "rainy Sunday", "Thanks to", "screener"):
        assert not_an_opinion not in text


def test_spoiler_sentences_are_never_read_in_spoiler_free_mode_and_hidden_in_spoilers_mode() -> None:
    plot = "The keeper drowns his brother in the final scene."
    reviews = [*REVIEWS, review(4, f"The acting is terrific. {plot}", spoilers=(plot,))]
    free = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "drowns" not in free and "||" not in free
    full = summarize_offline(FILM, reviews, spoilers=True, threshold=THRESHOLD)
    assert "drowns" in full.text and "drowns" not in _HIDDEN.sub("", full.text)
    assert full.spoiler_sentences_used == 1


def test_a_reviewers_markup_stays_text() -> None:
    reviews = [review(1, "The acting is **superb** and `gorgeous`, truly."), review(2, "The acting is ||great||.")]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "\\*\\*superb\\*\\*" in text and "\\`gorgeous\\`" in text
    assert "great" not in text  # a sentence its author hid is never read in spoiler-free mode


def test_fifty_reviews_fit_the_limit() -> None:
    lines = [
        "The acting is superb.", "The acting is wooden.", "The score is lovely.", "The pacing drags.",
        "The cinematography is stunning.", "The script is clumsy.", "The direction is assured.",
        "The tension is unbearable.", "Highly recommended.",
    ]
    reviews = [
        review(i, " ".join(lines[(i + k) % len(lines)] for k in range(5)), rating=1 + i % 5) for i in range(1, 51)
    ]
    result = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD)
    assert len(result.text) <= 1800
    assert "**Verdict**" in result.text and "of 50 reviewers" in result.text


def test_no_opinions_says_so() -> None:
    reviews = [review(1, "We went on a Tuesday. The cinema was full.")]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "say little" in text


def test_cast_and_directors_named_in_the_facts_are_their_aspects() -> None:
    film = Film(id=1, title="The Lighthouse Keeper", year=2021, cast=("Ada Quill",), directors=("Tom Brightwater",))
    reviews = [review(1, "Quill is simply wonderful."), review(2, "Brightwater's work here is superb.")]
    text = summarize_offline(film, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "**Acting**: One of two reviewers praises it (“Quill is simply wonderful”)" in text
    assert "**Direction**" in text and "Brightwater" in text


def test_an_opinion_with_no_aspect_counts_towards_the_verdict() -> None:
    reviews = [
        review(1, "We caught it late on a Friday. Simply superb from start to finish."),
        review(2, "It has a depth that rewards patience, and I loved every minute."),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    verdict = next(line for line in text.splitlines() if line.startswith("**Verdict**"))
    assert "Both reviewers are positive overall" in verdict
    assert "Simply superb" in verdict
    assert "Friday" not in text


def test_a_craft_named_with_no_critical_word_is_quoted_as_praise_but_never_a_denial() -> None:
    reviews = [
        review(1, "The plot moves quickly. Every performance here is first-rate."),
        review(2, "It moves along. The soundtrack plays in my car most mornings."),
        review(3, "It moves along. This is not a real performance, just posing."),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "“Every performance here is first-rate”" in text
    assert "soundtrack plays in my car" in text
    assert "not a real performance" not in text or "criticises" in text


def test_each_side_of_a_reviewer_of_two_minds_is_quoted() -> None:
    reviews = [
        review(1, "The screenplay is sharp and witty. The dialogue is clumsy and dull in places."),
        review(2, "The screenplay is clever."),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    writing = next(line for line in text.splitlines() if line.startswith("**Writing**"))
    assert "of two minds" in writing
    assert "sharp and witty" in writing and "clumsy and dull" in writing


def test_a_named_someone_in_a_time_clause_is_plot_even_inside_praise() -> None:
    """The allow-list may take a character's name for a person of the craft (no facts were imported);
    an event told about a name ("after Mara wins the race") still stays out of spoiler-free text."""
    film = Film(id=1, title="The Lighthouse Keeper", year=2021, cast=("Mara Quill",))  # "Mara": a person of the craft
    event = "The meadow scenes are gorgeous and unsettling after Mara wins the village race."
    reviews = [review(1, f"The cinematography is superb. {event}"), review(2, "The cinematography is lovely.")]
    free = summarize_offline(film, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "village race" not in free and "Mara" not in free
    full = summarize_offline(film, reviews, spoilers=True, threshold=THRESHOLD).text
    assert "village race" not in _HIDDEN.sub("", full)


def test_a_positive_verdict_with_a_reservation_says_so() -> None:
    reviews = [
        review(1, "The acting is superb. It is pleasant enough, but it is not one of my favourites.", rating=4),
        review(2, "The acting is lovely. Highly recommended.", rating=4.5),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    verdict = next(line for line in text.splitlines() if line.startswith("**Verdict**"))
    assert "Both reviewers are positive overall" in verdict
    assert "one of them with reservations (“" in verdict and "favourite" in verdict


def test_a_safe_clause_of_a_rejected_sentence_is_quoted_alone_and_the_plot_beside_it_never() -> None:
    # Reviews of an invented film with title and year only: "Tamsin" and "Corvo" are inferred characters.
    reviews = [
        review(1, "Tamsin is a cipher for most of it, but the cinematography is stunning. "
                  "The score is lovely, and Tamsin drowns in the quarry. Tamsin talks to Corvo a lot."),
        review(2, "Corvo mostly mutters; the sound design is superb and unnerving. Tamsin talks to Corvo again."),
    ]
    free = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "the cinematography is stunning" in free and "the sound design is superb" in free
    for plot in ("Tamsin", "Corvo", "cipher", "mutters", "drowns", "quarry", "lovely"):
        assert plot not in free, (plot, free)  # a death anywhere in a sentence keeps even its praise out
    for quote in quotes(free):
        assert any(quote.rstrip("…") in r.text for r in reviews)
    full = summarize_offline(FILM, reviews, spoilers=True, threshold=THRESHOLD).text
    shown = _HIDDEN.sub(" ", full)
    for plot in ("Tamsin", "Corvo", "drowns", "quarry"):
        assert plot not in shown, (plot, full)


def test_no_clause_is_read_from_a_sentence_after_the_authors_warning_or_marked() -> None:
    reviews = [
        review(1, "The acting is fine. Spoilers ahead. Tamsin is a cipher, but the cinematography is ravishing."),
        review(2, "The acting is fine. Corvo mutters, but the sound design is ||superb and unnerving||."),
    ]
    free = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "ravishing" not in free and "superb" not in free and "unnerving" not in free


def test_a_craft_credited_for_the_films_effect_is_quoted_for_that_craft() -> None:
    reviews = [
        review(1, "The acting is superb. As tense as horror gets, this one works (helped a lot by a "
                  "balls-crazy musical score).", rating=4),
        review(2, "The acting is lovely. The drama works, but it is let down by the screenplay throughout."),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    sound = next(line for line in text.splitlines() if line.startswith("**Music & sound**"))
    assert "praises it" in sound and "musical score" in sound
    writing = next(line for line in text.splitlines() if line.startswith("**Writing**"))
    assert "criticises it" in writing and "screenplay" in writing


def test_a_leaning_reviewers_reservation_on_an_aspect_is_quoted() -> None:
    reviews = [
        review(1, "The script is sharp and witty. The script is predictable in places, though. "
                  "The script is moving."),
        review(2, "The writing is clever and precise."),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    writing = next(line for line in text.splitlines() if line.startswith("**Writing**"))
    assert "Both reviewers praise it" in writing
    assert "one admirer with a reservation (“" in writing and "predictable" in writing


def test_thanks_to_a_craftsman_is_an_opinion_but_thanks_for_a_screener_is_an_editors_note() -> None:
    reviews = [
        review(1, "Thanks to the studio for the screener. The acting is superb.", rating=4),
        review(2, "The acting is lovely. (And thanks to cinematographer Ann Lee, both flowers and debris "
                  "look stunning.)"),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "flowers and debris look stunning" in text
    assert "screener" not in text


def test_notes_about_the_reviews_own_spoiler_markup_are_not_opinions() -> None:
    reviews = [
        review(1, "The story is elegant. Plot details sit behind bars, so click at your own risk. "
                  "Tap to reveal the rest if you have seen it.", rating=4),
        review(2, "The writing is sharp and the story is elegant."),
    ]
    text = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "elegant" in text
    assert "own risk" not in text and "behind bars" not in text and "Tap to reveal" not in text


def test_every_quoted_phrase_is_reported_with_the_aspect_and_side_it_is_shown_under() -> None:
    """`OfflineSummary.quoted` is what the summary claims each reviewer said: the real-world benchmark
    scores those claims against its labels, so it must be exactly the quotes in the text."""
    summary = summarize_offline(FILM, REVIEWS, spoilers=False, threshold=THRESHOLD)
    shown = quotes(summary.text)
    assert sorted(e.phrase for e in summary.quoted) == sorted(q.replace("\\", "") for q in shown)
    by_phrase = {e.phrase: e for e in summary.quoted}
    assert (by_phrase["The acting is wooden and stiff"].aspect, by_phrase["The acting is wooden and stiff"].polarity) \
        == ("acting", "neg")
    acting = next(line for line in summary.text.splitlines() if line.startswith("**Acting**"))
    assert "wooden and stiff" in acting


def test_a_judgement_naming_no_aspect_is_quoted_under_other_points_not_as_the_verdict() -> None:
    """"It keeps a dozen surprises going …" judges the film but names no aspect and is no verdict on the
    whole film: filed under Verdict it would claim what the reviewer did not say. A short sentence of its
    own ("Superb in every way.") and a verdict said in words ("I hated <title> …") stay verdicts; a
    lower-case fragment ("and so much more elegantly.") is no sentence of its own."""
    reviews = [
        review(1, "The acting is superb throughout. It keeps a dozen surprises going and never loses its thread, "
                  "which is a rare feat. Honestly I hated The Lighthouse Keeper more than anything else I have "
                  "watched this whole long year."),
        review(2, "The performances are wonderful. and so much more elegantly. Superb in every way."),
    ]
    result = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD)
    shown = {e.phrase: e.aspect for e in result.quoted}
    assert shown["It keeps a dozen surprises going and never loses its thread, which is a rare feat"] == "other"
    assert shown["so much more elegantly"] == "other"
    assert shown["Superb in every way"] == "verdict"
    assert shown[next(p for p in shown if p.startswith("Honestly I hated"))] == "verdict"
    lines = result.text.splitlines()
    other = next(i for i, line in enumerate(lines) if line.startswith("**Other points**: Both reviewers praise it"))
    assert lines[other + 1].startswith("**Verdict**")  # after the aspects, before the verdict


def test_other_points_are_the_first_line_to_go_when_space_runs_out() -> None:
    reviews = [
        review(1, "The acting is superb throughout. It keeps a dozen surprises going and never loses its thread, "
                  "which is a rare feat. The score is haunting and gorgeous."),
        review(2, "The performances are wonderful. The cinematography is stunning. The music is gorgeous."),
    ]
    full = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD).text
    assert "**Other points**" in full
    tight = summarize_offline(FILM, reviews, spoilers=False, threshold=THRESHOLD, char_limit=len(full) - 20).text
    assert "**Other points**" not in tight
    assert "**Acting**" in tight and "**Music & sound**" in tight and "**Look**" in tight
