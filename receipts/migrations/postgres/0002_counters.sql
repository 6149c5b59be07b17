-- Counted events for rate-limit policies, shared by every runner: one row
-- per counted action, dropped once it is older than its window (expires).
CREATE TABLE enact.counter_events (
	id      text PRIMARY KEY,
	key     text NOT NULL,
	at      bigint NOT NULL,
	expires bigint NOT NULL
);
CREATE INDEX counter_events_key ON enact.counter_events (key, at);
CREATE INDEX counter_events_expires ON enact.counter_events (expires);
