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
