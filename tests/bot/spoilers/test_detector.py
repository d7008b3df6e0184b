"""The spoiler detector: its layers one by one, and its recall on the labelled sample set."""

from __future__ import annotations

import pytest

from bench.spoiler_eval import collect, prf, roc_auc
from bot.settings import Settings
from bot.spoilers.detector import FilmContext, SpoilerDetector, build_context
from storage.records import Film

THRESHOLD = Settings(_env_file=None).spoiler_threshold  # type: ignore[call-arg]


@pytest.fixture
def detector() -> SpoilerDetector:
    return SpoilerDetector()


def scores(
    detector: SpoilerDetector, text: str, context: FilmContext | None = None, flagged: bool = False
) -> dict[str, float]:
    return {
        s.span.text: s.score
        for s in detector.score_review(text, author_flagged=flagged, context=context or FilmContext())
    }


def test_author_markup_scores_one(detector: SpoilerDetector) -> None:
    result = scores(detector, "The score is lovely. ||A calm sentence hidden anyway.||")
    assert result["A calm sentence hidden anyway."] == 1.0
    assert result["The score is lovely."] < THRESHOLD


@pytest.mark.parametrize(
    "sentence",
    [
        "In the end the mother dies in the fire.",
        "It turns out the doctor was a ghost all along.",
        "The final scene reveals who the killer really is.",
        "Her brother is murdered halfway through.",
    ],
)
def test_cue_words_for_deaths_twists_endings(detector: SpoilerDetector, sentence: str) -> None:
    assert scores(detector, f"I watched it on Sunday with friends. {sentence}")[sentence] >= THRESHOLD


@pytest.mark.parametrize(
    "sentence",
    [
        "The cinematography is gorgeous and the score is haunting.",
        "Anthony Perkins gives a wonderful, nervy performance.",
        "It drags a little in the middle hour, but I would recommend it.",
        "Without giving anything away, the last act is worth the wait.",
    ],
)
def test_opinions_and_hedges_stay_safe(detector: SpoilerDetector, sentence: str) -> None:
    assert scores(detector, sentence)[sentence] < THRESHOLD


def test_character_names_raise_but_actor_names_do_not() -> None:
    film = Film(id=1, title="Psycho", year=1960, cast=("Anthony Perkins",), characters=("Norman Bates", "Marion Crane"))
    context = build_context(film, ["Norman Bates is scary."], [])
    detector = SpoilerDetector()
    features_character = detector.features(
        detector.score_review("Norman hides in the house.", author_flagged=False, context=context)[0].span,
        1, False, context, (),
    )
    features_actor = detector.features(
        detector.score_review("Perkins hides in the house.", author_flagged=False, context=context)[0].span,
        1, False, context, (),
    )
    assert features_character["character"] == 1.0
    assert features_actor["character"] == 0.0


def test_film_specific_words_use_df_iif() -> None:
    film = Film(id=1, title="X", year=2000)
    context = build_context(
        film,
        ["The coagula procedure is wild.", "That coagula thing!", "A fine film."],
        [{"fine", "film"}, {"film", "great"}],
    )
    assert context.specific.get("coagula", 0) > 0.5
    assert "film" not in context.specific


def test_warned_sentences_are_raised(detector: SpoilerDetector) -> None:
    plain = scores(detector, "It is a quiet story. The brother leaves town.")
    warned = scores(detector, "Spoilers ahead. It is a quiet story. The brother leaves town.")
    assert warned["The brother leaves town."] > plain["The brother leaves town."]


async def test_recall_on_the_labelled_sample_set_meets_the_target() -> None:
    """The issue's target: recall of spoiler sentences >= 0.9 at the spoiler-free threshold."""
    rows = await collect()
    assert sum(r.label for r in rows) >= 60
    precision, recall, *_ = prf(rows, THRESHOLD)
    assert recall >= 0.9
    assert precision > 2 * sum(r.label for r in rows) / len(rows)  # far better than flagging at random
    assert roc_auc(rows) >= 0.9
    for part in ("a", "b"):  # both independently written halves, not just the mix
        assert prf([r for r in rows if r.part == part], THRESHOLD)[1] >= 0.9
