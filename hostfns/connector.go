package hostfns

import (
	"context"
	"encoding/json"
	"fmt"
)

// Connector is a system the gate acts on: Postgres, GitHub, HubSpot, the
// embedded key-value store. A connector never sees the guest: the gate
// hands it arguments that already passed the grant, the action's schema
// and policy, and it holds its own credentials.
type Connector interface {
	// Name is the connector's part of action ids ("kv" in "kv.put").
	Name() string
	// Actions lists what the connector can do.
	Actions() []ActionSpec
	// Call performs one action. A failure the guest should see (not found,
	// conflict, rate limited…) is a *ConnectorError; any other error is
	// reported as connector_error.
	Call(ctx context.Context, action string, args json.RawMessage, opts CallOptions) (Outcome, error)
}

// ActionSpec describes one action of a connector.
type ActionSpec struct {
	// Name is the action's part of the id ("put" in "kv.put").
	Name        string
	Description string
	// Mutating says the action changes the system. Read-only actions may
	// be used to gather facts for policies and run for real in a dry run.
	Mutating bool
	// Args and Result are JSON Schemas (draft 2020-12) of the arguments
	// and of the result.
	Args, Result json.RawMessage
}

// CallOptions carry what the gate knows about a call.
type CallOptions struct {
	// IdempotencyKey identifies this action of this run; a connector uses
	// it for check-before-act so a retry never duplicates a side effect.
	IdempotencyKey string
	// Capability is the id of the capability of the run making the call
	// (empty outside a run). A connector that keeps state for
	// capabilities (kv) keeps each capability's apart by it.
	Capability string
}

// Outcome is what an action produced.
type Outcome struct {
	Result json.RawMessage
	// AlreadyExisted says the effect was already there (check-before-act
	// found it) and nothing was changed.
	AlreadyExisted bool
}

// ConnectorError is a failure with a stable code (CodeNotFound,
// CodeConflict, CodeRateLimited, CodeUnauthorized, CodeUnavailable,
// CodeTimeout, CodeInvalidArgs or CodeConnectorError).
type ConnectorError struct {
	Code    string
	Message string
}

func (e *ConnectorError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Checker is implemented by connectors that can tell, without changing
// anything, whether a mutating action has taken effect. Recovery asks it
// about actions a runner started and never saw finish (it crashed, or lost
// its store, in between): the journal holds the action's arguments and
// key, and Check answers from the system itself, using the same lookup the
// connector's check-before-act makes.
type Checker interface {
	// Check looks for the effect the mutating action would make with
	// these arguments and options. An error means the connector could not
	// tell (unreachable, unknown action, an action it cannot check); the
	// intent then stays ambiguous.
	Check(ctx context.Context, action string, args json.RawMessage, opts CallOptions) (CheckResult, error)
}

// CheckResult is what Check found.
type CheckResult struct {
	// Performed says the system holds the action's effect: the row, the
	// branch, the pull request, the value are there (or, for a deletion,
	// gone). It does not tell who made it; check-before-act judges the
	// same way.
	Performed bool
	// Result is what the action answers when it finds its effect in place,
	// when Performed and the connector can give it.
	Result json.RawMessage
	// Evidence says what was looked at, for the recovery record
	// ("kv key runs/7 holds the value, version 3").
	Evidence string
}

// Resolver is implemented by connectors whose arguments name objects of
// their system in more than one spelling (a Postgres table as audit_log,
// public.audit_log or "public"."AUDIT_LOG"...). The gate calls Resolve
// after the argument schema and before the policy, so that policies judge
// the object an action reaches, not the spelling it was asked with.
type Resolver interface {
	// Resolve looks up the objects the arguments name. A name that
	// names nothing the connector may reach is a *ConnectorError (the
	// action is then refused before any policy runs and recorded so); a
	// lookup that fails is an error too: the gate fails closed.
	Resolve(ctx context.Context, action string, args json.RawMessage) (Resolved, error)
}

// Resolved is what Resolve found.
type Resolved struct {
	// Args are the arguments with every name in its canonical spelling
	// (the same meaning, one spelling per object). Policies judge them,
	// the connector is called with them and the journal holds them.
	Args json.RawMessage
	// Target describes the objects the arguments name, as the system
	// knows them (for Postgres: table, schema, name, columns). Policies
	// see it as action.target and the receipt records it.
	Target map[string]any
}
