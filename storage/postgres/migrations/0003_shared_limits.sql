-- Per-person limits kept in the database, so every process of one bot shares them (as SQLite's
-- *_shared_limits.sql). Check-and-charge is one transaction under an advisory lock per person.
CREATE TABLE cooldowns (
    user_id  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    until    DOUBLE PRECISION NOT NULL,   -- unix seconds
    seconds  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (user_id, kind)
);
CREATE INDEX cooldowns_until ON cooldowns(until);

CREATE TABLE rate_hits (
    user_id  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    at       DOUBLE PRECISION NOT NULL
);
CREATE INDEX rate_hits_user ON rate_hits(user_id, kind, at);
CREATE INDEX rate_hits_age ON rate_hits(kind, at);

CREATE TABLE llm_reservations (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day       TEXT NOT NULL,
    user_id   TEXT,
    guild_id  TEXT,
    tokens    INTEGER NOT NULL CHECK (tokens >= 0),
    expires   DOUBLE PRECISION NOT NULL
);
CREATE INDEX llm_reservations_user ON llm_reservations(user_id, day);
CREATE INDEX llm_reservations_guild ON llm_reservations(guild_id, day);
CREATE INDEX llm_reservations_expires ON llm_reservations(expires);
