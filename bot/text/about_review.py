"""Sentences about the review itself, not the film: where and when it was posted, thanks, plugs, and
talk about its own spoiler markup ("Plot details are behind bars, so click at your own risk").

Such a sentence is no opinion of the film, whatever craft words it holds ("plot details"): the
allow-list never calls it safe (bot/spoilers/allowlist.py) and the offline summary never reads it for
opinions (bot/summarize/offline.py). Words with an everyday sense beside the editorial one ("below",
"hidden", "spoil", "piece", "you can find") count only in the editorial phrasing, so "the score hums
below every scene" and "hidden depths in her performance" stay opinions.
"""

from __future__ import annotations

import re

from bot.text.regex_cache import compile_pattern

# Editors' and bloggers' notes: where or when the piece was written, thanks, plugs, edits.
_EDITORIAL = compile_pattern(
    r"\b(?:originally (?:written|posted|published|appeared|ran)|(?:first|previously) (?:appeared|published|"
    r"posted|ran|written)|cross-?posted|re-?posted|(?:thank you|thanks|grateful) (?:to\b[^.]{0,80}\bfor\b|"
    r"to (?:everyone|all|you)\b|for (?:reading|listening|watching|having me|the (?:screener|invite|invitation|"
    r"access|link|copy)))|this (?:review|post|article)\b|this (?:piece|essay)\b(?! of| film)|"
    r"the (?:review|post) (?:contains|has|will)\b|screener|press screening|"
    r"i was (?:kindly )?(?:invited|sent|given)\b[^.]{0,40}\b(?:screener|screening|preview|link|copy|press|access)|"
    r"subscribe|patreon|follow (?:me|us)\b|my (?:blog|podcast|newsletter|channel)|read more|"
    r"read (?:my|the) (?:full|other)|"
    r"you can (?:also )?(?:read|find|listen to|follow) (?:my|our|me|us|more (?:of|on|at)|"
    r"the (?:full|rest|whole|original)|it (?:on|at|here))\b|(?:posted|published) (?:on|at|in|for|to) (?:the|my|our)\b|"
    r"written (?:for|on|at) (?:my|our)\b|(?:i['’]?d|i had|i have|i['’]ve) (?:originally |already )?(?:written|posted|"
    r"reviewed)|my (?:original|earlier|previous) (?:review|post)|(?:full|longer) review|links? below|"
    r"part (?:one|two|three|\d+) of (?:my|our)\b|this week on)\b"
    # An edit or note marker: "Edit: …", "(Update - …)", "PS: …". Not under the closing \b above,
    # which no word follows.
    r"|\b(?:edit(?:ed)?|update(?:d)?|editor['’]?s note)\s*[:\-–—](?!\w)"
    r"|(?:^|[(\[])\W*(?:note|ps|p\.s\.|disclaimer)\s*[:\-–—](?!\w)",
    re.IGNORECASE,
)
# The review's own spoiler markup and warnings: where the spoilers are, how to reveal them, that the
# reviewer will not spoil anything.
_MARKUP_TALK = compile_pattern(
    r"\bspoilers?\b|"
    r"\b(?:without|avoid(?:ing)?|not (?:to|going to|gonna)|won['’]?t|will not|(?:do|don['’]?t|do not) want to|"
    r"can['’]?t|cannot|rather not|no need to|careful not to|try(?:ing)? not to|hate to|not here to) spoil(?:ing)?\b|"
    r"\bspoil(?:ing)? (?:anything|nothing|too much|much more)\b|"
    r"\bspoil\w* (?:\w+ ){0,4}?for (?:you|anyone|everyone|readers|others|those|people|the uninitiated)\b|"
    r"\bbehind (?:the |a |some |spoiler |black |these |those )*(?:bars?|tags?|blurs?|markup)\b|"
    r"\b(?:black|spoiler|blurred) (?:bars?|boxe?s?|tags?)\b|"
    r"\b(?:blurred|blacked|greyed|grayed|redacted) out\b|"
    r"\bclick (?:at|to|on|here|if)\b|\btap (?:to|on)\b|\bhover (?:over|to)\b|\bhighlight (?:to|it|the text)\b|"
    r"\bat your own (?:risk|peril)\b|\b(?:stop|keep|continue) reading\b|\bread (?:on|no further)\b|"
    r"\b(?:see|read|scroll|more|details|thoughts|discussion|talk|continued|continues|comments?|links?|listed|"
    r"section|paragraphs?|discuss(?:ed)?|explain(?:ed)?|elaborate|mentioned|noted|further) (?:down )?below\b|"
    r"\bbelow (?:the )?(?:cut|fold|bars?|tags?)\b|\bbelow\s*(?:[.!:;)]|$)|"  # "… the cinematography below."
    r"\bhidden (?:behind|under|in|with|beneath|below|by) (?:\w+ ){0,2}?(?:bars?|tags?|blurs?|markup|cut|fold)\b|"
    r"\bhidden for (?:the (?:\w+ )?(?:crowd|readers?|folks|uninitiated)|those|anyone|people|readers|newcomers)\b|"
    r"\b(?:content|trigger) warnings?\b|^\W*(?:cw|tw)\s*:",
    re.IGNORECASE,
)


def is_editorial(sentence: str) -> bool:
    """An editor's or blogger's note: where or when the piece was posted, thanks, plugs, edits.

    Apart from markup talk for the spoilers-mode plot section: "Spoilers: <the reveal>" is a note
    about markup and a reveal at once, and is quoted there behind `||…||`; an editor's note never is."""
    return bool(_EDITORIAL.search(sentence))


def is_about_the_review(sentence: str) -> bool:
    """Is this sentence about the review itself (its markup, where or when it was posted, plugs,
    thanks) rather than about the film?"""
    return is_editorial(sentence) or bool(_MARKUP_TALK.search(sentence))
