"""The Discord front door: a discord.py bot whose cogs parse options, call the service layer and
render the result. Start it with `reviewbot run`; register its commands with `reviewbot sync`."""
