"""/ask: answers grounded in the stored reviews, continued in a thread."""
