-- reviewbot schema, version 1. Times are ISO-8601 UTC text; lists are JSON arrays.

CREATE TABLE app_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE films (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    year            INTEGER,
    original_title  TEXT,
    directors       TEXT NOT NULL DEFAULT '[]',
    cast_members    TEXT NOT NULL DEFAULT '[]',
    characters      TEXT NOT NULL DEFAULT '[]',
    runtime_minutes INTEGER,
    genres          TEXT NOT NULL DEFAULT '[]',
    logline         TEXT,
    imdb_id         TEXT UNIQUE,
    tmdb_id         INTEGER,
    is_stub         INTEGER NOT NULL DEFAULT 0,  -- created from a watchlist add: title (+ year) only
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX films_year ON films(year);

-- Every name a film is known by (title, original title, aliases), normalised for lookup:
-- lower case, accents and punctuation removed, spaces collapsed.
CREATE TABLE film_titles (
    id      INTEGER PRIMARY KEY,
    film_id INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
    title   TEXT NOT NULL,
    norm    TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('title', 'original', 'alias')),
    UNIQUE (film_id, norm)
);
CREATE INDEX film_titles_norm ON film_titles(norm);

-- Substring search over normalised names ("comrade" finds "dear comrades").
CREATE VIRTUAL TABLE film_titles_fts USING fts5(
    norm, content='film_titles', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER film_titles_ai AFTER INSERT ON film_titles BEGIN
    INSERT INTO film_titles_fts(rowid, norm) VALUES (new.id, new.norm);
END;
CREATE TRIGGER film_titles_ad AFTER DELETE ON film_titles BEGIN
    INSERT INTO film_titles_fts(film_titles_fts, rowid, norm) VALUES ('delete', old.id, old.norm);
END;
CREATE TRIGGER film_titles_au AFTER UPDATE ON film_titles BEGIN
    INSERT INTO film_titles_fts(film_titles_fts, rowid, norm) VALUES ('delete', old.id, old.norm);
    INSERT INTO film_titles_fts(rowid, norm) VALUES (new.id, new.norm);
END;

CREATE TABLE reviews (
    id                      INTEGER PRIMARY KEY,
    film_id                 INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
    author                  TEXT NOT NULL,
    author_user_id          TEXT,              -- set when written through the bot (Discord / terminal user)
    source                  TEXT NOT NULL,     -- sample, import, csv, letterboxd, discord, terminal
    rating                  REAL CHECK (rating IS NULL OR (rating >= 0.5 AND rating <= 5)),
    text                    TEXT NOT NULL,
    author_flagged_spoilers INTEGER NOT NULL DEFAULT 0,
    content_hash            TEXT NOT NULL,     -- makes re-imports idempotent
    created_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (film_id, author, content_hash)
);
CREATE INDEX reviews_film ON reviews(film_id);
CREATE INDEX reviews_author_user ON reviews(author_user_id) WHERE author_user_id IS NOT NULL;

-- Sentence-level spoiler scores, computed once when a review is stored.
CREATE TABLE review_sentences (
    id            INTEGER PRIMARY KEY,
    review_id     INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    text          TEXT NOT NULL,
    spoiler_score REAL NOT NULL,
    author_marked INTEGER NOT NULL DEFAULT 0,  -- inside ||…||, [spoiler]…, or after "spoilers ahead"
    topics        TEXT NOT NULL DEFAULT '',    -- comma-separated: acting, direction, look, sound, pacing, ...
    UNIQUE (review_id, idx)
);

-- Full-text search over review text, sentence by sentence (retrieval for /ask).
CREATE VIRTUAL TABLE review_sentences_fts USING fts5(
    text, content='review_sentences', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER review_sentences_ai AFTER INSERT ON review_sentences BEGIN
    INSERT INTO review_sentences_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER review_sentences_ad AFTER DELETE ON review_sentences BEGIN
    INSERT INTO review_sentences_fts(review_sentences_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER review_sentences_au AFTER UPDATE OF text ON review_sentences BEGIN
    INSERT INTO review_sentences_fts(review_sentences_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO review_sentences_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE user_prefs (
    user_id          TEXT PRIMARY KEY,
    watchlist_shared INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE watchlist_entries (
    id         INTEGER PRIMARY KEY,
    user_id    TEXT NOT NULL,
    scope      TEXT NOT NULL DEFAULT '',  -- '' = global list; a guild id when WATCHLIST_SCOPE=guild
    film_id    INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
    added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    watched_at TEXT,
    rating     REAL CHECK (rating IS NULL OR (rating >= 0.5 AND rating <= 5 AND rating * 2 = CAST(rating * 2 AS INTEGER))),
    note       TEXT,
    UNIQUE (user_id, scope, film_id)
);

CREATE TABLE summary_cache (
    film_id         INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
    mode            TEXT NOT NULL CHECK (mode IN ('spoiler_free', 'spoilers')),
    engine          TEXT NOT NULL,   -- 'offline' or 'openai:<model>'
    prompt_version  TEXT NOT NULL,
    review_set_hash TEXT NOT NULL,
    summary         TEXT NOT NULL,
    sources         TEXT NOT NULL DEFAULT '[]',
    notes           TEXT NOT NULL DEFAULT '[]',
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (film_id, mode, engine, prompt_version, review_set_hash)
);

-- Per-review LLM digests: a review is read by the LLM once, then only its digest is reused.
CREATE TABLE review_digests (
    review_id      INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    engine         TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    safe_digest    TEXT NOT NULL,
    spoiler_digest TEXT NOT NULL DEFAULT '',
    input_tokens   INTEGER NOT NULL DEFAULT 0,
    output_tokens  INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (review_id, engine, prompt_version)
);

-- Every LLM call's token counts, for per-user and per-guild daily budgets.
CREATE TABLE llm_usage (
    id            INTEGER PRIMARY KEY,
    day           TEXT NOT NULL,   -- YYYY-MM-DD (UTC)
    user_id       TEXT,
    guild_id      TEXT,
    purpose       TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX llm_usage_user_day ON llm_usage(user_id, day);
CREATE INDEX llm_usage_guild_day ON llm_usage(guild_id, day);

CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,  -- e.g. 'discord:thread:123', 'terminal:<session>'
    user_id    TEXT,
    film_id    INTEGER REFERENCES films(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE conversation_turns (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    user_id         TEXT,
    content         TEXT NOT NULL,
    tokens          INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX conversation_turns_conv ON conversation_turns(conversation_id, id);
