package receipts

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/enact-run/enact/internal/bounds"
)

// RecordTimeout bounds a write that must outlive its caller's deadline (a
// receipt, an action's outcome, a run key's result) and any store call made
// without a deadline: a store that stops answering — a hung database host,
// a network partition — fails the write after this long instead of
// holding the run, and everything waiting behind it, for ever.
const RecordTimeout = bounds.DefaultRecord

// maxBatch bounds the receipts one group commit writes.
const maxBatch = 256

// pending is an Append waiting for a group commit.
type pending struct {
	r    *Receipt
	env  *Envelope
	err  error
	done bool          // env and err are final
	wake chan struct{} // receives once: done, or promoted to committer
}

// groupCommit batches the concurrent Appends of one process: one of them
// commits the waiting receipts in a single transaction, each with its own
// seq; one receipt's failure (a duplicate run id, an invalid receipt) does
// not fail the others. The database stores use it.
type groupCommit struct {
	mu         sync.Mutex
	queue      []*pending // appends waiting for the next group commit
	committing bool       // an Append is committing a batch
}

// append queues r and waits until a commit (its own or another caller's)
// has decided it. commit must set env or err of every pending it gets.
func (g *groupCommit) append(ctx context.Context, r *Receipt, commit func(context.Context, []*pending)) (*Envelope, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &pending{r: r, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if g.committing {
		g.mu.Unlock()
		<-p.wake
		g.mu.Lock()
		if p.done {
			g.mu.Unlock()
			return p.env, p.err
		}
		// Promoted: commit the queue, which holds p.
	}
	g.committing = true
	n := min(len(g.queue), maxBatch)
	batch := g.queue[:n:n]
	g.queue = slices.Clone(g.queue[n:])
	g.mu.Unlock()

	// The batch is committed whatever happens to this caller's context
	// (the other callers wait for it), within RecordTimeout (bounds.Record): a database
	// that stops answering fails the batch instead of holding every
	// appender.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bounds.Record())
	commit(cctx, batch)
	cancel()

	g.mu.Lock()
	for _, q := range batch {
		q.done = true
		if q != p {
			q.wake <- struct{}{}
		}
	}
	if len(g.queue) > 0 {
		g.queue[0].wake <- struct{}{} // the next committer
	} else {
		g.committing = false
	}
	g.mu.Unlock()
	return p.env, p.err
}

// failBatch sets err on every pending of a batch that has none.
func failBatch(batch []*pending, err error) {
	for _, p := range batch {
		if p.err == nil {
			p.env, p.err = nil, fmt.Errorf("receipts: append run %s: %w", p.r.RunID, err)
		}
	}
}

// chainTx is what sealing a batch needs of a database transaction.
type chainTx interface {
	// existing returns which of the runs already have a stored receipt.
	existing(ctx context.Context, runIDs []string) (map[string]bool, error)
	// insert stores sealed receipts, in order.
	insert(ctx context.Context, rows []sealedRow) error
}

// sealedRow is one sealed receipt with its stored bytes.
type sealedRow struct {
	r    *Receipt
	env  *Envelope
	data []byte
}

// sealBatch seals the receipts of a batch after last, in order, and
// inserts them through tx (one lookup of duplicates and one insert for the
// batch, so a remote database costs a few round trips whatever the batch
// size); it returns the new last link and each sealed receipt (zero where
// that pending failed). A database error fails the whole batch (returned);
// a duplicate or invalid receipt fails only its own pending.
func sealBatch(ctx context.Context, tx chainTx, batch []*pending, last headRecord, signers []Signer) (headRecord, []Receipt, error) {
	ids := make([]string, len(batch))
	for i, p := range batch {
		ids[i] = p.r.RunID
	}
	dups, err := tx.existing(ctx, ids)
	if err != nil {
		return last, nil, err
	}
	sealed := make([]Receipt, len(batch))
	rows := make([]sealedRow, 0, len(batch))
	head := last
	for i, p := range batch {
		if dups[p.r.RunID] {
			p.err = fmt.Errorf("%w: %s", ErrDuplicate, p.r.RunID)
			continue
		}
		dups[p.r.RunID] = true // a second one in the same batch
		n, env, err := sealNext(p.r, head.Seq, head.Hash, signers)
		if err != nil {
			p.err = err
			continue
		}
		data, _ := env.MarshalJSON()
		sealed[i] = n
		rows = append(rows, sealedRow{r: &sealed[i], env: env, data: data})
		p.env, head = env, headRecord{Seq: n.Seq, Hash: env.Hash}
	}
	if len(rows) > 0 {
		if err := tx.insert(ctx, rows); err != nil {
			return last, nil, err
		}
	}
	return head, sealed, nil
}

// finishBatch copies the chain fields into the callers' receipts once the
// batch is committed.
func finishBatch(batch []*pending, sealed []Receipt) {
	for i, p := range batch {
		if p.err == nil {
			commitFields(p.r, sealed[i])
		}
	}
}

// timestampText is how the database stores index a receipt's timestamp.
func timestampText(t time.Time) string { return t.Format(time.RFC3339Nano) }
