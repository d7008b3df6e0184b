"""reviewbot: a spoiler-safe film-review assistant for Discord and the terminal."""

__version__ = "0.1.0"
