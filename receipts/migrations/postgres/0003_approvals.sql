-- Approval requests: a held action waiting for (or past) a person's
-- decision, shared by every runner. binding is the JSON of what exactly is
-- to be approved and binding_digest its digest; state is pending, approved
-- or denied (expired is computed when read: pending with expires not after
-- the reader's clock). Times are unix nanoseconds, decided 0 while
-- pending; args and reasons are JSON, '' when absent. n is the insertion
-- order. Requests of one binding are created under an advisory lock on its
-- digest; votes lock the request's row (FOR UPDATE).
CREATE TABLE enact.approval_requests (
	n              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             text NOT NULL UNIQUE,
	binding_digest text NOT NULL,
	binding        text NOT NULL,
	requirements   text NOT NULL,
	actor          text NOT NULL,
	run_id         text NOT NULL,
	state          text NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),
	created        bigint NOT NULL,
	expires        bigint NOT NULL,
	decided        bigint NOT NULL,
	args           text NOT NULL,
	reasons        text NOT NULL
);
CREATE INDEX approval_requests_binding ON enact.approval_requests (binding_digest, expires);
CREATE INDEX approval_requests_state ON enact.approval_requests (state, expires);
CREATE INDEX approval_requests_actor ON enact.approval_requests (actor, created);
CREATE INDEX approval_requests_run ON enact.approval_requests (run_id);
-- Votes, n-th of their request in the order cast; record is the run id of
-- the vote's approval record in the chain. One vote per approver.
CREATE TABLE enact.approval_votes (
	request  text NOT NULL REFERENCES enact.approval_requests (id),
	n        integer NOT NULL,
	approver text NOT NULL,
	roles    text NOT NULL,
	approve  boolean NOT NULL,
	reason   text NOT NULL,
	time     bigint NOT NULL,
	record   text NOT NULL UNIQUE,
	PRIMARY KEY (request, n),
	UNIQUE (request, approver)
);
