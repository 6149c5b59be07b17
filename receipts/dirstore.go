package receipts

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// seqDigits is the width of the zero-padded seq in a file name.
const seqDigits = 10

// headFile holds the directory store's head record.
const headFile = "HEAD"

// DirStore is a Store of one JSON file per receipt in a directory (the
// seed's receipts/ layout): "<seq, 10 digits zero-padded>-<run_id>.json"
// holding the exact envelope bytes, and a HEAD file with the head record
// ({"seq":N,"hash":"sha256:…"}), written after the receipt. Files are
// written to a temporary name, synced and renamed; appends hold an flock on
// ".lock" in the directory.
type DirStore struct {
	dir     string
	signers []Signer
	mu      sync.Mutex // serialises this process's appends before flock does
}

// OpenDir opens (creating it, mode 0700, if needed) the directory store in
// dir, whose Append signs with signers.
func OpenDir(dir string, signers []Signer) (*DirStore, error) {
	if len(signers) == 0 {
		return nil, errors.New("receipts: dir store: no signers")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("receipts: dir store: %w", err)
	}
	return &DirStore{dir: dir, signers: slices.Clone(signers)}, nil
}

// dirEntry is a receipt file, by its name.
type dirEntry struct {
	seq   int64
	runID string
	name  string
}

// entries lists the receipt files in seq order. Other files are ignored.
func (s *DirStore) entries() ([]dirEntry, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []dirEntry
	for _, de := range des {
		name := de.Name()
		stem, ok := strings.CutSuffix(name, ".json")
		if !ok || len(stem) < seqDigits+2 || stem[seqDigits] != '-' || !de.Type().IsRegular() {
			continue
		}
		digits := stem[:seqDigits]
		seq, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || seq < 1 || strings.Trim(digits, "0123456789") != "" || !runIDPattern.MatchString(stem[seqDigits+1:]) {
			continue
		}
		out = append(out, dirEntry{seq: seq, runID: stem[seqDigits+1:], name: name})
	}
	slices.SortStableFunc(out, func(a, b dirEntry) int { return cmp.Compare(a.seq, b.seq) })
	return out, nil
}

func (s *DirStore) read(e dirEntry) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.dir, e.name))
}

// head reads the head record; the zero record if there is none.
func (s *DirStore) head() (headRecord, error) {
	var h headRecord
	b, err := os.ReadFile(filepath.Join(s.dir, headFile))
	if errors.Is(err, os.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("%s: %w: %v", headFile, ErrMalformed, err)
	}
	return h, nil
}

// last returns the chain position of the last receipt file, after checking
// that it agrees with the head record: the record may be one receipt behind
// (an append interrupted before it updated HEAD), no more.
func (s *DirStore) last(es []dirEntry) (headRecord, error) {
	head, err := s.head()
	if err != nil || len(es) == 0 {
		if err == nil && head != (headRecord{}) {
			err = fmt.Errorf("no receipts, but %s is seq %d: run Verify", headFile, head.Seq)
		}
		return headRecord{}, err
	}
	e := es[len(es)-1]
	data, err := s.read(e)
	if err != nil {
		return headRecord{}, err
	}
	env, err := ParseEnvelope(data)
	if err != nil {
		return headRecord{}, fmt.Errorf("%s: %w", e.name, err)
	}
	var body struct {
		Prev string `json:"prev"`
	}
	if err := json.Unmarshal(env.Body, &body); err != nil {
		return headRecord{}, fmt.Errorf("%s: %w: %v", e.name, ErrMalformed, err)
	}
	last := headRecord{Seq: e.seq, Hash: env.Hash}
	if head != last && head != (headRecord{Seq: e.seq - 1, Hash: body.Prev}) {
		return headRecord{}, fmt.Errorf("the last receipt (seq %d) is not the store's head record (seq %d): run Verify", e.seq, head.Seq)
	}
	return last, nil
}

// Append implements Store.
func (s *DirStore) Append(ctx context.Context, r *Receipt) (*Envelope, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		env *Envelope
		n   Receipt
	)
	err := withLock(filepath.Join(s.dir, ".lock"), func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		es, err := s.entries()
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.runID == r.RunID {
				return fmt.Errorf("%w: %s", ErrDuplicate, r.RunID)
			}
		}
		last, err := s.last(es)
		if err != nil {
			return err
		}
		if n, env, err = sealNext(r, last.Seq, last.Hash, s.signers); err != nil {
			return err
		}
		data, _ := env.MarshalJSON()
		name := fmt.Sprintf("%0*d-%s.json", seqDigits, n.Seq, n.RunID)
		if err := writeFileAtomic(filepath.Join(s.dir, name), data); err != nil {
			return err
		}
		head, _ := json.Marshal(headRecord{Seq: n.Seq, Hash: env.Hash})
		return writeFileAtomic(filepath.Join(s.dir, headFile), append(head, '\n'))
	})
	if err != nil {
		return nil, fmt.Errorf("receipts: append to %s: %w", s.dir, err)
	}
	commitFields(r, n)
	return env, nil
}

// Get implements Store.
func (s *DirStore) Get(ctx context.Context, runID string) (*Envelope, error) {
	es, err := s.entries()
	if err != nil {
		return nil, fmt.Errorf("receipts: get run %s: %w", runID, err)
	}
	for _, e := range es {
		if e.runID == runID {
			data, err := s.read(e)
			if err != nil {
				return nil, fmt.Errorf("receipts: get run %s: %w", runID, err)
			}
			return ParseEnvelope(data)
		}
	}
	return nil, fmt.Errorf("%w: run %s", ErrNotFound, runID)
}

// List implements Store. Filters other than the seq bounds and the run id
// prefix read each file's body (unverified).
func (s *DirStore) List(ctx context.Context, opts ListOptions) ([]*Envelope, error) {
	es, err := s.entries()
	if err != nil {
		return nil, fmt.Errorf("receipts: list: %w", err)
	}
	if opts.Newest {
		slices.Reverse(es)
	}
	var out []*Envelope
	for _, e := range es {
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
		if e.seq <= opts.After || (opts.Before > 0 && e.seq >= opts.Before) || !strings.HasPrefix(e.runID, opts.RunIDPrefix) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := s.read(e)
		if err != nil {
			return nil, fmt.Errorf("receipts: list: %w", err)
		}
		env, err := ParseEnvelope(data)
		if err != nil {
			return nil, fmt.Errorf("receipts: list %s: %w", e.name, err)
		}
		var r Receipt
		if err := json.Unmarshal(env.Body, &r); err != nil {
			return nil, fmt.Errorf("receipts: list %s: %w: %v", e.name, ErrMalformed, err)
		}
		if opts.match(&r) {
			out = append(out, env)
		}
	}
	return out, nil
}

// Verify implements Store.
func (s *DirStore) Verify(ctx context.Context, verifiers []Verifier) (VerifyReport, error) {
	w := chainWalker{verifiers: verifiers}
	// Receipt files never change once renamed into place, so a listing and
	// HEAD taken together under the lock are a consistent snapshot.
	var (
		es      []dirEntry
		head    headRecord
		headErr error
	)
	err := withLock(filepath.Join(s.dir, ".lock"), func() error {
		var err error
		if es, err = s.entries(); err == nil {
			head, headErr = s.head()
		}
		return err
	})
	if headErr != nil && !errors.Is(headErr, ErrMalformed) {
		err = headErr
	}
	if err != nil {
		return w.report, fmt.Errorf("receipts: verify: %w", err)
	}
	for _, e := range es {
		if err := ctx.Err(); err != nil {
			return w.report, err
		}
		data, err := s.read(e)
		if err != nil {
			return w.report, fmt.Errorf("receipts: verify: %w", err)
		}
		if cerr := w.step(e.seq, e.runID, "", data); cerr != nil {
			return w.report, cerr
		}
	}
	if headErr != nil {
		return w.report, w.afterEnd(headErr.Error(), headErr)
	}
	if cerr := w.finish(head, true); cerr != nil {
		return w.report, cerr
	}
	return w.report, nil
}

// Close implements Store; a DirStore holds nothing open.
func (s *DirStore) Close() error { return nil }
