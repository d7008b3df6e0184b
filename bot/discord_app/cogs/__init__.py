"""One cog per feature. Cogs are thin: parse options, call the service layer, render the result."""
