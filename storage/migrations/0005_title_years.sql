-- "Title (Year)" at catalogue scale: a title shared by thousands of films ("Hamlet", or a
-- synthetic "Harbor") made the year filter visit every one of them. The film's year is copied onto
-- its names, indexed with the name; triggers keep the copy right for every writer.
ALTER TABLE film_titles ADD COLUMN year INTEGER;
UPDATE film_titles SET year = (SELECT year FROM films WHERE films.id = film_titles.film_id);
CREATE INDEX film_titles_norm_year ON film_titles(norm, year);

CREATE TRIGGER film_titles_year_ai AFTER INSERT ON film_titles BEGIN
    UPDATE film_titles SET year = (SELECT year FROM films WHERE id = new.film_id) WHERE id = new.id;
END;
CREATE TRIGGER films_year_au AFTER UPDATE OF year ON films BEGIN
    UPDATE film_titles SET year = new.year WHERE film_id = new.id;
END;
