"""Every command, autocomplete and button, driven through the real discord.py client and a fake Discord."""

from __future__ import annotations

import pytest

from bot.discord_app.tree import PICK_TIP
from storage.postgres.db import PostgresDatabase
from tests.bot.discord_app.harness import Harness
from tests.fakes.fake_discord import EPHEMERAL, LOADING

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def film_id(h: Harness, query: str) -> int:
    return (await h.services.films.resolve(query)).id


def buttons(message: dict) -> dict[str, dict]:
    return {b["label"]: b for row in message.get("components", []) for b in row["components"]}


# --- /help and the basics ----------------------------------------------------------------------------
async def test_help_is_private_and_lists_every_command(harness: Harness) -> None:
    ix = await harness.run("help", user=harness.user("newcomer"))
    assert ix.callback_type == 4
    data = ix.callbacks[0].body["data"]
    assert data["flags"] & EPHEMERAL
    names = " ".join(f["name"] for f in data["embeds"][0]["fields"])
    for command in ("/summary", "/film", "/reviews", "/review", "/watchlist", "/ask"):
        assert command in names


async def test_synced_commands_have_the_issue_names_and_options(harness: Harness) -> None:
    commands = {c["name"]: c for c in harness.fake.commands[None]}
    assert set(commands) == {"summary", "film", "reviews", "review", "watchlist", "ask", "help", "privacy", "admin"}

    def options(command: dict) -> dict[str, dict]:
        return {o["name"]: o for o in command.get("options", [])}

    summary = options(commands["summary"])
    assert summary["film"]["autocomplete"] and summary["film"]["required"]
    assert summary["spoilers"]["type"] == 5 and not summary["spoilers"].get("required")
    review = options(commands["review"])
    assert set(review) == {"film", "text", "rating", "spoilers"}
    assert (review["rating"]["min_value"], review["rating"]["max_value"]) == (0.5, 5.0)
    assert not review["rating"].get("required")
    subcommands = options(commands["watchlist"])
    assert set(subcommands) == {"add", "remove", "list", "watched"}
    assert set(options(subcommands["watched"])) == {"film", "rating"}
    assert set(options(commands["ask"])) == {"question", "film"}
    assert set(options(commands["privacy"])) == {"export", "delete"}
    assert set(options(commands["admin"])) == {"delete-review", "settings", "import"}
    for name, command in commands.items():
        assert command["description"]
        if name == "admin":
            continue  # see test_discord_admin.py: servers only, managers only
        assert command["contexts"] == [0, 1], "every other command works in servers and in DMs"
        assert command.get("default_member_permissions") is None, "and for everyone"


# --- autocomplete ---------------------------------------------------------------------------------
async def test_autocomplete_forgives_typos_and_shows_years(harness: Harness) -> None:
    choices = await harness.autocomplete("summary", "film", film="psyco")
    assert [c["name"] for c in choices[:2]] == ["Psycho (1960)", "Psycho (1998)"]
    assert all(c["value"].startswith("film:") for c in choices)
    choices = await harness.autocomplete("film", "film", film="Dear Comrads")
    assert choices[0]["name"].startswith("Dear Comrades!")


async def test_autocomplete_with_nothing_typed_offers_films(harness: Harness) -> None:
    choices = await harness.autocomplete("reviews", "film", film="")
    assert 1 <= len(choices) <= 25
    # The most reviewed films first (every sample film has reviews), each once, with its year.
    assert len({c["value"] for c in choices}) == len(choices)
    assert all(c["name"].endswith(")") for c in choices)


async def test_autocomplete_answers_within_tens_of_milliseconds(harness: Harness) -> None:
    delays = []
    for typed in ("the", "dune", "parasit", "se7", "prestig", "sixth"):
        ix = await harness.fake.autocomplete("summary", "film", film=typed)
        await harness.fake.wait_for(lambda ix=ix: ix.choices is not None)
        assert ix.acked_at is not None
        delays.append(ix.acked_at - ix.sent_at)
    # Gateway in, REST out and the search itself; generous for a loaded CI machine.
    assert max(delays) < 0.25, delays


# --- /summary and "Show spoilers" ------------------------------------------------------------------
async def test_summary_defers_then_answers_with_a_show_spoilers_button(harness: Harness) -> None:
    ix = await harness.run("summary", film="Parasite", user=harness.user("sum1"))
    assert ix.callback_type == 5, "deferred before the summary work"
    assert not ix.callbacks[0].body.get("data", {}).get("flags", 0) & EPHEMERAL
    edits = [r for r in harness.fake.requests_to(ix.token) if r.method == "PATCH"]
    assert edits and edits[0].at >= ix.acked_at
    message = harness.original(ix)
    assert not message["flags"] & (LOADING | EPHEMERAL)
    embed = message["embeds"][0]
    assert embed["title"].startswith("Parasite (2019)") and "spoiler-free" in embed["title"]
    assert "||" not in embed["description"]
    show = buttons(message)["Show spoilers"]
    assert show["custom_id"] == f"rb:spoil:{await film_id(harness, 'Parasite')}"


async def test_show_spoilers_goes_only_to_the_presser(harness: Harness) -> None:
    ix = await harness.run("summary", film="The Sixth Sense", user=harness.user("poster"))
    public = harness.original(ix)
    before = dict(public)
    curious = harness.user("curious")
    press = await harness.press(public["id"], buttons(public)["Show spoilers"]["custom_id"], user=curious)
    assert press.callback_type == 5
    assert press.callbacks[0].body["data"]["flags"] & EPHEMERAL, "the defer itself is ephemeral"
    reveal = harness.original(press)
    assert reveal["flags"] & EPHEMERAL and reveal["id"] != public["id"]
    assert "with spoilers" in reveal["embeds"][0]["title"]
    assert "||" in reveal["embeds"][0]["description"]
    assert harness.fake.messages[public["id"]]["embeds"] == before["embeds"], "the public summary is untouched"


async def test_summary_with_spoilers_in_a_channel_wraps_them(harness: Harness) -> None:
    ix = await harness.run("summary", film="The Sixth Sense", spoilers=True, user=harness.user("bold"))
    message = harness.original(ix)
    assert not message["flags"] & EPHEMERAL
    description = message["embeds"][0]["description"]
    assert "||" in description and description.count("||") % 2 == 0
    assert "Show spoilers" not in buttons(message)


async def test_unknown_film_is_a_short_private_reply_with_suggestions(harness: Harness) -> None:
    ix = await harness.run("summary", film="Parasitez Returns", user=harness.user("typo"))
    assert ix.callback_type == 4, "answered at once, nothing deferred"
    data = ix.callbacks[0].body["data"]
    assert data["flags"] & EPHEMERAL
    assert "couldn't find" in data["content"] and PICK_TIP in data["content"]


async def test_ambiguous_title_offers_the_years(harness: Harness) -> None:
    ix = await harness.run("film", film="Dune", user=harness.user("dune"))
    content = ix.callbacks[0].body["data"]["content"]
    assert "Dune (1984)" in content and "Dune (2021)" in content
    assert ix.callbacks[0].body["data"]["flags"] & EPHEMERAL


# --- /film and its buttons -------------------------------------------------------------------------
async def test_film_card_and_its_buttons(harness: Harness) -> None:
    ix = await harness.run("film", film="film:" + str(await film_id(harness, "Se7en")), user=harness.user("card"))
    assert ix.callback_type == 4
    message = harness.original(ix)
    embed = message["embeds"][0]
    assert embed["title"] == "Se7en (1995)"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "David Fincher" in fields["Directed by"]
    assert fields["Runtime"].endswith("min") and fields["Genres"] and fields["Cast"]
    assert "average from" in fields["Reviews"] or "review" in fields["Reviews"]
    assert set(buttons(message)) == {"Summary", "Add to watchlist"}

    fan = harness.user("fan")
    added = await harness.press(message["id"], buttons(message)["Add to watchlist"]["custom_id"], user=fan)
    body = added.callbacks[0].body
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL and "Added Se7en (1995)" in body["data"]["content"]
    entries = await harness.services.watchlist.list(fan["id"])
    assert [e.title for e in entries] == ["Se7en"]

    summary = await harness.press(message["id"], buttons(message)["Summary"]["custom_id"], user=fan)
    reply = harness.original(summary)
    assert reply["flags"] & EPHEMERAL and "Se7en (1995)" in reply["embeds"][0]["title"]
    assert "Show spoilers" in buttons(reply), "the private summary can reveal spoilers too"


# --- /reviews and /review --------------------------------------------------------------------------
async def test_reviews_hide_spoiler_sentences(harness: Harness) -> None:
    ix = await harness.run("reviews", film="The Sixth Sense", user=harness.user("reader"))
    embed = harness.original(ix)["embeds"][0]
    assert embed["title"] == "Reviews of The Sixth Sense (1999)"
    assert "||" in embed["description"] and embed["description"].count("||") % 2 == 0
    assert len(embed["description"]) <= 4096


async def test_review_is_saved_privately_and_shows_up(harness: Harness) -> None:
    critic = harness.user("critic")
    before = await harness.services.summaries.summarize("Se7en")
    text = (
        "A grim, rain-soaked procedural with superb performances from the whole cast. "
        "The ending, where the killer turns out to be John Doe and the box holds Tracy's head, is devastating."
    )
    ix = await harness.run("review", film="Se7en", text=text, rating=4.5, spoilers=False, user=critic)
    assert ix.callback_type == 5 and ix.callbacks[0].body["data"]["flags"] & EPHEMERAL
    content = harness.original(ix)["content"]
    assert content.startswith("Saved your review of **Se7en (1995)**")
    assert "hidden behind spoiler bars" in content
    stored = [r for r in await harness.services.reviews.for_film(before.film) if r.author_user_id == critic["id"]]
    assert len(stored) == 1 and stored[0].author == "critic" and stored[0].source == "discord"
    after = await harness.services.summaries.summarize("Se7en")
    assert after.review_count == before.review_count + 1 and not after.cached

    again = await harness.run("review", film="Se7en", text=text, user=critic)
    assert "nothing changed" in harness.original(again)["content"]


async def test_review_mistakes_are_answered_at_once(harness: Harness) -> None:
    ix = await harness.run("review", film="Se7en", text="Too short.", user=harness.user("terse"))
    assert ix.callback_type == 4 and "too short" in ix.callbacks[0].body["data"]["content"]
    ix = await harness.run("review", film="Se7en", text="A fine film with a lot to say.", rating=3.3,
                           user=harness.user("odd"))
    assert "half stars" in ix.callbacks[0].body["data"]["content"]


async def test_reviews_paginate_and_others_get_their_own_copy(harness: Harness) -> None:
    film = await harness.services.films.resolve("The Prestige")
    for i in range(12):
        await harness.services.reviews.add(
            film, text=f"Review number {i}: " + "The magic tricks and the rivalry kept me guessing. " * 12,
            author=f"reviewer{i}", rating=4.0,
        )
    owner = harness.user("pager")
    ix = await harness.run("reviews", film="The Prestige", user=owner)
    first = harness.original(ix)
    nav = buttons(first)
    assert nav["Previous"]["disabled"] and not nav["Next"]["disabled"]
    assert first["embeds"][0]["footer"]["text"].startswith("Page 1/")

    flip = await harness.press(first["id"], nav["Next"]["custom_id"], user=owner)
    assert flip.callback_type == 7, "the owner's own message is updated in place"
    page_two = harness.fake.messages[first["id"]]
    assert page_two["embeds"][0]["footer"]["text"].startswith("Page 2/")
    assert not buttons(page_two)["Previous"]["disabled"]

    other = await harness.press(first["id"], buttons(page_two)["Next"]["custom_id"], user=harness.user("lurker"))
    assert other.callback_type == 4 and other.callbacks[0].body["data"]["flags"] & EPHEMERAL
    assert harness.fake.messages[first["id"]]["embeds"][0]["footer"]["text"].startswith("Page 2/")


# --- /watchlist ----------------------------------------------------------------------------------------
async def test_watchlist_flow_is_private(harness: Harness) -> None:
    me = harness.user("watcher")
    for film in ("Parasite", "Psycho (1960)", "A Film Nobody Stored (2031)"):
        ix = await harness.run("watchlist add", film=film, user=me)
        assert ix.callback_type == 4 and ix.callbacks[0].body["data"]["flags"] & EPHEMERAL
    assert "basic record" in ix.callbacks[0].body["data"]["content"]

    choices = await harness.autocomplete("watchlist remove", "film", film="psy", user=me)
    assert [c["name"] for c in choices] == ["Psycho (1960)"], "only films on my own list"

    ix = await harness.run("watchlist watched", film=choices[0]["value"], rating=4.5, user=me)
    assert "Marked Psycho (1960) as watched with 4.5/5" in ix.callbacks[0].body["data"]["content"]
    ix = await harness.run("watchlist remove", film="Parasite", user=me)
    assert "Removed Parasite (2019)" in ix.callbacks[0].body["data"]["content"]

    ix = await harness.run("watchlist list", user=me)
    data = ix.callbacks[0].body["data"]
    assert data["flags"] & EPHEMERAL
    description = data["embeds"][0]["description"]
    assert "A Film Nobody Stored (2031)" in description and "✅ **Psycho (1960)**" in description
    assert "Parasite" not in description


async def test_watchlist_remove_of_a_film_not_on_the_list(harness: Harness) -> None:
    ix = await harness.run("watchlist remove", film="Se7en", user=harness.user("empty"))
    assert "isn't on your list" in ix.callbacks[0].body["data"]["content"]


async def test_watchlist_shared_and_paginated(harness: Harness) -> None:
    me = harness.user("collector")
    for film in await harness.services.films.browse(limit=13):
        await harness.services.watchlist.add(me["id"], f"film:{film.film_id}")
    ix = await harness.run("watchlist list", share=True, user=me)
    message = harness.original(ix)
    assert not message["flags"] & EPHEMERAL, "shared on purpose"
    assert message["embeds"][0]["title"] == "collector's watchlist"
    nav = buttons(message)
    flip = await harness.press(message["id"], nav["Next"]["custom_id"], user=me)
    assert flip.callback_type == 7
    assert harness.fake.messages[message["id"]]["embeds"][0]["footer"]["text"].startswith("Page 2/2")

    back = buttons(harness.fake.messages[message["id"]])["Previous"]["custom_id"]
    peek = await harness.press(message["id"], back, user=harness.user("friend"))
    data = peek.callbacks[0].body["data"]
    assert data["flags"] & EPHEMERAL and data["embeds"][0]["title"] == "collector's watchlist"
    assert data["embeds"][0]["footer"]["text"].startswith("Page 1/2")
    assert harness.fake.messages[message["id"]]["embeds"][0]["footer"]["text"].startswith("Page 2/2")


async def test_a_shared_watchlist_shows_what_was_shared_then_expires(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12, hole 3: the public Next button showed the owner's *current* list to anyone."""
    import time as clock

    from bot.services import watchlist as watchlist_service

    me, friend = harness.user("sharer"), harness.user("onlooker")
    for film in await harness.services.films.browse(limit=11):
        await harness.services.watchlist.add(me["id"], f"film:{film.film_id}")
    message = harness.original(await harness.run("watchlist list", share=True, user=me))
    next_id = buttons(message)["Next"]["custom_id"]
    shared = int(clock.time())
    # Added privately after the share (stamped 5 s later):
    later = await harness.services.watchlist.add(me["id"], "Nomadland (2020)")
    assert later.created_film
    stamp = clock.strftime("%Y-%m-%dT%H:%M:%SZ", clock.gmtime(shared + 5))
    db = harness.services.store.db  # type: ignore[attr-defined]
    if isinstance(db, PostgresDatabase):
        await db.execute(
            "UPDATE watchlist_entries SET added_at = $1 WHERE user_id = $2 AND film_id = $3", stamp, me["id"],
            later.film.id,
        )
    else:
        await db.execute(
            "UPDATE watchlist_entries SET added_at = ? WHERE user_id = ? AND film_id = ?",
            (stamp, me["id"], later.film.id),
        )
    peek = await harness.press(message["id"], next_id, user=friend)
    shown = peek.callbacks[0].body["data"]["embeds"][0]
    assert "Nomadland" not in shown["description"], "added after the share: private"
    assert shown["footer"]["text"].startswith("Page 2/2")
    own = await harness.press(message["id"], next_id, user=me)
    assert "Nomadland" in harness.fake.messages[message["id"]]["embeds"][0]["description"], "the owner sees it all"
    assert own.callback_type == 7
    # A week later the post shows others nothing more.
    monkeypatch.setattr(watchlist_service.time, "time", lambda: shared + 8 * 86400)
    back = buttons(harness.fake.messages[message["id"]])["Previous"]["custom_id"]
    expired = await harness.press(message["id"], back, user=friend)
    data = expired.callbacks[0].body["data"]
    assert data["flags"] & EPHEMERAL and "expired" in data["content"] and "embeds" not in data


async def test_watchlist_and_review_work_in_dms(harness: Harness) -> None:
    me = harness.user("dm-user")
    ix = await harness.run("watchlist add", film="Parasite", user=me, dm=True)
    assert "Added Parasite (2019)" in ix.callbacks[0].body["data"]["content"]
    ix = await harness.run("watchlist list", user=me, dm=True)
    assert "Parasite (2019)" in ix.callbacks[0].body["data"]["embeds"][0]["description"]
    ix = await harness.run(
        "review", film="Parasite", text="Sharp, funny and angry in equal measure; the house is a marvel.",
        user=me, dm=True,
    )
    assert harness.original(ix)["content"].startswith("Saved your review")


# --- everything the bot sent -------------------------------------------------------------------------
async def test_nothing_the_bot_sends_can_mention_anyone(harness: Harness) -> None:
    await harness.run("summary", film="Parasite", user=harness.user("last"))
    sent = list(harness.fake.sent_messages())
    assert len(sent) > 20
    for body in sent:
        mentions = body.get("allowed_mentions")
        assert mentions is not None and mentions["parse"] == [], body
        assert not mentions.get("users") and not mentions.get("roles") and not mentions.get("replied_user")


async def test_every_interaction_was_answered_in_time(harness: Harness) -> None:
    for ix in harness.fake.interactions.values():
        assert ix.callbacks, f"interaction {ix.payload['data']} was never answered"
        assert ix.acked_at is not None and ix.acked_at - ix.sent_at < 3.0
        assert ix.state != "loading", f"left 'thinking…' forever: {ix.payload['data']}"


async def test_markup_in_a_typed_title_stays_text(harness: Harness) -> None:
    me = harness.user("marker")
    await harness.run("watchlist add", film="**Loud** _Film_ (2030)", user=me)
    ix = await harness.run("watchlist list", user=me)
    description = ix.callbacks[0].body["data"]["embeds"][0]["description"]
    assert "**\\*\\*Loud\\*\\* \\_Film\\_ (2030)**" in description, "the bot's bold around the escaped title"
    (entry,) = await harness.services.watchlist.list(me["id"])
    card = await harness.run("film", film=f"film:{entry.film_id}", user=me)
    assert card.callbacks[0].body["data"]["embeds"][0]["title"] == "\\*\\*Loud\\*\\* \\_Film\\_ (2030)"
