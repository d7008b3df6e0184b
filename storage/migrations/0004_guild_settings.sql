-- Per-server choices made by a server's managers with /admin settings (NULL: the bot's default),
-- and the server a review was written in through Discord, so that server's managers can remove
-- it with /admin delete-review (reviews from files, the terminal or other servers stay out of reach).
CREATE TABLE guild_settings (
    guild_id             TEXT PRIMARY KEY,
    spoilers_in_channel  INTEGER CHECK (spoilers_in_channel IS NULL OR spoilers_in_channel IN (0, 1)),
    llm_cooldown_seconds REAL CHECK (llm_cooldown_seconds IS NULL OR llm_cooldown_seconds >= 0),
    updated_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

ALTER TABLE reviews ADD COLUMN guild_id TEXT;
CREATE INDEX reviews_guild ON reviews(guild_id, id) WHERE guild_id IS NOT NULL;
