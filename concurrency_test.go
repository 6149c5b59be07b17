package enact_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/internal/testcache"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// recordExecution inserts a row that differs on every execution (its
// nonce), so the table counts executions: check-before-act cannot fold
// two executions into one row.
const recordExecution = `
enact: 1.0.0
id: RecordExecution
description: records one execution per run as a row
x-enact:
  actions: [postgres.insert_row]
inputs:
  type: object
  properties:
    key: {type: string}
  required: [key]
tasks:
  - id: record
    type: script
    language: javascript
    code: |
      const nonce = Date.now() + "-" + Math.random();
      const row = enact.postgres.insert_row({ table: "executions", values: { key, nonce } });
      return { nonce };
`

// TestConcurrentRetriesExecuteOncePerKey is the concurrency proof: 50
// goroutines each send the same 200 requests (same key, same inputs), in
// their own order, through two runners sharing one store. Exactly 200
// executions happen — counted as rows the capability wrote in Postgres —
// and every other request is a replay of the stored result or refused as
// in_progress. It runs against the SQLite store and a Postgres store.
//
// CI and ordinary builds send the full 50 × 200 requests. Under the race
// detector outside CI (the README's test command on a developer's
// machine), where the SQLite store's 10,000 requests alone take minutes
// of CPU, the same 50 goroutines send 60 keys each: every key is still
// raced for by all 50 at once, which is what the proof is about.
func TestConcurrentRetriesExecuteOncePerKey(t *testing.T) {
	t.Parallel()
	workers, keys := 50, 200
	switch {
	case testing.Short():
		workers, keys = 10, 40
	case raceBuild && os.Getenv("CI") == "":
		keys = 60
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			effects := pgtest.NewDatabase(t, `CREATE TABLE executions (key text NOT NULL, nonce text NOT NULL)`)
			p, err := policy.Load([]byte("version: 1\nallow: [postgres.insert_row]\npostgres:\n  tables:\n    executions: [key, nonce]\n"), "policy.yaml")
			if err != nil {
				t.Fatal(err)
			}
			keyring, err := receipts.OpenKeyring(filepath.Join(t.TempDir(), "keys"))
			if err != nil {
				t.Fatal(err)
			}
			storeDB := filepath.Join(t.TempDir(), "receipts.db")
			if kind == "postgres" {
				storeDB = pgtest.NewDatabase(t)
			}
			// Two runners: each its own store handle, connector and engine.
			var runners []*enact.Client
			var stores []receipts.Store
			for range 2 {
				var store receipts.Store
				if kind == "postgres" {
					store, err = receipts.OpenPostgres(t.Context(), storeDB, keyring.Signers())
				} else {
					store, err = receipts.OpenSQLite(t.Context(), storeDB, keyring.Signers())
				}
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { store.Close() })
				stores = append(stores, store)
				runners = append(runners, newClient(t, p, store, pgConnector(t, effects, p)))
			}
			c, err := capabilities.Load([]byte(recordExecution), "record.yaml")
			if err != nil {
				t.Fatal(err)
			}

			var (
				mu     sync.Mutex
				counts = map[string]int{}
				byKey  = map[string]map[string]bool{} // key → run ids answered
			)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					client := runners[w%2]
					for _, i := range rand.Perm(keys) {
						key := fmt.Sprintf("order-%03d", i)
						res, err := client.Run(context.Background(), enact.RunRequest{
							Capability: c, Inputs: map[string]any{"key": key}, Actor: policy.Actor{Email: "agent@acme.test"}, IdempotencyKey: key,
						})
						var ie *enact.IdempotencyError
						outcome := ""
						switch {
						case errors.As(err, &ie) && ie.Code == receipts.ClaimInProgress:
							outcome = "in_progress"
						case err != nil:
							t.Errorf("%s: %v", key, err)
							return
						case res.Status != enact.StatusPass:
							t.Errorf("%s: %s %+v", key, res.Status, res.Error)
							return
						case res.Replayed:
							outcome = "replayed"
						default:
							outcome = "executed"
						}
						mu.Lock()
						counts[outcome]++
						if res != nil {
							if byKey[key] == nil {
								byKey[key] = map[string]bool{}
							}
							byKey[key][res.RunID] = true
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			t.Logf("%s: %d requests: %v", kind, workers*keys, counts)
			if counts["executed"] != keys || counts["executed"]+counts["replayed"]+counts["in_progress"] != workers*keys {
				t.Errorf("outcomes %v: want exactly %d executions and the rest replays or in_progress", counts, keys)
			}
			for key, runs := range byKey {
				if len(runs) != 1 {
					t.Errorf("%s was answered by %d runs", key, len(runs))
				}
			}
			// The rows the capability actually wrote.
			db, err := pgx.Connect(t.Context(), effects)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close(context.Background())
			var rows, distinct int
			if err := db.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT key) FROM executions`).Scan(&rows, &distinct); err != nil {
				t.Fatal(err)
			}
			if rows != keys || distinct != keys {
				t.Errorf("%d rows for %d keys written, want %d executions of %d keys", rows, distinct, keys, keys)
			}
			rep, err := stores[0].Verify(t.Context(), keyring.Verifiers())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verified != int64(keys) {
				t.Errorf("%d receipts verified, want %d", rep.Verified, keys)
			}
		})
	}
}

// newClient wires a client over a policy, a store and connectors.
func newClient(t testing.TB, p *policy.Policy, store receipts.Store, conns ...hostfns.Connector) *enact.Client {
	t.Helper()
	engine, err := sharedEngine()
	if err != nil {
		t.Fatal(err)
	}
	gate, err := hostfns.New(hostfns.Config{Policy: p, Connectors: conns, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return enact.New(engine, gate)
}

// sharedEngine is the one sandbox engine of the package's clients: an
// engine is safe for concurrent use and keeps no state of a run, so the
// runners of a test (and the tests) differ by their gate and store, and the
// interpreters are compiled once for the package rather than once a client.
var sharedEngine = sync.OnceValues(func() (*runtime.Engine, error) {
	return runtime.New(runtime.Config{CacheDir: testcache.Dir()})
})

// pgConnector opens the Postgres connector on dsn with the policy's
// table allowlist.
func pgConnector(t testing.TB, dsn string, p *policy.Policy) hostfns.Connector {
	t.Helper()
	pg, err := postgres.New(context.Background(), postgres.Config{DSN: dsn, Tables: p.PostgresTables()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	return pg
}
