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

# Inline markup anywhere: bold/italic, underline, strike, code, spoiler bars, the escape itself,
# mention / emoji / timestamp syntax (`<@1>`, `<:e:1>`, `<t:1>`) and masked links (`[x](url)`).
_INLINE = re.compile(r"[\\*_~`|<\[]")
# Block markup only counts at the start of a line: quotes, headings, subtext (`-#`), list items.
_LINE_START = re.compile(r"^([ \t]*)(?:[>#+-]|\d+[.)])", re.MULTILINE)
_EVERYONE = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_ESCAPED = re.compile(r"\\([\\*_~`|<\[>#+\-.)])")


def escape_markdown(text: str) -> str:
    """`text` with every Discord markup character escaped, so it reads as plain text."""
    text = _INLINE.sub(lambda m: "\\" + m.group(0), text)
    text = _LINE_START.sub(_escape_line_start, text)
    return _EVERYONE.sub("@\u200b", text)


def _escape_line_start(match: re.Match[str]) -> str:
    # The marker's last character: "\\#", "\\>", and "1\\." for a numbered list item.
    found = match.group(0)
    return found[:-1] + "\\" + found[-1]


def unescape_markdown(text: str) -> str:
    """The reverse of `escape_markdown` (for the terminal, which shows text without Discord)."""
    return _ESCAPED.sub(r"\1", text).replace("@\u200b", "@")
