-- The receipt chain: seq is the chain position; the columns beside the
-- envelope index it for Get and List. head is the store's head record,
-- updated in the same transaction as the receipts it points to.
CREATE TABLE IF NOT EXISTS head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS receipts (
	seq        INTEGER PRIMARY KEY,
	run_id     TEXT NOT NULL UNIQUE,
	hash       TEXT NOT NULL,
	actor      TEXT NOT NULL,
	capability TEXT NOT NULL,
	decision   TEXT NOT NULL,
	timestamp  TEXT NOT NULL,
	envelope   BLOB NOT NULL
) STRICT;
-- Run keys (idempotency) and the write-ahead journal of actions.
CREATE TABLE IF NOT EXISTS run_keys (
	key      TEXT PRIMARY KEY,
	digest   TEXT NOT NULL,
	run_id   TEXT NOT NULL,
	state    TEXT NOT NULL,      -- running | finished | released
	result   BLOB,
	owner    TEXT NOT NULL,      -- host:pid of the process running it
	created  INTEGER NOT NULL,   -- unix nanoseconds
	updated  INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
	run_id      TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	action      TEXT NOT NULL,
	args_digest TEXT NOT NULL,
	action_key  TEXT NOT NULL,
	state       TEXT NOT NULL,   -- intent | completed | failed | not_performed | ambiguous
	detail      BLOB,
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq));
