-- Single-flight of summaries across processes on one SQLite file (the bot and a `reviewbot` command
-- beside it): the process holding a key's lease makes the one LLM call and renews the lease while
-- the call runs; the others wait, then read the cache. A lease that is not renewed (its process
-- died) is free once expires_at (unix time) has passed.
CREATE TABLE summary_leases (
    key        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at REAL NOT NULL
);
