"""How names in a film's reviews are sorted into people of the craft and characters (sentences
written here, none from a real review)."""

from __future__ import annotations

from bot.spoilers.names import bare_word, film_names
from storage.records import Film

FILM = Film(id=1, title="The Quiet Harbour", year=2011)


def test_a_possessed_character_makes_the_possessor_an_actor() -> None:
    names = film_names(FILM, ["Marta Lindqvist's character is drawn with care.", "Lindqvist is wonderful."])
    assert {"marta", "lindqvist"} <= names.people
    assert "lindqvist" not in names.characters


def test_a_character_arc_is_no_credit() -> None:
    names = film_names(FILM, ["Orla's character arc is the best thing here.", "Orla is wonderful."])
    assert "orla" in names.characters


def test_the_comma_form_of_actor_as_role() -> None:
    names = film_names(FILM, ["Jorund Hallam, as Orla, proves he can carry a drama."])
    assert {"jorund", "hallam"} <= names.people
    assert "orla" in names.characters


def test_a_clause_after_a_comma_is_no_cast_note() -> None:
    names = film_names(FILM, ["Later Orla, as Bexley watches, says nothing at all."])
    assert "orla" in names.characters
    assert "bexley" in names.characters


def test_a_parenthesised_list_of_full_names_is_the_cast() -> None:
    names = film_names(FILM, ["A couple (Jorund Hallam and Marta Lindqvist) drift apart.", "Hallam is fine."])
    assert {"jorund", "hallam", "marta", "lindqvist"} <= names.people


def test_a_parenthesised_single_name_is_not_a_cast_list() -> None:
    names = film_names(FILM, ["Two sisters (Orla and Bexley) drift apart."])
    assert {"orla", "bexley"} <= names.characters


def test_an_initial_opens_a_credit() -> None:
    names = film_names(FILM, ["A film by R. Tavish Moreno, no less.", "Moreno is at ease here."])
    assert "moreno" in names.people


def test_a_name_doing_story_events_is_a_character_even_with_craft_evidence() -> None:
    # Adversarial: "Orla's performance" and "directed by Orla" look like credits, but Orla dies.
    reviews = [
        "Orla's performance is a marvel.",
        "The lighthouse scenes were directed by Orla with great patience.",
        "In the last reel Orla dies in the storm.",
    ]
    names = film_names(FILM, reviews)
    assert "orla" in names.characters
    assert "orla" not in names.people


def test_kin_and_objects_of_events_are_characters() -> None:
    names = film_names(FILM, [
        "Bexley's performance is a marvel, and Jorund Hallam plays him well.",
        "It matters that Bexley's wife is gone.",
        "The stranger kills Tavish before the storm.",
        "Tavish's performance is loud.",
    ])
    assert {"bexley", "tavish"} <= names.characters
    assert "hallam" in names.people


def test_a_cue_reaches_through_markup_and_helper_words() -> None:
    names = film_names(FILM, [
        "Music by `Ingmar Solberg`_ stands out.",
        "Marta Lindqvist only seems to play grieving widows.",
        "It had a writer in Tavish who knew the genre.",
    ])
    assert {"solberg", "lindqvist", "tavish"} <= names.people


def test_an_award_goes_to_a_person() -> None:
    names = film_names(FILM, ["Jorund Hallam wasn't ever in danger of winning any Academy Awards."])
    assert "hallam" in names.people


def test_a_full_name_in_a_craft_sentence_that_acts_in_the_story_stays_a_character() -> None:
    # Adversarial: the craft sentence alone would make Orla Bexley a person; she escapes the fire.
    names = film_names(FILM, [
        "Orla Bexley is the glue that holds the film together.",
        "Then Orla Bexley escapes the fire with the child.",
    ])
    assert {"orla", "bexley"} <= names.characters
    assert not {"orla", "bexley"} & names.people


def test_a_single_name_on_a_craft_sentence_stays_a_character() -> None:
    names = film_names(FILM, ["Orla is the glue that holds the film together."])
    assert "orla" in names.characters


def test_a_credit_cue_covers_a_list_and_possessives_inside_it() -> None:
    names = film_names(FILM, [
        "The soundtrack from Ingmar Solberg and Halvard's Jorund Hallam unsettles you.",
        "Halvard is a band.",
    ])
    assert {"ingmar", "solberg", "halvard", "jorund", "hallam"} <= names.people


def test_a_name_that_signs_a_work_is_a_person() -> None:
    names = film_names(FILM, [
        "Except for the Ingmar Solberg soundtrack, it fades.",
        "I hope it influences Jorund Hallam's The Salt Meridian.",
        "Solberg and Hallam are fine.",
    ])
    assert {"solberg", "hallam"} <= names.people


def test_a_work_named_after_its_kind_is_no_character_unless_it_acts() -> None:
    names = film_names(FILM, [
        "After the no-budget thriller Saltmarch, everyone watched Hallam.",
        "In the drama Orla finally leaves the island.",
    ])
    assert "saltmarch" not in names.characters
    assert "orla" in names.characters


def test_capitalised_compounds_of_common_words_are_no_one() -> None:
    names = film_names(FILM, ["It plays with the long awaited R-rating and a Lyft-style chase."])
    assert not {"r-rating", "lyft-style"} & names.characters
    assert "r-rating" in names.people  # neither plot nor an unknown name


def test_a_hyphenated_character_name_of_common_words_stays_a_character() -> None:
    # Adversarial: "Two-Face", "Bat-woman" are made of English words, but they name someone.
    names = film_names(FILM, ["Knowing that Half-Moon is an established character makes it cheap.",
                              "The Bat-woman subplot is thin."])
    assert {"half-moon", "bat-woman"} <= names.characters


def test_works_in_italics_or_quoted_the_titles_are_not_characters() -> None:
    names = film_names(FILM, ["It owes a lot to *Salt Meridian* and to “The Glass Orchard,” honestly."])
    assert not {"salt", "meridian", "glass", "orchard"} & names.characters


def test_quoted_nicknames_and_lines_stay_characters() -> None:
    # Adversarial: quotes also hold nicknames and lines, which name characters.
    names = film_names(FILM, ['Hallam plays John "Orla" Bexley.', '"Remember Tavish Moor" is his mantra.'])
    assert {"orla", "tavish", "moor"} <= names.characters


def test_a_full_name_in_a_craft_sentence_is_not_enough() -> None:
    # Adversarial: a character's full name next to "script" is still a character.
    names = film_names(FILM, ['The best part of the script is that the mystery of "who is Orla Bexley" waits.'])
    assert {"orla", "bexley"} <= names.characters
    assert not {"orla", "bexley"} & names.people


def test_a_name_in_brackets_after_a_common_noun_is_that_character() -> None:
    names = film_names(FILM, [
        "The cop (Tavish) is crooked.",
        "The film's director (Jorund Hallam) keeps it tight.",
        "Tavish's performance is fine, and so is Hallam's direction.",
        "Orla Bexley (J.K. Solberg) is terrific.",
    ])
    assert "tavish" in names.characters
    assert "hallam" in names.people
    assert {"orla", "bexley"} <= names.characters
    assert "solberg" in names.people


def test_story_agents_with_adverbs_and_more_verbs_are_characters() -> None:
    names = film_names(FILM, [
        "Bexley's style of teaching is brutal.",
        "Bexley totally stole the sheet music.",
        "Orla's performance is great, but Orla's been fired by then.",
    ])
    assert {"bexley", "orla"} <= names.characters


def test_a_full_name_in_brackets_after_a_noun_proves_nothing() -> None:
    names = film_names(FILM, ["A young clerk (Jorund Hallam) befriends a stranger.", "Hallam's turn is fine."])
    assert {"jorund", "hallam"} <= names.people


def test_playing_along_or_an_instrument_is_no_part() -> None:
    # Adversarial: "plays" looks like a credit, but here Orla and Tavish act in the story.
    names = film_names(FILM, ["Orla only seems to play along with the cult.", "Tavish plays the piano at night."])
    assert {"orla", "tavish"} <= names.characters
    assert not {"orla", "tavish"} & names.people


def test_a_contraction_is_read_as_its_word() -> None:
    assert [bare_word(w) for w in ("He'll", "They’ve", "Don't", "Can’t", "WON'T", "shan't", "Tyler's", "Jones'",
                                   "Tyler’d", "O'Neil")] == [
        "He", "They", "Do", "Can", "WILL", "shall", "Tyler", "Jones", "Tyler", "O'Neil"]


def test_a_contraction_opening_sentences_is_no_name_and_a_name_with_one_is_that_name() -> None:
    names = film_names(FILM, ["He'll never forget it.", "Don’t miss it.", "They've done it.",
                              "The scene where Orla'd run off is great.", "Later Orla'll run."])
    assert not {"he'll", "he", "don’t", "do", "they've", "they"} & (names.characters | names.name_like)
    assert "orla" in names.characters
