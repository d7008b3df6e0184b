"""Spoiler detection: sentence-level scores from author signals, cues, names, position and film-specific words."""
