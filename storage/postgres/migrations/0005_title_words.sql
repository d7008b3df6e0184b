-- Title words as rows, for the look-ups' word stage (the words typed, their typo corrections, a
-- half-typed last word). The tsvector + GIN index of 0001 was slow for it: on a catalogue of tens of
-- thousands of names the planner chose a sequential scan, matching every tsvector (40 ms for a
-- word query), and the 'simple' parser splits names differently from SQLite's FTS5. Here a name's
-- words are its normalised form split on spaces (as FTS5 tokenises it), and each term of a query
-- is one range scan of the byte-ordered primary key: `word = w` for a word, `word >= w AND word <
-- w || U+10FFFF` for a prefix. The same table is the vocabulary (its distinct words) for typos.
CREATE TABLE film_title_words (
    word     TEXT COLLATE "C" NOT NULL,
    title_id BIGINT NOT NULL REFERENCES film_titles(id) ON DELETE CASCADE,
    PRIMARY KEY (word, title_id)
);
CREATE INDEX film_title_words_title ON film_title_words(title_id);

CREATE FUNCTION film_title_words_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM film_title_words WHERE title_id = OLD.id;
    END IF;
    INSERT INTO film_title_words (word, title_id)
        SELECT DISTINCT w, NEW.id FROM unnest(string_to_array(NEW.norm, ' ')) AS w WHERE w <> ''
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER film_title_words_ai AFTER INSERT ON film_titles
    FOR EACH ROW EXECUTE FUNCTION film_title_words_fill();
CREATE TRIGGER film_title_words_au AFTER UPDATE OF norm ON film_titles
    FOR EACH ROW WHEN (OLD.norm IS DISTINCT FROM NEW.norm) EXECUTE FUNCTION film_title_words_fill();

INSERT INTO film_title_words (word, title_id)
    SELECT DISTINCT w, t.id FROM film_titles t, unnest(string_to_array(t.norm, ' ')) AS w WHERE w <> ''
    ON CONFLICT DO NOTHING;
ANALYZE film_title_words;

-- Unused since: the tsvector of names and the trigram index (every write paid for both).
ALTER TABLE film_titles DROP COLUMN words;
DROP INDEX film_titles_trgm;
