package receiptview

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/enact-run/enact/internal/lazyre"
	"github.com/enact-run/enact/receipts"
)

// Store is the part of a receipt store this package reads;
// receipts.Store is one.
type Store interface {
	Get(ctx context.Context, runID string) (*receipts.Envelope, error)
	List(ctx context.Context, opts receipts.ListOptions) ([]*receipts.Envelope, error)
}

// Status selects runs by outcome in a Filter.
type Status string

// The statuses a Filter selects by. PASS, BLOCK and FAILED are the
// receipt's decision; DENIED and ATTENTION look inside the run.
const (
	StatusAny    Status = ""
	StatusPass   Status = "PASS"   // decision PASS (actions may still have been denied)
	StatusBlock  Status = "BLOCK"  // a run-level policy refused the run
	StatusFailed Status = "FAILED" // the run failed
	// StatusDenied selects the runs in which a policy refused something:
	// BLOCK runs and runs with a denied action.
	StatusDenied Status = "DENIED"
	// StatusAttention selects every run that did not pass cleanly: not
	// PASS, or an action denied or failed.
	StatusAttention Status = "ATTENTION"
)

// ParseStatus reads a status name, without case; "" or "any" is StatusAny.
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToUpper(strings.TrimSpace(s))); st {
	case StatusAny, StatusPass, StatusBlock, StatusFailed, StatusDenied, StatusAttention:
		return st, nil
	case "ANY":
		return StatusAny, nil
	}
	return "", fmt.Errorf("status %q: want PASS, BLOCK, FAILED, DENIED (a policy refused the run or an action) or ATTENTION (anything but a clean PASS)", s)
}

// match reports whether a summary has the status.
func (st Status) match(s *Summary) bool {
	switch st {
	case StatusAny:
		return true
	case StatusDenied:
		return s.Decision == string(receipts.DecisionBlock) || s.Actions.Denied > 0
	case StatusAttention:
		return s.Attention
	}
	return s.Decision == string(st)
}

// Filter selects runs for List, newest first.
type Filter struct {
	Actor      string // this actor's runs only (compared without case)
	Capability string // this capability id only
	Status     Status
	// Since and Until bound the receipts' timestamps at whole seconds
	// (receipts.ListOptions).
	Since, Until time.Time
	// Before starts the page below this seq (Page.Next of the previous
	// page); 0 starts from the newest run.
	Before int64
	// Limit is the page size; 0 or less lists everything.
	Limit int
}

// Item is one run of a page.
type Item struct {
	Summary
	Envelope *receipts.Envelope `json:"-"`
}

// Page is one page of runs, newest first.
type Page struct {
	Items []Item
	// More is set when older runs match too; Next is then the Before of
	// the next page.
	More bool
	Next int64
}

// scanBatch is how many receipts List reads at a time when it filters
// on what only the body says (DENIED, ATTENTION). A variable for tests.
var scanBatch = 200

// List returns a page of the runs f selects, newest first. Receipts are
// not verified here (Build does that for one run; the store's Verify for
// the chain); a body that does not decode is listed as UNREADABLE.
func List(ctx context.Context, s Store, f Filter) (Page, error) {
	opts := receipts.ListOptions{Actor: f.Actor, Capability: f.Capability, Since: f.Since, Until: f.Until, Before: f.Before, Newest: true}
	switch f.Status {
	case StatusPass, StatusBlock, StatusFailed:
		opts.Decision = receipts.Decision(f.Status)
	}
	inBody := f.Status == StatusDenied || f.Status == StatusAttention
	want := 0 // one more than the page, to know whether there are more
	if f.Limit > 0 {
		want = f.Limit + 1
	}
	var page Page
	for {
		opts.Limit = want
		if inBody {
			opts.Limit = max(scanBatch, want)
		}
		envs, err := s.List(ctx, opts)
		if err != nil {
			return Page{}, err
		}
		for _, env := range envs {
			it := Item{Envelope: env}
			if r, err := Decode(env); err != nil {
				it.Summary = Summary{RunID: "?", Label: "UNREADABLE", Attention: true, Reason: err.Error(), Hash: env.Hash}
			} else {
				it.Summary = Summarize(r, env.Hash)
				opts.Before = r.Seq
			}
			if f.Status.match(&it.Summary) || it.Label == "UNREADABLE" {
				page.Items = append(page.Items, it)
			}
			if want > 0 && len(page.Items) == want {
				break
			}
		}
		if !inBody || len(envs) < opts.Limit || (want > 0 && len(page.Items) == want) || opts.Before <= 1 {
			break
		}
	}
	if want > 0 && len(page.Items) == want {
		page.Items = page.Items[:f.Limit]
		page.More = true
		page.Next = page.Items[f.Limit-1].Seq
	}
	return page, nil
}

// runIDSyntax is what a run id, or a prefix of one, may hold.
var runIDSyntax = lazyre.New(`^[A-Za-z0-9._-]{1,128}$`)

// Resolve finds the envelope of a run by its id or by a prefix that only
// one run id starts with. With actor set it sees only that actor's runs
// (compared without case), and another actor's run is not found, exactly
// like an unknown id. An unknown id or prefix is receipts.ErrNotFound; a
// prefix of several ids is ErrAmbiguous, naming some of them.
func Resolve(ctx context.Context, s Store, ref, actor string) (*receipts.Envelope, error) {
	if !runIDSyntax.MatchString(ref) {
		return nil, fmt.Errorf("%w: %q is not a run id (1 to 128 of A-Z a-z 0-9 . _ -)", receipts.ErrNotFound, ref)
	}
	env, err := s.Get(ctx, ref)
	if err == nil && (actor == "" || ownedBy(env, actor)) {
		return env, nil
	}
	if err != nil && !errors.Is(err, receipts.ErrNotFound) {
		return nil, err
	}
	envs, err := s.List(ctx, receipts.ListOptions{RunIDPrefix: ref, Actor: actor, Limit: 6})
	if err != nil {
		return nil, err
	}
	switch len(envs) {
	case 0:
		return nil, fmt.Errorf("%w: no run id is or starts with %s", receipts.ErrNotFound, ref)
	case 1:
		return envs[0], nil
	}
	var ids []string
	for i, e := range envs {
		if i == 5 {
			ids = append(ids, "…")
			break
		}
		if r, err := Decode(e); err == nil {
			ids = append(ids, r.RunID)
		}
	}
	return nil, fmt.Errorf("%w: %s is the start of %s; give more of the id", ErrAmbiguous, ref, strings.Join(ids, ", "))
}

func ownedBy(env *receipts.Envelope, actor string) bool {
	r, err := Decode(env)
	return err == nil && strings.EqualFold(strings.TrimSpace(r.Actor.Email), strings.TrimSpace(actor))
}

// ParseTime reads a time bound: RFC 3339 ("2026-03-14T15:09:26Z"), a date
// and time without a zone, taken as UTC ("2026-03-14T15:09",
// "2026-03-14 15:09:26"), a date ("2026-03-14", midnight UTC), or an age
// before now ("90m", "24h", "7d"). "" is the zero time: no bound.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= 36500 {
			return now.Add(-time.Duration(n) * 24 * time.Hour).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2026-03-14T15:09:26Z), a UTC date and time (2026-03-14T15:09), a date (2026-03-14) or an age (90m, 24h, 7d)", s)
}
