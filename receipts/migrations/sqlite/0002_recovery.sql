-- Recovery: the runs that journaled actions (with what their receipt
-- needs), the arguments of open actions, and indexes for the claims'
-- clock and the search for keys left running.
CREATE TABLE runs (
	run_id  TEXT PRIMARY KEY,
	run_key TEXT NOT NULL,
	owner   TEXT NOT NULL,
	meta    BLOB NOT NULL,       -- the run's description, JSON
	created INTEGER NOT NULL);
ALTER TABLE journal ADD COLUMN args BLOB;
CREATE INDEX run_keys_updated ON run_keys (updated);
CREATE INDEX run_keys_running ON run_keys (state) WHERE state = 'running';
