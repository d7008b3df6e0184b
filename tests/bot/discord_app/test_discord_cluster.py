"""One bot as two `reviewbot run` processes, each running half the shards, on one PostgreSQL
database, against the fake Discord and a fake OpenAI server (issue 11: "Done when").

Skipped with one line without PostgreSQL (failing under CI=true), like the other PostgreSQL tests.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from storage.backends import open_store
from tests.fakes.fake_discord import FakeDiscord, FakeInteraction
from tests.fakes.fake_openai import FakeOpenAI
from tests.llm.model import PromptModel, kind_of
from tests.pg_support import PgCluster

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]  # three interpreters start
START_WITHIN = 60.0  # two interpreters starting on a busy 2-core machine


@dataclass
class Cluster:
    fake: FakeDiscord
    openai: FakeOpenAI
    model: PromptModel
    db_url: str
    guilds: dict[int, str]  # shard -> the channel of a server on it
    logs: list[Path]

    async def run(self, name: str, *, shard: int, within: float = 20.0, **kwargs: Any) -> FakeInteraction:
        ix = await self.fake.command(name, channel_id=self.guilds[shard], **kwargs)
        await self.fake.wait_for(lambda: ix.state in ("replied", "updated") or ix.callback_type == 4, within)
        return ix

    def text(self, ix: FakeInteraction) -> str:
        return "\n".join(
            (m.get("content") or "") + "".join(e.get("description", "") + e.get("title", "") for e in m["embeds"])
            for m in self.fake.interaction_messages(ix)
        )

    def stderr(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.logs)


def _env(fake: FakeDiscord, openai: FakeOpenAI, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "OPENAI_", "REVIEWBOT_", "LLM_"))}
    env.update(
        DISCORD_TOKEN=fake.token, DISCORD_API_BASE=fake.api_base, DISCORD_GATEWAY_URL=fake.gateway_url,
        REVIEWBOT_DB=db_url, REVIEWBOT_LOAD_SAMPLE="false", OPENAI_BASE_URL=openai.base_url, OPENAI_API_KEY="x",
        DISCORD_COMMAND_COOLDOWN_SECONDS="60", DISCORD_WRITE_RATE_PER_MINUTE="100", LLM_MAX_RETRIES="0", **extra,
    )
    return env


READY_LINE = "Connected as"  # ReviewBot.on_ready's log line (INFO, on by default for the bot)


async def _until(predicate: Callable[[], bool], within: float) -> None:
    """Wait until `predicate()` holds, looking every 50 ms (for what the fake servers don't see)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 (another process writes the log: no event to wait on)
            await asyncio.sleep(0.05)


async def _reviewbot(env: dict[str, str], log: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log.open("wb"),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(pg: PgCluster, pg_sample_template: str, tmp_path_factory: Any) -> AsyncIterator[Cluster]:
    tmp = tmp_path_factory.mktemp("cluster")
    db_url = pg.create(template=pg_sample_template, label="cluster")
    model = PromptModel()
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with FakeDiscord(shard_count=2) as fake, FakeOpenAI(responder=model) as openai:
            guilds = {shard: fake.add_guild(f"Server {shard}", shard=shard)["channel_id"] for shard in (0, 1)}
            env = _env(fake, openai, db_url)
            sync = await _reviewbot(env, tmp / "sync.log", "sync")
            assert await asyncio.wait_for(sync.wait(), START_WITHIN) == 0, (tmp / "sync.log").read_text()
            logs = [tmp / f"shard{shard}.log" for shard in (0, 1)]
            for shard in (0, 1):
                processes.append(await _reviewbot(env, logs[shard], "run", "--shard-ids", str(shard),
                                                  "--shard-count", "2"))
            cluster = Cluster(fake, openai, model, db_url, guilds, logs)
            try:
                await fake.wait_for(lambda: fake.connected_shards() == [0, 1], START_WITHIN)
            except TimeoutError:
                pytest.fail(f"the two processes did not both connect:\n{cluster.stderr()}")
            # on_ready comes guild_ready_timeout (2 s) after the last GUILD_CREATE; each process logs it.
            try:
                await _until(lambda: all(READY_LINE in log.read_text() for log in logs), START_WITHIN)
            except TimeoutError:
                pytest.fail(f"the two processes did not both get ready:\n{cluster.stderr()}")
            try:
                yield cluster
            finally:  # stopped while the fake Discord is still up, as a deployment stops its bots
                await _stop(processes)
    finally:
        try:
            await _stop(processes)
        finally:
            for process in processes:  # one that did not stop in time must not outlive the test run
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            pg.drop(db_url)


async def _stop(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.terminate()
    for process in processes:
        await asyncio.wait_for(process.wait(), 30)


async def test_each_process_runs_its_own_shard_and_answers_its_servers(cluster: Cluster) -> None:
    fake = cluster.fake
    assert {tuple(s.identify["shard"]) for s in fake.shards.values() if s.identify} == {(0, 2), (1, 2)}
    for shard in (0, 1):
        ix = await cluster.run("film", shard=shard, film="Parasite", user=fake.user(f"film{shard}"))
        assert "Parasite" in cluster.text(ix), cluster.stderr()


async def test_twenty_requests_for_one_uncached_film_over_both_make_one_llm_call(cluster: Cluster) -> None:
    fake = cluster.fake
    before = sum(1 for r in cluster.openai.requests if kind_of(r) == "summary")
    sent = await asyncio.gather(*(
        fake.command("summary", channel_id=cluster.guilds[i % 2], film="Se7en", user=fake.user(f"many{i}"))
        for i in range(20)
    ))
    await fake.wait_for(lambda: all(ix.state == "replied" for ix in sent), 60)
    summaries = [r for r in cluster.openai.requests if kind_of(r) == "summary"][before:]
    assert len(summaries) == 1, f"{len(summaries)} summary calls for one film and mode"
    texts = {cluster.text(ix) for ix in sent}
    assert len(texts) == 1 and "Se7en" in texts.pop()


async def test_watchlist_writes_through_both_processes_are_all_kept(cluster: Cluster) -> None:
    fake = cluster.fake
    me = fake.user("collector")
    films = ["Parasite", "The Sixth Sense", "Psycho (1960)", "Psycho (1998)", "Se7en", "Dear Comrades!"]
    for i, film in enumerate(films):
        ix = await cluster.run("watchlist add", shard=i % 2, film=film, user=me)
        assert ix.callback_type == 4, cluster.stderr()
    store = await open_store(cluster.db_url)
    try:
        entries = await store.watchlists.list(me["id"], "")  # WATCHLIST_SCOPE=global: one list
    finally:
        await store.close()
    assert len(entries) == len(films)


async def test_a_cooldown_started_through_one_process_holds_on_the_other(cluster: Cluster) -> None:
    fake = cluster.fake
    me = fake.user("impatient")
    first = await cluster.run("summary", shard=0, film="Parasite", user=me, within=30)
    assert "Parasite" in cluster.text(first)
    second = await cluster.run("summary", shard=1, film="Parasite", user=me)
    refusal = cluster.text(second).lower()
    assert "once every" in refusal and "try again in" in refusal, refusal
