-- Enact's shared store: everything lives in the schema "enact".
-- Times are unix nanoseconds of the database server's clock, so that a
-- fleet of runners judges key expiry by one clock.
CREATE SCHEMA IF NOT EXISTS enact;

-- The receipt chain: seq is the chain position; head is the store's head
-- record, locked (FOR UPDATE) by each append and updated in its
-- transaction.
CREATE TABLE enact.head (
	id   integer PRIMARY KEY CHECK (id = 1),
	seq  bigint NOT NULL,
	hash text NOT NULL
);
INSERT INTO enact.head (id, seq, hash) VALUES (1, 0, '');
CREATE TABLE enact.receipts (
	seq        bigint PRIMARY KEY,
	run_id     text NOT NULL UNIQUE,
	hash       text NOT NULL,
	actor      text NOT NULL,
	capability text NOT NULL,
	decision   text NOT NULL,
	timestamp  text NOT NULL,
	envelope   bytea NOT NULL
);
CREATE INDEX receipts_actor ON enact.receipts (actor, seq);
CREATE INDEX receipts_capability ON enact.receipts (capability, seq);

-- Run keys (idempotency).
CREATE TABLE enact.run_keys (
	key     text PRIMARY KEY,
	digest  text NOT NULL,
	run_id  text NOT NULL,
	state   text NOT NULL CHECK (state IN ('running', 'finished', 'released')),
	result  bytea,
	owner   text NOT NULL,
	created bigint NOT NULL,
	updated bigint NOT NULL
);
CREATE INDEX run_keys_updated ON enact.run_keys (updated);
CREATE INDEX run_keys_running ON enact.run_keys (state) WHERE state = 'running';

-- The write-ahead journal: runs that acted, and their actions.
CREATE TABLE enact.runs (
	run_id  text PRIMARY KEY,
	run_key text NOT NULL,
	owner   text NOT NULL,
	meta    bytea NOT NULL,
	created bigint NOT NULL
);
CREATE TABLE enact.journal (
	run_id      text NOT NULL REFERENCES enact.runs (run_id) ON DELETE CASCADE,
	seq         bigint NOT NULL,
	action      text NOT NULL,
	args_digest text NOT NULL,
	action_key  text NOT NULL,
	args        bytea,
	state       text NOT NULL CHECK (state IN ('intent', 'completed', 'failed', 'not_performed', 'ambiguous')),
	detail      bytea,
	created     bigint NOT NULL,
	updated     bigint NOT NULL,
	PRIMARY KEY (run_id, seq)
);
