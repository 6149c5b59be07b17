package enact_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/internal/bounds"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// twoPuts writes two kv keys, one action each; a refused action fails
// the task.
const twoPuts = `
enact: 1.0.0
id: TwoPuts
description: puts two keys, one action each
x-enact:
  actions: [kv.put]
inputs:
  type: object
  properties:
    first: {type: string}
    second: {type: string}
  required: [first, second]
tasks:
  - id: put
    type: script
    language: javascript
    code: |
      const a = enact.kv.put({ key: first, value: "v" });
      const b = enact.kv.put({ key: second, value: "v" });
      return { first: a.version, second: b.version };
`

// faultyKV is the kv connector, counting the puts that reach it; once the
// put of key after has returned it calls fault, which takes the receipt
// store's database away, so the run's next action meets a store that is
// gone. A test-only wrapper: nothing else in the run changes.
type faultyKV struct {
	*kv.Store
	after string
	fault func()
	puts  atomic.Int64
}

func (f *faultyKV) Call(ctx context.Context, action string, args json.RawMessage, opts hostfns.CallOptions) (hostfns.Outcome, error) {
	out, err := f.Store.Call(ctx, action, args, opts)
	if action != "put" {
		return out, err
	}
	f.puts.Add(1)
	var a struct{ Key string }
	if json.Unmarshal(args, &a) == nil && a.Key == f.after && f.fault != nil {
		fault := f.fault
		f.fault = nil
		fault()
	}
	return out, err
}

// kvValue reports whether key is in the kv store, in capability's
// namespace, and its version.
func kvValue(t testing.TB, k *kv.Store, capability, key string) (found bool, version int64) {
	t.Helper()
	args, _ := json.Marshal(map[string]string{"key": key})
	out, err := k.Call(context.Background(), "get", args, hostfns.CallOptions{Capability: capability})
	if err != nil {
		t.Fatalf("kv.get %s: %v", key, err)
	}
	var r struct {
		Found   bool
		Version int64
	}
	if err := json.Unmarshal(out.Result, &r); err != nil {
		t.Fatal(err)
	}
	return r.Found, r.Version
}

// storeFault is a client whose receipt store is PostgreSQL at dsn and
// whose kv connector (its own SQLite file, which stays up) is a faultyKV.
type storeFault struct {
	dsn    string
	dir    string
	policy *policy.Policy
	keys   *receipts.Keyring
	store  *receipts.PostgresStore
	kv     *kv.Store
	conn   *faultyKV
	client *enact.Client
	cap    *capabilities.Capability
}

func newStoreFault(t *testing.T, dsn string) *storeFault {
	t.Helper()
	f := &storeFault{dsn: dsn, dir: t.TempDir()}
	var err error
	if f.policy, err = policy.Load([]byte("version: 1\nallow: [kv.*]\n"), "policy.yaml"); err != nil {
		t.Fatal(err)
	}
	if f.keys, err = receipts.OpenKeyring(filepath.Join(f.dir, "keys")); err != nil {
		t.Fatal(err)
	}
	if f.store, err = receipts.OpenPostgres(t.Context(), f.dsn, f.keys.Signers()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.kv = kvOf(t, f.dir)
	f.conn = &faultyKV{Store: f.kv}
	f.client = newClient(t, f.policy, f.store, f.conn)
	if f.cap, err = capabilities.Load([]byte(twoPuts), "two-puts.yaml"); err != nil {
		t.Fatal(err)
	}
	return f
}

// run runs twoPuts with client, putting first and then second.
func (f *storeFault) run(ctx context.Context, client *enact.Client, key, first, second string) (*enact.Result, error) {
	return client.Run(ctx, enact.RunRequest{Capability: f.cap, Actor: policy.Actor{Email: "agent@acme.test"},
		IdempotencyKey: key, Inputs: map[string]any{"first": first, "second": second}})
}

// interrupt makes a run under key whose receipt store's server srv stops
// between its put of a and its put of b, checks that it ends at once,
// failed, with b refused as unavailable and never reaching kv, and returns
// its run id.
func (f *storeFault) interrupt(t *testing.T, srv *pgtest.Server, key string) string {
	t.Helper()
	f.conn.after, f.conn.fault = "a", func() { srv.Stop(t) }
	puts := f.conn.puts.Load()
	// A safety net only: with the server stopped, every store operation
	// fails at once (connection refused).
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := f.run(ctx, f.client, key, "a", "b")
	if ctx.Err() != nil {
		t.Fatalf("the run was still going when its safety timeout expired: %+v, %v", res, err)
	}
	if err == nil || !strings.Contains(err.Error(), "receipt could not be stored") {
		t.Errorf("error %v, want one saying the run's receipt could not be stored", err)
	}
	if res == nil || res.Status != enact.StatusFailed || res.Error == nil || res.Receipt != nil {
		t.Fatalf("result %+v: want FAILED, with an error and no receipt", res)
	}
	// The guest's put of b failed: unavailable, because its intent could
	// not be journaled; the message names the journal.
	for _, want := range []string{hostfns.CodeUnavailable, "could not be recorded", "journal intent"} {
		if !strings.Contains(res.Error.Message, want) {
			t.Errorf("run error %q lacks %q", res.Error.Message, want)
		}
	}
	if n := f.conn.puts.Load() - puts; n != 1 {
		t.Errorf("%d puts reached kv, want 1 (a)", n)
	}
	if found, v := kvValue(t, f.kv, "TwoPuts", "a"); !found || v != 1 {
		t.Errorf("kv a: found %v, version %d; want it written once", found, v)
	}
	if found, _ := kvValue(t, f.kv, "TwoPuts", "b"); found {
		t.Error("kv b was written although its intent could not be journaled")
	}
	return res.RunID
}

// TestStoreFaultPostgresStoppedMidRun stops the PostgreSQL server of the
// receipt store between two actions of a run, while the system the
// actions reach (the embedded kv store) stays up. The action after the
// stop must not reach kv, because its intent cannot be journaled, and the
// run must end at once with an error that names the store. Runs asked for
// while the server is down must not act. Once the server is back, the
// store works again, recovery (by another runner, as `enact-run recover`)
// seals the interrupted run's receipt with the action that did happen,
// and a retry under the run's idempotency key finishes the work without
// repeating it; the chain verifies.
func TestStoreFaultPostgresStoppedMidRun(t *testing.T) {
	t.Parallel()
	srv := pgtest.NewServer(t)
	f := newStoreFault(t, srv.Database(t))
	ctx := t.Context()

	// A run before the fault leaves the first receipt of the chain.
	if res, err := f.run(ctx, f.client, "", "x", "y"); err != nil || res.Status != enact.StatusPass {
		t.Fatalf("run before the fault: %+v, %v", res, err)
	}
	runID := f.interrupt(t, srv, "mid-run")

	// While the server is down nothing acts. With a key the run is
	// refused before it starts (the readiness probe or the key's claim
	// fails); without one it is refused before it starts, or, when the
	// store's last successful probe is under 250 ms old, its first write
	// is refused for want of a journal record.
	for _, key := range []string{"while-down", ""} {
		puts := f.conn.puts.Load()
		res, err := f.run(ctx, f.client, key, "c", "d")
		if err == nil {
			t.Errorf("key %q: a run with the store down succeeded: %+v", key, res)
		} else if msg := err.Error(); !strings.Contains(msg, "receipt") && !strings.Contains(msg, "idempotency ledger") {
			t.Errorf("key %q: error %q does not say the store is the problem", key, msg)
		}
		if key != "" && res != nil {
			t.Errorf("key %q: the run started with the store down: %+v", key, res)
		}
		if n := f.conn.puts.Load() - puts; n != 0 {
			t.Errorf("key %q: %d puts reached kv with the store down", key, n)
		}
		if found, _ := kvValue(t, f.kv, "TwoPuts", "c"); found {
			t.Errorf("key %q: kv c was written with the store down", key)
		}
	}

	srv.Start(t)
	// The same store handle works again: the chain holds the one receipt.
	if rep, err := f.store.Verify(ctx, f.keys.Verifiers()); err != nil || rep.Verified != 1 {
		t.Fatalf("after Start, the first store: %+v, %v", rep, err)
	}

	// Another runner on the same database and kv store recovers the run,
	// as `enact-run recover` does. (The first runner must not run anything
	// first: that would take its owner lock again, and the run would count
	// as live; see TestStoreFaultSameRunnerRecovers.)
	other, err := receipts.OpenPostgres(ctx, f.dsn, f.keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	recoverer := newClient(t, f.policy, other, kvOf(t, f.dir))
	recovered, err := recoverer.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recovered) != 1 || recovered[0].RunID != runID || recovered[0].Outcome != enact.RecoverySealed || recovered[0].Key != "mid-run" {
		t.Fatalf("recovered %+v, want run %s sealed", recovered, runID)
	}
	if got := recovered[0].Actions; len(got) != 1 || got[0].Action != "kv.put" || got[0].State != receipts.JournalCompleted {
		t.Errorf("recovered actions %+v, want the put of a completed", got)
	}
	data, _ := json.Marshal(recovered[0].Receipt)
	r, err := receipts.Open(data, f.keys.Verifiers())
	if err != nil {
		t.Fatalf("the recovered receipt does not verify: %v", err)
	}
	argsA, _ := receipts.Digest(map[string]any{"key": "a", "value": "v"})
	if r.RunID != runID || r.Status != "recovered" || len(r.Actions) != 1 ||
		r.Actions[0].Action != "kv.put" || r.Actions[0].Decision != receipts.ActionAllowed || r.Actions[0].ArgsDigest != argsA {
		t.Errorf("recovered receipt: %+v", r)
	}

	// The retry under the run's key runs again: a is already there, b is
	// written once.
	res, err := f.run(ctx, recoverer, "mid-run", "a", "b")
	if err != nil || res.Status != enact.StatusPass || res.Replayed {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	if fmt.Sprint(res.Outputs["first"]) != "1" || fmt.Sprint(res.Outputs["second"]) != "1" {
		t.Errorf("retry outputs %v: want both keys at version 1", res.Outputs)
	}
	// The first runner runs again too.
	if res, err := f.run(ctx, f.client, "", "e", "f"); err != nil || res.Status != enact.StatusPass {
		t.Fatalf("the first runner after Start: %+v, %v", res, err)
	}
	for _, s := range []receipts.Store{f.store, other} {
		if rep, err := s.Verify(ctx, f.keys.Verifiers()); err != nil || rep.Verified != 4 {
			t.Errorf("chain: %+v, %v; want 4 receipts verified", rep, err)
		}
	}
	if found, v := kvValue(t, f.kv, "TwoPuts", "b"); !found || v != 1 {
		t.Errorf("kv b: found %v, version %d; want it written once, by the retry", found, v)
	}
}

// TestStoreFaultSameRunnerRecovers is the case above within one runner,
// such as a long-lived enact-run serve: once the server is back, the
// runner that could not seal a run must be able to recover it, and a
// retry under the run's key must not be refused as still running.
func TestStoreFaultSameRunnerRecovers(t *testing.T) {
	t.Parallel()
	srv := pgtest.NewServer(t)
	f := newStoreFault(t, srv.Database(t))
	ctx := t.Context()
	runID := f.interrupt(t, srv, "mid-run")
	srv.Start(t)

	// The run is over: a retry may be refused as ambiguous until it is
	// recovered, but not as still running.
	_, err := f.run(ctx, f.client, "mid-run", "a", "b")
	if ie := (*enact.IdempotencyError)(nil); errors.As(err, &ie) && ie.Code == receipts.ClaimInProgress {
		t.Errorf("retry before recovery: %v", err)
	}
	recovered, err := f.client.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recovered) != 1 || recovered[0].RunID != runID || recovered[0].Outcome != enact.RecoverySealed {
		t.Errorf("the runner's own recovery: %+v, want run %s sealed", recovered, runID)
	}
	res, err := f.run(ctx, f.client, "mid-run", "a", "b")
	if err != nil || res.Status != enact.StatusPass {
		t.Errorf("retry: %+v, %v", res, err)
	}
}

// partition forwards TCP connections to a server until it is cut: then it
// holds every byte and accepts connections it never answers, as a database
// host that hangs or drops off the network does (no refusal, no reset),
// until it heals.
type partition struct {
	target string
	ln     net.Listener
	mu     sync.Mutex
	flow   chan struct{} // closed while traffic flows
	conns  []net.Conn
}

// newPartition starts a partition in front of the server of dsn and
// returns the DSN that goes through it.
func newPartition(t *testing.T, dsn string) (*partition, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("%s is not a postgres:// URL; this test rewrites it", pgtest.EnvDSN)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &partition{target: u.Host, ln: ln, flow: make(chan struct{})}
	close(p.flow)
	t.Cleanup(p.close)
	go p.accept()
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *partition) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

// pipe copies src to dst, holding what it read while the partition is
// cut.
func (p *partition) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			flow := p.flow
			p.mu.Unlock()
			<-flow
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// cut stops all traffic.
func (p *partition) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flow = make(chan struct{})
}

// heal lets the held traffic and all later traffic through.
func (p *partition) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flow:
	default:
		close(p.flow)
	}
}

func (p *partition) close() {
	p.heal()
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestStoreFaultPostgresUnresponsiveMidRun cuts the receipt store's
// database off between two actions of a run without refusing anything,
// as a hung database host or a network partition does. The run must still
// end when its context ends, with the second action not performed.
//
// The writes that outlive the run's context (the outcome of a, the
// receipt) each wait out the record bound (receipts.RecordTimeout); the
// test shortens it to recordBound for its faulty run, and so does not run
// in parallel with others, which would see the shorter bound too. The
// run's context ends recordBound*5/2 after the cut: once the outcome of a
// has given up, while the intent of b waits on the store.
func TestStoreFaultPostgresUnresponsiveMidRun(t *testing.T) {
	const recordBound = 2 * time.Second
	part, dsn := newPartition(t, pgtest.NewDatabase(t))
	f := newStoreFault(t, dsn)
	// A run before the fault, under the ordinary bound: the engine is
	// warm, and the connections through the partition are open.
	if res, err := f.run(t.Context(), f.client, "", "x", "y"); err != nil || res.Status != enact.StatusPass {
		t.Fatalf("run before the fault: %+v, %v", res, err)
	}
	defer bounds.SetRecordForTest(recordBound)()

	// The run's context, which it must keep: it ends a while after the
	// cut (or, should the run never reach its put of a, after a minute).
	base, stop := context.WithTimeout(t.Context(), time.Minute)
	defer stop()
	ctx, cancel := context.WithCancel(base)
	defer cancel()
	f.conn.after, f.conn.fault = "a", func() {
		part.cut()
		time.AfterFunc(recordBound*5/2, cancel)
	}
	type outcome struct {
		res *enact.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := f.run(ctx, f.client, "", "a", "b")
		done <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		select {
		case o = <-done:
		case <-time.After(time.Minute): // a safety net, to report the hang
			t.Error("Run has not returned a minute after its context ended, while the receipt store does not answer")
			part.heal()
			o = <-done
		}
	}
	if f.conn.fault != nil {
		t.Fatalf("the run ended before its put of a: %+v, %v", o.res, o.err)
	}
	if o.err == nil && (o.res == nil || o.res.Status == enact.StatusPass) {
		t.Errorf("the run passed although its put of b could not be journaled: %+v", o.res)
	}
	if found, _ := kvValue(t, f.kv, "TwoPuts", "b"); found {
		t.Error("kv b was written although its intent could not be journaled in time")
	}
	// The run is over: let the held traffic through, so that closing the
	// store does not wait on it.
	part.heal()
}
