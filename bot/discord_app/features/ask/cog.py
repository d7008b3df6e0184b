"""/ask: a conversational answer grounded in the stored reviews and facts, continued in a thread.

In a server channel the answer opens a thread; in a thread, /ask continues that thread's
conversation; in DMs one conversation per person continues from /ask to /ask.

Follow-ups in a thread: reading message text in servers needs the privileged Message Content
intent. Without it Discord still delivers the text of messages that mention the bot (a reply with
its ping on counts), so by default the bot answers follow-ups that mention it, and the thread's
first message says so. With DISCORD_MESSAGE_CONTENT=true (and the intent switched on in the
Developer Portal) it answers every message in its conversation threads.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import Interaction, film_autocomplete, llm_cooldown, requester_of
from bot.discord_app.features.ask import render
from bot.discord_app.replies import LiveText, defer, edit_original, follow_up
from bot.discord_app.tree import describe
from bot.errors import LimitReached
from bot.services.ask import Answer
from bot.services.summaries import Requester
from storage.records import Film

if TYPE_CHECKING:
    from bot.discord_app.bot import ReviewBot

log = logging.getLogger(__name__)
THINKING = "💭 Thinking…"
THREAD_NAME_LIMIT = 100
NEW_CONVERSATION_TIP = "-# Use /ask in a channel (outside this thread) to start a new conversation."


def conversation_key(kind: str, ident: int) -> str:
    return f"discord:{kind}:{ident}"


def thread_name(question: str) -> str:
    name = " ".join(question.split())
    return name if len(name) <= THREAD_NAME_LIMIT else name[: THREAD_NAME_LIMIT - 1] + "…"


class AskCog(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="ask", description="Ask about a film; I answer from the stored reviews, then in a thread"
    )
    @app_commands.describe(
        question="Your question, e.g. “is the acting any good?”",
        film="Which film (optional if the question names it)",
    )
    @app_commands.autocomplete(film=film_autocomplete)
    @llm_cooldown()
    async def ask(
        self, interaction: Interaction, question: app_commands.Range[str, 1, 500], film: str | None = None
    ) -> None:
        self.bot.services.ask.check_question(question)  # mistakes are answered at once, privately
        target = await self.bot.services.films.resolve(film) if film else None
        await self.bot.charge_llm(interaction.user.id, interaction.guild_id)
        channel = interaction.channel
        await defer(interaction)
        anchor = None  # the answer message a new thread starts from
        if isinstance(channel, discord.Thread):
            key = conversation_key("thread", channel.id)
        elif interaction.guild_id is None:
            key = conversation_key("dm", interaction.user.id)
        else:  # a thread started from the answer gets the answer message's id
            anchor = (await interaction.original_response()).id
            key = conversation_key("thread", anchor)

        async def preview(text: str) -> None:
            await interaction.edit_original_response(content=render.answer_preview(text))

        # In DMs every /ask continues one conversation, so a full one is replaced by a new one.
        dm = interaction.guild_id is None
        answer = await self._answer(question, target, key, requester_of(interaction), preview, start_over=dm)
        first, *rest = render.answer_pieces(answer)
        message = await edit_original(interaction, content=first)
        thread = None
        # (An answer posted in the channel after the interaction expired is a different message: no thread.)
        if isinstance(channel, discord.TextChannel) and message is not None and message.id == anchor:
            thread = await self._open_thread(interaction, message, question)
        for piece in rest:
            if thread is not None:
                await thread.send(piece)
            else:
                await follow_up(interaction, content=piece)
        if thread is not None:
            await thread.send(self._thread_hint())

    async def _answer(
        self,
        question: str,
        film: Film | None,
        key: str,
        requester: Requester,
        preview: Callable[[str], Awaitable[None]],
        *,
        start_over: bool = False,
    ) -> Answer:
        live = LiveText(preview, interval=self.bot.edit_interval)
        try:
            async with asyncio.timeout(self.bot.work_timeout):
                return await self.bot.services.ask.ask(
                    question, film=film, conversation=key, requester=requester, on_text=live,
                    start_over_when_full=start_over,
                )
        except LimitReached as error:
            if start_over:
                raise
            raise LimitReached(f"{error.message}\n{NEW_CONVERSATION_TIP}") from error
        finally:
            await live.close()

    async def _open_thread(
        self, interaction: Interaction, message: discord.Message, question: str
    ) -> discord.Thread | None:
        try:
            return await message.create_thread(name=thread_name(question), auto_archive_duration=1440)
        except discord.HTTPException as error:
            log.info("Could not open a thread in channel %s: %s", message.channel.id, error)
            await follow_up(
                interaction,
                content="I couldn't open a thread for follow-ups here (I need the *Create Public Threads* "
                "permission), so ask again with /ask.",
                ephemeral=True,
            )
            return None

    def _thread_hint(self) -> str:
        if self.bot.settings.discord_message_content:
            return "-# Ask follow-up questions here; I remember the conversation."
        mention = self.bot.user.mention if self.bot.user else "me"
        return f"-# Ask follow-up questions here: mention {mention} (or reply to me); I remember the conversation."

    # --- follow-ups in a conversation thread -----------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or self.bot.user is None:
            return
        me = self.bot.user.id
        if not (self.bot.settings.discord_message_content or any(u.id == me for u in message.mentions)):
            return
        question = re.sub(rf"<@!?{me}>", " ", message.content).strip()
        key = conversation_key("thread", message.channel.id)
        if not question or not await self.bot.services.ask.has_conversation(key):
            return
        refusal = self.bot.access.refusal(message.channel, message.author, in_guild=True)
        if refusal is not None:
            await self._say(message, None, refusal)
            return
        await self._follow_up(message, question, key)

    async def _follow_up(self, message: discord.Message, question: str, key: str) -> None:
        reply: discord.Message | None = None
        try:
            self.bot.track(message)
            await self.bot.llm_cooldown.check(str(message.author.id))
            await self.bot.charge_llm(message.author.id, message.guild.id if message.guild else None)
            reply = await message.reply(THINKING, mention_author=False)
            placeholder = reply

            async def preview(text: str) -> None:
                await placeholder.edit(content=render.answer_preview(text))

            guild = str(message.guild.id) if message.guild else None
            answer = await self._answer(question, None, key, Requester(str(message.author.id), guild), preview)
            first, *rest = render.answer_pieces(answer)
            await reply.edit(content=first)
            for piece in rest:
                await message.channel.send(piece)
        except Exception as error:
            text, expected = describe(error)
            if not expected:
                log.error("Unexpected error answering a follow-up in %s", message.channel.id, exc_info=error)
            await self._say(message, reply, text)

    @staticmethod
    async def _say(message: discord.Message, reply: discord.Message | None, text: str) -> None:
        try:
            if reply is not None:
                await reply.edit(content=text)
            else:
                await message.reply(text, mention_author=False)
        except discord.HTTPException:
            log.warning("Could not answer a follow-up in %s", message.channel.id, exc_info=True)


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(AskCog(bot))
