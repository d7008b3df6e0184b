"""People's text inside the bot's own Discord markup, shown as they typed it.

The bot writes Discord markdown (`**Film (2019)**`, `||spoiler||`); titles, names and quoted review
sentences are put inside it. Left raw, a title like `||x` opens a spoiler span that hides the rest
of the bot's message (or, worse, an unclosed span shows a spoiler in the clear), `**` ends the bot's
bold early, `# ` at the start of a line turns it into a heading, `<@123>` becomes a mention pill and
`[x](url)` a disguised link. Escaped with a backslash, each shows as the character it is.

The terminal renders the same markup (bot/terminal/render.py) and removes these escapes again.
"""

from __future__ import annotations

import re

from bot.text.regex_cache import compile_pattern

# Inline markup anywhere: bold/italic, underline, strike, code, spoiler bars, the escape itself,
# mention / emoji / timestamp syntax (`<@1>`, `<:e:1>`, `<t:1>`) and masked links (`[x](url)`).
_INLINE = compile_pattern(r"[\\*_~`|<\[]")
# Block markup only counts at the start of a line: quotes, headings, subtext (`-#`), list items.
_LINE_START = compile_pattern(r"^([ \t]*)(?:[>#+-]|\d+[.)])", re.MULTILINE)
_EVERYONE = compile_pattern(r"@(?=everyone|here)", re.IGNORECASE)
_ESCAPED = compile_pattern(r"\\([\\*_~`|<\[>#+\-.)])")

# Invisible characters that change how the text *around* them is shown: C0 controls (tab and line
# breaks aside) and the bidi embeddings, overrides and isolates, which stay in force to the end of
# the line: a film called "\u202eX" would show the rest of the bot's sentence reversed.
_DISPLAY_CONTROLS = compile_pattern("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def strip_display_controls(text: str, replacement: str = "") -> str:
    """`text` without the controls above (marks such as U+200F and joiners such as U+200D stay).

    Titles being stored use a space as `replacement`: normalisation reads these characters as word
    breaks, so "a\x05b" must stay two words to be found again by what was typed."""
    return _DISPLAY_CONTROLS.sub(replacement, text)


def escape_markdown(text: str) -> str:
    """`text` with every Discord markup character escaped, so it reads as plain text (and without
    the invisible controls that would change how the bot's text after it is shown)."""
    text = _INLINE.sub(lambda m: "\\" + m.group(0), strip_display_controls(text))
    text = _LINE_START.sub(_escape_line_start, text)
    return _EVERYONE.sub("@\u200b", text)


def _escape_line_start(match: re.Match[str]) -> str:
    # The marker's last character: "\\#", "\\>", and "1\\." for a numbered list item.
    found = match.group(0)
    return found[:-1] + "\\" + found[-1]


def unescape_markdown(text: str) -> str:
    """The reverse of `escape_markdown` (for the terminal, which shows text without Discord)."""
    return _ESCAPED.sub(r"\1", text).replace("@\u200b", "@")
