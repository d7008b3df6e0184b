"""A local fake Discord (aiohttp) that the real discord.py client connects to over real sockets.

It plays both halves of Discord that a slash-command bot talks to:
- the gateway websocket: HELLO, IDENTIFY, heartbeat ACKs, READY, GUILD_CREATE, RESUME/RESUMED, and
  the dispatches a test sends (INTERACTION_CREATE, MESSAGE_CREATE, THREAD_CREATE);
- shards: `GET /gateway/bot` recommends `shard_count`; each IDENTIFY's `shard: [id, count]` opens that
  shard's session, whose READY lists only its servers; every server's events (`add_guild(…, shard=)`)
  go to the shard `(guild_id >> 22) % count`, as Discord routes them, whichever process holds it;
- the REST API under `/api/v10`: log-in, command sync, interaction callbacks (answered with the
  `with_response` JSON discord.py 2.5+ expects), webhook follow-ups and edits, channel messages,
  threads.

It behaves like Discord where a bot can get it wrong, so tests catch the mistake:
- an interaction answered after `ack_deadline` (3 s) gets 404 "Unknown interaction"; a second
  callback gets 400 "already acknowledged";
- the first follow-up after a deferred "thinking" reply *replaces* that reply and keeps the defer's
  visibility (its own ephemeral flag is ignored), as on Discord;
- without the Message Content intent, a guild message's content arrives empty unless it mentions
  the bot;
- options are built from the commands the bot synced, so a misnamed command or option fails the
  test instead of passing silently.

Faults a test can switch on, as Discord produces them:
- `fail_next(...)` / `rate_limit_next(...)`: the next matching request gets an error, e.g. a 429
  with the `Via` header and a JSON `retry_after` (what discord.py needs to retry rather than
  assume a Cloudflare ban);
- `expire(ix)` or `advance_clock(15 * 60)`: an interaction token expires, after which its webhook
  (follow-ups, edits) answers 401 "Invalid Webhook Token" (50027), as Discord does after 15 minutes;
- `drop_connection()`: the websocket closes with a resumable code; dispatches sent while the bot is
  away are buffered and replayed after its RESUME, as Discord does.
Members and the bot's own permissions per interaction (`permissions=`, `app_permissions=`), file
uploads (`attachment(...)`, an option value) and files the bot sends (multipart bodies, kept in
`files`) are modelled too.

Every HTTP request is recorded (`fake.requests`) with a timestamp from the fake's clock (`now()`, the
one tokens expire by), so tests can assert on ordering (the defer arrived before the follow-up) as
well as content. See
`shared/DISCORD_PROTOCOL.md` for the protocol facts this follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.parser
import email.policy
import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiohttp import WSMsgType, web

JSON = dict[str, Any]
BODY = web.RequestKey("body", object)
EPHEMERAL = 1 << 6
LOADING = 1 << 7
MESSAGE_CONTENT_INTENT = 1 << 15
OPTION_TYPES_BY_PYTHON = {bool: 5, int: 4, float: 10, str: 3}
ALL_PERMISSIONS = str((1 << 50) - 1)
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
SEND_MESSAGES_IN_THREADS = 1 << 38
TOKEN_LIFETIME = 15 * 60.0  # an interaction token works for 15 minutes


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json.
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status)


def _rate_limited(retry_after: float, *, via: bool = True, is_global: bool = False) -> web.Response:
    """A 429 as Discord sends it. Without `Via` discord.py takes it for a Cloudflare ban and gives up."""
    headers = {"Content-Type": "application/json", "Retry-After": str(max(1, round(retry_after)))}
    if via:
        headers["Via"] = "1.1 google"
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
    return web.Response(status=429, body=json.dumps(body).encode(), headers=headers)


def _expired() -> web.Response:
    return _error(401, 50027, "Invalid Webhook Token")


@dataclass
class ShardSession:
    """One shard's gateway session: its websocket while connected, and what it was sent (replayed
    after a RESUME)."""

    shard_id: int
    session_id: str
    ws: web.WebSocketResponse | None = None
    seq: int = 0
    sent: list[tuple[int, str]] = field(default_factory=list)  # (seq, packet)
    identify: JSON | None = None

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed


@dataclass
class Fault:
    """Answer the next `times` requests matching `method` and `path_contains` with `response()`."""

    method: str
    path_contains: str
    response: Callable[[], web.Response]
    times: int = 1
    hits: list[float] = field(default_factory=list)

    def matches(self, request: web.Request) -> bool:
        return self.times > 0 and request.method == self.method and self.path_contains in request.path


@dataclass
class Recorded:
    """One HTTP request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    authorization: str | None
    files: list[JSON] = field(default_factory=list)  # uploaded files: filename, content_type, content
    status: int = 0  # what the fake answered

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


RECORDED = web.RequestKey("recorded", Recorded)


@dataclass
class FakeInteraction:
    """An interaction sent to the bot and everything the bot did with it."""

    id: str
    token: str
    type: int
    payload: JSON
    sent_at: float
    callbacks: list[Recorded] = field(default_factory=list)
    original_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)
    choices: list[JSON] | None = None  # autocomplete answer
    state: str = "pending"  # pending -> loading (deferred) / replied / updated / autocompleted
    expired: bool = False  # the token no longer works (see FakeDiscord.expire)

    @property
    def acked_at(self) -> float | None:
        return self.callbacks[0].at if self.callbacks else None

    @property
    def callback_type(self) -> int | None:
        return self.callbacks[0].body.get("type") if self.callbacks else None


class FakeDiscord:
    """Run with `async with FakeDiscord() as discord:`; point the bot at `api_base` / `gateway_url`."""

    def __init__(self, *, token: str = "fake-token", ack_deadline: float = 3.0, shard_count: int = 1) -> None:
        self.token = token
        self.shard_count = shard_count  # what GET /gateway/bot recommends
        self.ack_deadline = ack_deadline
        self._ids = itertools.count(int(time.time() * 1000) << 22)
        self.users: dict[str, JSON] = {}
        self.app_id = self.new_id()
        self.bot_user: JSON = self.user("reviewbot", bot=True, user_id=self.app_id)
        self.guild_id = self.new_id()
        self.guilds: dict[str, JSON] = {self.guild_id: {"id": self.guild_id, "name": "Film Club"}}
        self.channel_id = self.new_id()
        self.owner = self.user("owner")
        self.channels: dict[str, JSON] = {
            self.channel_id: {
                "id": self.channel_id, "type": 0, "name": "films", "guild_id": self.guild_id, "position": 0,
                "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                "rate_limit_per_user": 0, "last_message_id": None,
            }
        }
        self.requests: list[Recorded] = []
        self.commands: dict[str | None, list[JSON]] = {}  # None: global; else guild id
        self.messages: dict[str, JSON] = {}
        self.interactions: dict[str, FakeInteraction] = {}
        self.identify: JSON | None = None  # the latest IDENTIFY (any shard)
        self.shards: dict[int, ShardSession] = {}  # by shard id
        self.resumes: list[JSON] = []
        self.heartbeats = 0
        self.allow_threads = True  # False: thread creation fails with 403 Missing Permissions
        self.faults: list[Fault] = []
        self.files: dict[str, bytes] = {}  # attachment id -> content (uploads by users and by the bot)
        self.token_lifetime = TOKEN_LIFETIME
        self.attachment_size_limit = 10 * 1024 * 1024  # the largest file the bot may upload in a reply
        self._clock_offset = 0.0
        self._changed = asyncio.Condition()
        self._session_id = secrets.token_hex(8)  # shard 0's; shard n's ends in -n
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------------------
    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        r = app.router
        api = "/api/v10"
        r.add_get(f"{api}/users/@me", self._me)
        r.add_get(f"{api}/oauth2/applications/@me", self._application)
        r.add_get(f"{api}/gateway", self._gateway_info)
        r.add_get(f"{api}/gateway/bot", self._gateway_info)
        for route in (f"{api}/applications/{{app}}/commands", f"{api}/applications/{{app}}/guilds/{{guild}}/commands"):
            r.add_put(route, self._sync)
            r.add_get(route, self._list_commands)
        r.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_get(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._get_webhook_message)
        r.add_patch(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._edit_webhook_message)
        r.add_delete(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._delete_webhook_message)
        r.add_get(f"{api}/users/{{user}}", self._get_user)
        r.add_get(f"{api}/channels/{{channel}}", self._get_channel)
        r.add_post(f"{api}/channels/{{channel}}/messages", self._post_message)
        r.add_patch(f"{api}/channels/{{channel}}/messages/{{message}}", self._edit_message)
        r.add_post(f"{api}/channels/{{channel}}/messages/{{message}}/threads", self._thread_from_message)
        r.add_post(f"{api}/channels/{{channel}}/typing", self._typing)
        r.add_get("/attachments/{id}/{filename}", self._attachment_content)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for session in self.shards.values():
            if session.ws is not None:
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- shards and servers ---------------------------------------------------------------------------
    @property
    def _ws(self) -> web.WebSocketResponse | None:
        """Shard 0's websocket while connected (a bot with one shard)."""
        session = self.shards.get(0)
        return session.ws if session is not None else None

    @property
    def routing_count(self) -> int:
        """The shard count the bot identified with (Discord routes by it), else the recommended one."""
        counts = [s.identify["shard"][1] for s in self.shards.values() if s.identify and s.identify.get("shard")]
        return counts[-1] if counts else self.shard_count

    def shard_of(self, guild_id: str | int) -> int:
        """Which shard receives a server's events, as Discord routes them. (A garbled id, which the
        hostile-payload tests put in an event on purpose, goes to shard 0.)"""
        try:
            return (int(guild_id) >> 22) % self.routing_count
        except ValueError:
            return 0

    def add_guild(self, name: str, *, shard: int | None = None) -> JSON:
        """Another server with the bot in it (and one text channel, `channel_id`); with `shard`, its id
        is chosen so that its events go to that shard (of `shard_count`)."""
        while True:
            guild_id = self.new_id()
            if shard is None or self.shard_of(guild_id) == shard:
                break
            # Skip ahead to the next millisecond: the shard is decided by the id's timestamp part.
            self._ids = itertools.count(((int(guild_id) >> 22) + 1) << 22)
        channel_id = self.new_id()
        self.channels[channel_id] = {
            "id": channel_id, "type": 0, "name": "films", "guild_id": guild_id, "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
            "rate_limit_per_user": 0, "last_message_id": None,
        }
        guild = {"id": guild_id, "name": name, "channel_id": channel_id}
        self.guilds[guild_id] = guild
        return guild

    def connected_shards(self) -> list[int]:
        return sorted(i for i, s in self.shards.items() if s.connected and s.identify is not None)

    # --- helpers for tests ---------------------------------------------------------------------------
    def new_id(self) -> str:
        return str(next(self._ids))

    def now(self) -> float:
        """The fake's clock: monotonic time, plus whatever `advance_clock` added."""
        return time.monotonic() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Pretend `seconds` passed: interactions sent before then may have expired tokens."""
        self._clock_offset += seconds

    def expire(self, ix: FakeInteraction) -> None:
        """The interaction's token stops working now, as it does 15 minutes after it was sent."""
        ix.expired = True

    def token_expired(self, ix: FakeInteraction) -> bool:
        return ix.expired or self.now() - ix.sent_at > self.token_lifetime

    def fail_next(
        self, method: str, path_contains: str, response: Callable[[], web.Response], *, times: int = 1
    ) -> Fault:
        fault = Fault(method, path_contains, response, times)
        self.faults.append(fault)
        return fault

    def rate_limit_next(
        self, method: str, path_contains: str, *, retry_after: float = 0.3, times: int = 1, via: bool = True
    ) -> Fault:
        """The next matching request(s) get a 429 (`via=False`: the kind discord.py won't retry)."""
        return self.fail_next(method, path_contains, lambda: _rate_limited(retry_after, via=via), times=times)

    def attachment(self, filename: str, content: bytes, content_type: str = "application/octet-stream") -> JSON:
        """A file a person uploads with a command: pass it as the value of an attachment option."""
        attachment_id = self.new_id()
        self.files[attachment_id] = content
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
        return {"id": attachment_id, "filename": filename, "size": len(content), "url": url, "proxy_url": url,
                "content_type": content_type}

    def file_content(self, attachment: JSON) -> bytes:
        return self.files[attachment["id"]]

    def user(self, name: str, *, bot: bool = False, user_id: str | None = None) -> JSON:
        """A Discord user the tests can act as."""
        user = {
            "id": user_id or self.new_id(), "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot, "public_flags": 0,
        }
        self.users[user["id"]] = user
        return user

    def member(self, user: JSON, permissions: int | None = None) -> JSON:
        """A server member; `permissions` (a bit set) are theirs in the channel, default all."""
        return {"user": user, "roles": [], "flags": 0, "joined_at": _now_iso(), "deaf": False, "mute": False,
                "nick": None, "permissions": ALL_PERMISSIONS if permissions is None else str(permissions)}

    async def wait_for(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked after every request and gateway packet)."""
        async with asyncio.timeout(within), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    def requests_to(self, fragment: str) -> list[Recorded]:
        return [r for r in self.requests if fragment in r.path]

    def interaction_messages(self, ix: FakeInteraction) -> list[JSON]:
        """The original response (if any) then the follow-ups, as they stand now."""
        ids = ([ix.original_id] if ix.original_id else []) + ix.followup_ids
        return [self.messages[i] for i in ids if i in self.messages]

    def sent_messages(self) -> Iterator[JSON]:
        """Every message body the bot sent or edited (callbacks, webhooks, channel messages)."""
        for r in self.requests:
            if r.method not in ("POST", "PATCH") or not isinstance(r.body, dict):
                continue
            if "/callback" in r.path:
                if r.body.get("type") in (4, 7) and r.body.get("data"):
                    yield r.body["data"]
            elif ("/webhooks/" in r.path or "/messages" in r.path) and "/threads" not in r.path:
                yield r.body

    def thread_messages(self, thread_id: str) -> list[JSON]:
        return [m for m in self.messages.values() if m["channel_id"] == thread_id]

    # --- driving the bot -----------------------------------------------------------------------------
    async def dispatch(self, event: str, data: JSON, *, shard: int | None = None) -> None:
        """Send a gateway event on the shard of its server (`guild_id`; events without one go to
        shard 0, as DMs do on Discord); while that shard is disconnected it waits for its RESUME."""
        if shard is None:
            shard = self.shard_of(data["guild_id"]) if data.get("guild_id") else 0
        session = self._session(shard)
        session.seq += 1
        packet = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        if event not in ("READY", "RESUMED"):
            session.sent.append((session.seq, packet))
        if session.ws is not None and not session.ws.closed:
            await session.ws.send_str(packet)

    def _session(self, shard: int) -> ShardSession:
        if shard not in self.shards:
            session_id = self._session_id if shard == 0 else f"{self._session_id}-{shard}"
            self.shards[shard] = ShardSession(shard, session_id)
        return self.shards[shard]

    async def drop_connection(self, code: int = 4000, *, shard: int = 0) -> None:
        """Close a shard's websocket the way Discord does on a restart: the client should RESUME."""
        ws = self.shards[shard].ws
        assert ws is not None
        await ws.close(code=code, message=b"fake reconnect")

    async def command(
        self,
        name: str,
        *,
        user: JSON | None = None,
        channel_id: str | None = None,
        dm: bool = False,
        permissions: int | None = None,
        app_permissions: int | None = None,
        **options: Any,
    ) -> FakeInteraction:
        """Send a slash command, e.g. `command("watchlist add", film="film:3")`. `permissions`: the
        member's (default all); `app_permissions`: the bot's own in that channel (default all)."""
        data = self._command_data(name, options, focused=None)
        return await self._interact(2, data, user=user, channel_id=channel_id, dm=dm, permissions=permissions,
                                    app_permissions=app_permissions)

    async def autocomplete(
        self, name: str, focused: str, *, user: JSON | None = None, channel_id: str | None = None, dm: bool = False,
        permissions: int | None = None, **options: Any,
    ) -> FakeInteraction:
        """Typing into an option (`focused`) of a command, in `channel_id` (default: the first server's)."""
        data = self._command_data(name, options, focused=focused)
        return await self._interact(4, data, user=user, channel_id=channel_id, dm=dm, permissions=permissions)

    async def press(
        self, message_id: str, custom_id: str, *, user: JSON | None = None, app_permissions: int | None = None
    ) -> FakeInteraction:
        """Press a button on a message the bot sent (the button must be on it)."""
        message = self.messages[message_id]
        buttons = [c for row in message.get("components", []) for c in row.get("components", [])]
        button = next((b for b in buttons if b.get("custom_id") == custom_id), None)
        assert button is not None, f"no button {custom_id!r} on message {message_id}: {buttons}"
        assert not button.get("disabled"), f"button {custom_id!r} is disabled"
        channel = self.channels.get(message["channel_id"])
        dm = channel is None or channel["type"] == 1
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, data, user=user, channel_id=message["channel_id"], dm=dm, message=message,
                                    app_permissions=app_permissions)

    async def user_message(
        self, channel_id: str, content: str, *, user: JSON, mention_bot: bool = False, reply_to: str | None = None
    ) -> JSON:
        """A person posts a message (MESSAGE_CREATE), as Discord delivers it to this bot."""
        mentions = [self.bot_user] if mention_bot else []
        if mention_bot and reply_to is None:
            content = f"<@{self.app_id}> {content}"
        intents = (self.identify or {}).get("intents", 0)
        if not intents & MESSAGE_CONTENT_INTENT and not mention_bot:
            content = ""  # Discord withholds content from bots without the intent
        channel = self.channels[channel_id]
        guild_id = channel.get("guild_id") or self.guild_id
        message = self._message(channel_id, user, content, message_type=19 if reply_to else 0)
        member = self.member(user)
        del member["user"]  # MESSAGE_CREATE carries the author separately
        message.update(mentions=mentions, guild_id=guild_id, member=member)
        if reply_to:
            message["message_reference"] = {"message_id": reply_to, "channel_id": channel_id,
                                            "guild_id": guild_id}
            message["referenced_message"] = self.messages.get(reply_to)
        self.messages[message["id"]] = message
        if channel["type"] == 11:
            channel["message_count"] = channel.get("message_count", 0) + 1
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    def _command_data(self, name: str, options: dict[str, Any], *, focused: str | None) -> JSON:
        parts = name.split()
        definitions = self.commands.get(self.guild_id) or self.commands.get(None) or []
        command = next((c for c in definitions if c["name"] == parts[0]), None)
        assert command is not None, f"/{parts[0]} was never synced (synced: {[c['name'] for c in definitions]})"
        data: JSON = {"id": command["id"], "name": command["name"], "type": 1}
        if len(parts) > 1:
            sub = next((o for o in command.get("options", []) if o["name"] == parts[1] and o["type"] in (1, 2)), None)
            assert sub is not None, f"/{name}: no such subcommand"
            inner = self._options(sub, options, focused)
            data["options"] = [{"name": sub["name"], "type": sub["type"], "options": inner}]
        else:
            data["options"] = self._options(command, options, focused)
        attachments = {v["id"]: v for v in options.values() if isinstance(v, dict) and "filename" in v}
        if attachments:
            data["resolved"] = {"attachments": attachments}
        return data

    @staticmethod
    def _options(definition: JSON, values: dict[str, Any], focused: str | None) -> list[JSON]:
        known = {o["name"]: o for o in definition.get("options", [])}
        out = []
        for key, value in values.items():
            assert key in known, f"/{definition['name']} has no option {key!r} (it has {sorted(known)})"
            if known[key]["type"] == 11:  # an attachment: its id, the file itself under data.resolved
                assert isinstance(value, dict) and "filename" in value, "pass fake.attachment(...) for a file option"
                value = value["id"]
            option: JSON = {"name": key, "type": known[key]["type"], "value": value}
            if key == focused:
                option["focused"] = True
            out.append(option)
        missing = [o["name"] for o in known.values() if o.get("required") and o["name"] not in values]
        assert focused or not missing, f"/{definition['name']}: required option(s) missing: {missing}"
        return out

    async def _interact(
        self, kind: int, data: JSON, *, user: JSON | None, channel_id: str | None = None, dm: bool = False,
        message: JSON | None = None, permissions: int | None = None, app_permissions: int | None = None,
    ) -> FakeInteraction:
        user = user or self.owner
        interaction_id, token = self.new_id(), "ix-" + secrets.token_urlsafe(24)
        payload: JSON = {
            "id": interaction_id, "application_id": self.app_id, "type": kind, "token": token, "version": 1,
            "locale": "en-US", "entitlements": [], "attachment_size_limit": self.attachment_size_limit, "data": data,
            "app_permissions": ALL_PERMISSIONS if app_permissions is None else str(app_permissions),
        }
        if dm:
            dm_channel = {"id": channel_id or self._dm_channel(user), "type": 1, "recipients": [user]}
            payload.update(user=user, channel=dm_channel, channel_id=dm_channel["id"], context=1,
                           authorizing_integration_owners={"0": self.guild_id})
        else:
            channel = self.channels[channel_id or self.channel_id]
            payload.update(guild_id=channel["guild_id"], guild_locale="en-US", member=self.member(user, permissions),
                           channel=channel, channel_id=channel["id"], context=0,
                           authorizing_integration_owners={"0": channel["guild_id"]})
        if message is not None:
            payload["message"] = message
        ix = FakeInteraction(interaction_id, token, kind, payload, self.now())
        self.interactions[token] = ix
        await self.dispatch("INTERACTION_CREATE", payload)
        return ix

    def _dm_channel(self, user: JSON) -> str:
        for channel in self.channels.values():
            if channel["type"] == 1 and channel["recipients"][0]["id"] == user["id"]:
                return str(channel["id"])
        channel_id = self.new_id()
        self.channels[channel_id] = {"id": channel_id, "type": 1, "recipients": [user], "last_message_id": None}
        return channel_id

    def add_thread(self, name: str, *, parent_id: str | None = None, thread_id: str | None = None) -> JSON:
        thread = {
            "id": thread_id or self.new_id(), "type": 11,
            "guild_id": self.channels.get(parent_id or self.channel_id, {}).get("guild_id", self.guild_id),
            "parent_id": parent_id or self.channel_id, "name": name, "owner_id": self.app_id,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": _now_iso(),
                                "locked": False},
            "member_count": 1, "message_count": 0, "rate_limit_per_user": 0, "flags": 0, "last_message_id": None,
        }
        self.channels[thread["id"]] = thread
        return thread

    # --- gateway ---------------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        session: ShardSession | None = None  # known once the client IDENTIFYs or RESUMEs
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            packet = json.loads(msg.data)
            op = packet.get("op")
            if op == 1:
                self.heartbeats += 1
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                session = await self._on_identify(ws, packet["d"])
            elif op == 6:
                self.resumes.append(packet["d"])
                session = next((s for s in self.shards.values() if s.session_id == packet["d"].get("session_id")),
                               None)
                if session is None:
                    await ws.send_str(json.dumps({"op": 9, "d": False}))  # invalid session: identify anew
                    continue
                session.ws = ws
                # Discord replays what the bot missed, then confirms.
                for seq, missed in session.sent:
                    if seq > (packet["d"].get("seq") or 0):
                        await ws.send_str(missed)
                await self.dispatch("RESUMED", {}, shard=session.shard_id)
            await self._notify()
        if session is not None and session.ws is ws:
            session.ws = None
        await self._notify()
        return ws

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _on_identify(self, ws: web.WebSocketResponse, data: JSON) -> ShardSession | None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, count = data.get("shard") or [0, 1]
        if not 0 <= shard_id < count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        data = {**data, "shard": [shard_id, count]}
        self.identify = data
        session = self._session(shard_id)
        if session.connected and session.ws is not ws:
            await session.ws.close(code=4005, message=b"Already authenticated.")  # type: ignore[union-attr]
        session.ws, session.identify = ws, data
        mine = [g for g in self.guilds if self.shard_of(g) == shard_id]
        await self.dispatch("READY", {
            "v": 10, "user": self.bot_user, "guilds": [{"id": g, "unavailable": True} for g in mine],
            "session_id": session.session_id, "resume_gateway_url": self.gateway_url, "shard": [shard_id, count],
            "application": {"id": self.app_id, "flags": 0}, "private_channels": [], "relationships": [],
        }, shard=shard_id)
        for guild_id in mine:
            await self.dispatch("GUILD_CREATE", self._guild(guild_id), shard=shard_id)
        return session

    def _guild(self, guild_id: str) -> JSON:
        return {
            "id": guild_id, "name": self.guilds[guild_id]["name"], "icon": None, "owner_id": self.owner["id"],
            "roles": [{"id": guild_id, "name": "@everyone", "permissions": ALL_PERMISSIONS, "position": 0,
                       "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
            "channels": [c for c in self.channels.values() if c["type"] == 0 and c.get("guild_id") == guild_id],
            "threads": [c for c in self.channels.values() if c["type"] == 11 and c.get("guild_id") == guild_id],
            "members": [self.member(self.bot_user), self.member(self.owner)], "member_count": 2,
            "emojis": [], "stickers": [], "features": [], "large": False, "unavailable": False,
            "joined_at": _now_iso(), "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [], "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0, "system_channel_flags": 0,
        }

    # --- REST ------------------------------------------------------------------------------------------
    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        files: list[JSON] = []
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json" and raw:
                body = json.loads(raw)
            elif request.content_type.startswith("multipart/"):
                body, files = _parse_multipart(request.headers["Content-Type"], raw)
        recorded = Recorded(request.method, request.path, dict(request.query), body, self.now(),
                            request.headers.get("Authorization"), files)
        if request.path != "/gateway":
            self.requests.append(recorded)
        request[BODY] = body
        request[RECORDED] = recorded
        try:
            response: web.StreamResponse
            fault = next((f for f in self.faults if f.matches(request)), None)
            if fault is not None:
                fault.times -= 1
                fault.hits.append(self.now())
                response = fault.response()
            elif not self._authorised(request):
                response = _error(401, 0, "401: Unauthorized")
            else:
                response = await handler(request)
            recorded.status = response.status
            return response
        finally:
            await self._notify()

    def _authorised(self, request: web.Request) -> bool:
        path = request.path
        if path == "/gateway" or "/interactions/" in path or "/webhooks/" in path:
            return True  # callbacks and webhooks are authorised by the interaction token
        if path.startswith("/attachments/"):
            return True  # the CDN: anyone with the URL
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        return _json({
            "id": self.app_id, "name": "reviewbot", "description": "", "icon": None, "bot_public": True,
            "bot_require_code_grant": False, "owner": self.owner, "verify_key": "0" * 64, "flags": 0,
            "interactions_endpoint_url": None, "team": None, "summary": "",
        })

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url, "shards": self.shard_count,
                      "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                              "max_concurrency": 1}})

    async def _sync(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        if guild is not None and guild not in self.guilds:
            return _error(403, 50001, "Missing Access")
        stored = []
        for command in request[BODY]:
            permissions = command.get("default_member_permissions")
            stored.append({"id": self.new_id(), "application_id": self.app_id, "version": self.new_id(),
                           "type": 1, "guild_id": guild, "nsfw": False,
                           "description_localizations": None, "name_localizations": None, **command,
                           # Discord answers with a string (a permission bit set can exceed 2**53).
                           "default_member_permissions": None if permissions is None else str(permissions)})
        self.commands[guild] = stored
        return _json(stored)

    async def _list_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(request.match_info.get("guild"), []))

    # interactions
    def _interaction(self, token: str) -> FakeInteraction | None:
        return self.interactions.get(token)

    async def _callback(self, request: web.Request) -> web.Response:
        ix = self._interaction(request.match_info["token"])
        if ix is None or ix.id != request.match_info["id"]:
            return _error(404, 10062, "Unknown interaction")
        if ix.callbacks:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        if self.now() - ix.sent_at > self.ack_deadline:
            return _error(404, 10062, "Unknown interaction")
        body = request[BODY]
        ix.callbacks.append(request[RECORDED])
        kind, data = body["type"], body.get("data") or {}
        message: JSON | None = None
        if kind == 8:
            ix.choices = data.get("choices", [])
            assert len(ix.choices) <= 25, "Discord rejects more than 25 autocomplete choices"
            ix.state = "autocompleted"
        elif kind in (4, 5):
            flags = data.get("flags", 0) & EPHEMERAL
            content = data.get("content", "") if kind == 4 else ""
            flags |= LOADING if kind == 5 else 0
            message = self._message(ix.payload["channel_id"], self.bot_user, content, flags=flags,
                                    embeds=data.get("embeds", []) if kind == 4 else [],
                                    components=data.get("components", []) if kind == 4 else [], interaction=ix)
            if kind == 4:
                message["allowed_mentions"] = data.get("allowed_mentions")
                message["attachments"] = self._store_files(request[RECORDED])
            self.messages[message["id"]] = message
            ix.original_id = message["id"]
            ix.state = "replied" if kind == 4 else "loading"
        elif kind in (6, 7):
            assert ix.type == 3, "only component interactions can update their message"
            ix.original_id = ix.payload["message"]["id"]
            if kind == 7:
                self._apply_edit(self.messages[ix.original_id], data)
            ix.state = "updated"
        interaction = {"id": ix.id, "type": ix.type, "response_message_id": ix.original_id,
                       "response_message_loading": kind == 5,
                       "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL)}
        resource: JSON = {"type": kind}
        if message is not None:
            resource["message"] = message
        return _json({"interaction": interaction, "resource": resource})

    async def _followup(self, request: web.Request) -> web.Response:
        ix = self._interaction(request.match_info["token"])
        if ix is None or not ix.callbacks:
            return _error(404, 10015, "Unknown Webhook")
        if self.token_expired(ix):
            return _expired()
        data = request[BODY] or {}
        files = self._store_files(request[RECORDED])
        if ix.state == "loading" and ix.original_id in self.messages:
            # Discord: the first follow-up after a defer fills in the "thinking" message and keeps the
            # defer's visibility; its own ephemeral flag is ignored.
            message = self.messages[ix.original_id]
            self._apply_edit(message, data)
            message["attachments"] = files
            ix.state = "replied"
            return _json(message)
        message = self._message(ix.payload["channel_id"], self.bot_user, data.get("content", ""),
                                flags=data.get("flags", 0) & EPHEMERAL, embeds=data.get("embeds", []),
                                components=data.get("components", []), interaction=ix)
        message["allowed_mentions"] = data.get("allowed_mentions")
        message["attachments"] = files
        self.messages[message["id"]] = message
        ix.followup_ids.append(message["id"])
        return _json(message)

    def _webhook_target(self, request: web.Request) -> tuple[FakeInteraction | None, str | None]:
        ix = self._interaction(request.match_info["token"])
        message_id = request.match_info["message"]
        if ix is not None and message_id == "@original":
            message_id = ix.original_id or ""
        if ix is None or message_id not in self.messages:
            return ix, None
        return ix, message_id

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        ix, message_id = self._webhook_target(request)
        if ix is not None and self.token_expired(ix):
            return _expired()
        if message_id is None:
            return _error(404, 10008, "Unknown Message")
        return _json(self.messages[message_id])

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        ix, message_id = self._webhook_target(request)
        if ix is not None and self.token_expired(ix):
            return _expired()
        if ix is None or message_id is None:
            return _error(404, 10008, "Unknown Message")
        message = self.messages[message_id]
        self._apply_edit(message, request[BODY] or {})
        if request[RECORDED].files:
            message["attachments"] = self._store_files(request[RECORDED])
        if message_id == ix.original_id and ix.state == "loading":
            ix.state = "replied"
        return _json(message)

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        ix, message_id = self._webhook_target(request)
        if ix is not None and self.token_expired(ix):
            return _expired()
        if ix is None or message_id is None:
            return _error(404, 10008, "Unknown Message")
        self.messages.pop(message_id)
        if message_id == ix.original_id:
            ix.state = "deleted"
        return web.Response(status=204)

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["user"])
        return _json(user) if user else _error(404, 10013, "Unknown User")

    # channels
    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        return _json(channel) if channel else _error(404, 10003, "Unknown Channel")

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel"]
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        data = request[BODY] or {}
        message = self._message(channel_id, self.bot_user, data.get("content", ""), embeds=data.get("embeds", []),
                                components=data.get("components", []))
        message["allowed_mentions"] = data.get("allowed_mentions")
        message["attachments"] = self._store_files(request[RECORDED])
        if ref := data.get("message_reference"):
            # Snowflakes come back as strings, whatever the client sent.
            message["message_reference"] = {k: str(v) if isinstance(v, int) else v for k, v in ref.items()}
            message["referenced_message"] = self.messages.get(message["message_reference"].get("message_id"))
            message["type"] = 19
        self.messages[message["id"]] = message
        return _json(message)

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["message"])
        if message is None or message["author"]["id"] != self.app_id:
            return _error(404, 10008, "Unknown Message")
        self._apply_edit(message, request[BODY] or {})
        return _json(message)

    async def _thread_from_message(self, request: web.Request) -> web.Response:
        message_id = request.match_info["message"]
        if message_id not in self.messages:
            return _error(404, 10008, "Unknown Message")
        if not self.allow_threads:
            return _error(403, 50013, "Missing Permissions")
        if self.messages[message_id]["flags"] & EPHEMERAL:
            return _error(400, 50083, "Cannot start a thread from an ephemeral message")
        if message_id in self.channels:
            return _error(400, 160004, "A thread has already been created for this message")
        data = request[BODY] or {}
        thread = self.add_thread(data["name"][:100], parent_id=request.match_info["channel"], thread_id=message_id)
        thread["thread_metadata"]["auto_archive_duration"] = data.get("auto_archive_duration", 1440)
        await self.dispatch("THREAD_CREATE", thread | {"newly_created": True})
        return _json(thread)

    async def _typing(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _attachment_content(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["id"])
        if content is None:
            return web.Response(status=404, text="asset not found")
        return web.Response(body=content, headers={"Content-Type": "application/octet-stream"})

    def _store_files(self, recorded: Recorded) -> list[JSON]:
        """Keep the files a request uploaded; their attachment objects for the message."""
        out = []
        for upload in recorded.files:
            attachment = self.attachment(upload["filename"], upload["content"], upload["content_type"])
            attachment["ephemeral"] = False
            out.append(attachment)
        return out

    # messages
    def _message(
        self, channel_id: str, author: JSON, content: str, *, flags: int = 0, embeds: list[JSON] | None = None,
        components: list[JSON] | None = None, interaction: FakeInteraction | None = None, message_type: int = 0,
    ) -> JSON:
        message: JSON = {
            "id": self.new_id(), "channel_id": channel_id, "author": author, "content": content,
            "timestamp": _now_iso(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": embeds or [], "pinned": False,
            "type": message_type, "flags": flags, "components": components or [],
        }
        channel = self.channels.get(channel_id)
        if channel is not None and channel.get("guild_id"):
            message["guild_id"] = channel["guild_id"]
        if interaction is not None:
            owner = message.get("guild_id", self.guild_id)
            message.update(webhook_id=self.app_id, application_id=self.app_id, type=20,
                           interaction_metadata={"id": interaction.id, "type": interaction.type,
                                                 "user": self._invoker(interaction),
                                                 "authorizing_integration_owners": {"0": owner}})
        return message

    @staticmethod
    def _invoker(ix: FakeInteraction) -> JSON:
        return ix.payload.get("member", {}).get("user") or ix.payload["user"]

    @staticmethod
    def _apply_edit(message: JSON, data: JSON) -> None:
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in data:
                message[key] = data[key] if data[key] is not None else ([] if key != "content" else "")
        message["flags"] = message.get("flags", 0) & ~LOADING
        message["edited_timestamp"] = _now_iso()


def _parse_multipart(content_type: str, raw: bytes) -> tuple[Any, list[JSON]]:
    """A multipart body as discord.py sends files: `payload_json` (the message) and `files[n]`."""
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    body: Any = None
    files: list[JSON] = []
    for part in parsed.iter_parts():
        assert isinstance(part, EmailMessage)
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        if name == "payload_json":
            body = json.loads(content)
        else:
            files.append({"field": name, "filename": part.get_filename(), "content": content,
                          "content_type": part.get_content_type()})
    return body, files


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's REST base and gateway at `fake` for the duration (tests that build a bare
    client; the bot itself does this from its settings)."""
    import discord.http
    import yarl
    from discord.gateway import DiscordWebSocket

    old_base, old_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
