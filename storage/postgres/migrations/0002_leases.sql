-- Leases on named work (e.g. one LLM call per film and mode): held by one bot process until it
-- releases them, or until `expires` (unix seconds) when the process died holding one.
CREATE TABLE leases (
    name     TEXT PRIMARY KEY,
    owner    TEXT NOT NULL,
    expires  DOUBLE PRECISION NOT NULL
);
