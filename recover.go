package enact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/bounds"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// Recovery outcomes of one run.
const (
	// RecoverySealed: the run's open actions were all reconciled and its
	// receipt sealed with status "recovered"; its key, if any, is free.
	RecoverySealed = "sealed"
	// RecoveryKeyClosed: the run had sealed its receipt and died before
	// closing its key; the key now replays the receipt's outcome.
	RecoveryKeyClosed = "key_closed"
	// RecoveryKeyReleased: the run died before it acted; its key is free.
	RecoveryKeyReleased = "key_released"
	// RecoveryAmbiguous: a connector could not tell whether an action took
	// effect; the run stays open, its key refuses retries, and a later
	// recovery (or an operator's Resolve) settles it.
	RecoveryAmbiguous = "ambiguous"
)

// RecoveredRun is what recovery did with one unfinished run.
type RecoveredRun struct {
	RunID string `json:"run_id"`
	// Key is the idempotency key the run's actor gave.
	Key     string             `json:"idempotency_key,omitempty"`
	Outcome string             `json:"outcome"`
	Actions []RecoveredAction  `json:"actions,omitempty"`
	Receipt *receipts.Envelope `json:"-"`
}

// RecoveredAction is one journaled action of a recovered run, with the
// state recovery left it in.
type RecoveredAction struct {
	Seq    int64  `json:"seq"`
	Action string `json:"action"`
	// State is completed or failed (the runner recorded it), or what
	// recovery found: completed, not_performed or ambiguous.
	State string `json:"state"`
	// Evidence says what the connector looked at, or why it could not
	// tell.
	Evidence string `json:"evidence,omitempty"`
}

// Recover reconciles the runs whose runner died before finishing them:
// each action a dead run started without recording its outcome is looked
// up in its system (the connector's check-before-act lookup, which
// changes nothing) and closed as completed or not_performed, or left
// ambiguous with the reason; a run whose actions are all known gets its
// receipt, status "recovered", and its idempotency key is released so a
// retry runs again — the actions' derived keys let connectors find the
// effects that were made. A run that sealed its receipt and died before
// closing its key gets its key closed with the receipt's outcome, except a
// run whose receipt says PENDING (held for approval: a PENDING receipt is a
// finished run) or BLOCK, whose key is released as Run releases it.
//
// Composites: a composite's run makes no actions itself, so a dead one
// holds only its key, which recovery releases; each of its steps is a run
// of its own, recovered like any other, except that a step (or a
// composite) whose sealed receipt did not pass has its key released
// rather than closed, as a live run would. The retry of the composite's
// key then replays the steps that passed and runs the rest.
//
// Recover is safe to run from several processes at once: each run is
// taken over by one of them. Live runs are never touched.
func (c *Client) Recover(ctx context.Context) ([]RecoveredRun, error) {
	ledger := c.gate.Ledger()
	if ledger == nil {
		return nil, nil
	}
	// This client's own runs that could not be closed are recovered like a
	// dead runner's once the store can be told.
	if err := c.flushHandedBack(ctx, ledger); err != nil {
		return nil, err
	}
	runs, err := ledger.Unfinished(ctx)
	if err != nil {
		return nil, err
	}
	var out []RecoveredRun
	for _, u := range runs {
		ok, err := ledger.TakeOver(ctx, u.RunID, u.Owner)
		if err != nil {
			return out, err
		}
		if !ok {
			continue // another recoverer has it
		}
		rr, err := c.recoverRun(ctx, ledger, u)
		if err != nil {
			return out, fmt.Errorf("enact: recover run %s: %w", u.RunID, err)
		}
		out = append(out, rr)
	}
	return out, nil
}

// handBack gives up a run this client could not close (its receipt or key
// could not be written): the process lives on, so without this its runs
// would count as in flight until it exits, refusing retries of their keys
// and escaping recovery. When the store cannot be told now, the next
// Recover tells it.
func (c *Client) handBack(runID string) {
	ledger := c.gate.Ledger()
	if ledger == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), bounds.Record())
	defer cancel()
	if err := ledger.Abandon(ctx, runID); err != nil {
		c.handedBack.Store(runID, struct{}{})
	}
}

// flushHandedBack tells the store about the runs handBack could not.
func (c *Client) flushHandedBack(ctx context.Context, ledger receipts.Ledger) error {
	var err error
	c.handedBack.Range(func(k, _ any) bool {
		if err = ledger.Abandon(ctx, k.(string)); err != nil {
			return false
		}
		c.handedBack.Delete(k)
		return true
	})
	return err
}

func (c *Client) recoverRun(ctx context.Context, ledger receipts.Ledger, u receipts.UnfinishedRun) (RecoveredRun, error) {
	rr := RecoveredRun{RunID: u.RunID, Key: hostfns.CallerKey(u.Actor.Email, u.Key)}
	switch {
	case u.Sealed:
		env, err := c.gate.Receipt(ctx, u.RunID)
		if err != nil {
			return rr, err
		}
		var r receipts.Receipt
		if err := json.Unmarshal(env.Body, &r); err != nil {
			return rr, fmt.Errorf("receipt: %w", err)
		}
		if r.Decision == receipts.DecisionPending || r.Decision == receipts.DecisionBlock ||
			(r.Decision != receipts.DecisionPass && (r.Parent != nil || len(r.Steps) > 0)) {
			// A run held for approval (PENDING) or blocked, a composite, or
			// a step of one, that did not pass leaves its key free, as Run
			// does: the retry runs it again.
			rr.Outcome, rr.Receipt = RecoveryKeyReleased, env
			return rr, ledger.ReleaseKey(ctx, u.Key, u.RunID)
		}
		stored := storedResult{Status: string(r.Decision), Outputs: r.Outputs, Steps: r.Steps}
		if r.Error != nil {
			stored.Error = &runtime.Error{Code: r.Error.Code, Message: r.Error.Message}
		}
		data, _ := json.Marshal(stored)
		rr.Outcome, rr.Receipt = RecoveryKeyClosed, env
		return rr, ledger.FinishKey(ctx, u.Key, u.RunID, data)
	case !u.Journaled:
		rr.Outcome = RecoveryKeyReleased
		return rr, ledger.ReleaseKey(ctx, u.Key, u.RunID)
	}
	ambiguous := 0
	actions := make([]receipts.Action, 0, len(u.Intents))
	for _, in := range u.Intents {
		ra := RecoveredAction{Seq: in.Seq, Action: in.Action, State: in.State}
		if in.Open() {
			state, evidence, result := c.reconcile(ctx, u.Capability.ID, in)
			// The journal keeps the result of a completed action, and
			// otherwise what recovery saw.
			detail := result
			if detail == nil {
				detail, _ = json.Marshal("recovery: " + evidence)
			}
			if err := ledger.Outcome(ctx, u.RunID, in.Seq, state, detail); err != nil {
				return rr, err
			}
			in.State, in.Detail = state, detail
			ra.State, ra.Evidence = state, evidence
			if state == receipts.JournalAmbiguous {
				ambiguous++
			}
		}
		rr.Actions = append(rr.Actions, ra)
		actions = append(actions, recoveredAction(in))
	}
	if ambiguous > 0 {
		rr.Outcome = RecoveryAmbiguous
		return rr, ledger.Abandon(ctx, u.RunID)
	}
	now := time.Now()
	msg := "the runner stopped before the run finished; recovery reconciled its actions with their systems"
	env, err := c.gate.Store().Append(ctx, &receipts.Receipt{
		RunID:          u.RunID,
		Capability:     u.Capability,
		Actor:          u.Actor,
		IdempotencyKey: rr.Key,
		Actions:        actions,
		Decision:       receipts.DecisionFailed,
		Status:         "recovered",
		Error:          &receipts.Error{Code: "recovered", Message: msg},
		Started:        u.Started,
		Finished:       now,
		DurationMS:     receipts.Millis(now.Sub(u.Started)),
	})
	if err != nil && !errors.Is(err, receipts.ErrDuplicate) {
		return rr, err
	}
	rr.Outcome, rr.Receipt = RecoverySealed, env
	if u.HoldsKey {
		return rr, ledger.ReleaseKey(ctx, u.Key, u.RunID)
	}
	return rr, nil
}

// reconcile asks the action's connector whether an open intent took
// effect.
func (c *Client) reconcile(ctx context.Context, capability string, in receipts.Intent) (state, evidence string, result json.RawMessage) {
	if in.Args == nil {
		return receipts.JournalAmbiguous, "the journal does not hold the action's arguments (they held a secret value, or were dropped)", nil
	}
	res, err := c.gate.Check(ctx, in.Action, in.Args, hostfns.CallOptions{IdempotencyKey: in.ActionKey, Capability: capability})
	switch {
	case err != nil:
		return receipts.JournalAmbiguous, "cannot tell: " + err.Error(), nil
	case res.Performed:
		return receipts.JournalCompleted, res.Evidence, res.Result
	default:
		return receipts.JournalNotPerformed, res.Evidence, nil
	}
}

// recoveredAction is a journaled action as the recovered receipt lists
// it.
func recoveredAction(in receipts.Intent) receipts.Action {
	a := receipts.Action{Seq: in.Seq, Action: in.Action, ArgsDigest: in.ArgsDigest}
	var detail string
	_ = json.Unmarshal(in.Detail, &detail)
	switch in.State {
	case receipts.JournalCompleted:
		a.Decision = receipts.ActionAllowed
		if d := in.Detail; len(d) > 0 && json.Valid(d) {
			a.Result = d
		}
	case receipts.JournalNotPerformed:
		a.Decision = receipts.ActionFailed
		a.Error = &receipts.Error{Code: receipts.JournalNotPerformed, Message: "the action's effect is absent (" + detail + ")"}
	default:
		a.Decision = receipts.ActionFailed
		if detail == "" {
			detail = "the connector failed"
		}
		a.Error = &receipts.Error{Code: "connector_error", Message: detail}
	}
	return a
}

// Resolve settles by hand an action recovery left ambiguous (or that a
// dead run left open): an operator who looked at the system says whether
// it took effect (state completed or not_performed). The next Recover
// then seals the run. by names who resolved it, for the record.
func (c *Client) Resolve(ctx context.Context, runID string, seq int64, state, by string) error {
	if state != receipts.JournalCompleted && state != receipts.JournalNotPerformed {
		return fmt.Errorf("enact: resolve %s#%d: state must be completed or not_performed, not %q", runID, seq, state)
	}
	ledger := c.gate.Ledger()
	if ledger == nil {
		return errors.New("enact: this receipt store has no journal")
	}
	runs, err := ledger.Unfinished(ctx)
	if err != nil {
		return err
	}
	for _, u := range runs {
		if u.RunID != runID {
			continue
		}
		for _, in := range u.Intents {
			if in.Seq != seq {
				continue
			}
			if !in.Open() {
				return fmt.Errorf("enact: resolve %s#%d: the action is already %s", runID, seq, in.State)
			}
			if ok, err := ledger.TakeOver(ctx, runID, u.Owner); err != nil || !ok {
				return fmt.Errorf("enact: resolve %s#%d: another process is recovering the run (%v)", runID, seq, err)
			}
			detail, _ := json.Marshal("resolved by " + by)
			if err := ledger.Outcome(ctx, runID, seq, state, detail); err != nil {
				return err
			}
			return ledger.Abandon(ctx, runID) // the next Recover seals it
		}
		return fmt.Errorf("enact: resolve %s#%d: the run has no action %d", runID, seq, seq)
	}
	return fmt.Errorf("enact: resolve %s#%d: no unfinished run %s (it is live, sealed, or unknown)", runID, seq, runID)
}
