-- Adding to a watchlist in one round trip: the lock on the list, the duplicate and size checks and
-- the insert were six (BEGIN, lock, two reads, insert, COMMIT), each a trip to the server under a
-- burst. A PL/pgSQL function runs the same statements in order, each with a fresh snapshot (READ
-- COMMITTED), so the checks still see every add committed before the lock was granted.
CREATE FUNCTION watchlist_add(p_user TEXT, p_scope TEXT, p_film BIGINT, p_max INTEGER) RETURNS TEXT
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('watchlist:' || p_user || ':' || p_scope));
    IF EXISTS (SELECT 1 FROM watchlist_entries WHERE user_id = p_user AND scope = p_scope AND film_id = p_film) THEN
        RETURN 'exists';
    END IF;
    IF (SELECT count(*) FROM watchlist_entries WHERE user_id = p_user AND scope = p_scope) >= p_max THEN
        RETURN 'full';
    END IF;
    INSERT INTO watchlist_entries (user_id, scope, film_id) VALUES (p_user, p_scope, p_film);
    RETURN 'added';
END $$;
