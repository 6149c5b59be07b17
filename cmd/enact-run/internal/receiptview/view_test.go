package receiptview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/receipts"
)

var t0 = time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)

func action(d receipts.ActionDecision, name string) receipts.Action {
	a := receipts.Action{Seq: 1, Action: name, Decision: d, ArgsDigest: "sha256:" + strings.Repeat("0", 64), Started: t0}
	switch d {
	case receipts.ActionDenied:
		a.PolicyResults = []receipts.PolicyResult{{Policy: "no_main", Passed: false, Reason: "main is protected"}}
		a.Error = &receipts.Error{Code: "denied", Message: "no_main: main is protected"}
	case receipts.ActionFailed:
		a.Error = &receipts.Error{Code: "connector_error", Message: "connector_error: 502 from GitHub"}
	case receipts.ActionAllowed:
		a.Result = json.RawMessage(`{"ok":true}`)
	}
	return a
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		r         receipts.Receipt
		label     string
		reason    string
		attention bool
	}{
		{"clean pass", receipts.Receipt{Decision: "PASS", Status: "completed", Actions: []receipts.Action{action("allowed", "kv.put")}},
			"PASS", "", false},
		{"pass with a denied action", receipts.Receipt{Decision: "PASS", Status: "completed", Actions: []receipts.Action{action("allowed", "kv.get"), action("denied", "github.create_pr")}},
			"PASS, 1 denied", "github.create_pr denied: no_main: main is protected", true},
		{"pass with a failed action", receipts.Receipt{Decision: "PASS", Status: "completed", Actions: []receipts.Action{action("failed", "github.create_pr")}},
			"PASS, 1 failed", "github.create_pr failed: connector_error: 502 from GitHub", true},
		{"dry run", receipts.Receipt{Decision: "PASS", Status: "dry_run"}, "PASS, dry run", "dry_run", false},
		{"block", receipts.Receipt{Decision: "BLOCK", Status: "blocked", PolicyResults: []receipts.PolicyResult{{Policy: "a", Passed: true}, {Policy: "weekdays", Passed: false, Reason: "not on weekends"}},
			Error: &receipts.Error{Code: "denied", Message: "denied: weekdays: not on weekends"}}, "BLOCK", "weekdays: not on weekends", true},
		{"failed", receipts.Receipt{Decision: "FAILED", Status: "failed", Error: &receipts.Error{Code: "timeout", Message: "timeout: task t ran past 1s"}},
			"FAILED", "timeout: task t ran past 1s", true},
		{"held for approval", receipts.Receipt{Decision: "PENDING", Status: "pending_approval", Actions: []receipts.Action{action("allowed", "kv.get"), {Seq: 2, Action: "kv.put", Decision: receipts.ActionHeld}},
			Error: &receipts.Error{Code: "approval_required", Message: "action kv.put is held for approval apr_x"}},
			"PENDING", "approval_required: action kv.put is held for approval apr_x", true},
		{"failed after a denial", receipts.Receipt{Decision: "FAILED", Status: "failed", Actions: []receipts.Action{action("denied", "kv.put")}, Error: &receipts.Error{Code: "guest_error", Message: "refused"}},
			"FAILED, 1 denied", "kv.put denied: no_main: main is protected", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(&tc.r, "h")
			if tc.r.Decision == "PENDING" && (s.Actions.Held != 1 || CountsText(s.Actions, "-") != "1 allowed, 1 held") {
				t.Errorf("held counts %+v", s.Actions)
			}
			if s.Label != tc.label || s.Reason != tc.reason || s.Attention != tc.attention {
				t.Errorf("label %q reason %q attention %v; want %q %q %v", s.Label, s.Reason, s.Attention, tc.label, tc.reason, tc.attention)
			}
		})
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain text é":          "plain text é",
		"red \x1b[31mALERT":     `red \x1b[31mALERT`,
		"bell\a and \x7f":       `bell\x07 and \x7f`,
		"a\nb\tc":               `a\x0ab\x09c`,
		"evil\u202etxt.exe":     `evil\u202etxt.exe`,
		"c1 \u009b2J":           `c1 \x9b2J`,
		"bad utf8 \xff!":        `bad utf8 \xff!`,
		"line\u2028separator":   `line\u2028separator`,
		"isolate \u2066x\u2069": `isolate \u2066x\u2069`,
	} {
		if got := Clean(in, false); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Clean("a\nb\tc\x1b", true); got != "a\nb\tc\\x1b" {
		t.Errorf("multiline: %q", got)
	}
}

func TestParseTimeAndStatus(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                          {},
		"2026-03-01T10:20:30+02:00": time.Date(2026, 3, 1, 8, 20, 30, 0, time.UTC),
		"2026-03-01T10:20":          time.Date(2026, 3, 1, 10, 20, 0, 0, time.UTC),
		"2026-03-01 10:20:30":       time.Date(2026, 3, 1, 10, 20, 30, 0, time.UTC),
		"2026-03-01":                time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		"90m":                       now.Add(-90 * time.Minute),
		"7d":                        now.Add(-7 * 24 * time.Hour),
	} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-5m", "2026-13-01", "5x"} {
		if _, err := ParseTime(bad, now); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseTime(%q): %v", bad, err)
		}
	}
	for in, want := range map[string]Status{"": StatusAny, "any": StatusAny, "pass": StatusPass, " Denied ": StatusDenied, "ATTENTION": StatusAttention} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseStatus("ok"); err == nil || !strings.Contains(err.Error(), "PASS, BLOCK, FAILED") {
		t.Errorf("ParseStatus(ok): %v", err)
	}
}

// store is a real SQLite store with n runs: every third one (seq 3, 6, …)
// has a denied action, the rest pass cleanly; run ids are "run-%04d".
func store(t *testing.T, n int) (*receipts.SQLiteStore, *receipts.Keyring) {
	t.Helper()
	dir := t.TempDir()
	keys, err := receipts.OpenKeyring(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := receipts.OpenSQLite(t.Context(), filepath.Join(dir, "r.db"), keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i := 1; i <= n; i++ {
		r := &receipts.Receipt{
			RunID: fmt.Sprintf("run-%04d", i), Capability: receipts.Capability{ID: "c"}, Actor: receipts.Actor{Email: fmt.Sprintf("a%d@x.y", i%2)},
			Decision: "PASS", Status: "completed", Started: t0, Finished: t0, Timestamp: t0.Add(time.Duration(i) * time.Second),
		}
		if i%3 == 0 {
			r.Actions = []receipts.Action{action("denied", "kv.put")}
		}
		if _, err := s.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	return s, keys
}

func TestListPagesThroughBodyFilters(t *testing.T) {
	s, _ := store(t, 40)
	defer func(b int) { scanBatch = b }(scanBatch)
	scanBatch = 4 // several reads per page
	var got []int64
	f := Filter{Status: StatusDenied, Limit: 3}
	for page := 0; ; page++ {
		p, err := List(t.Context(), s, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			got = append(got, it.Seq)
		}
		if !p.More {
			break
		}
		if page > 20 || p.Next == 0 {
			t.Fatalf("paging does not end: %+v", p)
		}
		f.Before = p.Next
	}
	want := []int64{39, 36, 33, 30, 27, 24, 21, 18, 15, 12, 9, 6, 3}
	if !slices.Equal(got, want) {
		t.Errorf("denied runs paged: %v, want %v", got, want)
	}
	// Plain filters page in the store.
	p, err := List(t.Context(), s, Filter{Actor: "A1@x.y", Limit: 2, Before: 10})
	if err != nil || len(p.Items) != 2 || p.Items[0].Seq != 9 || p.Items[1].Seq != 7 || !p.More || p.Next != 7 {
		t.Errorf("actor page: %+v, %v", p, err)
	}
	p, err = List(t.Context(), s, Filter{})
	if err != nil || len(p.Items) != 40 || p.More || p.Items[0].Seq != 40 {
		t.Errorf("everything: %d items, more %v, %v", len(p.Items), p.More, err)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	s, _ := store(t, 12)
	for ref, want := range map[string]string{"run-0007": "run-0007", "run-0012": "run-0012", "run-001": "", "run-0": "", "run-00": ""} {
		env, err := Resolve(t.Context(), s, ref, "")
		switch {
		case want == "":
			if !errors.Is(err, ErrAmbiguous) {
				t.Errorf("Resolve(%q): %v, want ambiguous", ref, err)
			}
		case err != nil:
			t.Errorf("Resolve(%q): %v", ref, err)
		default:
			if r, _ := Decode(env); r.RunID != want {
				t.Errorf("Resolve(%q) = %s", ref, r.RunID)
			}
		}
	}
	// run-0011 is the only one of a1 starting run-001 (run-0010, 0012 are a0's).
	if env, err := Resolve(t.Context(), s, "run-001", "a1@x.y"); err != nil {
		t.Errorf("scoped prefix: %v", err)
	} else if r, _ := Decode(env); r.RunID != "run-0011" {
		t.Errorf("scoped prefix found %s", r.RunID)
	}
	for _, ref := range []string{"run-0099", "nope", "../etc", "", strings.Repeat("r", 200)} {
		if _, err := Resolve(t.Context(), s, ref, ""); !errors.Is(err, receipts.ErrNotFound) {
			t.Errorf("Resolve(%q): %v, want not found", ref, err)
		}
	}
	// Another actor's run is not found, even by its full id.
	if _, err := Resolve(t.Context(), s, "run-0002", "a1@x.y"); !errors.Is(err, receipts.ErrNotFound) {
		t.Errorf("another actor's run: %v", err)
	}
}

func TestBuildAndWriteView(t *testing.T) {
	t.Parallel()
	s, keys := store(t, 3)
	env, err := s.Get(t.Context(), "run-0003")
	if err != nil {
		t.Fatal(err)
	}
	v, err := Build(env, keys.Verifiers())
	if err != nil || !v.Verified || len(v.Signatures) != 2 || v.Signatures[0].State != "verified" || v.Seq != 3 || v.Prev == "" {
		t.Fatalf("view: %+v, %v", v, err)
	}
	var b bytes.Buffer
	if err := WriteView(&b, v); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Run run-0003: PASS, 1 denied", "kv.put  DENIED", "FAIL  no_main: main is protected", "the receipt verifies", "seq   3"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("view lacks %q:\n%s", want, b.String())
		}
	}
	// With other keys the same envelope does not verify, and says which
	// signatures are not known.
	other, err := receipts.OpenKeyring(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	v, err = Build(env, other.Verifiers())
	if err != nil || v.Verified || v.VerifyError == "" || v.Signatures[0].State != "unknown key" {
		t.Errorf("view with other keys: %+v, %v", v, err)
	}
}

func BenchmarkBuildAndWriteView(b *testing.B) {
	dir := b.TempDir()
	keys, err := receipts.OpenKeyring(filepath.Join(dir, "keys"))
	if err != nil {
		b.Fatal(err)
	}
	r := &receipts.Receipt{RunID: "run-1", Seq: 1, Capability: receipts.Capability{ID: "c"}, Decision: "PASS", Status: "completed",
		Outputs: map[string]any{"a": 1, "b": "two"}, Inputs: map[string]any{"x": receipts.Redacted}}
	for i := range 10 {
		a := action([]receipts.ActionDecision{"allowed", "denied", "failed"}[i%3], "kv.put")
		a.Seq = int64(i + 1)
		a.Facts = map[string]any{"exists": true, "count": i}
		r.Actions = append(r.Actions, a)
	}
	env, err := receipts.Seal(r, keys.Signers())
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		v, err := Build(env, keys.Verifiers())
		if err != nil {
			b.Fatal(err)
		}
		out.Reset()
		if err := WriteView(&out, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListPage(b *testing.B) {
	dir := b.TempDir()
	keys, err := receipts.OpenKeyring(filepath.Join(dir, "keys"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := receipts.OpenSQLite(b.Context(), filepath.Join(dir, "r.db"), keys.Signers())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 1; i <= 500; i++ {
		r := &receipts.Receipt{RunID: fmt.Sprintf("run-%04d", i), Capability: receipts.Capability{ID: "c"}, Decision: "PASS", Status: "completed"}
		if i%10 == 0 {
			r.Actions = []receipts.Action{action("denied", "kv.put")}
		}
		if _, err := s.Append(b.Context(), r); err != nil {
			b.Fatal(err)
		}
	}
	for _, f := range []Filter{{Limit: 50}, {Limit: 20, Status: StatusDenied}} {
		b.Run(fmt.Sprintf("status=%s", f.Status), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := List(b.Context(), s, f)
				if err != nil || len(p.Items) != f.Limit {
					b.Fatalf("%d items, %v", len(p.Items), err)
				}
			}
		})
	}
}
