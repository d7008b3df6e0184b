-- Title search at catalogue scale. A word index (with prefix indexes, for names typed half-way)
-- and its vocabulary (for correcting misspelt words) replace the trigram index: a trigram phrase
-- query over a million names intersects huge posting lists for common trigrams ("the"), and it
-- cannot forgive a wrong letter anyway.
DROP TRIGGER film_titles_ai;
DROP TRIGGER film_titles_ad;
DROP TRIGGER film_titles_au;
DROP TABLE film_titles_fts;

CREATE VIRTUAL TABLE film_words USING fts5(
    norm, content='film_titles', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3'
);
CREATE VIRTUAL TABLE film_words_vocab USING fts5vocab(film_words, 'row');
CREATE TRIGGER film_words_ai AFTER INSERT ON film_titles BEGIN
    INSERT INTO film_words(rowid, norm) VALUES (new.id, new.norm);
END;
CREATE TRIGGER film_words_ad AFTER DELETE ON film_titles BEGIN
    INSERT INTO film_words(film_words, rowid, norm) VALUES ('delete', old.id, old.norm);
END;
CREATE TRIGGER film_words_au AFTER UPDATE OF norm ON film_titles BEGIN
    INSERT INTO film_words(film_words, rowid, norm) VALUES ('delete', old.id, old.norm);
    INSERT INTO film_words(rowid, norm) VALUES (new.id, new.norm);
END;
INSERT INTO film_words(film_words) VALUES ('rebuild');

-- Autocomplete with an empty box offers the best-known films first.
CREATE INDEX films_popularity ON films(imdb_votes DESC) WHERE imdb_votes IS NOT NULL;
