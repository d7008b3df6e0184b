"""Title normalisation: the one definition shared by indexing and lookup."""

from __future__ import annotations

import pytest

from storage.normalize import normalize_title, title_variants


@pytest.mark.parametrize(
    ("title", "norm"),
    [
        ("Dear Comrades!", "dear comrades"),
        ("  AMÉLIE  ", "amelie"),
        ("Le Fabuleux Destin d'Amélie Poulain", "le fabuleux destin damelie poulain"),
        ("Fast & Furious", "fast and furious"),
        ("Se7en", "se7en"),
        ("Dune: Part One", "dune part one"),
        ("Schindler's List", "schindlers list"),
        ("Don’t Look Up", "dont look up"),  # typographic apostrophe
        ("E.T. the Extra-Terrestrial", "et the extra terrestrial"),
        ("L.A. Confidential", "la confidential"),
        ("Dr. Strangelove", "dr strangelove"),
        ("2.0", "2 0"),
        ("WALL·E", "wall e"),
        ("snake_case", "snake case"),
        ("Дорогие товарищи!", "дорогие товарищи"),
        ("", ""),
    ],
)
def test_normalize_title(title: str, norm: str) -> None:
    assert normalize_title(title) == norm


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("schindlers list", "Schindler's List"), ("schindler's list", "Schindler’s List"),
     ("dont look up", "Don't Look Up"), ("ET the extra terrestrial", "E.T. the Extra-Terrestrial"),
     ("la confidential", "L.A. Confidential"), ("amelie", "Amélie")],
)
def test_what_people_type_meets_the_stored_title(typed: str, stored: str) -> None:
    assert normalize_title(typed) in title_variants(stored)
