"""`SummaryService` with the LLM engine against the fake server: answers, fallbacks, cache, budgets, streaming."""

from __future__ import annotations

import json
import time

import pytest

from bot.app import Services
from bot.errors import BudgetExceeded
from bot.llm import summary_engine
from bot.llm.guard import GuardedPoint
from bot.llm.keep import FILLED_NOTE, fill_from_offline
from bot.llm.schema import Point
from bot.llm.summary_engine import NOTHING_SAFE, render_summary
from bot.services.summaries import Requester
from bot.spoilers.allowlist import AllowList
from bot.summarize.offline import PLOT_LABEL, summarize_offline
from storage.films import FilmRepository
from storage.records import FilmInput
from tests.fakes.fake_openai import (
    Behaviour,
    ChatRequest,
    ContentFiltered,
    ContextLength,
    FakeOpenAI,
    Hang,
    Malformed,
    RateLimit,
    Reply,
    ServerError,
    Truncated,
)
from tests.llm.conftest import OpenLLM, calls
from tests.llm.model import SAFE_LINES, PromptModel, datamark, grounded, points, review_ids
from tests.llm.test_many_reviews import add_reviews


async def test_the_llm_writes_the_summary_and_says_so(llm: Services, fake: FakeOpenAI, model: PromptModel) -> None:
    assert llm.engine_name == "openai:gpt-4o-mini"
    result = await llm.summaries.summarize("Parasite")
    assert result.engine == "openai:gpt-4o-mini" and not result.cached
    assert result.text.startswith("**Parasite (2019)** · 4 reviews")
    assert model.summary_lines and all(line in result.text for line in model.summary_lines)
    assert result.input_tokens > 500 and result.output_tokens > 10
    data = result.as_json()
    assert (data["engine"], data["input_tokens"], data["cached"]) == ("openai:gpt-4o-mini", result.input_tokens, False)
    assert set(result.sources) <= {r.id for r in await llm.reviews.for_film(result.film)}
    (request,) = calls(fake)
    assert request.body["model"] == "gpt-4o-mini" and request.body["max_tokens"] == 700
    assert request.headers["Authorization"] == "Bearer not-needed", "keyless local servers get a placeholder"


async def test_spoiler_free_prompts_hold_only_safe_sentences_marked_as_data(llm: Services, fake: FakeOpenAI) -> None:
    film = await llm.films.resolve("The Sixth Sense")
    await llm.summaries.summarize(film)
    (request,) = calls(fake, "summary")
    reviews = await llm.reviews.for_film(film)
    allow = AllowList.for_film(film, reviews, threshold=llm.settings.spoiler_threshold)
    for review in reviews:
        for sentence in review.sentences:
            marked = datamark(sentence.text)
            if allow.is_safe(review.id, sentence):
                assert marked in request.user, "safe sentences are sent, datamarked"
            else:
                assert marked not in request.user and sentence.text not in request.user
    assert "characters:" not in request.user, "character names stay out of spoiler-free prompts"


async def test_no_llm_configured_means_the_offline_engine(services: Services) -> None:
    result = await services.summaries.summarize("Parasite")
    assert services.engine_name == result.engine == "offline" and result.input_tokens == 0


async def test_cache_hits_cost_no_call_and_new_or_deleted_reviews_invalidate_that_film_only(
    llm: Services, fake: FakeOpenAI
) -> None:
    first = await llm.summaries.summarize("Parasite")
    await llm.summaries.summarize("Se7en")
    assert len(fake.requests) == 2
    started = time.perf_counter()
    again = await llm.summaries.summarize("parasite")
    elapsed = time.perf_counter() - started
    assert again.cached and again.text == first.text and again.as_json()["cached"] is True
    assert (again.input_tokens, again.output_tokens) == (first.input_tokens, first.output_tokens)
    assert len(fake.requests) == 2 and elapsed < 0.25, elapsed
    added = await llm.reviews.add(
        first.film, text="A late addition: the ensemble is superb and the house is a marvel of design.", author="late"
    )
    fresh = await llm.summaries.summarize("Parasite")
    assert not fresh.cached and len(fake.requests) == 3
    assert (await llm.summaries.summarize("Se7en")).cached, "other films keep their cache"
    await llm.reviews.delete(added.review_id)
    assert not (await llm.summaries.summarize("Parasite")).cached
    assert len(fake.requests) == 4



async def test_cached_llm_summaries_are_made_again_when_the_allow_list_changes(
    open_llm: OpenLLM, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A summary cached under older spoiler rules must not outlive them: the allow-list version is in its key."""
    async with open_llm() as services:
        assert not (await services.summaries.summarize("Parasite")).cached
        assert (await services.summaries.summarize("Parasite")).cached
    monkeypatch.setattr(summary_engine, "ALLOWLIST_VERSION", summary_engine.ALLOWLIST_VERSION + 1)
    async with open_llm() as services:
        assert not (await services.summaries.summarize("Parasite")).cached
    assert len(fake.requests) == 2

FAILURES: list[tuple[list[Behaviour], str, int]] = [
    ([RateLimit(retry_after=None)], "rate limited", 1),
    ([ServerError()], "server error", 1),
    ([Hang(seconds=30)], "timed out", 1),
    ([ContextLength()], "the request was too long for the model", 1),
    ([ContentFiltered()], "refused the request", 1),
    ([Malformed(), Malformed()], "gave an unusable answer", 2),
    ([Reply("not json"), Reply('{"points": "x"}')], "gave an unusable answer", 2),
    ([Reply(""), Reply("")], "gave an unusable answer", 2),
]


@pytest.mark.parametrize(("script", "reason", "requests"), FAILURES, ids=[f[1] + str(len(f[0])) for f in FAILURES])
async def test_any_llm_failure_still_answers_offline_with_a_note_and_is_not_cached(
    llm: Services, fake: FakeOpenAI, script: list[Behaviour], reason: str, requests: int
) -> None:
    fake.script(*script)
    result = await llm.summaries.summarize("Se7en")
    assert result.engine == "offline" and not result.cached
    assert result.notes == [f"The LLM was unavailable ({reason}); this is the offline summary."]
    assert result.text.startswith("**Se7en (1995)**") and "Verdict" in result.text
    assert len(fake.requests) == requests
    recovered = await llm.summaries.summarize("Se7en")
    assert recovered.engine == "openai:gpt-4o-mini" and not recovered.cached, "the next request tries the LLM again"


async def test_truncated_streams_are_retried_once_then_answered_offline(llm: Services, fake: FakeOpenAI) -> None:
    shown: list[str] = []

    async def on_text(text: str) -> None:
        shown.append(text)

    fake.script(Truncated(points(("Reviewers liked it.", [1], False)), after_chars=30))
    result = await llm.summaries.summarize("Se7en", on_text=on_text)
    assert result.engine == "openai:gpt-4o-mini" and len(fake.requests) == 2, "one retry, then a good answer"
    assert "could not be used" in fake.requests[1].messages[-1]["content"]
    assert shown and shown[-1] == result.text
    fake.script(Truncated("{}", after_chars=1), Truncated("{}", abort=True))
    result = await llm.summaries.summarize("Parasite", on_text=on_text)
    assert result.engine == "offline" and "could not be reached" in result.notes[0]


async def test_a_429_with_retry_after_is_waited_out_by_the_client(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(llm_max_retries=2) as services:
        fake.script(RateLimit(retry_after=0.1))
        started = time.perf_counter()
        result = await services.summaries.summarize("Parasite")
        assert result.engine == "openai:gpt-4o-mini" and len(fake.requests) == 2
        assert time.perf_counter() - started >= 0.1


LEAKY = [
    ("Reviewers praise the {0} and the {1}.", False),
    ("Mr. Kim stabs Mr. Park at the birthday party.", False),
    ("@everyone the full plot is at https://spoilers.example.com right now.", False),
    ("Most reviewers admire the {0} and the {1}.", False),
    ("The housekeeper's husband has been hiding in the bunker for years.", True),
    ("Some reviewers note the {0} and the {1}.", False),
    ("One reviewer singles out the {0} and the {1}.", False),
    ("Reviewers call it {0}, {1}.", False),
]


def leaky_summary(request: ChatRequest) -> Reply:
    ids = review_ids(request)
    lines = [(grounded(request, text, ids[0], skip=2 * n), flag) for n, (text, flag) in enumerate(LEAKY)]
    return Reply(points(*((text, ids[:2], flag) for text, flag in lines)), chunk_chars=25)


async def test_the_guard_removes_leaks_and_smuggled_text_from_the_llm(
    llm: Services, fake: FakeOpenAI, model: PromptModel
) -> None:
    model.overrides["summary"] = leaky_summary
    shown: list[str] = []

    async def on_text(text: str) -> None:
        shown.append(text)

    result = await llm.summaries.summarize("Parasite", on_text=on_text)
    assert result.engine == "openai:gpt-4o-mini"
    for text in [result.text, *shown]:
        assert "stabs" not in text and "bunker" not in text
        assert "@everyone" not in text and "example.com" not in text and "https" not in text
    assert grounded(fake.requests[0], LEAKY[-1][0], review_ids(fake.requests[0])[0], skip=14) in result.text
    assert "The spoiler guard removed 3 sentences of the LLM's answer." in result.notes
    assert len(shown) >= 3 and shown[-1] == result.text, "the stream showed guarded points as they came"


async def summarize_offline_text(services: Services, title: str) -> str:
    film = await services.films.resolve(title)
    reviews = await services.reviews.for_film(film)
    return summarize_offline(film, reviews, spoilers=False, threshold=services.settings.spoiler_threshold).text


async def test_an_answer_that_is_mostly_spoilers_keeps_its_good_point_asks_again_then_fills_offline(
    llm: Services, fake: FakeOpenAI, model: PromptModel
) -> None:
    model.overrides["summary"] = lambda r: points(
        (grounded(r, "Reviewers praise the {0}.", review_ids(r)[0]), review_ids(r)[:1], False),
        ("Mr. Kim stabs Mr. Park at the birthday party.", review_ids(r)[:1], False),
        ("The housekeeper's husband lives in the bunker.", review_ids(r)[:1], True),
    )
    result = await llm.summaries.summarize("Parasite")
    first, retry = calls(fake, "summary")
    assert "Only 1 of your points could be used" in retry.messages[-1]["content"], "one stricter retry"
    good = grounded(first, "Reviewers praise the {0}.", review_ids(first)[0])
    assert result.engine == "openai:gpt-4o-mini" and good in result.text, result.text
    assert "stabs" not in result.text and "bunker" not in result.text
    assert FILLED_NOTE in result.notes and len(result.text.splitlines()) > 2, "the other aspects from offline"
    offline = await summarize_offline_text(llm, "Parasite")
    added = [line.removeprefix("• ") for line in result.text.splitlines()[2:]]
    assert added and all(line in offline for line in added), "filled with the offline summary's lines"


async def test_an_answer_with_nothing_usable_twice_is_answered_offline(
    llm: Services, fake: FakeOpenAI, model: PromptModel
) -> None:
    model.overrides["summary"] = lambda r: points(
        ("Mr. Kim stabs Mr. Park at the birthday party.", review_ids(r)[:1], False),
        ("The housekeeper's husband lives in the bunker.", review_ids(r)[:1], True),
    )
    result = await llm.summaries.summarize("Parasite")
    assert result.engine == "offline" and len(calls(fake, "summary")) == 2
    assert "stabs" not in result.text and "bunker" not in result.text and not result.cached


async def test_spoilers_mode_hides_each_reveal_behind_bars(llm: Services, fake: FakeOpenAI, model: PromptModel) -> None:
    model.overrides["summary"] = lambda r: points(
        ("Reviewers praise the rain-soaked city and the two leads.", review_ids(r)[:1], False),
        ("The box in the desert holds Tracy's head.", review_ids(r)[:1], True),
        ("John Doe turns himself in and Mills kills him.", review_ids(r)[:1], False),  # unflagged: the guard hides it
    )
    result = await llm.summaries.summarize("Se7en", spoilers=True)
    assert result.engine == "openai:gpt-4o-mini" and result.mode == "spoilers"
    assert "• Reviewers praise the rain-soaked city and the two leads." in result.text
    assert "• ||The box in the desert holds Tracy's head.||" in result.text
    assert "• ||John Doe turns himself in and Mills kills him.||" in result.text
    (request,) = calls(fake, "summary")
    assert "spoilers: " in request.user and "characters: " in request.user
    assert "Spoiler-free" not in request.system


ALLOWANCE = 20_000  # one summary's reservation (its prompt and output cap) fits


async def spend_the_rest(services: Services, *, user_id: str | None = None, guild_id: str | None = None) -> None:
    """Use up today's allowance (as other calls earlier in the day would have)."""
    await services.store.usage.record(
        user_id=user_id, guild_id=guild_id, purpose="earlier", input_tokens=ALLOWANCE, output_tokens=0
    )


async def test_the_daily_budget_is_checked_before_any_call(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(llm_daily_tokens_per_user=ALLOWANCE) as services:
        me = Requester("alice", "guild-1")
        first = await services.summaries.summarize("Parasite", requester=me)
        assert first.engine == "openai:gpt-4o-mini"
        await spend_the_rest(services, user_id="alice")
        with pytest.raises(BudgetExceeded, match="today's LLM allowance"):
            await services.summaries.summarize("Se7en", requester=me)
        assert len(fake.requests) == 1, "nothing was sent"
        cached = await services.summaries.summarize("Parasite", requester=me)
        assert cached.cached, "summaries made earlier still work"
        other = await services.summaries.summarize("Se7en", requester=Requester("bob", "guild-1"))
        assert other.engine == "openai:gpt-4o-mini", "budgets are per user"


async def test_the_guild_budget_covers_everyone_in_it(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(llm_daily_tokens_per_guild=ALLOWANCE) as services:
        await services.summaries.summarize("Parasite", requester=Requester("alice", "g"))
        await spend_the_rest(services, guild_id="g")
        with pytest.raises(BudgetExceeded, match="This server used today's LLM allowance"):
            await services.summaries.summarize("Se7en", requester=Requester("bob", "g"))
        elsewhere = await services.summaries.summarize("Se7en", requester=Requester("bob", "other-guild"))
        assert elsewhere.engine == "openai:gpt-4o-mini"


async def test_a_film_whose_reviews_are_all_spoilers_needs_no_call_in_spoiler_free_mode(
    llm: Services, fake: FakeOpenAI
) -> None:
    film = await FilmRepository(llm.store.db).add(FilmInput("Hidden Depths", 2001))
    await llm.reviews.add(
        film, text="||The butler did it and the heroine dies in the last scene, which I loved.||", author="x"
    )
    result = await llm.summaries.summarize(film)
    assert fake.requests == [] and result.notes == [NOTHING_SAFE]
    assert (await llm.summaries.summarize(film, spoilers=True)).engine == "openai:gpt-4o-mini"


async def test_an_allowance_of_zero_switches_the_llm_off(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(llm_daily_tokens_per_guild=0) as services:
        with pytest.raises(BudgetExceeded, match="switched off for this server"):
            await services.summaries.summarize("Parasite", requester=Requester("ann", "g"))
        terminal = await services.summaries.summarize("Parasite")
        assert terminal.engine == "openai:gpt-4o-mini", "no guild, no guild budget"
        assert len(fake.requests) == 1


async def test_the_optional_llm_spoiler_check_removes_what_it_flags_and_fails_closed(
    open_llm: OpenLLM, fake: FakeOpenAI, model: PromptModel
) -> None:
    async with open_llm(llm_spoiler_check=True) as services:
        model.overrides["check"] = lambda r: '{"spoiler_sentences": [2]}'
        result = await services.summaries.summarize("Parasite")
        assert [kind for kind in ("summary", "check") if calls(fake, kind)] == ["summary", "check"]
        (check,) = calls(fake, "check")
        first, second = model.summary_lines[:2]
        assert f"1: {datamark(first)}" in check.user, "the draft goes as marked data"
        assert second not in result.text and first in result.text
        assert "The spoiler guard removed 1 sentence of the LLM's answer." in result.notes
        model.overrides["check"] = lambda r: "no idea"
        failed = await services.summaries.summarize("Se7en")
        assert failed.engine == "offline" and "gave an unusable answer" in failed.notes[0]


async def test_a_title_with_markup_cannot_open_or_close_the_headers_spans(llm: Services, fake: FakeOpenAI) -> None:
    film = await FilmRepository(llm.store.db).add(FilmInput("||Hidden** <@1> " + "x" * 200, 2001))
    await llm.reviews.add(film, text="The acting is warm and the photography is lovely throughout.", author="a")
    result = await llm.summaries.summarize(film)
    header = result.text.splitlines()[0]
    assert header.startswith("**\\|\\|Hidden\\*\\* \\<@") and header.count("**") == 2, header
    assert len(header) < 220 and "…" in header, "a long imported title is cut"


async def test_a_retry_that_echoes_our_stricter_instruction_shows_none_of_it(
    llm: Services, fake: FakeOpenAI, model: PromptModel
) -> None:
    echo = (
        "Every point is one short sentence in your own words about what the reviewers think of the film's "
        "craft (acting, direction, writing, look, sound, pacing, tone) or their verdict."
    )

    def answer(r: ChatRequest) -> str:
        good = (grounded(r, "Reviewers praise the {0}.", review_ids(r)[0]), review_ids(r)[:1], False)
        retried = "Write the answer again" in r.messages[-1]["content"]
        return points(good, (echo, review_ids(r)[:1], False)) if retried else points(
            good, ("Mr. Kim stabs Mr. Park at the birthday party.", review_ids(r)[:1], False)
        )

    model.overrides["summary"] = answer
    result = await llm.summaries.summarize("Parasite")
    assert len(calls(fake, "summary")) == 2, "asked once more, stricter"
    assert "own words" not in result.text and "Every point" not in result.text, result.text
    assert "stabs" not in result.text


async def test_a_stricter_retry_that_times_out_keeps_the_first_answers_good_point(
    llm: Services, fake: FakeOpenAI, model: PromptModel
) -> None:
    def answer(r: ChatRequest) -> str | Hang:
        if "Write the answer again" in r.messages[-1]["content"]:
            return Hang(seconds=5)
        return points(
            (grounded(r, "Reviewers praise the {0}.", review_ids(r)[0]), review_ids(r)[:1], False),
            ("Mr. Kim stabs Mr. Park at the birthday party.", review_ids(r)[:1], False),
        )

    model.overrides["summary"] = answer
    result = await llm.summaries.summarize("Parasite")
    first = calls(fake, "summary")[0]
    assert len(calls(fake, "summary")) >= 2, "the stricter retry was asked"
    assert result.engine == "openai:gpt-4o-mini", result.notes
    assert grounded(first, "Reviewers praise the {0}.", review_ids(first)[0]) in result.text
    assert "stabs" not in result.text and FILLED_NOTE in result.notes


@pytest.mark.parametrize(("spoilers", "plot"), [(False, False), (True, True)])
async def test_only_a_spoilers_summary_may_have_plot_points(
    open_llm: OpenLLM, fake: FakeOpenAI, spoilers: bool, plot: bool
) -> None:
    """The 1.5B model opened spoiler-free answers with the premise retold (removed as unsupported: a
    wasted first point, then a retry); the schema offers `plot` in spoilers mode only."""
    async with open_llm() as services:
        await services.summaries.summarize("Se7en", spoilers=spoilers)
    (request,) = calls(fake, "summary")
    schema = request.body["response_format"]["json_schema"]["schema"]
    aspects = schema["properties"]["points"]["items"]["properties"]["aspect"]["enum"]
    assert ("plot" in aspects) is plot and "verdict" in aspects and "acting" in aspects


async def test_a_review_not_digested_yet_is_shown_by_its_opinions_not_its_preamble(
    open_llm: OpenLLM, fake: FakeOpenAI
) -> None:
    """Reviews by outsiders often open with the reviewer's evening; shown by their first 60 words, the
    model saw no opinion and wrote generic ones of its own (dropped as unsupported: summaries went offline)."""
    preamble = [  # sentences the allow-list lets through, with no opinion in them
        "This is the third film by this director that I have seen this year, and I saw it with two friends "
        "from my film club.",
        "The film runs a little over two hours and is the second feature by this director after a long career "
        "in television.",
    ]
    opinion = "The score is haunting, the editing is precise and the cinematography is the best I have seen all year."
    async with open_llm(llm_direct_max_tokens=0) as services:  # every review goes through a digest
        film = await FilmRepository(services.store.db).add(FilmInput("Quiet Harbour", 2004, directors=("Ana Ruiz",)))
        services.films.invalidate()
        await add_reviews(services, film, [(" ".join([*preamble, opinion]), 4.0, "outsider")])
        result = await services.summaries.summarize(film)
    assert any("still being read in the background" in note for note in result.notes), result.notes
    (summary,) = calls(fake, "summary")
    assert datamark(opinion) in summary.user or opinion in summary.user
    assert "television" not in summary.user, "the preamble gave way to the opinion within 60 words"


@pytest.mark.parametrize("spoilers", [True, False])
async def test_a_plot_point_that_retells_the_premise_is_supported_in_spoilers_mode_only(
    llm: Services, model: PromptModel, spoilers: bool
) -> None:
    """Spoilers mode shows the model the film's premise: retelling it is no invention. A spoiler-free summary
    has no plot points, and the premise supports nothing there."""
    retold = "Jobless and crammed, the Kims make themselves indispensable through tutoring."
    model.overrides["summary"] = lambda r: points(
        (grounded(r, "Reviewers praise the {0} and the {1}.", review_ids(r)[0]), review_ids(r)[:1], False),
        (retold, review_ids(r)[:1], True),
    )
    result = await llm.summaries.summarize("Parasite", spoilers=spoilers)
    assert result.engine == "openai:gpt-4o-mini"
    assert (f"||{retold}||" in result.text) is spoilers
    assert "indispensable" not in result.text.replace(f"||{retold}||", "")


async def test_a_spoilers_summary_of_plot_points_alone_gets_the_reviews_opinions_from_offline(
    llm: Services, fake: FakeOpenAI, model: PromptModel
) -> None:
    """Plot points summarise no review's opinion: the 1.5B model's whole spoilers-mode answer was two
    `plot` points for three of 26 real-world films, shown with no opinion at all."""

    def answer(r: ChatRequest) -> str:
        ids = review_ids(r)[:2]
        plot = [
            {"text": grounded(r, template, i), "sources": [i], "spoiler": True, "aspect": "plot"}
            for template, i in zip(SAFE_LINES, ids, strict=False)
        ]
        return json.dumps({"points": plot})

    model.overrides["summary"] = answer
    result = await llm.summaries.summarize("Se7en", spoilers=True)
    lines = result.text.splitlines()
    assert result.engine == "openai:gpt-4o-mini" and FILLED_NOTE in result.notes, result.notes
    assert sum(f"**{PLOT_LABEL}**" in line for line in lines) == 1, "one plot line: the model's, not offline's too"
    assert any(line.startswith("• **Verdict**") for line in lines), result.text
    assert len(lines) > 3, "the reviews' opinions, from the offline summary"


def test_a_filled_summary_shows_each_aspect_once_under_the_offline_summarys_heading() -> None:
    """The model's `tone` was headed "Tone" and the offline summary's same aspect "Mood": a filled
    summary showed the aspect twice."""
    point = Point("Reviewers find it tense throughout.", (1,), False, aspect="tone")
    llm_text = render_summary("**Heat (1995)**", [(point, GuardedPoint(point.text, (1,)))])
    offline = "**Heat (1995)**\n**Mood**: Two of three praise it (“tense”).\n**Acting**: One praises it (“De Niro”)."
    text, added = fill_from_offline(llm_text, offline, 1800)
    assert added == 1 and sum("**Mood**" in line for line in text.splitlines()) == 1, text
