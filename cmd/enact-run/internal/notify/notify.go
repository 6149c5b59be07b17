// Package notify announces new approval requests to a webhook: the policy
// file's notify section names the environment variable holding the URL
// (a Slack incoming webhook, or any receiver of JSON), and every request
// the gate creates is POSTed there as
//
//	{
//	  "text": "alice@acme.com asks to run github.merge_pr (capability MergePR 1.0.0, args sha256:…); needs 1 approval from role maintainer; expires 2026-12-08 22:40 UTC. Review: https://enact.example.com/ui/approvals/apr_…",
//	  "approval_id": "apr_…",
//	  "url": "https://enact.example.com/ui/approvals/apr_…",
//	  "action": "github.merge_pr",
//	  "capability": "MergePR",
//	  "args_digest": "sha256:…",
//	  "requester": "alice@acme.com",
//	  "expires": "2026-12-08T22:40:00Z"
//	}
//
// Slack shows "text"; other receivers read the fields. Sending never
// blocks a run: requests go into a bounded queue that one goroutine
// drains; a full queue drops the message (logged). A failed POST (a
// network error, a 5xx or 429 answer) is retried with exponential backoff;
// other answers and the last failure are logged and the message dropped.
// The URL is a secret (a Slack webhook URL is a credential): logs name
// only its scheme and host.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// Message is the JSON body POSTed for one request.
type Message struct {
	Text       string    `json:"text"`
	ApprovalID string    `json:"approval_id"`
	URL        string    `json:"url,omitempty"`
	Action     string    `json:"action"`
	Capability string    `json:"capability"`
	ArgsDigest string    `json:"args_digest"`
	Requester  string    `json:"requester"`
	Expires    time.Time `json:"expires"`
}

// Config configures a Notifier. URL is required.
type Config struct {
	// URL is the webhook's address (a secret).
	URL string
	// ConsoleURL is the console's base URL for the link to the request
	// ("" for no link).
	ConsoleURL string
	// Client sends the requests; nil is a client with a 10 s timeout.
	Client *http.Client
	// Attempts is how many times one message is tried; 0 is 5.
	Attempts int
	// Backoff is the wait before the first retry, doubled before each
	// further one up to MaxBackoff; 0 is 500 ms (and 8 s).
	Backoff, MaxBackoff time.Duration
	// QueueSize bounds the messages waiting to be sent; 0 is 256.
	QueueSize int
	// Logger receives the failures; nil discards.
	Logger *slog.Logger
}

// Notifier sends approval requests to a webhook in the background. It is
// safe for concurrent use.
type Notifier struct {
	cfg   Config
	log   *slog.Logger
	where string // scheme://host of the URL, for logs
	queue chan Message

	mu      sync.Mutex
	pending int           // messages queued or being sent
	idle    chan struct{} // closed when pending drops to 0; nil while 0
	stop    chan struct{}
	once    sync.Once
}

// New starts a notifier. It fails when the URL is not an absolute http or
// https URL (the error does not repeat the URL).
func New(cfg Config) (*Notifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("notify: the webhook URL must be an absolute http:// or https:// URL")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 8 * time.Second
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 256
	}
	n := &Notifier{cfg: cfg, log: cfg.Logger, where: u.Scheme + "://" + u.Host, queue: make(chan Message, cfg.QueueSize), stop: make(chan struct{})}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	go n.loop()
	return n, nil
}

// FromPolicy returns the notifier the policy's notify section asks for,
// its URL read with getenv; nil (and no error) when the section names no
// variable. A variable that is named but empty is an error naming the
// variable (never its value), so a misconfigured server says so at start.
func FromPolicy(n policy.Notify, getenv func(string) string, log *slog.Logger) (*Notifier, error) {
	if n.WebhookURLEnv == "" {
		return nil, nil
	}
	raw := getenv(n.WebhookURLEnv)
	if raw == "" {
		return nil, fmt.Errorf("notify: the policy's notify.webhook_url_env names %s, which is not set", n.WebhookURLEnv)
	}
	nt, err := New(Config{URL: raw, ConsoleURL: n.ConsoleURL, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("notify: %s must hold an absolute http:// or https:// URL", n.WebhookURLEnv)
	}
	return nt, nil
}

// Notify queues a message for req and returns at once. It has the shape
// of hostfns.Config.Notify. A nil Notifier does nothing.
func (n *Notifier) Notify(req receipts.ApprovalRequest) {
	if n == nil {
		return
	}
	m := MessageOf(req, n.cfg.ConsoleURL)
	n.mu.Lock()
	select {
	case <-n.stop:
		n.mu.Unlock()
		n.log.Warn("notify: closed; approval request not announced", "approval_id", req.ID)
		return
	default:
	}
	select {
	case n.queue <- m:
		n.pending++
		if n.idle == nil {
			n.idle = make(chan struct{})
		}
	default:
		n.log.Warn("notify: queue full; approval request not announced", "approval_id", req.ID, "webhook", n.where)
	}
	n.mu.Unlock()
}

// Flush waits until every queued message was sent or given up, or ctx
// ends (then it returns ctx's error). The CLI calls it with a bound
// before exiting.
func (n *Notifier) Flush(ctx context.Context) error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	idle := n.idle
	n.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the notifier: messages still queued are dropped (Flush
// first to send them) and a retry in progress ends.
func (n *Notifier) Close() {
	if n == nil {
		return
	}
	n.once.Do(func() {
		n.mu.Lock()
		close(n.stop)
		n.mu.Unlock()
	})
}

func (n *Notifier) done() {
	n.mu.Lock()
	n.pending--
	if n.pending == 0 && n.idle != nil {
		close(n.idle)
		n.idle = nil
	}
	n.mu.Unlock()
}

func (n *Notifier) loop() {
	for {
		select {
		case <-n.stop:
			// Release the flushers of what will never be sent.
			for {
				select {
				case <-n.queue:
					n.done()
				default:
					return
				}
			}
		case m := <-n.queue:
			n.send(m)
			n.done()
		}
	}
}

// send posts m, retrying transient failures.
func (n *Notifier) send(m Message) {
	body, err := json.Marshal(m)
	if err != nil {
		n.log.Error("notify: encoding the message", "approval_id", m.ApprovalID, "err", err)
		return
	}
	wait := n.cfg.Backoff
	var last string
	for attempt := 1; attempt <= n.cfg.Attempts; attempt++ {
		retry, why := n.post(body)
		if why == "" {
			return
		}
		last = why
		if !retry {
			break
		}
		if attempt == n.cfg.Attempts {
			break
		}
		n.log.Info("notify: webhook failed; retrying", "approval_id", m.ApprovalID, "webhook", n.where, "attempt", attempt, "in", wait, "err", why)
		t := time.NewTimer(wait)
		select {
		case <-n.stop:
			t.Stop()
			n.log.Warn("notify: closed while retrying; approval request not announced", "approval_id", m.ApprovalID, "webhook", n.where)
			return
		case <-t.C:
		}
		wait = min(2*wait, n.cfg.MaxBackoff)
	}
	n.log.Error("notify: webhook failed; approval request not announced", "approval_id", m.ApprovalID, "webhook", n.where, "err", last)
}

// post sends one attempt: "" on success, else why it failed and whether
// trying again may help.
func (n *Notifier) post(body []byte) (retry bool, why string) {
	req, err := http.NewRequest(http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, "building the request failed"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "enact-run approvals")
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		// The error repeats the URL, which is a secret: say only what
		// kind of failure it was.
		return true, "network error: " + redact(err, n.cfg.URL)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, ""
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, "answered " + resp.Status
	default:
		return false, "answered " + resp.Status
	}
}

// redact removes the URL (and its path and query, which hold the secret)
// from an error's text.
func redact(err error, raw string) string {
	s := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		s = ue.Err.Error()
	}
	s = strings.ReplaceAll(s, raw, "[webhook]")
	if u, perr := url.Parse(raw); perr == nil && u.Path != "" && u.Path != "/" {
		s = strings.ReplaceAll(s, u.Path, "[path]")
	}
	return s
}

// MessageOf is the message announcing req; consoleURL is the console's
// base URL for the link ("" for none).
func MessageOf(req receipts.ApprovalRequest, consoleURL string) Message {
	m := Message{
		ApprovalID: req.ID, Action: req.Binding.Action, Capability: req.Binding.CapabilityID, ArgsDigest: req.Binding.ArgsDigest,
		Requester: req.Binding.Actor, Expires: req.Expires.UTC(),
	}
	if consoleURL != "" && req.ID != "" {
		m.URL = strings.TrimRight(consoleURL, "/") + "/ui/approvals/" + req.ID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s asks to run %s (capability %s", orUnknown(m.Requester), orUnknown(m.Action), orUnknown(m.Capability))
	if v := req.Binding.CapabilityVersion; v != "" {
		b.WriteString(" " + v)
	}
	fmt.Fprintf(&b, ", args %s)", shortDigest(m.ArgsDigest))
	if len(req.Reasons) > 0 {
		b.WriteString("; " + strings.Join(req.Reasons, "; "))
	}
	if !m.Expires.IsZero() {
		b.WriteString("; expires " + m.Expires.Format("2006-01-02 15:04 UTC"))
	}
	fmt.Fprintf(&b, ". Request %s", req.ID)
	if m.URL != "" {
		b.WriteString(": " + m.URL)
	} else {
		b.WriteString(": enact-run approvals show " + req.ID)
	}
	m.Text = b.String()
	return m
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return orUnknown(d)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
