-- Reviews waiting for their LLM digest (as SQLite's *_digest_queue.sql): a trigger on the scored
-- sentences enqueues every writer's reviews; the worker claims one at a time (see
-- storage/postgres/digest_queue.py), so processes sharing the database never digest one twice.
CREATE TABLE digest_queue (
    review_id  BIGINT PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
    queued_at  TEXT NOT NULL DEFAULT utc_now_text(),
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX digest_queue_order ON digest_queue(not_before, queued_at);

CREATE FUNCTION digest_queue_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO digest_queue (review_id) VALUES (NEW.review_id)
    ON CONFLICT (review_id) DO UPDATE SET attempts = 0, not_before = 0, last_error = NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER digest_queue_sentences_ai AFTER INSERT ON review_sentences
    FOR EACH ROW EXECUTE FUNCTION digest_queue_enqueue();

INSERT INTO digest_queue (review_id) SELECT id FROM reviews ON CONFLICT DO NOTHING;
