"""A spoiler and summary evaluation set made of reviews written by people outside the project.

Only where each review came from and our labels are committed (index.json and films/); the texts
are read into an ignored folder (see README.md here).
"""
