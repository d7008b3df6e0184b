"""A per-user cooldown shared by the LLM-backed commands (/summary, /ask, thread follow-ups).

`check` runs before a command does anything; `charge` only once the command is about to do the
expensive work, so a typo in a film title does not cost the person their turn. A server can set
its own cooldown (/admin settings); `charge` is then given that server's seconds.
"""

from __future__ import annotations

import time

from discord import app_commands


class UserCooldown:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds  # the bot-wide default
        self._until: dict[int, tuple[float, float]] = {}  # user -> (monotonic deadline, seconds charged)

    def retry_after(self, user_id: int) -> float:
        until, _ = self._until.get(user_id, (0.0, 0.0))
        return max(0.0, until - time.monotonic())

    def check(self, user_id: int) -> None:
        """Raise `CommandOnCooldown` (answered by the error handler) while the user must wait."""
        wait = self.retry_after(user_id)
        if wait > 0:
            per = self._until[user_id][1]
            raise app_commands.CommandOnCooldown(app_commands.Cooldown(1, per), wait)

    def charge(self, user_id: int, seconds: float | None = None) -> None:
        seconds = self.seconds if seconds is None else seconds
        if seconds <= 0:
            return
        now = time.monotonic()
        if len(self._until) > 1000:  # forget expired entries now and then
            self._until = {user: entry for user, entry in self._until.items() if entry[0] > now}
        self._until[user_id] = (now + seconds, seconds)
