"""Aspect and polarity of review sentences (bot.text.topics.opinion_of)."""

from __future__ import annotations

import pytest

from bot.text import topics
from bot.text.topics import opinion_of, opinions_in, rating_in, ratings_in


@pytest.mark.parametrize(
    ("sentence", "aspect"),
    [
        ("The score plays a huge role in how frightening the house feels.", "sound"),
        ("Her performance is the best thing in it.", "acting"),
        ("It is beautifully shot, all cold blues and long corridors.", "look"),
        ("The middle hour drags terribly.", "pacing"),
        ("The screenplay is full of clumsy exposition.", "writing"),
        ("Villeneuve's direction is patient and assured.", "direction"),
        ("The tension is unbearable in the best way.", "mood"),
        ("I'd recommend it to anyone.", "verdict"),
        # A capitalised cue word before another capitalised word is a name, not the music.
        ("Song Kang-ho is perfect as the father.", None),
        # A judgement with its aspect in the clause before ("…, which is still perfect").
        ("Except for the soundtrack, which is still perfect.", "sound"),
    ],
)
def test_aspect(sentence: str, aspect: str | None) -> None:
    found, _ = opinion_of(sentence)
    if aspect is None:
        assert found != "sound"
    else:
        assert found == aspect


@pytest.mark.parametrize(
    ("sentence", "polarity"),
    [
        ("The acting is great.", "pos"),
        ("The acting is not great.", "neg"),
        ("The pacing isn’t bad at all.", "pos"),  # a typographic apostrophe negates too
        ("The cast is superb, but the script is a clunky mess.", "mixed"),
        # Horror words praise a horror film's craft.
        ("The sound design is haunting and unsettling.", "pos"),
        ("The score is chilling.", "pos"),
        # Hedged criticism is still criticism.
        ("It is a bit too long.", "neg"),
        ("The third act falls flat.", "neg"),
        ("The plot is BOOOORING.", "neg"),
        # Sarcasm we can see.
        ("Oh great, another two hours of brooding men staring at rain.", "neg"),
        ("4/10", "neg"),
        ("Rating: 9/10", "pos"),
    ],
)
def test_polarity(sentence: str, polarity: str) -> None:
    assert opinion_of(sentence)[1] == polarity


def test_story_words_are_no_verdict() -> None:
    """A plot sentence full of deaths is not a criticism of the film."""
    assert opinion_of("The war kills his brother and the village mourns him.")[1] is None


def test_contrast_gives_one_opinion_per_clause() -> None:
    opinions = opinions_in("The cinematography is gorgeous, but the dialogue is wooden.")
    by_aspect = {o.aspect: o.polarity for o in opinions if o.polarity}
    assert by_aspect == {"look": "pos", "writing": "neg"}


def test_nothing_to_say_is_none() -> None:
    assert opinion_of("We went on a Tuesday.") == (None, None)


@pytest.mark.parametrize(
    ("text", "rating"),
    [("8/10", 4.0), ("★★★½", 3.5), ("Four stars.", 4.0), ("3.5 out of 5", 3.5), ("no rating here", None),
     ("11/10", None)],
)
def test_rating_in(text: str, rating: float | None) -> None:
    assert rating_in(text) == rating


@pytest.mark.parametrize(
    ("text", "ratings"),
    [
        ("It gets 3.5/5 out of 5 stars from one reviewer and 8/10 from another.", [3.5, 4.0]),  # a scale, twice said
        ("Four stars, maybe five stars on a rewatch.", [4.0, 5.0]),
        ("No rating at all.", []),
    ],
)
def test_ratings_in_finds_every_rating_but_not_the_scale(text: str, ratings: list[float]) -> None:
    assert ratings_in(text) == ratings


@pytest.mark.parametrize(
    ("sentence", "aspect"),
    [
        # Craft named without the aspect's own noun.
        ("Everyone in it is well acted, even the smallest parts.", "acting"),
        ("Her accent wanders from scene to scene.", "acting"),
        ("The set pieces are staged with real wit.", "direction"),
        ("Every frame could hang on a gallery wall.", "look"),
        ("Filmed in IMAX, the desert swallows the screen.", "look"),
        ("This is one gorgeous movie.", "look"),
        ("The animation is crisp and full of little details.", "look"),
        # How violence is shown is direction; what it does to the viewer's body is mood.
        ("The violence is shown with restraint.", "direction"),
        ("It left a knot in my stomach for days.", "mood"),
        # "feel" describes the story as often as a mood: no mood cue by itself.
        ("The romance feels rushed and unearned in the script.", "writing"),
        # A person judged "in this movie", and what an actor made of "his character".
        ("He is terrific in this film.", "acting"),
        ("She finds the sadness in her character without a word.", "acting"),
        # Story-telling words that are not "story": tropes, conceits, narration.
        ("The tropes are all here, turned inside out.", "writing"),
        ("The central conceit never convinces.", "writing"),
        # The film or the viewer as subject, with no craft named: a verdict.
        ("The movie is simply superb.", "verdict"),
        ("I enjoyed it far more than I expected to.", "verdict"),
        ("Thirty years on, it still holds up.", "verdict"),
        ("I think the first one was the better film.", "verdict"),
        ("Simply superb.", "verdict"),
        # A weak verdict cue loses to a real aspect in the same sentence.
        ("The movie is carried by its screenplay, which is sharp.", "writing"),
    ],
)
def test_aspect_without_the_aspects_own_word(sentence: str, aspect: str) -> None:
    assert opinion_of(sentence)[0] == aspect


@pytest.mark.parametrize(
    ("sentence", "polarity"),
    [
        # Words VADER's lexicon lacks.
        ("The lead is incredible.", "pos"),
        ("An exceptional, stellar debut.", "pos"),
        ("The second half is uninteresting.", "neg"),
        # A negated verb of opinion reaches past VADER's three-word window.
        ("I never thought the camera work was particularly clever.", "neg"),
        ("I did not think it was good.", "neg"),
        ("None of the jokes are funny.", "neg"),
        ("Still, it is not one of my favourites.", "neg"),
        ("Every performance here is first-rate.", "pos"),
        ("Granted, the effects are clever, but the whole is a letdown.", "neg"),
        # Fear and shock describe a horror film's effect, not a flaw.
        ("The first scene left me terrified and shocked.", "pos"),
        ("This movie scared me more than any in years.", "pos"),
        # Complaints said as nouns, and unmet wishes.
        ("My biggest problem is the dialogue.", "neg"),
        ("I wish the ending had been braver and more interesting.", "neg"),
        ("The film plays it safe.", "neg"),
        ("The heist reads better on paper.", "neg"),
        ("This is not a real performance, just posing.", "neg"),
        ("The finale is only mildly interesting.", "neg"),
        # Who the story's heroes and friends are judges nothing.
        ("The writing makes her friends and the hero feel like people.", "pos"),
        ("It is a slog.", "neg"),
        # What the film is compared with is not the film.
        ("The score is far more subtle than the ham-fisted, clumsy music of the original.", "pos"),
        # Reservations said as comparison or doubt.
        ("It is a good film, but I had hoped for more.", "mixed"),
        ("The set pieces are tense and the tension never lets go.", "pos"),
    ],
)
def test_polarity_of_review_language(sentence: str, polarity: str) -> None:
    assert opinion_of(sentence)[1] == polarity


def _cues_scanned_naively(text: str) -> list[tuple[int, int, str, float]]:
    """Every cue tried at every word start, in _CUES order (what the first-letters index must equal)."""
    found: list[tuple[int, int, str, float]] = []
    end = 0
    for m in topics._WORD_START.finditer(text.lower()):
        if m.start() < end:
            continue
        for compiled, aspect, weight in topics._CUE_LIST:
            hit = compiled.match(text, m.start())
            if hit and hit.end() > m.start():
                found.append((m.start(), hit.end(), aspect, weight))
                end = hit.end()
                break
    return found


@pytest.mark.parametrize(
    "text",
    [
        "The effects are clever and the execution is superb.",  # cues behind an optional group
        "Well-acted, beautifully shot, and the special effects hold up.",
        "Its original score by a jazz drummer drives every scene; the editing is brisk.",
        "I enjoyed the movie, though the screenplay is thin and the third act drags.",
        "★★★½ — a gorgeous movie with a miscast lead and a 7/10 script.",
    ],
)
def test_cue_index_finds_what_a_full_scan_finds(text: str) -> None:
    assert topics._cue_matches(text) == _cues_scanned_naively(text)


@pytest.mark.parametrize(
    "text",
    [
        "it falls flat, and the second half is too long; not worth it, though it holds up.",
        "my biggest problem: it plays it safe and settles for a slog — i wish it had been braver.",
        "one of the best films of the year, a tour de force that is worth the wait (see it!)",
    ],
)
def test_phrases_tried_at_word_starts_find_what_a_full_scan_finds(text: str) -> None:
    full = [(m.start(), m.end(), m.lastindex) for m in topics._ALL_PHRASES.finditer(text)]
    assert [(m.start(), m.end(), m.lastindex) for m in topics._phrase_matches(text)] == full
    assert full  # the examples do hold phrases


def test_an_abbreviation_does_not_end_a_clause() -> None:
    # A quote cut at "e.g" or "Mrs" reads as broken; the full stop of an abbreviation is not a boundary.
    overacts = "The lead sometimes overacts, e.g. in the scenes at the station, but he is young."
    first = opinions_in(overacts)[0]
    assert overacts[first.start : first.end].endswith("at the station")
    title = "Hilarious as the trusting Mrs. Kim, she steals every scene."
    assert any("Mrs. Kim" in title[o.start : o.end] for o in opinions_in(title))
    two = "The score is loud. The acting is fine."
    assert len(opinions_in(two)) == 2


@pytest.mark.parametrize("sentence", ["The score isn't good.", "The pacing doesn't feel tense."])
def test_sentiment_reads_a_negation_with_either_apostrophe(sentence: str) -> None:
    assert topics.sentiment(sentence) == topics.sentiment(sentence.replace("'", "’")) == -1
