package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enact-run/enact/cmd/enact-run/internal/notify"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// logBuffer collects a logger's text safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

var expires = time.Date(2026, 12, 8, 22, 40, 0, 0, time.UTC)

func request(id string) receipts.ApprovalRequest {
	return receipts.ApprovalRequest{
		ID: id,
		Binding: receipts.Binding{
			CapabilityID: "MergePR", CapabilityVersion: "1.0.0", CapabilityDigest: "sha256:cap", Action: "github.merge_pr",
			ArgsDigest: "sha256:0123456789abcdef0123456789abcdef", Actor: "alice@acme.com", Seq: 1,
		},
		State: receipts.ApprovalPending, Expires: expires,
		Reasons: []string{"maintainer_merges: needs 1 approval from role maintainer (expires after 24h)"},
	}
}

// receiver is a real HTTP server that records the bodies it accepts and
// answers each request with the next status of its script (200 after).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	script []int
	hits   int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusOK
		if r.hits < len(r.script) {
			status = r.script[r.hits]
		}
		r.hits++
		if status == http.StatusOK && req.Header.Get("Content-Type") == "application/json" {
			r.bodies = append(r.bodies, body)
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() (int, [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits, append([][]byte(nil), r.bodies...)
}

func flush(t *testing.T, n *notify.Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := n.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

func TestBodyIsSlackCompatibleAndComplete(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	log, lb := newLog()
	secretURL := r.srv.URL + "/services/T000/B000/s3cr3t"
	n, err := notify.FromPolicy(policy.Notify{WebhookURLEnv: "HOOK", ConsoleURL: "https://enact.example.com/"}, func(k string) string {
		if k == "HOOK" {
			return secretURL
		}
		return ""
	}, log)
	if err != nil || n == nil {
		t.Fatalf("FromPolicy: %v %v", n, err)
	}
	defer n.Close()
	n.Notify(request("apr_aaaaaaaaaaaaaaaaaaaaaaaaaa"))
	flush(t, n)
	hits, bodies := r.got()
	if hits != 1 || len(bodies) != 1 {
		t.Fatalf("receiver got %d requests, %d bodies", hits, len(bodies))
	}
	var m map[string]any
	if err := json.Unmarshal(bodies[0], &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"approval_id": "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa",
		"url":         "https://enact.example.com/ui/approvals/apr_aaaaaaaaaaaaaaaaaaaaaaaaaa",
		"action":      "github.merge_pr",
		"capability":  "MergePR",
		"args_digest": "sha256:0123456789abcdef0123456789abcdef",
		"requester":   "alice@acme.com",
		"expires":     "2026-12-08T22:40:00Z",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	text, _ := m["text"].(string)
	for _, part := range []string{"alice@acme.com", "github.merge_pr", "MergePR 1.0.0", "sha256:0123456789ab", "needs 1 approval from role maintainer", "expires 2026-12-08 22:40 UTC", "https://enact.example.com/ui/approvals/apr_aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		if !strings.Contains(text, part) {
			t.Errorf("text %q lacks %q", text, part)
		}
	}
	if strings.Contains(lb.String(), "s3cr3t") {
		t.Errorf("the log holds the webhook URL's secret: %s", lb.String())
	}
}

func TestRetriesAfter503ThenSucceeds(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, http.StatusServiceUnavailable, http.StatusTooManyRequests)
	log, lb := newLog()
	n, err := notify.New(notify.Config{URL: r.srv.URL + "/hook/s3cr3t", Logger: log, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.Notify(request("apr_bbbbbbbbbbbbbbbbbbbbbbbbbb"))
	flush(t, n)
	hits, bodies := r.got()
	if hits != 3 || len(bodies) != 1 || !bytes.Contains(bodies[0], []byte("apr_bbbbbbbbbbbbbbbbbbbbbbbbbb")) {
		t.Fatalf("receiver: %d requests, bodies %q; want 503, 429, then the accepted one", hits, bodies)
	}
	logs := lb.String()
	if strings.Count(logs, "retrying") != 2 || strings.Contains(logs, "not announced") || strings.Contains(logs, "s3cr3t") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestReceiverDownIsLoggedAndGivenUp(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	log, lb := newLog()
	n, err := notify.New(notify.Config{URL: "http://" + addr + "/hook/s3cr3t?token=t0ps3cr3t", Logger: log, Attempts: 3, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.Notify(request("apr_cccccccccccccccccccccccccc"))
	flush(t, n)
	logs := lb.String()
	if strings.Count(logs, "retrying") != 2 || !strings.Contains(logs, "webhook failed; approval request not announced") ||
		!strings.Contains(logs, "approval_id=apr_cccccccccccccccccccccccccc") || !strings.Contains(logs, "webhook=http://"+addr) {
		t.Errorf("log:\n%s", logs)
	}
	if strings.Contains(logs, "s3cr3t") || strings.Contains(logs, "t0ps3cr3t") {
		t.Errorf("the log holds the webhook URL's secret:\n%s", logs)
	}
	// A 4xx is not retried.
	r := newReceiver(t, http.StatusNotFound)
	n2, err := notify.New(notify.Config{URL: r.srv.URL, Logger: log, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	n2.Notify(request("apr_dddddddddddddddddddddddddd"))
	flush(t, n2)
	if hits, _ := r.got(); hits != 1 || !strings.Contains(lb.String(), "404 Not Found") {
		t.Errorf("a 404: %d requests, log:\n%s", hits, lb.String())
	}
}

func TestSlowReceiverDoesNotHoldTheCaller(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 8)
	release := make(chan struct{})
	var mu sync.Mutex
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m notify.Message
		_ = json.NewDecoder(req.Body).Decode(&m)
		entered <- struct{}{}
		<-release
		mu.Lock()
		ids = append(ids, m.ApprovalID)
		mu.Unlock()
	}))
	defer srv.Close()
	log, lb := newLog()
	n, err := notify.New(notify.Config{URL: srv.URL, Logger: log, QueueSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.Notify(request("apr_eeeeeeeeeeeeeeeeeeeeeeeee1"))
	<-entered // the receiver holds the first message
	// While it does, further requests return at once: one waits in the
	// queue, the next finds it full and is dropped (logged).
	n.Notify(request("apr_eeeeeeeeeeeeeeeeeeeeeeeee2"))
	n.Notify(request("apr_eeeeeeeeeeeeeeeeeeeeeeeee3"))
	if !strings.Contains(lb.String(), "queue full") || !strings.Contains(lb.String(), "apr_eeeeeeeeeeeeeeeeeeeeeeeee3") {
		t.Errorf("log:\n%s", lb.String())
	}
	// A bounded Flush gives up with the context's error.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := n.Flush(ctx); err != context.Canceled {
		t.Errorf("flush with a done context: %v", err)
	}
	close(release)
	flush(t, n)
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(ids, ",") != "apr_eeeeeeeeeeeeeeeeeeeeeeeee1,apr_eeeeeeeeeeeeeeeeeeeeeeeee2" {
		t.Errorf("received %v", ids)
	}
}

func TestFromPolicy(t *testing.T) {
	t.Parallel()
	env := map[string]string{"BAD": "ftp://example.com/x", "GOOD": "https://hooks.example.com/s3cr3t"}
	getenv := func(k string) string { return env[k] }
	if n, err := notify.FromPolicy(policy.Notify{}, getenv, nil); n != nil || err != nil {
		t.Errorf("no section: %v %v", n, err)
	}
	if _, err := notify.FromPolicy(policy.Notify{WebhookURLEnv: "UNSET"}, getenv, nil); err == nil || !strings.Contains(err.Error(), "UNSET") {
		t.Errorf("unset variable: %v", err)
	}
	if _, err := notify.FromPolicy(policy.Notify{WebhookURLEnv: "BAD"}, getenv, nil); err == nil || !strings.Contains(err.Error(), "BAD") || strings.Contains(err.Error(), "example.com") {
		t.Errorf("bad URL: %v", err)
	}
	n, err := notify.FromPolicy(policy.Notify{WebhookURLEnv: "GOOD"}, getenv, nil)
	if err != nil || n == nil {
		t.Fatalf("good: %v", err)
	}
	n.Close()
	var none *notify.Notifier
	none.Notify(request("apr_x")) // a nil notifier does nothing
	if err := none.Flush(t.Context()); err != nil {
		t.Error(err)
	}
}
