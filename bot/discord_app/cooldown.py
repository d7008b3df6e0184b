"""A per-user cooldown shared by the LLM-backed commands (/summary, /ask, thread follow-ups).

`check` runs before a command does anything; `charge` only once the command is about to do the
expensive work, so a typo in a film title does not cost the person their turn.
"""

from __future__ import annotations

import time

from discord import app_commands


class UserCooldown:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        return max(0.0, self._until.get(user_id, 0.0) - time.monotonic())

    def check(self, user_id: int) -> None:
        """Raise `CommandOnCooldown` (answered by the error handler) while the user must wait."""
        wait = self.retry_after(user_id)
        if wait > 0:
            raise app_commands.CommandOnCooldown(app_commands.Cooldown(1, self.seconds), wait)

    def charge(self, user_id: int) -> None:
        if self.seconds <= 0:
            return
        now = time.monotonic()
        if len(self._until) > 1000:  # forget expired entries now and then
            self._until = {user: until for user, until in self._until.items() if until > now}
        self._until[user_id] = now + self.seconds
