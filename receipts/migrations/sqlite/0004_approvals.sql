-- Approval requests: a held action waiting for (or past) a person's
-- decision. binding is the JSON of what exactly is to be approved and
-- binding_digest its digest; state is pending, approved or denied (expired
-- is computed when read: pending with expires not after the reader's
-- clock). Times are unix nanoseconds, decided 0 while pending; args and
-- reasons are JSON, '' when absent. n is the insertion order.
CREATE TABLE approval_requests (
	n              INTEGER PRIMARY KEY,
	id             TEXT NOT NULL UNIQUE,
	binding_digest TEXT NOT NULL,
	binding        TEXT NOT NULL,
	requirements   TEXT NOT NULL,
	actor          TEXT NOT NULL,
	run_id         TEXT NOT NULL,
	state          TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),
	created        INTEGER NOT NULL,
	expires        INTEGER NOT NULL,
	decided        INTEGER NOT NULL,
	args           TEXT NOT NULL,
	reasons        TEXT NOT NULL
) STRICT;
-- The live request of a binding (expires after now), the lists by state,
-- by requester and by run.
CREATE INDEX approval_requests_binding ON approval_requests (binding_digest, expires);
CREATE INDEX approval_requests_state ON approval_requests (state, expires);
CREATE INDEX approval_requests_actor ON approval_requests (actor, created);
CREATE INDEX approval_requests_run ON approval_requests (run_id);
-- Votes, n-th of their request in the order cast; record is the run id of
-- the vote's approval record in the chain. One vote per approver.
CREATE TABLE approval_votes (
	request  TEXT NOT NULL REFERENCES approval_requests (id),
	n        INTEGER NOT NULL,
	approver TEXT NOT NULL,
	roles    TEXT NOT NULL,
	approve  INTEGER NOT NULL,
	reason   TEXT NOT NULL,
	time     INTEGER NOT NULL,
	record   TEXT NOT NULL UNIQUE,
	PRIMARY KEY (request, n),
	UNIQUE (request, approver)
) STRICT;
