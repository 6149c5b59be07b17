package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/enact-run/enact/internal/pgtest"
)

// TestServeRunnersShareAPostgresStore puts two `enact-run serve` runners
// behind an imaginary load balancer on one Postgres store (and one
// keyring, as a fleet shares its signing keys): a retry that lands on the
// other runner replays, a concurrent burst of one key across both executes
// once, receipts written by one are served by the other, and the shared
// chain verifies.
func TestServeRunnersShareAPostgresStore(t *testing.T) {
	t.Parallel()
	store := pgtest.NewDatabase(t)
	home := t.TempDir()
	args := []string{"--store", store, "--anonymous-actor", "agent@acme.test"}
	runners := []string{startServeIn(t, home, args...), startServeIn(t, home, args...)}

	type report struct {
		Status    string `json:"status"`
		ReceiptID string `json:"receipt_id"`
		Replayed  bool   `json:"replayed"`
		Error     *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	post := func(base, key string, celsius int) (int, report) {
		t.Helper()
		body := fmt.Sprintf(`{"capability": "TemperatureConverterJS", "inputs": {"celsius": %d}, "idempotency_key": %q}`, celsius, key)
		resp, err := http.Post(base+"/v1/runs", "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, report{}
		}
		defer resp.Body.Close()
		var r report
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Error(err)
		}
		return resp.StatusCode, r
	}

	code, first := post(runners[0], "fleet-1", 100)
	if code != http.StatusOK || first.Status != "PASS" || first.Replayed {
		t.Fatalf("first run on runner A: %d %+v", code, first)
	}
	code, again := post(runners[1], "fleet-1", 100)
	if code != http.StatusOK || !again.Replayed || again.ReceiptID != first.ReceiptID {
		t.Fatalf("retry on runner B: %d %+v, want a replay of %s", code, again, first.ReceiptID)
	}
	if code, r := post(runners[1], "fleet-1", 37); code != http.StatusUnprocessableEntity || r.Error == nil || r.Error.Code != "idempotency_mismatch" {
		t.Fatalf("other inputs on runner B: %d %+v", code, r)
	}
	resp, err := http.Get(runners[1] + "/v1/receipts/" + first.ReceiptID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("runner B serving runner A's receipt: %d", resp.StatusCode)
	}

	// A burst of one key across both runners executes once.
	var (
		mu       sync.Mutex
		executed int
		runIDs   = map[string]bool{}
		wg       sync.WaitGroup
	)
	for i := range 16 {
		wg.Go(func() {
			code, r := post(runners[i%2], "fleet-burst", 5)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case code == http.StatusOK && !r.Replayed:
				executed++
				runIDs[r.ReceiptID] = true
			case code == http.StatusOK:
				runIDs[r.ReceiptID] = true
			case code == http.StatusConflict && r.Error != nil && r.Error.Code == "in_progress":
			default:
				t.Errorf("burst: %d %+v", code, r)
			}
		})
	}
	wg.Wait()
	if executed != 1 || len(runIDs) != 1 {
		t.Fatalf("burst across two runners: %d executions, run ids %v", executed, runIDs)
	}
	// One chain for the fleet.
	if code, stdout, stderr := invoke(t, home, "", "receipts", "verify", "--store", store); code != 0 {
		t.Fatalf("receipts verify: exit %d\n%s%s", code, stdout, stderr)
	}
}
