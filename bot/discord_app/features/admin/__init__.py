"""/admin delete-review | settings | import: for server managers only."""
