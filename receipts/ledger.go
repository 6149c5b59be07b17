package receipts

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Claim states: what a run key is when a run asks for it.
const (
	// ClaimNew: the key was free (or expired); the caller owns it now.
	ClaimNew = "new"
	// ClaimReplay: a run with this key finished; Result holds its outcome
	// and nothing may execute again.
	ClaimReplay = "replay"
	// ClaimInProgress: a live run holds the key.
	ClaimInProgress = "in_progress"
	// ClaimMismatch: the key was used for another capability or other
	// inputs.
	ClaimMismatch = "idempotency_mismatch"
	// ClaimAmbiguous: the run holding the key died after an action
	// started and before its outcome was recorded; a blind retry could
	// repeat the action, so it is refused until recovery reconciles it.
	ClaimAmbiguous = "ambiguous"
)

// Journal states of an action. An action is open while it is JournalIntent
// or JournalAmbiguous: its side effect may or may not have happened.
const (
	// JournalIntent: the action was about to reach its connector.
	JournalIntent = "intent"
	// JournalCompleted: the connector answered, or recovery found the
	// action's effect in the system.
	JournalCompleted = "completed"
	// JournalFailed: the connector answered with an error.
	JournalFailed = "failed"
	// JournalNotPerformed: recovery found the effect absent.
	JournalNotPerformed = "not_performed"
	// JournalAmbiguous: recovery could not tell; Detail says why.
	JournalAmbiguous = "ambiguous"
)

// Claim is the answer to ClaimKey.
type Claim struct {
	State string
	// RunID is the run that holds (or held) the key.
	RunID string
	// Result is the stored outcome of a finished run (ClaimReplay).
	Result json.RawMessage
	// Reason says why a claim was refused, for the caller's error.
	Reason string
}

// JournalRun is what the journal keeps of a run that acted: enough to seal
// its receipt if the runner dies before it does.
type JournalRun struct {
	RunID string `json:"run_id"`
	// Key is the run's idempotency key; empty when it had none.
	Key        string     `json:"key,omitempty"`
	Capability Capability `json:"capability"`
	Actor      Actor      `json:"actor"`
	Started    time.Time  `json:"started"`
	// Owner names the process that runs (or recovers) the run; the store
	// sets it.
	Owner string `json:"owner,omitempty"`
}

// Intent is one action in the journal.
type Intent struct {
	// Run describes the run; the store records it with the run's first
	// intent.
	Run JournalRun
	Seq int64
	// Action is the action id ("kv.put"); ArgsDigest the digest of its
	// arguments, as in the receipt; ActionKey the derived idempotency key
	// the connector got.
	Action, ArgsDigest, ActionKey string
	// Args are the arguments, kept while the action is open so recovery
	// can ask the connector about it, and dropped with its outcome.
	Args json.RawMessage
	// State and Detail are the journal's record (listing only): Detail is
	// the result of a completed action, the error of a failed one, the
	// reason of a recovered one.
	State  string
	Detail json.RawMessage
}

// Open reports whether the intent's effect is still unknown.
func (i Intent) Open() bool { return i.State == JournalIntent || i.State == JournalAmbiguous }

// UnfinishedRun is a run whose process died before it finished: it acted
// and has no receipt, or it holds its idempotency key still running.
type UnfinishedRun struct {
	JournalRun
	// HoldsKey says the run's key is still marked running.
	HoldsKey bool
	// Sealed says the run's receipt is stored: it died after sealing and
	// before closing its key.
	Sealed bool
	// Journaled says the run recorded at least one action, so Run holds
	// its description.
	Journaled bool
	// Intents are the run's actions in seq order.
	Intents []Intent
}

// Ledger records run keys and the write-ahead journal of actions. The
// SQLite and Postgres stores implement it; runs use it through the gate and
// the client, recovery through Unfinished, TakeOver, Outcome and
// ReleaseKey.
type Ledger interface {
	// ClaimKey takes a run key for runID, or says why it cannot: the key's
	// earlier run finished (replay), is running, was for another request
	// (digest differs), or died mid-action. Keys older than retention are
	// free again.
	ClaimKey(ctx context.Context, key, digest, runID string, retention time.Duration) (Claim, error)
	// FinishKey stores a finished run's outcome under its key.
	FinishKey(ctx context.Context, key, runID string, result json.RawMessage) error
	// ReleaseKey frees a key its run holds without a result, so that a
	// retry runs again; recovery does this once every action of a dead
	// run is known.
	ReleaseKey(ctx context.Context, key, runID string) error
	// Intend durably records that an action is about to reach a
	// connector, before Intend returns. No side effect happens without
	// this record.
	Intend(ctx context.Context, in Intent) error
	// Outcome records how an intended action ended (JournalCompleted or
	// JournalFailed), or what recovery found (also JournalNotPerformed,
	// JournalAmbiguous), with its result, error or reason.
	Outcome(ctx context.Context, runID string, seq int64, state string, detail json.RawMessage) error
	// Unfinished lists the runs whose process is gone and that did not
	// finish: they journaled actions and have no receipt, or still hold
	// their key.
	Unfinished(ctx context.Context) ([]UnfinishedRun, error)
	// TakeOver makes this process the owner of an unfinished run, unless
	// another process took it first (false): only one recovers a run.
	TakeOver(ctx context.Context, runID, from string) (bool, error)
	// Abandon gives up this process's ownership of a run it took over and
	// could not finish (an action stayed ambiguous): the run counts as
	// dead again, so a retry of its key is refused as ambiguous and any
	// later recovery may take it.
	Abandon(ctx context.Context, runID string) error
	// Prune forgets finished keys older than retention, the journal of
	// runs whose receipts are stored and that are older than it, and
	// counted events older than their window.
	Prune(ctx context.Context, retention time.Duration) (int64, error)
}

// owner identifies this process for the runs it holds.
var owner = func() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}()

// localOwnerAlive reports whether the process that holds a run can still
// be running, judged on this host: another host's process is assumed
// alive, a local one is probed with signal 0.
func localOwnerAlive(o string) bool {
	switch o {
	case owner:
		return true
	case "":
		return false // abandoned by recovery
	}
	host, _ := os.Hostname()
	i := strings.LastIndexByte(o, ':')
	if i < 0 || o[:i] != host {
		return true
	}
	pid, err := strconv.Atoi(o[i+1:])
	if err != nil || pid <= 0 {
		return true
	}
	return processAlive(pid)
}

// keyRow is a run key as a store holds it.
type keyRow struct {
	digest, runID, state, owner string
	result                      []byte
	updated                     int64
}

// judgeClaim decides a claim on an existing key row, the same way in
// every store. It returns the refusal, or nil when the key may be taken.
// alive says whether the row's owner runs; open counts its run's open
// intents.
func judgeClaim(c keyRow, digest string, now int64, retention time.Duration, alive func(string) (bool, error), open func(string) (int, error)) (*Claim, error) {
	switch {
	case now-c.updated > int64(retention):
		return nil, nil // expired: the key is free again
	case c.state == "released":
		return nil, nil
	case c.digest != digest:
		return &Claim{State: ClaimMismatch, RunID: c.runID, Reason: "the key was used for a different capability or different inputs"}, nil
	case c.state == "finished":
		return &Claim{State: ClaimReplay, RunID: c.runID, Result: c.result}, nil
	}
	live, err := alive(c.owner)
	if err != nil {
		return nil, err
	}
	if live {
		return &Claim{State: ClaimInProgress, RunID: c.runID, Reason: "run " + c.runID + " holds the key and is still running"}, nil
	}
	n, err := open(c.runID)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return &Claim{State: ClaimAmbiguous, RunID: c.runID, Reason: fmt.Sprintf(
			"run %s stopped with %d action(s) started and no outcome recorded; run `enact-run recover` before retrying", c.runID, n)}, nil
	}
	// The holder died between actions: every action it started has an
	// outcome, so running again is safe (the actions' derived keys let
	// connectors find what it already did).
	return nil, nil
}

// answerFinished answers a claim of a finished, unexpired key (replay or
// mismatch) from a plain read; ok is false for every other key, whose
// claim needs the store's write transaction.
func answerFinished(c keyRow, digest string, now int64, retention time.Duration) (Claim, bool) {
	if c.state != "finished" {
		return Claim{}, false
	}
	refused, err := judgeClaim(c, digest, now, retention, nil, nil)
	if err != nil || refused == nil {
		return Claim{}, false
	}
	return *refused, true
}

// validOutcome reports whether state may end an intent.
func validOutcome(state string) error {
	switch state {
	case JournalCompleted, JournalFailed, JournalNotPerformed, JournalAmbiguous:
		return nil
	}
	return fmt.Errorf("receipts: journal outcome %q", state)
}
