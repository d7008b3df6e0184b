-- Per-review LLM digests are made in the background when reviews are added (or rescored), one at a
-- time, never on the /summary path. The queue is a table so it survives restarts; a trigger on the
-- scored sentences enqueues every writer's reviews (one review, bulk imports, rescoring alike).
CREATE TABLE digest_queue (
    review_id  INTEGER PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
    queued_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,  -- unix time: a failed review waits before its next try
    last_error TEXT
);
CREATE INDEX digest_queue_order ON digest_queue(not_before, queued_at);

CREATE TRIGGER digest_queue_sentences_ai AFTER INSERT ON review_sentences BEGIN
    INSERT INTO digest_queue (review_id) VALUES (new.review_id)
    ON CONFLICT (review_id) DO UPDATE SET attempts = 0, not_before = 0, last_error = NULL;
END;

-- Reviews stored before this migration are read too (the worker skips any already digested).
INSERT OR IGNORE INTO digest_queue (review_id) SELECT id FROM reviews;
