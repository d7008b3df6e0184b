"""/admin: hidden from members without Manage Server, refused to them in code too, and what the
commands do for the managers: remove a review written here, server settings, imports."""

from __future__ import annotations

import pytest

from tests.bot.discord_app.harness import Harness
from tests.fakes.fake_discord import ALL_PERMISSIONS, EPHEMERAL, JSON, MANAGE_GUILD, SEND_MESSAGES, FakeInteraction

pytestmark = pytest.mark.asyncio(loop_scope="module")

MEMBER = SEND_MESSAGES  # an ordinary member: no Manage Server
MANAGER = int(ALL_PERMISSIONS)
REVIEW = "A gorgeous, patient film; the sound design alone makes the big screen worth it."
CSV = (
    "film,year,author,rating,text\n"
    f'Arrival,2016,importer-one,4,"{REVIEW} (one)"\n'
    "Arrival,2016,importer-two,9,\"Rated nine out of five, which the importer refuses to accept.\"\n"
    f'Se7en,1995,importer-three,3.5,"{REVIEW} (three)"\n'
)


def reply(ix: FakeInteraction, h: Harness) -> JSON:
    """The interaction's answer as it stands (immediate or filled in after a defer)."""
    return h.messages(ix)[0]


async def test_admin_commands_are_registered_hidden_and_servers_only(harness: Harness) -> None:
    commands = {c["name"]: c for c in harness.fake.commands[None]}
    admin = commands["admin"]
    assert admin["default_member_permissions"] == str(MANAGE_GUILD), "hidden from members without Manage Server"
    assert admin["contexts"] == [0], "not in DMs"
    assert commands["privacy"].get("default_member_permissions") is None


@pytest.mark.parametrize("name", ["settings", "delete-review", "import"])
async def test_a_normal_member_is_refused_privately(harness: Harness, name: str) -> None:
    member = harness.user(f"member-{name}")
    options: dict[str, object] = {"spoilers_in_channel": False}
    if name == "delete-review":
        options = {"review": 1}
    elif name == "import":
        options = {"file": harness.fake.attachment("films.csv", CSV.encode(), "text/csv")}
    ix = await harness.run(f"admin {name}", user=member, permissions=MEMBER, **options)
    data = ix.callbacks[0].body["data"]
    assert ix.callback_type == 4 and data["flags"] & EPHEMERAL
    assert "Only server managers" in data["content"]
    assert await harness.services.guilds.get(harness.fake.guild_id) == await harness.services.guilds.get(None)
    assert await harness.services.reviews.get(1) is not None


async def test_review_choices_are_only_for_managers(harness: Harness) -> None:
    writer = harness.user("choice-writer")
    await harness.run("review", film="Arrival", text=REVIEW + " (choices)", user=writer)
    choices = await harness.autocomplete("admin delete-review", "review", review="")
    assert choices and choices[0]["name"].startswith("#") and "choice-writer" in choices[0]["name"]
    assert all(isinstance(c["value"], int) and len(c["name"]) <= 100 for c in choices)
    refused = await harness.autocomplete("admin delete-review", "review", review="", user=writer, permissions=MEMBER)
    assert refused == [], "the choices quote reviews: not for members who can't remove them"


async def test_managers_remove_reviews_written_here_only(harness: Harness) -> None:
    writer = harness.user("troll")
    ix = await harness.run("review", film="Se7en", text=REVIEW + " (removable)", user=writer)
    assert harness.original(ix)["content"].startswith("Saved your review")
    ((written, label), *_) = await harness.services.reviews.in_guild(harness.fake.guild_id)
    assert written.text.endswith("(removable)") and label == "Se7en (1995)"
    page = harness.original(await harness.run("reviews", film="Se7en", user=harness.user("mod-reader")))
    assert f"#{written.id}" in page["embeds"][0]["description"] or page["components"], "ids are shown"

    removed = await harness.run("admin delete-review", review=written.id, permissions=MANAGER)
    data = removed.callbacks[0].body["data"]
    assert data["flags"] & EPHEMERAL and data["content"].startswith(f"Removed review #{written.id} by **troll**")
    assert await harness.services.reviews.get(written.id) is None

    sample = (await harness.services.reviews.for_film(await harness.services.films.resolve("Se7en")))[0]
    elsewhere = await harness.run("admin delete-review", review=sample.id)
    assert "wasn't written in this server" in elsewhere.callbacks[0].body["data"]["content"]
    assert await harness.services.reviews.get(sample.id) is not None
    missing = await harness.run("admin delete-review", review=99_999_999)
    assert "There is no review #99999999" in missing.callbacks[0].body["data"]["content"]

    dm_review = await harness.run("review", film="Se7en", text=REVIEW + " (in a DM)", user=writer, dm=True)
    assert harness.original(dm_review)["content"].startswith("Saved")
    assert not any(r.text.endswith("(in a DM)") for r, _ in await harness.services.reviews.in_guild(
        harness.fake.guild_id)), "a review written in DMs belongs to no server"


async def test_settings_change_spoilers_and_cooldown_for_this_server(harness: Harness) -> None:
    shown = await harness.run("admin settings")
    fields = {f["name"]: f["value"] for f in shown.callbacks[0].body["data"]["embeds"][0]["fields"]}
    assert "the default" in fields["/summary spoilers:true"] and "bot's default" in fields["/summary and /ask cooldown"]
    try:
        changed = await harness.run("admin settings", spoilers_in_channel=False, cooldown_seconds=12.0)
        fields = {f["name"]: f["value"] for f in changed.callbacks[0].body["data"]["embeds"][0]["fields"]}
        assert fields["/summary spoilers:true"] == "only the person who asked sees them"
        assert fields["/summary and /ask cooldown"].startswith("12 s")

        asker = harness.user("spoiled")
        spoiled = await harness.run("summary", film="The Sixth Sense", spoilers=True, user=asker)
        assert spoiled.callbacks[0].body["data"]["flags"] & EPHEMERAL, "kept out of the channel"
        again = await harness.run("ask", question="Is The Sixth Sense scary?", user=asker)
        assert "once every 12 seconds" in again.callbacks[0].body["data"]["content"]
        in_dm = await harness.run("ask", question="Is Parasite funny?", user=harness.user("dm-asker"), dm=True)
        assert in_dm.callback_type == 5, "the server's settings don't reach DMs"
        plain = await harness.run("summary", film="Parasite", user=harness.user("plain"))
        assert not plain.callbacks[0].body.get("data", {}).get("flags"), "spoiler-free summaries stay public"
    finally:
        reset = await harness.run("admin settings", reset=True)
    fields = {f["name"]: f["value"] for f in reset.callbacks[0].body["data"]["embeds"][0]["fields"]}
    assert "the default" in fields["/summary spoilers:true"]


async def test_import_skips_bad_rows_and_reports_them_privately(harness: Harness) -> None:
    upload = harness.fake.attachment("reviews.csv", CSV.encode(), "text/csv")
    ix = await harness.run("admin import", file=upload)
    assert ix.callback_type == 5 and ix.callbacks[0].body["data"]["flags"] & EPHEMERAL
    answer = reply(ix, harness)
    assert answer["flags"] & EPHEMERAL
    content = answer["content"]
    assert content.startswith("Imported:") and "2 review(s) added" in content
    assert "Skipped 1 bad row(s)" in content and "```\n" in content and "line 3" in content
    progress = [r.body.get("content") or "" for r in harness.fake.requests_to(ix.token) if r.method == "PATCH"]
    assert any(text.startswith("⏳ Importing reviews.csv") for text in progress), "progress is shown"
    mine = [r for r, _ in await harness.services.reviews.in_guild(harness.fake.guild_id)]
    assert {r.author for r in mine} >= {"importer-one", "importer-three"}, "tagged with this server"
    again = await harness.run("admin import", file=harness.fake.attachment("reviews.csv", CSV.encode()))
    assert "0 review(s) added (2 already stored)" in reply(again, harness)["content"]


async def test_a_letterboxd_watchlist_goes_to_the_managers_own_list(harness: Harness) -> None:
    manager = harness.user("letterboxd-manager")
    csv = ("Date,Name,Year,Letterboxd URI\n2024-01-02,Parasite,2019,https://boxd.it/a\n"
           "2024-01-03,A Film Only Letterboxd Knows,2031,https://boxd.it/b\n")
    ix = await harness.run("admin import", file=harness.fake.attachment("watchlist.csv", csv.encode()), user=manager)
    assert "2 watchlist entries added" in reply(ix, harness)["content"]
    titles = [e.title for e in await harness.services.watchlist.list(manager["id"])]
    assert sorted(titles) == ["A Film Only Letterboxd Knows", "Parasite"]


async def test_import_refuses_unknown_files_and_can_be_switched_off(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = await harness.run("admin import", file=harness.fake.attachment("films.pdf", b"%PDF-1.4"))
    assert "I can import our JSON format" in pdf.callbacks[0].body["data"]["content"]
    broken = await harness.run("admin import", file=harness.fake.attachment("films.json", b"{not json"))
    assert "Nothing was imported" in reply(broken, harness)["content"]
    monkeypatch.setattr(harness.bot, "settings", harness.bot.settings.replace(discord_admin_import=False))
    off = await harness.run("admin import", file=harness.fake.attachment("reviews.csv", CSV.encode()))
    assert "switched off" in off.callbacks[0].body["data"]["content"]
