//go:build linux

package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enact-run/enact/internal/wasmtest"
)

// rssBytes reads the resident set size of this process, which in these
// tests is also the server's.
func rssBytes(t testing.TB) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// hostileLoadSlack is what the server may hold above its baseline while
// hostileLoadRuns runs of one kind are in flight, beyond the memory limit
// of each: the Go heap's collection slack (up to twice the live heap with
// GOGC=100), the HTTP connections, receipts and the instances themselves.
const hostileLoadSlack = 256 << 20

// hostileLoadBound is the most RSS the server may reach over baseline
// while the hostile runs are in flight: every run at its full memory limit
// at once, plus hostileLoadSlack, all scaled by the race detector's shadow
// memory when it is on (without it the factor is 1).
func hostileLoadBound(baseline uint64) uint64 {
	return baseline + raceShadow*(hostileLoadRuns*wasmtest.HostileLimit+hostileLoadSlack)
}

// TestHostileMemoryLoadAgainstServe sends hostileLoadRuns (50; 10 under
// the race detector) concurrent runs of each hostile module (tables, globals, element and data segments,
// linear memory: see wasmtest.Hostiles) to `serve`. A kind refused before
// running (plugin_error: declarations over the limit) is not served at
// all and is listed by GET /v1/capabilities?invalid=true; every run of the
// others must end memory_limit or timeout (the kind's own code), and the
// process's resident memory must stay under hostileLoadBound: before
// this change, two runs of three 100M-entry tables took a server from 58 MB
// to 4.7 GB.
func TestHostileMemoryLoadAgainstServe(t *testing.T) {
	dir := t.TempDir()
	hostiles := wasmtest.Hostiles()
	for i, h := range hostiles {
		name := fmt.Sprintf("hostile%02d", i)
		if err := os.WriteFile(filepath.Join(dir, name+".wasm"), h.Wasm, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(h.Wasm)
		doc := fmt.Sprintf("enact: 1.0.0\nid: Hostile%02d\ndescription: %s\nenv:\n  resources:\n    timeout: 20s\n    memory: %dMiB\n"+
			"tasks:\n  - id: main\n    type: wasm\n    plugin:\n      path: %s.wasm\n      sha256: %s\n      function: run\n",
			i, h.Name, wasmtest.HostileLimit>>20, name, hex.EncodeToString(sum[:]))
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := startServe(t, "--dir", dir, "--anonymous-actor", "load@example.com")
	post := func(i int) (int, string, string, error) {
		resp, err := http.Post(base+"/v1/runs", "application/json",
			strings.NewReader(fmt.Sprintf(`{"capability": "Hostile%02d", "inputs": {}}`, i)))
		if err != nil {
			return 0, "", "", err
		}
		defer resp.Body.Close()
		var body struct {
			Error *struct{ Code, Message string } `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return resp.StatusCode, "", "", err
		}
		if body.Error == nil {
			return resp.StatusCode, "", "", nil
		}
		return resp.StatusCode, body.Error.Code, body.Error.Message, nil
	}
	// A module whose declarations exceed the limit is refused at load: it
	// is not served, and GET /v1/capabilities?invalid=true says why.
	var invalid []struct{ ID, Reason string }
	resp, err := http.Get(base + "/v1/capabilities?invalid=true")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&invalid)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, v := range invalid {
		reasons[v.ID] = v.Reason
	}
	refused := map[int]bool{}
	for i, h := range hostiles {
		if h.Code != "plugin_error" {
			continue
		}
		refused[i] = true
		id := fmt.Sprintf("Hostile%02d", i)
		if r := reasons[id]; !strings.Contains(r, h.Message) {
			t.Errorf("%s: listed as invalid with %q; want a reason mentioning %q", h.Name, r, h.Message)
		}
		if status, code, _, err := post(i); err != nil || status != http.StatusNotFound {
			t.Errorf("%s: a run answered %d %s %v; want 404, the capability not being served", h.Name, status, code, err)
		}
	}
	// One run of each other kind first: it compiles what can be compiled
	// and checks each kind ends as it must.
	for i, h := range hostiles {
		if refused[i] {
			continue
		}
		status, code, msg, err := post(i)
		if err != nil || code != h.Code || !strings.Contains(msg, h.Message) {
			t.Fatalf("%s: %d %s %q %v; want %s mentioning %q", h.Name, status, code, msg, err, h.Code, h.Message)
		}
	}
	baseline := rssBytes(t)
	bound := hostileLoadBound(baseline)
	var peak atomic.Uint64
	peak.Store(baseline)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if r := rssBytes(t); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	for i, h := range hostiles {
		if refused[i] {
			continue
		}
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan string, hostileLoadRuns)
		for range hostileLoadRuns {
			wg.Go(func() {
				status, code, msg, err := post(i)
				switch {
				case err != nil:
					errs <- err.Error()
				case code != h.Code && code != "timeout":
					errs <- fmt.Sprintf("%d %s %s", status, code, msg)
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("%s: a run ended %s; want %s or timeout", h.Name, e, h.Code)
		}
		kindPeak := peak.Load()
		t.Logf("%-32s %d runs in %s; peak RSS so far %d MiB (baseline %d MiB)", h.Name, hostileLoadRuns, time.Since(start).Round(time.Millisecond), kindPeak>>20, baseline>>20)
	}
	close(stop)
	<-sampled
	t.Logf("peak RSS %d MiB over a baseline of %d MiB; bound %d MiB", peak.Load()>>20, baseline>>20, bound>>20)
	if p := peak.Load(); p > bound {
		t.Errorf("peak RSS %d MiB exceeds the bound of %d MiB (baseline %d MiB + %d × (%d runs × %d MiB + %d MiB))",
			p>>20, bound>>20, baseline>>20, raceShadow, hostileLoadRuns, wasmtest.HostileLimit>>20, hostileLoadSlack>>20)
	}
}
