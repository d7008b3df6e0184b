"""/film: a film's facts, with "Summary" and "Add to watchlist" buttons."""
