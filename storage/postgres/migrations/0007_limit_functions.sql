-- Rate limits and cooldowns in one round trip each: the locked check-and-charge of
-- storage/postgres/limits.py as PL/pgSQL functions (BEGIN, lock, reads, write, COMMIT were up to six
-- trips to the server; every write command pays the rate limit). Each statement inside still runs
-- with a fresh snapshot after the lock is granted (READ COMMITTED), as the separate ones did. The
-- lock keys are the ones the Python code took: 'rate' / 'cooldown', the person and the kind, joined
-- by U+001F.
CREATE FUNCTION rate_hit(p_user TEXT, p_kind TEXT, p_limit INTEGER, p_window DOUBLE PRECISION,
                         p_now DOUBLE PRECISION) RETURNS DOUBLE PRECISION
LANGUAGE plpgsql AS $$
DECLARE
    hits BIGINT;
    oldest DOUBLE PRECISION;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('rate' || chr(31) || p_user || chr(31) || p_kind, 0));
    DELETE FROM rate_hits WHERE user_id = p_user AND kind = p_kind AND at <= p_now - p_window;
    SELECT count(*), min(at) INTO hits, oldest FROM rate_hits WHERE user_id = p_user AND kind = p_kind;
    IF hits >= p_limit AND oldest IS NOT NULL THEN
        RETURN greatest(oldest + p_window - p_now, 0.001);
    END IF;
    INSERT INTO rate_hits (user_id, kind, at) VALUES (p_user, p_kind, p_now);
    RETURN 0;
END $$;

-- (seconds left, cooldown length) of a running cooldown, or (0, p_seconds) once started.
CREATE FUNCTION cooldown_start(p_user TEXT, p_kind TEXT, p_seconds DOUBLE PRECISION, p_now DOUBLE PRECISION,
                               OUT left_seconds DOUBLE PRECISION, OUT length_seconds DOUBLE PRECISION)
LANGUAGE plpgsql AS $$
DECLARE
    running RECORD;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('cooldown' || chr(31) || p_user || chr(31) || p_kind, 0));
    SELECT until, seconds INTO running FROM cooldowns WHERE user_id = p_user AND kind = p_kind;
    IF FOUND AND running.until > p_now THEN
        left_seconds := running.until - p_now;
        length_seconds := running.seconds;
        RETURN;
    END IF;
    INSERT INTO cooldowns (user_id, kind, until, seconds) VALUES (p_user, p_kind, p_now + p_seconds, p_seconds)
    ON CONFLICT (user_id, kind) DO UPDATE SET until = excluded.until, seconds = excluded.seconds;
    left_seconds := 0;
    length_seconds := p_seconds;
END $$;
