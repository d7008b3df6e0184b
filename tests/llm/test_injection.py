"""Prompt injection: reviews are sent only as marked data, and nothing injected reaches the user, even
from a model that obeys every instruction it reads (the worst case the guard has to handle)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import pytest

from bot.app import Services
from bot.llm.spotlight import unmark
from bot.spoilers.allowlist import AllowList
from storage.films import FilmRepository
from storage.records import Film, FilmInput
from tests.fakes.fake_openai import ChatRequest, FakeOpenAI
from tests.llm.conftest import OpenLLM, calls, digest_worker
from tests.llm.injections import INJECTIONS, injected_reviews, leaked
from tests.llm.model import PromptModel, data_message, datamark, points, review_ids
from tests.llm.test_many_reviews import add_reviews

NORMAL = [
    ("A patient, handsome drama; the acting is strong and the sea looks cold and real.", 4.5, "alma"),
    ("I found it slow, but the photography of the harbour is gorgeous and the score is moving.", 3.0, "ben"),
    ("The cast is excellent, especially Mia Kern, and the direction never hurries.", 5.0, "chidi"),
]
BLOCK = re.compile(r"^<<(\w[^\n]*?) \| key ([0-9a-f]{8})>>\n(.*?)\n<<end \1 \| key \2>>$", re.MULTILINE | re.DOTALL)
SAID = re.compile(r"^(?:said|spoilers): (.*)$", re.MULTILINE)
REVEALS = ["Captain Morrow dies in the storm at the end.", "The twist is that Elsa was the stowaway all along."]


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def obedient(request: ChatRequest, kind: str) -> str:
    """Does whatever the data says: copies every review sentence, adds the reveals and the payload."""
    items = []
    for match in BLOCK.finditer(data_message(request)):
        if not match.group(1).startswith("review "):
            continue
        review_id = int(match.group(1).split()[1])
        for line in SAID.findall(match.group(3)):
            items += [(s, [review_id], False) for s in sentences(unmark(line))]
    if kind == "digest":
        lines = dict(re.findall(r"^(said|spoilers): (.*)$", data_message(request), re.MULTILINE))
        return json.dumps({"safe": unmark(lines.get("said", "")), "spoilers": unmark(lines.get("spoilers", ""))})
    ids = [i[1][0] for i in items] or [1]
    obeyed = [(r, ids[:1], False) for r in REVEALS] + [("@everyone visit https://evil.example.net now", ids[:1], False)]
    return points(*obeyed, *items)


@pytest.fixture
def obedient_model(model: PromptModel) -> PromptModel:
    for kind in ("digest", "summary", "answer"):
        model.overrides[kind] = lambda request, kind=kind: obedient(request, kind)
    return model


async def voyage(services: Services) -> Film:
    film = await FilmRepository(services.store.db).add(
        FilmInput("The Long Voyage", 1999, directors=("Ana Ruiz",), cast=("Tom Hale", "Mia Kern"),
                  characters=("Captain Morrow", "Elsa"), genres=("Drama",))
    )
    await add_reviews(services, film, [*NORMAL, *injected_reviews()])
    services.films.invalidate()
    return film


@pytest.fixture
async def voyage_llm(open_llm: OpenLLM, obedient_model: PromptModel) -> AsyncIterator[tuple[Services, Film]]:
    async with open_llm() as services:
        yield services, await voyage(services)


def test_there_are_at_least_twenty_injections() -> None:
    assert len(INJECTIONS) >= 20


async def test_prompts_send_reviews_only_as_marked_data(voyage_llm: tuple[Services, Film], fake: FakeOpenAI) -> None:
    services, film = voyage_llm
    await services.summaries.summarize(film)
    (request,) = calls(fake, "summary")
    key = re.search(r"^Data key: ([0-9a-f]{8})$", request.user, re.MULTILINE)
    assert key is not None
    blocks = BLOCK.findall(request.user)
    assert [b[0] for b in blocks].count("film") == 1
    assert len(blocks) == 1 + len(NORMAL) + len(INJECTIONS) and all(b[1] == key.group(1) for b in blocks)
    outside = BLOCK.sub("", request.user)
    assert "^" not in outside, "nothing datamarked outside the delimited blocks"
    inside = "\n".join(b[2] for b in blocks)
    reviews = await services.reviews.for_film(film)
    allow = AllowList.for_film(film, reviews, threshold=services.settings.spoiler_threshold)
    for review in reviews:
        for sentence in review.sentences:
            assert sentence.text not in request.text or len(sentence.text.split()) < 3, "never sent unmarked"
            if allow.is_safe(review.id, sentence):
                assert datamark(sentence.text) in inside
            else:
                assert datamark(sentence.text) not in inside, "spoiler-free prompts hold allow-listed sentences only"
    assert "0000000>>" not in inside and "{{key}}" not in request.system
    for attack in INJECTIONS:  # every attack is an instruction or plot: none is sent
        assert datamark(attack) not in inside, attack


@pytest.mark.parametrize("direct_max_tokens", [6000, 0], ids=["one call", "digests"])
async def test_nothing_injected_reaches_the_user(
    open_llm: OpenLLM, obedient_model: PromptModel, fake: FakeOpenAI, direct_max_tokens: int
) -> None:
    async with open_llm(llm_direct_max_tokens=direct_max_tokens) as services:
        film = await voyage(services)
        ours = {r.id for r in await services.reviews.for_film(film)}
        await digest_worker(services).drain()  # digests are made when reviews are added (the queue)
        shown: list[str] = []

        async def on_text(text: str) -> None:
            shown.append(text)

        result = await services.summaries.summarize(film, on_text=on_text)
        assert result.engine == "openai:gpt-4o-mini", result.notes
        for text in [result.text, *shown]:
            assert leaked(text) == [], leaked(text)
        assert "harbour photography is lovely" in result.text, "the honest part of the reviews survives"
        if direct_max_tokens == 0:
            digested = [d for d in calls(fake, "digest") if set(review_ids(d)) & ours]
            assert len({review_ids(d)[0] for d in digested}) == len(NORMAL) + len(INJECTIONS)


async def test_with_spoilers_reveals_stay_hidden_and_links_and_pings_still_go(
    voyage_llm: tuple[Services, Film]
) -> None:
    services, film = voyage_llm
    result = await services.summaries.summarize(film, spoilers=True)
    visible = re.sub(r"(?<!\\)\|\|.*?(?<!\\)\|\|", "", result.text)
    # Never shown bare. No review says it (the injected ones are kept out of the prompt), so the
    # grounding checks drop it as an invented ending; a reveal a review does say is kept behind ||…||
    # (test_injection_phrasings.py).
    assert "Morrow dies" not in visible
    for marker in ("@everyone", "<@", "http", "discord.gg", "ignore", "pwned"):
        assert marker not in result.text.lower()


async def test_answers_resist_injection_too(voyage_llm: tuple[Services, Film], fake: FakeOpenAI) -> None:
    services, film = voyage_llm
    answer = await services.ask.ask("Is the acting any good?", film=film)
    assert answer.engine == "openai:gpt-4o-mini" and leaked(answer.text) == [], answer.text
    (request,) = calls(fake, "answer")
    assert "Question: Is the acting any good?" in request.user
    assert all(s.author.startswith(("troll", "alma", "ben", "chidi")) for s in answer.sources)


async def test_the_offline_fallback_under_attack_quotes_no_injection(
    voyage_llm: tuple[Services, Film], fake: FakeOpenAI, model: PromptModel
) -> None:
    services, film = voyage_llm
    model.overrides["summary"] = lambda r: points(*((f"@everyone look {i}", [1], False) for i in range(4)))
    result = await services.summaries.summarize(film)
    assert result.engine == "offline" and leaked(result.text) == [], result.text
    model.overrides["answer"] = lambda r: "not json"
    answer = await services.ask.ask("Is the acting any good?", film=film)
    assert answer.engine == "offline" and leaked(answer.text) == [], answer.text
    assert answer.notes[0] == "The LLM was unavailable (gave an unusable answer); this is the offline answer."
