package receipts

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Store persists a chain of receipts. Implementations are safe for
// concurrent use by goroutines and by processes sharing the same storage.
type Store interface {
	// Append sets r.Seq and r.Prev to the next position of the chain
	// (atomically with respect to every other appender), sets r.Timestamp
	// to the current time if it is zero, seals r and persists the envelope
	// before it returns.
	Append(ctx context.Context, r *Receipt) (*Envelope, error)
	// Get returns the envelope of a run, unverified, or ErrNotFound.
	Get(ctx context.Context, runID string) (*Envelope, error)
	// List returns the envelopes opts selects in seq order (newest first
	// with opts.Newest), unverified.
	List(ctx context.Context, opts ListOptions) ([]*Envelope, error)
	// Verify checks the whole chain in seq order, then the store's head
	// record, and returns a *ChainError for the first broken link.
	Verify(ctx context.Context, verifiers []Verifier) (VerifyReport, error)
	// Close releases the store.
	Close() error
}

// ListOptions selects receipts. The zero value selects all of them, oldest
// first.
type ListOptions struct {
	Limit      int      // at most this many; 0 or less: no limit
	After      int64    // only seq greater than this
	Before     int64    // only seq less than this; 0 or less: no bound
	Actor      string   // only this actor email (compared without case)
	Capability string   // only this capability id
	Decision   Decision // only this decision
	// RunIDPrefix selects the run ids that start with it, so that a
	// caller can accept a unique prefix of a run id.
	RunIDPrefix string
	// Since and Until select by the receipt's timestamp, compared at whole
	// seconds (UTC): a receipt is selected when the second of its
	// timestamp is at or after Since's and before Until's. A zero time is
	// no bound.
	Since, Until time.Time
	// Newest lists from the newest receipt (highest seq) down: with Limit,
	// the last Limit receipts that match, newest first.
	Newest bool
}

// secondLayout is the fixed-width prefix of a stored timestamp that the
// time bounds compare.
const secondLayout = "2006-01-02T15:04:05"

func (o ListOptions) match(r *Receipt) bool {
	sec := r.Timestamp.UTC().Format(secondLayout)
	return r.Seq > o.After && (o.Before <= 0 || r.Seq < o.Before) &&
		(o.Actor == "" || strings.EqualFold(r.Actor.Email, o.Actor)) &&
		(o.Capability == "" || r.Capability.ID == o.Capability) &&
		(o.Decision == "" || r.Decision == o.Decision) &&
		strings.HasPrefix(r.RunID, o.RunIDPrefix) &&
		(o.Since.IsZero() || sec >= o.Since.UTC().Format(secondLayout)) &&
		(o.Until.IsZero() || sec < o.Until.UTC().Format(secondLayout))
}

// VerifyReport summarises a chain walk: how many receipts verified, and
// the last of them (the head, when the whole chain verified). Recording the
// head outside the store detects a later removal of the chain's tail even by
// someone who also rewrote the store's own head record.
type VerifyReport struct {
	Verified int64     // receipts that verified, from seq 1
	HeadSeq  int64     // seq of the last receipt that verified
	HeadHash string    // its hash; "" when none verified
	Head     time.Time // its timestamp
}

// headRecord is a store's record of its last receipt, written with every
// append. Comparing it with the end of the chain detects a chain whose tail
// was removed, unless whoever removed it also rewrote the record.
type headRecord struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// chainWalker checks stored envelopes one at a time in storage order.
type chainWalker struct {
	verifiers []Verifier
	report    VerifyReport
	lastPrev  string // prev of the last receipt that verified
}

// step checks the envelope stored at seq under runID. indexHash is the
// hash a store keeps beside the envelope ("" if it keeps none).
func (w *chainWalker) step(seq int64, runID, indexHash string, data []byte) *ChainError {
	want := w.report.HeadSeq + 1
	broken := func(reason string, err error) *ChainError {
		return &ChainError{Seq: want, ID: runID, Reason: reason, Err: err}
	}
	switch {
	case seq > want:
		return &ChainError{Seq: want, Reason: fmt.Sprintf("receipt missing: the next stored receipt is seq %d (run %s)", seq, runID)}
	case seq < want:
		return &ChainError{Seq: seq, ID: runID, Reason: fmt.Sprintf("seq %d is stored more than once", seq)}
	}
	env, err := ParseEnvelope(data)
	if err != nil {
		return broken(err.Error(), err)
	}
	r, err := env.Verify(w.verifiers)
	if err != nil {
		return broken(err.Error(), err)
	}
	switch {
	case r.Seq != seq:
		return broken(fmt.Sprintf("stored at seq %d but the body says seq %d", seq, r.Seq), nil)
	case r.RunID != runID:
		return broken(fmt.Sprintf("stored as run %s but the body says run %s", runID, r.RunID), nil)
	case r.Prev != w.report.HeadHash:
		return broken(fmt.Sprintf("prev is %q but the previous receipt's hash is %q", r.Prev, w.report.HeadHash), nil)
	case indexHash != "" && indexHash != env.Hash:
		return broken(fmt.Sprintf("indexed hash %s differs from the envelope's %s", indexHash, env.Hash), nil)
	}
	w.report = VerifyReport{Verified: w.report.Verified + 1, HeadSeq: seq, HeadHash: env.Hash, Head: r.Timestamp}
	w.lastPrev = r.Prev
	return nil
}

// finish compares the end of a fully walked chain with the store's head
// record (the zero record if it has none). behindOK accepts a record one
// receipt behind: a store that writes it after the receipt may have been
// interrupted in between. A mismatch breaks the chain after its last
// receipt: what follows it cannot be vouched for.
func (w *chainWalker) finish(h headRecord, behindOK bool) *ChainError {
	end := w.report
	switch {
	case h.Seq == end.HeadSeq && h.Hash == end.HeadHash:
		return nil
	case behindOK && h.Seq == end.HeadSeq-1 && h.Hash == w.lastPrev:
		return nil
	case h.Seq > end.HeadSeq:
		return w.afterEnd(fmt.Sprintf("receipt missing: the store's head record is seq %d", h.Seq), nil)
	default:
		return w.afterEnd(fmt.Sprintf("the store's head record (seq %d, %q) does not match the last receipt (seq %d, %s)",
			h.Seq, h.Hash, end.HeadSeq, end.HeadHash), nil)
	}
}

// afterEnd reports a break after the last receipt that verified.
func (w *chainWalker) afterEnd(reason string, err error) *ChainError {
	return &ChainError{Seq: w.report.HeadSeq + 1, Reason: reason, Err: err}
}

// sealNext fills in the chain fields of a copy of r that follows the
// receipt at headSeq with hash headHash, and seals it.
func sealNext(r *Receipt, headSeq int64, headHash string, signers []Signer) (Receipt, *Envelope, error) {
	n := *r
	n.Seq, n.Prev = headSeq+1, headHash
	if n.Timestamp.IsZero() {
		n.Timestamp = time.Now()
	}
	n.Timestamp = n.Timestamp.UTC()
	if n.Version == "" {
		n.Version = FormatVersion
	}
	env, err := Seal(&n, signers)
	return n, env, err
}

// commitFields copies back what Append sets on the caller's receipt.
func commitFields(dst *Receipt, n Receipt) {
	dst.Seq, dst.Prev, dst.Timestamp, dst.Version = n.Seq, n.Prev, n.Timestamp, n.Version
}
