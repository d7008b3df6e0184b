"""/summary: what reviewers think of a film, spoiler-free unless asked; "Show spoilers" and the film
card's "Summary" button."""
