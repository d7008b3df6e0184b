"""/reviews (read a film's stored reviews, spoilers hidden, page by page) and /review (add your own)."""
