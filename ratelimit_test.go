package enact_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// rateLimited allows two kv writes per actor per hour, counted in the
// store.
const rateLimited = `version: 1
allow: [kv.*]
policies:
  - use: rate_limit
    with: {n: 2, window_seconds: 3600}
`

// TestRateLimitAcrossRunners counts writes in the store, so the limit
// holds across runs and across runners sharing it: the third write of an
// actor within the hour is denied whichever runner it reaches, another
// actor is not affected, and denied or dry-run writes do not use up the
// allowance.
func TestRateLimitAcrossRunners(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p, err := policy.Load([]byte(rateLimited), "policy.yaml")
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			keyring, err := receipts.OpenKeyring(filepath.Join(dir, "keys"))
			if err != nil {
				t.Fatal(err)
			}
			location := filepath.Join(dir, "receipts.db")
			if kind == "postgres" {
				location = pgtest.NewDatabase(t)
			}
			var runners []*enact.Client
			for range 2 {
				var store receipts.Store
				if kind == "postgres" {
					store, err = receipts.OpenPostgres(t.Context(), location, keyring.Signers())
				} else {
					store, err = receipts.OpenSQLite(t.Context(), location, keyring.Signers())
				}
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { store.Close() })
				runners = append(runners, newClient(t, p, store, kvOf(t, dir)))
			}
			c := putOnceCap(t)
			put := func(runner int, actor, key string, dry bool) *enact.Result {
				t.Helper()
				res, err := runners[runner].Run(t.Context(), enact.RunRequest{
					Capability: c, Inputs: map[string]any{"key": key}, Actor: policy.Actor{Email: actor}, DryRun: dry,
				})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			if res := put(0, "a@acme.test", "k1", true); res.Status != enact.StatusPass {
				t.Fatalf("dry run: %s %+v", res.Status, res.Error)
			}
			for i, runner := range []int{0, 1} {
				if res := put(runner, "a@acme.test", fmt.Sprint("k", i+1), false); res.Status != enact.StatusPass {
					t.Fatalf("write %d of a: %s %+v", i+1, res.Status, res.Error)
				}
			}
			for _, runner := range []int{1, 0} {
				res := put(runner, "a@acme.test", "k3", false)
				if res.Status != enact.StatusFailed || res.Error == nil {
					t.Fatalf("third write of a on runner %d: %s", runner, res.Status)
				}
				r, err := res.Receipt.Verify(keyring.Verifiers())
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Actions) != 1 || r.Actions[0].Decision != receipts.ActionDenied {
					t.Fatalf("third write of a: actions %+v", r.Actions)
				}
			}
			if res := put(1, "b@acme.test", "k4", false); res.Status != enact.StatusPass {
				t.Fatalf("first write of b: %s %+v", res.Status, res.Error)
			}
			if found, _ := kvValue(t, kvOf(t, dir), c.ID, "k3"); found {
				t.Error("a denied write reached kv")
			}
		})
	}
}
