-- Per-person limits kept in the database, so every process of one bot shares them and a burst of
-- concurrent commands is checked and charged atomically (one transaction each).

-- The LLM cooldown: until when a person must wait, and the length it was started with (a server
-- may set its own with /admin settings).
CREATE TABLE cooldowns (
    user_id  TEXT NOT NULL,
    kind     TEXT NOT NULL,          -- e.g. 'llm'
    until    REAL NOT NULL,          -- unix seconds
    seconds  REAL NOT NULL,
    PRIMARY KEY (user_id, kind)
);
CREATE INDEX cooldowns_until ON cooldowns(until);

-- A sliding-window rate limit: one row per counted action, dropped once it leaves the window.
CREATE TABLE rate_hits (
    user_id  TEXT NOT NULL,
    kind     TEXT NOT NULL,          -- e.g. 'write'
    at       REAL NOT NULL           -- unix seconds
);
CREATE INDEX rate_hits_user ON rate_hits(user_id, kind, at);
CREATE INDEX rate_hits_age ON rate_hits(kind, at);

-- LLM tokens promised to calls in flight: counted against the daily budgets with llm_usage, and
-- replaced by the call's real usage when it ends. A process that dies mid-call leaves its
-- reservation behind: it stops counting at `expires`.
CREATE TABLE llm_reservations (
    id        INTEGER PRIMARY KEY,
    day       TEXT NOT NULL,         -- YYYY-MM-DD (UTC)
    user_id   TEXT,
    guild_id  TEXT,
    tokens    INTEGER NOT NULL CHECK (tokens >= 0),
    expires   REAL NOT NULL          -- unix seconds
);
CREATE INDEX llm_reservations_user ON llm_reservations(user_id, day);
CREATE INDEX llm_reservations_guild ON llm_reservations(guild_id, day);
CREATE INDEX llm_reservations_expires ON llm_reservations(expires);
