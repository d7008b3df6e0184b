"""Importers: the project's JSON format, review CSVs and Letterboxd exports, into one transaction."""
