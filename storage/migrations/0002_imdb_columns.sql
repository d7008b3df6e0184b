-- Facts the IMDb datasets carry that the first schema did not: rating, votes and title type.
ALTER TABLE films ADD COLUMN imdb_rating REAL;
ALTER TABLE films ADD COLUMN imdb_votes INTEGER;
ALTER TABLE films ADD COLUMN title_type TEXT;
