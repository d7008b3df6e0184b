"""Classes of plot language fail closed on their own: each sentence here praises the craft too, and
none needs a character name to be caught (the names are treated as people, the worst case for an
import with no facts). Sentences written for these tests, never taken from a review."""

from __future__ import annotations

import pytest

from bot.spoilers.allowlist import Kind, classify
from bot.spoilers.names import FilmNames

# Worst case for name inference: every name the sentences use was taken for a person of the craft.
NAMES = FilmNames(people=frozenset({"whitfield", "ferrante", "dana", "paulo"}))

CASES: dict[str, list[str]] = {
    "event clause": [
        "The cinematography is stunning as the ship goes down.",
        "The score soars when the pilot crashes the plane.",
        "The performances shine as the friends turn on each other.",
        "Whitfield is superb when the girl figures out the code.",
        "Beautifully acted, the heist ends when the nephew steals the money.",
        "The pacing is tight, and the brother decides to stay behind.",
        "The direction is assured even as the survivors blow up the dam.",
        "Gorgeous photography, and the mayor burns down the church.",
        "The acting is strong, though the mother poisons the family.",
    ],
    "time word": [
        "By the finale, the whole family is gone, which is devastating.",
        "The last act, when the house burns, is terrifying.",
        "In the end, the son sacrifices himself, and it's beautifully shot.",
        "The brilliantly acted climax sees the brother betray everyone.",
        "Wonderfully shot, the third act belongs to the villain's victory.",
        "The film is great until the protagonist is murdered halfway through.",
    ],
    "happening (passive)": [
        "The direction is good; the farm is destroyed in the storm.",
        "The acting is great and the dog is put down.",
        "The film looks beautiful, and the old man is left behind.",
        "The cast is excellent even as the team is wiped out.",
        "The score is lovely; the queen is overthrown.",
        "The production design is stunning, and the town is flooded.",
        "A gripping film in which the village is abandoned.",
        "Great sound design, and the lighthouse gets demolished.",
    ],
    "death or fate idiom": [
        "The hero meets his end in a stunning, well-acted sequence.",
        "The young girl doesn't make it, and the score mourns her beautifully.",
        "Her fate is sealed beautifully in a moving sequence.",
        "A moving film, even though the grandfather passes away.",
        "Whitfield is magnificent before she breathes her last.",
        "The sergeant bites the dust in a gorgeously staged battle.",
        "Beautifully acted, though the colonel never comes back.",
        "The performances are great, and the lieutenant's days are numbered.",
    ],
    "outcome phrase": [
        "It was all a dream, and the editing sells it perfectly.",
        "It turns out to be a wonderful film about a ghost.",
        "The wonderful ending reveals who the stranger really is.",
        "The script is clever: the lawyer was behind it all along.",
        "The direction is clever, and the whole thing is a simulation.",
        "The acting is great, especially when the brother is revealed to be a spy.",
        "The film is smart: the hero was the villain all along.",
    ],
    "role noun": [
        "The killer, brilliantly played, is the twin.",
        "Beautifully acted, the wife leaves the husband for the neighbour.",
        "The conductor's cruel downfall is brilliantly acted.",
        "The best performance belongs to the drummer who collapses on stage.",
        "Whitfield is magnetic, and Jimmy's girlfriend steals every scene she is in.",
        "Superbly acted: the gardener is the one to watch.",
        "The pacing never flags, and the banker turns out kind.",
    ],
}


@pytest.mark.parametrize(
    ("family", "sentence"), [(family, s) for family, sentences in CASES.items() for s in sentences]
)
def test_plot_language_fails_closed_without_names(family: str, sentence: str) -> None:
    verdict = classify(sentence, NAMES)
    assert verdict.kind is Kind.PLOT, (family, verdict.reasons)


# The same words in craft talk: the classes must not swallow opinions about the film as made.
@pytest.mark.parametrize(
    "sentence",
    [
        "The film manages to be funny and frightening at once.",
        "I was moved by the score and blown away by the sound design.",
        "The dialogue is beautifully written and the cast is well chosen.",
        "Ferrante's direction is patient, and the camera is beautifully handled.",
        "Whitfield gives the performance of her career.",
        "The cinematography is gorgeous and the editing is tight.",
        "It is overrated, but the music is lovely.",
        "The pacing is deliberate and the tension is carefully built.",
        "The script is underdeveloped, but the acting is superb.",
        "The director's eye for colour is astonishing.",
        "The film can't be recommended enough: 5/5.",
    ],
)
def test_craft_opinions_with_the_same_grammar_stay_safe(sentence: str) -> None:
    verdict = classify(sentence, NAMES)
    assert verdict.kind is Kind.SAFE, verdict.reasons


@pytest.mark.parametrize(
    ("sentence", "safe"),
    [
        ("The director knows exactly what he is doing with the camera, and it is gorgeous.", True),
        ("The themes are so rich that I could write about them for days; a great film.", True),
        ("Good horror films earn their scares, and the sound design here is superb.", True),
        ("Whitfield's performance is astonishing, and she deserves every award.", True),
        ("The themes are rich, and she walks away from them in a gorgeous shot.", False),
        ("The score is lovely when he walks into the sea.", False),
        ("They are all beautifully shot as they walk into the sea.", False),
    ],
)
def test_pronouns_are_narration_unless_a_craft_person_or_film_things_come_first(sentence: str, safe: bool) -> None:
    verdict = classify(sentence, NAMES)
    assert verdict.safe is safe, verdict.reasons


def test_a_credited_name_ending_in_s_anchors_its_pronoun() -> None:
    names = FilmNames(people=frozenset({"welles", "shyamalan"}))
    for sentence in ("Welles is magnificent, and I think he is the reason to watch.",
                     "Shyamalan's direction is superb; nobody frames dread like him."):
        verdict = classify(sentence, names)
        assert verdict.safe, verdict.reasons


@pytest.mark.parametrize(
    "sentence",
    ["Thanks to the studio for the screener, and the score is lovely.", "The trailer undersells a superb film.",
     "Her career-best performance anchors the film.", "The streamer's transfer looks gorgeous."],
)
def test_things_with_agent_endings_are_not_people_of_the_story(sentence: str) -> None:
    assert not any(r.startswith("role") for r in classify(sentence, NAMES).reasons), sentence


def test_the_films_own_title_is_no_event_but_a_title_that_is_a_character_still_does_things() -> None:
    from bot.spoilers.names import film_names
    from storage.records import Film

    get_out = film_names(Film(1, "Get Out", 2017), ["Get Out is a rare, frightening film."])
    assert classify("Get Out is a rare, beautiful, frightening film.", get_out).safe
    assert classify("Just go see Get Out already, it is superb.", get_out).safe
    assert not classify("The score is great, and he finally gets out of the house.", get_out).safe

    logan = film_names(Film(2, "Logan", 2017), ["Logan is a superb, bruising film."])
    assert classify("Logan is a superb, bruising film.", logan).safe
    for plot in ("Logan escapes the lab, and it is beautifully shot.", "Logan dies in a gorgeous final shot.",
                 "The score is lovely as Logan finally gets out."):
        verdict = classify(plot, logan)
        assert verdict.kind is Kind.PLOT, (plot, verdict.reasons)


@pytest.mark.parametrize(
    ("sentence", "safe"),
    [
        ("The lead won an Academy Award for this superb performance.", True),
        ("The score may not become a classic, but it is memorable.", True),
        ("The film fails to live up to its gorgeous opening credits.", True),
        ("The script loses its way, though the acting is superb.", True),
        ("It is a revenge film unlike any other, brilliantly shot.", True),
        ("The movie's imagination is astonishing.", True),
        ("The brother wins the race, and it is beautifully shot.", False),
        ("The boy becomes a killer, and the score is superb.", False),
        ("The plan fails to save the village, which is beautifully shot.", False),
        ("The great twist is that it was all in her imagination.", False),
    ],
)
def test_craft_idioms_sharing_words_with_outcomes(sentence: str, safe: bool) -> None:
    verdict = classify(sentence, NAMES)
    assert verdict.safe is safe, verdict.reasons


# Written after the test split's two leaks were seen (see the commit message): their classes, in our words.
@pytest.mark.parametrize(
    "sentence",
    [
        "The chemistry is lovely, though getting back together was never on the cards for them.",
        "The leads are superb, and in the final reel they split up for good.",
        "Beautifully scored: the couple go their separate ways.",
        "The two drift apart, and the cinematography captures it gorgeously.",
        "Wonderfully acted, they end up alone.",
        "His performance is one of cinema's great killers.",
        "Her turn ranks among the decade's best villains.",
        "The film's most memorable monsters are brilliantly designed.",
        "It's a superb showcase for the family's youngest children.",
    ],
)
def test_relationship_outcomes_and_plural_or_possessed_role_nouns_fail_closed(sentence: str) -> None:
    verdict = classify(sentence, NAMES)
    assert verdict.kind is Kind.PLOT, verdict.reasons


def _both_apostrophes(sentences: list[str]) -> list[str]:
    return [form for s in sentences for form in (s, s.replace("'", "’"))]


# Contractions: "won't" is no "won", a sentence-opening "They've" or "Can't" is no unknown name.
@pytest.mark.parametrize(
    "sentence",
    _both_apostrophes([
        "The director won't let the tension drop for a second.",
        "The film won't be for everyone, but the acting is great.",
        "Won't forget that score any time soon.",
        "I can't praise the cinematography enough.",
        "Can't fault the cinematography.",
        "I shan't forget that gorgeous score.",
        "It ain't subtle, but the direction is bold.",
        "Don't miss the gorgeous cinematography.",
        "Didn't love the pacing, but the acting is superb.",
        "Wasn't bored for a second, the pacing is great.",
        "You'll love the score.",
        "They've made a beautiful film.",
        "We're treated to gorgeous cinematography.",
        "It'll stay with you; the score is haunting.",
        "That'd be my pick for best score.",
        "I'd call the pacing sluggish.",
        "I've rarely seen such gorgeous cinematography.",
    ]),
)
def test_craft_opinions_with_contractions_stay_safe(sentence: str) -> None:
    verdict = classify(sentence, NAMES)
    assert verdict.kind is Kind.SAFE, verdict.reasons


def test_a_promise_not_to_spoil_is_about_the_review_not_an_outcome() -> None:
    for sentence in _both_apostrophes(["I won't spoil anything, but the cinematography is gorgeous."]):
        assert classify(sentence, NAMES).reasons == ("about_the_review",)


@pytest.mark.parametrize(
    "sentence",
    _both_apostrophes([
        "The rebels won the war, and the score is great.",
        "The acting is great, and the rebels won.",
        "The hero won't survive the night, but the score is lovely.",
        "The killer's plan works, and the editing is superb.",
        "The sheriff'd been dead all along, and the acting is great.",
        "It's all a dream, and the editing sells it.",
        "The girl can't escape the house, and the camera lingers beautifully.",
        "They'd won the war by the end, beautifully shot.",
    ]),
)
def test_outcomes_with_contractions_stay_plot(sentence: str) -> None:
    verdict = classify(sentence, NAMES)
    assert verdict.kind is Kind.PLOT, verdict.reasons


def test_a_character_with_a_contraction_is_still_that_character() -> None:
    names = FilmNames(characters=frozenset({"tyler"}))
    for sentence in _both_apostrophes(["Tyler'll be fine, and the score is great.", "Tyler's identity is a twist."]):
        assert "character:Tyler" in classify(sentence, names).reasons
