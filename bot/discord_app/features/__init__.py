"""One package per feature: its cog (commands, thin: parse options, call the service layer),
its views (buttons) and its rendering (service results -> embeds and text), read in one place.
What features share lives one level up: checks.py, buttons.py, markup.py, replies.py, tree.py."""
