"""The film repository on both backends: names, exact/prefix/word lookups, stats, stubs."""

from __future__ import annotations

import pytest

from storage.normalize import normalize_title, title_variants
from storage.ports import FilmStore, Store
from storage.records import FilmInput, ReviewInput, TitleMatches
from storage.search import CandidateQuery, Term, TitleQuery, WordQuery
from tests.storage.conftest import execute


def words(*each: str) -> WordQuery:
    """All of these whole words."""
    return WordQuery(tuple((Term(w),) for w in each))


@pytest.fixture
def films(store: Store) -> FilmStore:
    return store.films


async def test_add_returns_the_stored_film_with_its_names(films: FilmStore) -> None:
    film = await films.add(
        FilmInput(
            title="Amélie", year=2001, original_title="Le Fabuleux Destin d'Amélie Poulain",
            aliases=("The Fabulous Destiny of Amélie Poulain",), directors=("Jean-Pierre Jeunet",),
            genres=("Comedy", "Romance"), runtime_minutes=122, logline="A shy waitress.",
        )
    )
    assert film.label == "Amélie (2001)"
    assert film.directors == ("Jean-Pierre Jeunet",) and film.genres == ("Comedy", "Romance")
    assert film.aliases == ("The Fabulous Destiny of Amélie Poulain",)
    assert not film.is_stub
    assert await films.get(film.id) == film
    assert await films.get(film.id + 1000) is None
    assert await films.count() == 1


async def test_every_name_and_its_article_free_form_is_indexed(films: FilmStore) -> None:
    film = await films.add(FilmInput(title="The Prestige", year=2006, original_title="Prestige"))
    names = {(h.norm, h.film_id) for h in await films.find_words(words("prestige"), limit=10)}
    assert names == {("the prestige", film.id), ("prestige", film.id)}  # one row per distinct norm
    assert sorted(await films.vocabulary()) == ["prestige", "the"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("dear comrades", "Dear Comrades!"), ("AMELIE", "Amélie"), ("se7en", "Se7en"),
     ("fast and furious", "Fast & Furious"), ("prestige", "The Prestige")],
)
async def test_find_exact_ignores_case_accents_punctuation_and_article(
    films: FilmStore, typed: str, stored: str
) -> None:
    film = await films.add(FilmInput(title=stored, year=2000))
    hits = await films.find_exact(normalize_title(typed))
    assert [h.film_id for h in hits] == [film.id]
    assert hits[0].title == stored


async def test_find_exact_returns_every_remake_oldest_first(films: FilmStore) -> None:
    new = await films.add(FilmInput(title="Psycho", year=1998))
    old = await films.add(FilmInput(title="Psycho", year=1960))
    assert [h.film_id for h in await films.find_exact("psycho")] == [old.id, new.id]


async def test_find_prefix_uses_a_range_and_prefers_short_names(films: FilmStore) -> None:
    sixth = await films.add(FilmInput(title="The Sixth Sense", year=1999))
    await films.add(FilmInput(title="The Sixth Sense of a Very Long Title", year=2010))
    await films.add(FilmInput(title="Parasite", year=2019))
    hits = await films.find_prefix("the s", limit=10)
    assert hits[0].film_id == sixth.id
    assert {h.title for h in hits} == {"The Sixth Sense", "The Sixth Sense of a Very Long Title"}
    assert await films.find_prefix("zzz", limit=10) == []
    assert len(await films.find_prefix("the", limit=1)) == 1


async def test_find_words_uses_the_word_index(films: FilmStore) -> None:
    film = await films.add(FilmInput(title="Dear Comrades!", year=2020))
    await films.add(FilmInput(title="Dear Evan Hansen", year=2021))
    assert [h.film_id for h in await films.find_words(words("comrades"), limit=5)] == [film.id]
    half_typed = WordQuery(((Term("dear"),), (Term("comr", prefix=True),)))
    assert [h.film_id for h in await films.find_words(half_typed, limit=5)] == [film.id]
    assert len(await films.find_words(words("dear"), limit=5)) == 2
    assert await films.find_words(words("zzz"), limit=5) == []


async def test_find_words_groups_prefixes_order_and_limit_agree_on_both_backends(films: FilmStore) -> None:
    """The word stage of a look-up: a name needs a term of every group (or of any, with
    any_group), a prefix term is a range, hits come in the names' insertion order up to the limit,
    and a word repeated in a name or a term repeated in a group counts once."""
    dune = await films.add(FilmInput(title="Dune", year=2021))
    dune_dune = await films.add(FilmInput(title="Dune Dune Dunes", year=1999))
    messiah = await films.add(FilmInput(title="Dune Messiah", year=2030))
    dunkirk = await films.add(FilmInput(title="Dunkirk", year=2017))
    both = WordQuery(((Term("dune"), Term("dune")), (Term("messiah"), Term("mess", prefix=True))))
    assert [h.film_id for h in await films.find_words(both, limit=10)] == [messiah.id]
    assert [h.film_id for h in await films.find_words(both.any_group(), limit=10)] == [
        dune.id, dune_dune.id, messiah.id
    ]
    assert [h.film_id for h in await films.find_words(both.any_group(), limit=2)] == [dune.id, dune_dune.id]
    prefix = WordQuery(((Term("dun", prefix=True),),))
    assert [h.film_id for h in await films.find_words(prefix, limit=10)] == [
        dune.id, dune_dune.id, messiah.id, dunkirk.id
    ]
    # A whole-word term is not a prefix: "dune" does not find "Dunes" alone, nor "dun" anything.
    assert await films.find_words(WordQuery(((Term("dun"),),)), limit=10) == []
    assert [h.film_id for h in await films.find_words(words("dunes"), limit=10)] == [dune_dune.id]
    assert await films.find_words(WordQuery(()), limit=10) == []


def candidates(norm: str, limit: int, *queries: WordQuery, exact: bool = True) -> CandidateQuery:
    return CandidateQuery(norm=norm, limit=limit, exact=exact, words=lambda: queries, word_limit=limit * 2)


async def test_lookup_names_the_film_of_the_first_variant_found(films: FilmStore) -> None:
    """A typed name's exact stage (resolve, find_named): the variants in turn, the first found kept
    as find_exact gives it, and its film with it when the hits are all one film."""
    prestige = await films.add(FilmInput(title="The Prestige", year=2006, aliases=("Prestige Magic",)))
    psycho_new = await films.add(FilmInput(title="Psycho", year=1998))
    psycho_old = await films.add(FilmInput(title="Psycho", year=1960))
    old_prestige = await films.add(FilmInput(title="Prestige", year=1932))

    found = await films.lookup(TitleQuery(("the prestige", "prestige")))
    assert list(found.named) == await films.find_exact("the prestige")
    assert found.film == await films.get(prestige.id) and found.film.aliases == ("Prestige Magic",)  # type: ignore[union-attr]
    # The first variant has no hit: the second's hits are kept (both Prestiges: no film).
    found = await films.lookup(TitleQuery(("the the prestige", "prestige")))
    assert list(found.named) == await films.find_exact("prestige") and found.film is None
    assert {h.film_id for h in found.named} == {prestige.id, old_prestige.id}

    remakes = await films.lookup(TitleQuery(("psycho",)))
    assert [h.film_id for h in remakes.named] == [psycho_old.id, psycho_new.id] and remakes.film is None
    of_1998 = await films.lookup(TitleQuery(("psycho",), 1998))
    assert list(of_1998.named) == await films.find_exact("psycho", 1998)
    assert of_1998.film == await films.get(psycho_new.id)
    # Named: no candidates are looked up (their word queries are built once at most, if at all).
    built: list[str] = []

    def word_queries() -> tuple[WordQuery, ...]:
        built.append("psycho")
        return (words("psycho"),)

    wanted = CandidateQuery("psycho", 10, True, word_queries, 20)
    with_candidates = await films.lookup(TitleQuery(("psycho",), 1960, wanted))
    assert with_candidates == TitleMatches(
        named=tuple(await films.find_exact("psycho", 1960)), film=await films.get(psycho_old.id)
    )
    assert len(built) <= 1
    assert await films.lookup(TitleQuery(("psycho",), 2001)) == TitleMatches()
    assert await films.lookup(TitleQuery(())) == TitleMatches()


async def test_lookup_candidates_are_the_single_look_ups_each_only_when_needed(films: FilmStore) -> None:
    """A name not found exactly: find_exact (any year), find_prefix, names_stamp, and only if those
    give fewer than `limit` films, the word queries in turn until one finds names."""
    for title, year in [("Psycho", 1998), ("Psycho", 1960), ("Psycho II", 1983), ("Psychomania", 1973),
                        ("Dark Orchard", 1956), ("Orchard of Dark Things", 1990), ("The Dark", 2005)]:
        await films.add(FilmInput(title=title, year=year))
    both = WordQuery(((Term("dark"),), (Term("orchard"),), (Term("nowhere"),)))
    stamp = await films.names_stamp()

    wanted = candidates("darx orchard", 10, both, both.any_group(), exact=False)
    found = await films.lookup(TitleQuery(("darx orchard",), None, wanted))
    assert found.named == () and found.film is None and found.exact == () and found.prefixed == ()
    assert found.names_stamp == stamp
    assert found.words is not None and list(found.words) == await films.find_words(both.any_group(), 20)
    assert len(found.words) == 4  # the AND query found nothing, the OR one 4 names ("The Dark" twice)
    first_finds = await films.lookup(TitleQuery((), None, candidates("zzz", 5, both.any_group(), both)))
    assert first_finds.words is not None and list(first_finds.words) == await films.find_words(both.any_group(), 10)
    nothing = await films.lookup(TitleQuery((), None, candidates("zzz", 5, both)))
    assert nothing.words == () and nothing.names_stamp == stamp

    for norm, limit in [("psycho", 10), ("psycho", 3), ("psycho", 2), ("psy", 10), ("dark", 2)]:
        found = await films.lookup(TitleQuery((), None, candidates(norm, limit, WordQuery(((Term("dark"),),)))))
        assert list(found.exact) == await films.find_exact(norm)
        assert list(found.prefixed) == await films.find_prefix(norm, limit)
        enough = len({h.film_id for h in found.exact + found.prefixed}) >= limit
        assert found.words == (None if enough else tuple(await films.find_words(WordQuery(((Term("dark"),),)),
                                                                                 limit * 2)))
    # "psycho" with a limit of 3: three films by exact and prefix hits, no word stage.
    assert (await films.lookup(TitleQuery((), None, candidates("psycho", 3, both.any_group())))).words is None
    without_exact = await films.lookup(TitleQuery((), None, candidates("psycho", 10, exact=False)))
    assert without_exact.exact == () and list(without_exact.prefixed) == await films.find_prefix("psycho", 10)
    assert without_exact.words == ()  # no word queries: the stage ran and found nothing


async def test_word_index_follows_a_stub_completed_in_place(films: FilmStore) -> None:
    stub, created = await films.add_stub("Working Title", 2024)
    assert created and [h.film_id for h in await films.find_words(words("working"), limit=5)] == [stub.id]
    done = await films.add(FilmInput(title="Working Title", year=2024, original_title="Titre Final"))
    assert done.id == stub.id
    assert [h.film_id for h in await films.find_words(words("titre", "final"), limit=5)] == [stub.id]
    assert "titre" in await films.vocabulary()


async def test_popular_offers_the_most_reviewed_then_the_best_known(films: FilmStore, store: Store) -> None:
    quiet = await films.add(FilmInput(title="Quiet", year=2000))
    loud = await films.add(FilmInput(title="Loud", year=2001))
    voted = await films.add(FilmInput(title="Voted", year=2002))
    await execute(store, "UPDATE films SET imdb_votes = 900 WHERE id = ?", voted.id)
    for n in range(2):
        await store.reviews.add(
            ReviewInput(film_id=loud.id, author=f"a{n}", source="test", rating=None, text="x",
                        author_flagged_spoilers=False, content_hash=f"h{n}", sentences=())
        )
    assert [h.film_id for h in await films.popular(2)] == [loud.id, voted.id]
    assert quiet.id not in [h.film_id for h in await films.popular(5)]


async def test_find_by_title_year(films: FilmStore) -> None:
    old = await films.add(FilmInput(title="Dune", year=1984))
    new = await films.add(FilmInput(title="Dune", year=2021, aliases=("Dune: Part One",)))
    assert (await films.find_by_title_year("dune", 2021)).id == new.id  # type: ignore[union-attr]
    assert (await films.find_by_title_year("Dune", 1984)).id == old.id  # type: ignore[union-attr]
    assert await films.find_by_title_year("Dune", 2000) is None
    assert (await films.find_by_title_year("Dune: Part One", None)).id == new.id  # type: ignore[union-attr]


async def test_review_stats_and_get_many(store: Store, films: FilmStore) -> None:
    a = await films.add(FilmInput(title="Arrival", year=2016))
    b = await films.add(FilmInput(title="Get Out", year=2017))
    assert await films.review_stats(a.id) == (0, None)
    for n, rating in enumerate((4.0, 3.5, None)):
        await store.reviews.add(
            ReviewInput(film_id=a.id, author=f"r{n}", source="test", rating=rating, text=f"text {n}",
                        author_flagged_spoilers=False, content_hash=f"h{n}", sentences=())
        )
    assert await films.review_stats(a.id) == (3, 3.75)
    assert [f.id for f in await films.get_many([b.id, a.id, b.id, 999])] == [b.id, a.id]


async def test_stub_films_are_marked(films: FilmStore) -> None:
    stub = await films.add(FilmInput(title="Nomadland", is_stub=True))
    assert stub.is_stub and stub.year is None and stub.label == "Nomadland"


def test_title_variants() -> None:
    assert title_variants("The Prestige") == {"the prestige", "prestige"}
    assert title_variants("A") == {"a"}
    assert title_variants("!!!") == set()


async def test_add_stub_finds_or_creates(films: FilmStore) -> None:
    stub, created = await films.add_stub("Nomadland", 2020)
    assert created and stub.is_stub and stub.label == "Nomadland (2020)"
    again, created_again = await films.add_stub("nomadland!", 2020)
    assert again.id == stub.id and not created_again
    other_year, created_other = await films.add_stub("Nomadland", 1999)
    assert created_other and other_year.id != stub.id


async def test_concurrent_add_stub_creates_one_film(films: FilmStore) -> None:
    import asyncio

    results = await asyncio.gather(*(films.add_stub("Minari", None) for _ in range(20)))
    assert len({film.id for film, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def test_names_stamp_moves_when_names_are_added(films: FilmStore) -> None:
    empty = await films.names_stamp()
    await films.add(FilmInput(title="Arrival", year=2016))
    assert await films.names_stamp() > empty


async def test_a_full_record_completes_the_stub_it_replaces(store: Store, films: FilmStore) -> None:
    stub, _ = await films.add_stub("nomadland", None)
    dated_stub, _ = await films.add_stub("Minari", 2020)
    async with store.unit_of_work() as unit:
        assert await unit.find_film("Nomadland", 2020) is None  # stubs are not complete films
        assert await unit.find_film("Nomadland", None) is None
        full = await unit.add_film(
            FilmInput(title="Nomadland", year=2020, directors=("Chloé Zhao",), aliases=("Nomad Land",))
        )
        again = await unit.add_film(FilmInput(title="Minari", year=2020, genres=("Drama",)))
        another_stub = await unit.add_film(FilmInput(title="Nomadland", is_stub=True))
        assert await unit.find_film("Nomadland", 2020) == stub.id
    assert full == stub.id and again == dated_stub.id and another_stub == stub.id
    completed = await films.get(stub.id)
    assert completed is not None and not completed.is_stub
    assert completed.label == "Nomadland (2020)"
    assert (completed.directors, completed.aliases) == (("Chloé Zhao",), ("Nomad Land",))
    assert {h.film_id for h in await films.find_exact("nomad land")} == {stub.id}
    assert await films.count() == 2


async def test_a_stub_of_another_year_is_another_film(films: FilmStore) -> None:
    stub, _ = await films.add_stub("Suspiria", 1977)
    remake = await films.add(FilmInput(title="Suspiria", year=2018))
    assert remake.id != stub.id and (await films.get(stub.id)).is_stub  # type: ignore[union-attr]


async def test_names_carry_their_films_year_through_changes(films: FilmStore, store: Store) -> None:
    """The (name, year) index is only right if the copied year follows the film's (migration 0005)."""
    stub, _ = await films.add_stub("Nomadland", None)
    assert await films.find_exact("nomadland", 2020) == []
    await execute(store, "UPDATE films SET year = 2020 WHERE id = ?", stub.id)
    assert [h.film_id for h in await films.find_exact("nomadland", 2020)] == [stub.id]
    other = await films.add(FilmInput(title="Nomadland", year=1999, aliases=("Nomad Land",)))
    assert [h.film_id for h in await films.find_exact("nomad land", 1999)] == [other.id]
    assert [h.film_id for h in await films.find_exact("nomadland")] == [other.id, stub.id]
