"""The terminal front door: `reviewbot chat` and the one-shot commands."""
