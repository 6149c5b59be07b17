-- Counted events for rate-limit policies: one row per counted action,
-- dropped once it is older than its window (expires).
CREATE TABLE counter_events (
	id      TEXT PRIMARY KEY,
	key     TEXT NOT NULL,
	at      INTEGER NOT NULL,    -- unix nanoseconds
	expires INTEGER NOT NULL);
CREATE INDEX counter_events_key ON counter_events (key, at);
CREATE INDEX counter_events_expires ON counter_events (expires);
