"""/privacy export | delete: everything the bot stores about you, as a file, or erased."""
