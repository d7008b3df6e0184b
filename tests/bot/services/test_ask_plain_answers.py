"""/ask says plainly when the stored reviews can't answer: small talk, questions about the whole
library, and how a film ends in spoiler-free mode (pointing to spoiler mode)."""

from __future__ import annotations

import pytest

from bot.app import Services
from bot.services.ask import LIBRARY_WIDE, NOT_A_QUESTION, SPOILER_MODE_HINT


@pytest.mark.parametrize("talk", ["hello", "Thanks, bot!", "hi there", "ok"])
async def test_small_talk_is_not_read_as_a_question_about_the_remembered_film(services: Services, talk: str) -> None:
    await services.ask.ask("is the acting in Parasite any good?", conversation="t:small")
    answer = await services.ask.ask(talk, conversation="t:small")
    assert answer.text == NOT_A_QUESTION and not answer.sources


@pytest.mark.parametrize("question", [
    "what is the scariest film here?", "which movie has the best music?", "what are the funniest films?",
    "any films in the library about magicians?",
])
async def test_questions_about_the_whole_library_say_so(services: Services, question: str) -> None:
    await services.ask.ask("is the acting in Parasite any good?", conversation="t:lib")
    for conversation in ("t:lib", None):  # with a film remembered, and without
        answer = await services.ask.ask(question, conversation=conversation)
        assert answer.text == LIBRARY_WIDE and not answer.sources, question


@pytest.mark.parametrize(
    "question", ["how does Se7en end?", "who dies in The Prestige?", "what's the twist in Psycho (1960)?"]
)
async def test_how_it_ends_points_to_spoiler_mode(services: Services, question: str) -> None:
    answer = await services.ask.ask(question)
    assert SPOILER_MODE_HINT in "\n".join([answer.text, *answer.notes])  # with spoiler-free quotes on a topic
    revealed = await services.ask.ask(question, spoilers=True)
    assert SPOILER_MODE_HINT not in revealed.text + " ".join(revealed.notes)


async def test_ordinary_questions_are_still_answered(services: Services) -> None:
    answer = await services.ask.ask("is the acting in Parasite any good?", conversation="t:ok")
    assert answer.sources and "acting" in answer.text
    follow_up = await services.ask.ask("and the music?", conversation="t:ok")
    assert follow_up.sources and "Parasite" in follow_up.text
    similar = await services.ask.ask("anything like Parasite?")
    assert "close to" in similar.text
    ending = await services.ask.ask("how does Se7en end?")
    assert ending.text == SPOILER_MODE_HINT, "words matching 'end' are no answer"
    unknown = await services.ask.ask("is the catering in Parasite any good?")
    assert unknown.text == "None of the stored reviews of **Parasite (2019)** talk about that."


async def test_offline_history_counts_never_fall_below_the_tokens_a_model_would_read(services: Services) -> None:
    """Without a model the tokenizer is not loaded (a one-shot `ask` starts faster); the stored counts are
    an upper bound, so a model added later keeps less history, never more than its budget."""
    from bot.tokens import TokenCounter

    await services.ask.ask("Is the acting in Parasite any good? Ünïcode and emoji 🎬 too.", conversation="t:count")
    conversation_id = await services.store.conversations.ensure("t:count", None, None)
    turns = await services.store.conversations.recent_turns(conversation_id, 10**9)
    counter = TokenCounter()
    assert len(turns) == 2 and all(turn.tokens >= counter.count(turn.content) for turn in turns)
