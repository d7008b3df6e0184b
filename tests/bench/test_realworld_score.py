"""The real-world benchmark's leak check: what counts as a spoiler sentence reaching an answer."""

from __future__ import annotations

from typing import Any

from bench.realworld.score import covered, leaked, outside_spoiler_bars
from bench.realworld.textkit import film_splits, review_text, sentence_key, split_sentences

SPOILER = "In the end it turns out that Malcolm has been dead the whole time, shot in the opening scene."


def test_a_copied_run_of_words_is_a_leak() -> None:
    assert leaked([SPOILER], "Critics agree. It turns out that Malcolm has been dead all along.")


def test_a_close_paraphrase_is_a_leak() -> None:
    assert leaked([SPOILER], "Malcolm, shot in the opening scene, was dead the whole time.")


def test_a_quoted_fragment_is_a_leak() -> None:
    assert leaked([SPOILER], 'One reviewer notes "Malcolm has been dead" with relish.')


def test_opinions_about_the_same_film_are_not_leaks() -> None:
    assert not leaked([SPOILER], "Reviewers praise the quiet performances and the eerie score. The ending lands.")


def test_spoiler_bars_hide_what_they_wrap() -> None:
    text = "Most like it. ||It turns out that Malcolm has been dead the whole time.|| Recommended."
    assert not leaked([SPOILER], outside_spoiler_bars(text))
    assert leaked([SPOILER], text)


def test_key_opinions_are_regexes_matched_without_case() -> None:
    assert covered(["score|music", "pacing.{0,20}slow"], "The SCORE is eerie.") == [True, False]


def test_keys_ignore_case_punctuation_and_markup() -> None:
    text = review_text("---\ntitle: x\n---\nI **loved** [it](http://x).\n\nThe END!")
    assert split_sentences(text) == ["I loved it.", "The END!"]
    assert sentence_key("I loved it.") == sentence_key("i LOVED it")
    splits = film_splits(f"film-{n}" for n in range(30))
    assert sorted(splits.values()).count("test") == 10


def test_second_annotator_agreement_counts_only_sentences_both_labelled(tmp_path, monkeypatch) -> None:
    import json

    from bench.realworld import __main__ as realworld
    from bench.realworld.data import EvalFilm, EvalReview, LabelledSentence

    praise = "The acting is wonderful from start to finish."
    gripe = "The score is loud and grating."
    other = LabelledSentence("The plot is a mess.", "safe", None, None)  # no labels: not counted
    review = EvalReview("r", "a", None, False, "blog", "", [
        LabelledSentence(praise, "safe", "acting", "pos"),
        LabelledSentence(gripe, "safe", "sound", "neg"),
        other,
    ], [], 0)
    film = EvalFilm("f", "F", 2000, "test", {}, [], [review])
    second = {"labels": {
        sentence_key(praise): {"aspect": "acting", "polarity": "pos"},
        sentence_key(gripe): {"aspect": "sound", "polarity": "mixed"},
        sentence_key(other.text): {"aspect": "writing", "polarity": "neg"},
    }}
    path = tmp_path / "second.json"
    path.write_text(json.dumps(second), encoding="utf-8")
    monkeypatch.setattr(realworld, "SECOND_ANNOTATOR", path)
    line = realworld.annotator_agreement([film])
    assert line is not None
    assert line.startswith("second annotator (2 sentences): agrees with the labels on aspect 100.0%, polarity 50.0%")
    monkeypatch.setattr(realworld, "SECOND_ANNOTATOR", tmp_path / "absent.json")
    assert realworld.annotator_agreement([film]) is None


def _scored_claims(labelled: list[Any], claims: list[tuple[str, str, str, float]]) -> Any:
    """The tally of `claims` (sentence text, quoted phrase, aspect shown, score) quoted from one review
    whose sentences are `labelled`."""
    from bench.realworld import __main__ as realworld
    from bench.realworld.data import EvalFilm, EvalReview
    from bot.summarize.offline import Evidence
    from storage.records import Review, Sentence

    film = EvalFilm("f", "F", 2000, "test", {}, [], [EvalReview("r", "a", None, False, "blog", "", labelled, [], 0)])
    stored = Review(1, 1, "a", "test", None, "", False, "h", "2026-01-01")
    tally = realworld.Tally()
    realworld.score_claims(film, [Evidence(stored, Sentence(0, text, 0.0, False), aspect, score, phrase)
                                  for text, phrase, aspect, score in claims], tally, verbose=True)
    return tally


def test_a_summary_claim_is_scored_by_the_label_of_the_sentence_it_quotes() -> None:
    """Right aspect: shown under the labelled aspect; right side: shown as the labelled polarity, or
    either side of a sentence labelled mixed. Quotes of sentences labelled as no opinion are counted apart."""
    from bench.realworld.data import LabelledSentence

    tally = _scored_claims([
        LabelledSentence("The score is loud, but the acting is superb.", "safe", "acting", "mixed"),
        LabelledSentence("The camera work is gorgeous.", "safe", "look", "pos"),
        LabelledSentence("We saw it on a Sunday.", "safe", None, None),
    ], [
        ("The score is loud, but the acting is superb.", "the acting is superb", "acting", 0.8),  # right
        ("The score is loud", "The score is loud", "sound", -0.4),  # a clause: wrong aspect, side fits mixed
        ("The camera work is gorgeous.", "The camera work is gorgeous", "look", -0.5),  # wrong side
        ("We saw it on a Sunday.", "We saw it on a Sunday", "verdict", 0.3),  # no opinion label
    ])
    assert (tally.claims, tally.claims_unlabelled, tally.claims_aspect_ok, tally.claims_polarity_ok) == (3, 1, 2, 2)
    assert len(tally.details) == 2


def test_a_claim_is_right_on_aspect_when_its_sentence_judges_that_aspect_among_others() -> None:
    """Scored against every aspect a sentence judges (aspect_sets.json): the clause "The score is loud"
    quoted under Music & sound from a sentence labelled acting is right, on the side the sentence
    takes on the score; a quote under "Other points" claims no aspect and is scored on its side only."""
    from bench.realworld.data import LabelledSentence
    from bot.summarize.offline import OTHER

    tally = _scored_claims([
        LabelledSentence("The score is loud, but the acting is superb.", "safe", "acting", "mixed",
                         (("sound", "neg"), ("acting", "pos"))),
        LabelledSentence("There are surprises at every turn.", "safe", "writing", "pos"),
    ], [
        ("The score is loud", "The score is loud", "sound", -0.4),  # judged: sound/neg
        ("The score is loud", "The score is loud", "sound", 0.4),  # right aspect, wrong side
        ("The score is loud", "The score is loud", "look", -0.4),  # judged neither: side from the label
        ("There are surprises at every turn.", "surprises at every turn", OTHER, 0.5),
    ])
    assert (tally.claims, tally.claims_other, tally.claims_judged_ok) == (4, 1, 2)
    assert tally.claims_judged_polarity_ok == 3  # all but the praise of a score the sentence criticises
    assert tally.claims_aspect_ok == 0
