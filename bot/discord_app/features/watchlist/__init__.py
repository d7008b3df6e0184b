"""/watchlist add | remove | list | watched, its pages and the film card's "Add to watchlist"."""
