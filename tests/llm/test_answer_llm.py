"""/ask with the LLM: cited answers, conversation memory within a token budget, guard and fallbacks."""

from __future__ import annotations

import pytest

from bot.app import Services
from bot.errors import BudgetExceeded
from bot.services.summaries import Requester
from bot.tokens import TokenCounter
from tests.fakes.fake_openai import ChatRequest, FakeOpenAI, ServerError
from tests.llm.conftest import OpenLLM, calls, prompt_tokens
from tests.llm.model import PromptModel, grounded, points, review_ids, shown_said, shown_spoiler, two_words


async def test_answers_cite_the_reviews_they_use(llm: Services, fake: FakeOpenAI) -> None:
    answer = await llm.ask.ask("Is the acting in Parasite any good?")
    (request,) = calls(fake, "answer")
    said = grounded(request, "Reviewers praise the {0} and the {1}.", review_ids(request)[0])
    assert answer.engine == "openai:gpt-4o-mini" and answer.text == said
    assert answer.film is not None and answer.film.title == "Parasite"
    cited = review_ids(request)[:1]
    assert [s.review_id for s in answer.sources] == cited
    assert all(s.film_label == "Parasite (2019)" and s.author for s in answer.sources)
    assert answer.input_tokens > 0 and answer.as_json()["engine"] == "openai:gpt-4o-mini"
    assert "No spoilers" in request.system and "Question: Is the acting in Parasite any good?" in request.user


async def test_follow_ups_see_the_earlier_turns(llm: Services, fake: FakeOpenAI) -> None:
    first = await llm.ask.ask("How is the music in The Prestige?", conversation="terminal:s1")
    await llm.ask.ask("And is it scary?", conversation="terminal:s1")
    second = calls(fake, "answer")[1]
    roles = [m["role"] for m in second.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert second.messages[1]["content"] == "How is the music in The Prestige?"
    assert second.messages[2]["content"] == first.text
    assert "Prestige" in second.user, "the conversation's film carries over"


async def test_history_is_pruned_to_the_token_budget(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(conversation_token_budget=120) as services:
        for n in range(6):
            await services.ask.ask(f"Question {n}: what do reviewers think of the acting in Se7en?", conversation="c")
        last = calls(fake, "answer")[-1]
        history = last.messages[1:-1]
        assert 0 < len(history) < 10
        counter = TokenCounter("gpt-4o-mini")
        assert sum(counter.count(m["content"]) for m in history) <= 120
        assert "Question 4" in history[-2]["content"], "the newest turns are kept"


async def test_a_small_context_window_drops_old_turns_then_passages(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(llm_context_window=1600, llm_max_output_tokens=300, conversation_token_budget=1500) as services:
        for n in range(4):
            question = f"Question {n}: is the photography of Dune (2021) any good, how are the actors and the score?"
            await services.ask.ask(question, conversation="tight")
        for request in calls(fake, "answer"):
            assert prompt_tokens(request) + request.body["max_tokens"] <= 1600


async def test_spoiler_free_follow_ups_do_not_carry_earlier_spoilers(
    llm: Services, fake: FakeOpenAI, model: PromptModel
) -> None:
    def opinion_and_reveal(r: ChatRequest) -> str:
        said = shown_said(r)
        assert said, "the question asks about the acting too: safe passages are shown"
        rid = next(iter(said))
        first_word, second_word = two_words(said[rid])
        opinion = f"Reviewers love the {first_word} and the {second_word}."
        return points((opinion, [rid], False), (shown_spoiler(r), review_ids(r), True))

    model.overrides["answer"] = opinion_and_reveal
    first = await llm.ask.ask(
        "Is the acting in The Prestige good, and how does it end? Is Borden a twin?", conversation="x", spoilers=True
    )
    reveal = shown_spoiler(calls(fake, "answer")[0])
    assert reveal and f"||{reveal}||" in first.text
    opinion = first.text.split(" ||")[0]
    assert opinion.startswith("Reviewers love the ") and "||" not in opinion, first.text
    second = await llm.ask.ask("Is the acting good?", conversation="x")
    request = calls(fake, "answer")[-1]
    assert reveal not in request.text, "the spoiler span of the earlier answer stays out"
    assert opinion in request.text
    assert reveal not in second.text and "Spoiler-free" in second.notes[0]


async def test_an_llm_failure_gives_the_offline_answer_with_a_note(llm: Services, fake: FakeOpenAI) -> None:
    fake.script(ServerError())
    answer = await llm.ask.ask("Is the acting in Se7en any good?")
    assert answer.engine == "offline"
    assert answer.notes[0] == "The LLM was unavailable (server error); this is the offline answer."
    assert not any("no LLM is configured" in n for n in answer.notes)
    assert "What reviewers say" in answer.text and answer.sources


async def test_no_film_and_nothing_found_needs_no_llm(llm: Services, fake: FakeOpenAI) -> None:
    answer = await llm.ask.ask("Hmm?")
    assert answer.engine == "offline" and fake.requests == []


async def test_questions_across_films_label_each_source(llm: Services, fake: FakeOpenAI) -> None:
    answer = await llm.ask.ask("Which films have a memorable score and music?")
    assert answer.film is None and answer.engine == "openai:gpt-4o-mini"
    assert answer.sources and all(s.film_label for s in answer.sources)


async def test_leaky_answers_are_guarded(llm: Services, model: PromptModel) -> None:
    lines: list[str] = []

    def leaky(r: ChatRequest) -> str:
        lines[:] = [grounded(r, "Reviewers find it {0} and {1}.", review_ids(r)[0]),
                    "Malcolm has been a ghost the whole time.",
                    grounded(r, "Reviewers single out the {0} and the {1}.", review_ids(r)[0], skip=2)]
        return points(*((line, review_ids(r)[:1], False) for line in lines))

    model.overrides["answer"] = leaky
    answer = await llm.ask.ask("Is The Sixth Sense good? How is the acting?")
    assert answer.text == f"{lines[0]} {lines[2]}"
    assert "ghost" not in answer.text


async def test_the_budget_applies_to_answers(open_llm: OpenLLM, fake: FakeOpenAI) -> None:
    async with open_llm(llm_daily_tokens_per_user=1) as services:
        # A call is paid for before it is sent (its prompt and output cap are reserved), so an
        # allowance too small for one call sends nothing at all.
        with pytest.raises(BudgetExceeded):
            await services.ask.ask("Is Se7en scary?", requester=Requester("ann"))
        assert len(fake.requests) == 0


async def test_an_answer_about_ratings_is_kept_when_its_numbers_are_the_films_and_dropped_when_invented(
    llm: Services, model: PromptModel
) -> None:
    """The average rating is in the film block the model reads; a rating nobody gave is invented."""
    film = await llm.films.resolve("Parasite")
    average = (await llm.films.facts(film)).average_rating
    assert average is not None
    told = f"Reviewers rate it {average:.1f}/5 on average."
    model.overrides["answer"] = lambda r: points((told, review_ids(r)[:1], False))
    assert (await llm.ask.ask("What do reviewers rate Parasite?")).text == told
    model.overrides["answer"] = lambda r: points(("Reviewers rate it 1/5 on average.", review_ids(r)[:1], False))
    assert "1/5" not in (await llm.ask.ask("What do reviewers rate Parasite?", conversation="other")).text
