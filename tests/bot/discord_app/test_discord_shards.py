"""Sharding: the shard range a process runs (settings, `reviewbot run --shard-ids`), and one process
running every shard Discord recommends, each server's events arriving on its own shard."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import build_parser, load_settings
from bot.settings import Settings, SettingsError, parse_shard_ids
from tests.bot.discord_app.harness import start_bot


def test_shard_ids_are_numbers_and_ranges() -> None:
    assert parse_shard_ids("0-3") == [0, 1, 2, 3]
    assert parse_shard_ids("4, 6") == [4, 6]
    assert parse_shard_ids("0-1,6,1") == [0, 1, 6]
    for bad in ("", "a-b", "3-1", "-2", "1-"):
        with pytest.raises(ValueError):
            parse_shard_ids(bad)


def test_a_shard_range_needs_the_total_and_must_fit_in_it() -> None:
    def settings(**values: object) -> Settings:
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    assert settings(discord_shard_ids="4-7", discord_shard_count=8).shard_ids == [4, 5, 6, 7]
    assert settings(discord_shard_ids="", discord_shard_count="").shard_ids is None  # blank: unset
    with pytest.raises(SettingsError, match="needs DISCORD_SHARD_COUNT"):
        settings(discord_shard_ids="0-3")
    with pytest.raises(SettingsError, match="numbered 0 to 7"):
        settings(discord_shard_ids="6-8", discord_shard_count=8)
    with pytest.raises(SettingsError, match="not 'two'"):
        settings(discord_shard_ids="two", discord_shard_count=8)


def test_run_takes_the_range_on_its_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    args = build_parser().parse_args(["run", "--shard-ids", "2-3", "--shard-count", "8"])
    settings = load_settings(args)
    assert (settings.shard_ids, settings.discord_shard_count) == ([2, 3], 8)


async def test_one_process_runs_every_recommended_shard_and_answers_servers_on_each(tmp_path: Path) -> None:
    async with start_bot(tmp_path, shard_count=3) as h:
        fake = h.fake
        await fake.wait_for(lambda: fake.connected_shards() == [0, 1, 2])
        assert sorted(s.identify["shard"][0] for s in fake.shards.values() if s.identify) == [0, 1, 2]
        assert {tuple(s.identify["shard"]) for s in fake.shards.values() if s.identify} == {(0, 3), (1, 3), (2, 3)}
        assert sorted(fake.shard_of(g) for g in fake.guilds) == [0, 1, 2]
        assert h.bot.shard_count == 3 and sorted(h.bot.shards) == [0, 1, 2]
        for guild in fake.guilds.values():
            channel = guild.get("channel_id", fake.channel_id)
            ix = await h.run("film", film="Parasite", channel_id=channel, user=h.user(f"u{guild['id']}"))
            assert "Parasite" in h.messages(ix)[0]["embeds"][0]["title"]
            assert h.bot.get_guild(int(guild["id"])) is not None  # its GUILD_CREATE came on its shard
            shard = h.bot.get_guild(int(guild["id"])).shard_id  # type: ignore[union-attr]
            assert shard == fake.shard_of(guild["id"])
