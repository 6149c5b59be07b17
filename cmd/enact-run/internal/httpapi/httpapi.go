// Package httpapi is the HTTP API of enact-run serve: list the
// capabilities, run one, read a run back and fetch its receipt.
//
//	GET  /healthz             {"status":"ok"}, without authentication
//	GET  /v1/capabilities     [{id, version, description, input_schema, output_schema}], by id
//	GET  /v1/capabilities?invalid=true  [{file, id, reason}]: capabilities not served because they cannot run here
//	POST /v1/runs             {"capability", "inputs", "idempotency_key"?, "dry_run"?} → run report
//	GET  /v1/runs/{id}        the run report rebuilt from the run's receipt
//	GET  /v1/receipts/{id}    the receipt envelope, byte for byte
//	GET  /v1/approvals        approval requests the caller may see, pending first (?state=pending|approved|denied|expired|all, ?actor=, ?limit=)
//	GET  /v1/approvals/{id}   one request (a unique id prefix will do): binding, redacted args, requirements, votes, state, expiry
//	POST /v1/approvals/{id}/approve  {"reason"?} → the request after the vote
//	POST /v1/approvals/{id}/deny     {"reason"} (required) → the request after the vote
//
// A run held for approval answers 200 with status PENDING and the request
// under "approval" (id, state, url, resume): retry the same run, with the
// same idempotency key, once it is approved. An actor sees the approval
// requests it made and those it may approve (it holds a role a
// requirement accepts); an auditor sees all; any other id answers 404. A
// refused vote answers 403 not_an_approver or self_approval, 409
// already_voted or not_pending, 410 expired; 501 no_approvals when the
// receipt store keeps no requests.
//
// A caller reads its own actor's runs only, unless the policy gives it the
// auditor role; another actor's run id answers 404 not_found exactly as an
// unknown id does. Idempotency keys are per actor, so a refusal (409, 422)
// names only the caller's own run.
//
// Every error is {"error": {"code", "message"}} with a stable code; the
// responses of POST /v1/runs are all run reports (the shape of
// "enact-run run --json"), whose "error" field has that form too.
//
// Requests carry "Authorization: Bearer TOKEN", which Config.Auth maps to
// an actor; without an Authenticator every request acts as
// Config.AnonymousActor. POST bodies must be application/json, so that a
// web page cannot post to a local server without a CORS preflight, and a
// server reached on a loopback address answers only loopback host names
// (no DNS rebinding).
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/cmd/enact-run/internal/jsonguard"
	"github.com/enact-run/enact/cmd/enact-run/internal/receiptview"
	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/lazyre"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// Runner runs a capability; *enact.Client is one.
type Runner interface {
	Run(ctx context.Context, req enact.RunRequest) (*enact.Result, error)
}

// Authenticator maps a bearer token to the actor it stands for; false
// refuses the token. Comparing tokens in constant time is its job.
type Authenticator func(token string) (policy.Actor, bool)

// ReceiptReader reads a run's receipt for an actor: its own runs, or any
// run for an actor the policy makes an auditor; another actor's run is
// receipts.ErrNotFound, like an unknown id. *enact.Client is one.
type ReceiptReader interface {
	Receipt(ctx context.Context, actor policy.Actor, runID string) (*receipts.Envelope, error)
}

// Config configures the API. Runner, Receipts and Capabilities are
// required, and Auth or AnonymousActor.
type Config struct {
	Runner Runner
	// Receipts reads runs back (GET /v1/runs/{id}, /v1/receipts/{id}),
	// scoped to the caller's actor.
	Receipts ReceiptReader
	// Capabilities returns the capabilities served, by id. It is called on
	// every request, so that reloads show.
	Capabilities func() map[string]*capabilities.Capability
	// Invalid, when set, lists the capabilities not served because they
	// cannot run here, for GET /v1/capabilities?invalid=true.
	Invalid func() []InvalidCapability
	// Auth authenticates bearer tokens. When nil, no token is needed and
	// every request acts as AnonymousActor.
	Auth Authenticator
	// AnonymousActor is the email requests act as when Auth is nil.
	AnonymousActor string
	// MaxBodyBytes bounds request bodies; 0 is 1 MiB.
	MaxBodyBytes int64
	// Approvals, when set, serves the approval requests (GET
	// /v1/approvals, /v1/approvals/{id}) and takes votes (POST
	// /v1/approvals/{id}/approve and /deny); without it they answer 501
	// no_approvals.
	Approvals Approvals
	// ConsoleURL is the console's base URL (the policy's
	// notify.console_url) for the links to approval requests; "" for none.
	ConsoleURL string
	// Logger receives one line per run and the internal errors; nil
	// discards.
	Logger *slog.Logger
}

// DefaultMaxBodyBytes is the default bound of request bodies.
const DefaultMaxBodyBytes = 1 << 20

// Error codes of the API besides those of runs (invalid_input, denied,
// timeout, guest_error, …) and of idempotency keys (idempotency_mismatch,
// in_progress, ambiguous).
const (
	CodeInvalidRequest   = "invalid_request"   // malformed JSON, unknown field, missing capability
	CodeTooLarge         = "too_large"         // the body exceeds MaxBodyBytes
	CodeUnsupportedMedia = "unsupported_media" // the body is not application/json
	CodeUnauthorized     = "unauthorized"      // no or a refused bearer token
	CodeForbiddenHost    = "forbidden_host"    // a non-loopback Host on a loopback address
	CodeNotFound         = "not_found"         // no such capability, run, receipt or path
	CodeMethodNotAllowed = "method_not_allowed"
	CodeInternal         = "internal"
	CodeReceiptStore     = "receipt_store" // the run happened but its receipt was not stored
)

type api struct {
	cfg     Config
	log     *slog.Logger
	maxBody int64
}

// New returns the API's handler.
func New(cfg Config) (http.Handler, error) {
	switch {
	case cfg.Runner == nil:
		return nil, errors.New("httpapi: no runner")
	case cfg.Receipts == nil:
		return nil, errors.New("httpapi: no receipt store")
	case cfg.Capabilities == nil:
		return nil, errors.New("httpapi: no capabilities")
	case cfg.Auth == nil && cfg.AnonymousActor == "":
		return nil, errors.New("httpapi: no authenticator and no anonymous actor: anonymous access must be configured explicitly")
	}
	a := &api{cfg: cfg, log: cfg.Logger, maxBody: cfg.MaxBodyBytes}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /v1/capabilities", a.authed(a.listCapabilities))
	mux.HandleFunc("POST /v1/runs", a.authed(a.postRun))
	mux.HandleFunc("GET /v1/runs/{id}", a.authed(a.getRun))
	mux.HandleFunc("GET /v1/receipts/{id}", a.authed(a.getReceipt))
	mux.HandleFunc("GET /v1/approvals", a.authed(a.listApprovals))
	mux.HandleFunc("GET /v1/approvals/{id}", a.authed(a.getApproval))
	mux.HandleFunc("POST /v1/approvals/{id}/approve", a.authed(a.vote(true)))
	mux.HandleFunc("POST /v1/approvals/{id}/deny", a.authed(a.vote(false)))
	mux.HandleFunc("/", a.fallback)
	return hostCheck(mux), nil
}

// apiError is the body of every error outside run reports.
type apiError struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Task    string `json:"task,omitempty"`
	Trace   string `json:"trace,omitempty"`
}

// Report is a run report: the body of every POST /v1/runs response and of
// GET /v1/runs/{id}, the shape of "enact-run run --json" (package report).
type Report = report.Report

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Not indented: an indenting encoder would reformat the receipt
	// envelope, and the copy would no longer verify.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		b.Reset()
		_ = json.NewEncoder(&b).Encode(apiError{errorBody{Code: CodeInternal, Message: "encoding the response: " + err.Error()}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{errorBody{Code: code, Message: msg}})
}

func (a *api) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// routes are the paths the API serves, with their methods, for 405s.
var routes = []struct {
	re    *lazyre.Regexp
	allow string
}{
	{lazyre.New(`^/healthz$`), "GET, HEAD"},
	{lazyre.New(`^/v1/capabilities$`), "GET, HEAD"},
	{lazyre.New(`^/v1/runs$`), "POST"},
	{lazyre.New(`^/v1/runs/[^/]+$`), "GET, HEAD"},
	{lazyre.New(`^/v1/receipts/[^/]+$`), "GET, HEAD"},
	{lazyre.New(`^/v1/approvals$`), "GET, HEAD"},
	{lazyre.New(`^/v1/approvals/[^/]+$`), "GET, HEAD"},
	{lazyre.New(`^/v1/approvals/[^/]+/(approve|deny)$`), "POST"},
}

func (a *api) fallback(w http.ResponseWriter, r *http.Request) {
	for _, rt := range routes {
		if rt.re.MatchString(r.URL.Path) {
			w.Header().Set("Allow", rt.allow)
			writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+rt.allow)
			return
		}
	}
	writeError(w, http.StatusNotFound, CodeNotFound, "no such endpoint: "+r.URL.Path)
}

type actorKey struct{}

// authed authenticates the request and passes the actor on in its context.
func (a *api) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.Auth == nil {
			next(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, policy.Actor{Email: a.cfg.AnonymousActor})))
			return
		}
		token, ok := bearer(r.Header.Get("Authorization"))
		var actor policy.Actor
		if ok {
			actor, ok = a.cfg.Auth(token)
		}
		if !ok || actor.Email == "" {
			refuseUnauthenticated(w, token)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)))
	}
}

// refuseUnauthenticated answers 401 with a JSON error and the Bearer
// challenge; token is what the request presented, if anything.
func refuseUnauthenticated(w http.ResponseWriter, token string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="enact"`)
	msg := "a valid bearer token is required (Authorization: Bearer TOKEN)"
	if token != "" {
		msg = "the bearer token was refused"
	}
	writeError(w, http.StatusUnauthorized, CodeUnauthorized, msg)
}

// bearer extracts the token of an "Authorization: Bearer TOKEN" header.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// capabilityInfo is one entry of GET /v1/capabilities.
type capabilityInfo struct {
	ID           string          `json:"id"`
	Version      string          `json:"version"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"input_schema"`
	OutputSchema json.RawMessage `json:"output_schema"`
	// Vars are the environment variables the capability declares, which
	// the operator supplies (never their values).
	Vars []varInfo `json:"vars,omitempty"`
}

// varInfo is one declared environment variable.
type varInfo struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required"`
}

// InvalidCapability is one entry of GET /v1/capabilities?invalid=true: a
// capability that loads but is not served, and why.
type InvalidCapability struct {
	File   string `json:"file"`
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

func (a *api) listCapabilities(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("invalid") == "true" {
		out := []InvalidCapability{}
		if a.cfg.Invalid != nil {
			out = append(out, a.cfg.Invalid()...)
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	caps := a.cfg.Capabilities()
	out := make([]capabilityInfo, 0, len(caps))
	for id, c := range caps {
		if c == nil {
			continue
		}
		info := capabilityInfo{ID: id, Version: c.Version, Description: c.Description, InputSchema: c.InputSchema(), OutputSchema: c.OutputSchema()}
		for _, v := range c.Vars() {
			info.Vars = append(info.Vars, varInfo{Name: v.Name, Description: v.Description, Required: v.Required})
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	writeJSON(w, http.StatusOK, out)
}

// runRequest is the body of POST /v1/runs.
type runRequest struct {
	Capability     string         `json:"capability"`
	Inputs         map[string]any `json:"inputs"`
	IdempotencyKey string         `json:"idempotency_key"`
	DryRun         bool           `json:"dry_run"`
}

// IdempotencyKeyHeader may carry the idempotency key instead of the body.
const IdempotencyKeyHeader = "Idempotency-Key"

func newReport() *Report { return report.New() }

func (a *api) postRun(w http.ResponseWriter, r *http.Request) {
	rep := newReport()
	fail := func(status int, code, msg string) {
		rep.Error = &report.Error{Code: code, Message: msg}
		writeJSON(w, status, rep)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			fail(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body must be application/json, not "+ct)
			return
		}
	} else {
		fail(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body must be application/json (set Content-Type)")
		return
	}
	var req runRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	if err == nil {
		if rep := jsonguard.Scan(body, jsonguard.DefaultMaxDepth); rep.TooDeep {
			fail(http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf("the body nests deeper than %d levels (arrays and objects)", jsonguard.DefaultMaxDepth))
			return
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err == nil {
		err = dec.Decode(&req)
	}
	if err == nil {
		// Exactly one JSON value.
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("more than one JSON value in the body")
			var mbe *http.MaxBytesError
			if errors.As(extra, &mbe) {
				err = extra
			}
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body exceeds %d bytes", mbe.Limit))
			return
		}
		fail(http.StatusBadRequest, CodeInvalidRequest, "the body is not a valid run request: "+err.Error())
		return
	}
	rep.Capability, rep.DryRun = req.Capability, req.DryRun
	if req.Capability == "" {
		fail(http.StatusBadRequest, CodeInvalidRequest, `"capability" is required`)
		return
	}
	key := req.IdempotencyKey
	if h := r.Header.Get(IdempotencyKeyHeader); h != "" {
		if key != "" && key != h {
			fail(http.StatusBadRequest, CodeInvalidRequest, "the Idempotency-Key header and the body's idempotency_key differ")
			return
		}
		key = h
	}
	c := a.cfg.Capabilities()[req.Capability]
	if c == nil {
		fail(http.StatusNotFound, CodeNotFound, "no capability "+req.Capability)
		return
	}
	actor, _ := r.Context().Value(actorKey{}).(policy.Actor)

	// A client that goes away does not cancel the run: it finishes (within
	// its own timeout) and its receipt is written.
	start := time.Now()
	// The inputs' text, for its key order (the tasks see the caller's).
	var raw struct {
		Inputs json.RawMessage `json:"inputs"`
	}
	_ = json.Unmarshal(body, &raw)
	res, err := a.cfg.Runner.Run(context.WithoutCancel(r.Context()), enact.RunRequest{
		Capability: c, Inputs: req.Inputs, InputsJSON: raw.Inputs, Actor: actor, IdempotencyKey: key, DryRun: req.DryRun,
	})
	res.LogPlugins(r.Context(), a.log, c.ID)
	logAttrs := []any{"capability", c.ID, "actor", actor.Email, "duration", time.Since(start)}
	if err != nil {
		var re *runtime.Error
		var ie *enact.IdempotencyError
		var nc *hostfns.NotConfiguredError
		switch {
		case errors.As(err, &ie):
			rep.RunID, rep.ReceiptID = ie.RunID, ie.RunID
			status := http.StatusConflict
			if ie.Code == "idempotency_mismatch" {
				status = http.StatusUnprocessableEntity
			}
			a.log.Info("httpapi: run refused", append(logAttrs, "code", ie.Code, "run_id", ie.RunID)...)
			fail(status, ie.Code, ie.Message)
		case errors.As(err, &re) && re.Code == runtime.CodeInvalidInput:
			a.log.Info("httpapi: run refused", append(logAttrs, "code", re.Code)...)
			fail(http.StatusBadRequest, re.Code, re.Message)
		case errors.As(err, &nc):
			a.log.Warn("httpapi: run refused: a connector is not configured", append(logAttrs, "actions", nc.Actions)...)
			fail(http.StatusUnprocessableEntity, hostfns.CodeNotConfigured, nc.Error())
		case errors.As(err, &re):
			// plugin_error, unsupported: the capability cannot run here.
			a.log.Warn("httpapi: run refused", append(logAttrs, "code", re.Code, "error", re.Message)...)
			fail(http.StatusUnprocessableEntity, re.Code, re.Message)
		case res != nil:
			// The run happened but its receipt could not be stored.
			a.log.Error("httpapi: run not recorded", append(logAttrs, "run_id", res.RunID, "error", err)...)
			rep.Output, rep.OutputTruncated = res.Output, res.OutputTruncated
			fail(http.StatusInternalServerError, CodeReceiptStore, err.Error())
		default:
			a.log.Error("httpapi: run failed", append(logAttrs, "error", err)...)
			fail(http.StatusInternalServerError, CodeInternal, err.Error())
		}
		return
	}
	rep.FromResult(res, report.Options{ConsoleURL: a.cfg.ConsoleURL})
	rep.DryRun = req.DryRun
	status := http.StatusOK
	if res.Status == enact.StatusBlock {
		status = http.StatusForbidden
	}
	// A run that failed or is held for approval answers 200: the server
	// did its job, the report (status FAILED or PENDING, error, approval)
	// says what happened.
	attrs := append(logAttrs, "run_id", res.RunID, "status", res.Status, "replayed", res.Replayed)
	if rep.Error != nil {
		attrs = append(attrs, "code", rep.Error.Code)
	}
	if rep.Approval != nil {
		attrs = append(attrs, "approval", rep.Approval.ID)
	}
	a.log.Info("httpapi: run", attrs...)
	writeJSON(w, status, rep)
}

// validRunID is the run id syntax of receipts.
var validRunID = lazyre.New(`^[A-Za-z0-9._-]{1,200}$`)

// envelope fetches the receipt named by the path, or writes the error.
func (a *api) envelope(w http.ResponseWriter, r *http.Request) (*receipts.Envelope, string, bool) {
	id := r.PathValue("id")
	if !validRunID.MatchString(id) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no run "+id)
		return nil, id, false
	}
	actor, _ := r.Context().Value(actorKey{}).(policy.Actor)
	env, err := a.cfg.Receipts.Receipt(r.Context(), actor, id)
	switch {
	case errors.Is(err, receipts.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no run "+id)
		return nil, id, false
	case err != nil:
		a.log.Error("httpapi: reading a receipt", "run_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "reading the receipt: "+err.Error())
		return nil, id, false
	}
	return env, id, true
}

func (a *api) getReceipt(w http.ResponseWriter, r *http.Request) {
	env, _, ok := a.envelope(w, r)
	if !ok {
		return
	}
	data, err := env.MarshalJSON()
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "encoding the receipt: "+err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

func (a *api) getRun(w http.ResponseWriter, r *http.Request) {
	env, id, ok := a.envelope(w, r)
	if !ok {
		return
	}
	// The stored receipt is not re-verified here: GET /v1/receipts/{id}
	// gives the envelope to verify with the keyring's public keys.
	if _, err := receiptview.Decode(env); err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "decoding the receipt of run "+id+": "+err.Error())
		return
	}
	rep := newReport()
	rep.FromReceipt(env, report.Options{ConsoleURL: a.cfg.ConsoleURL})
	writeJSON(w, http.StatusOK, rep)
}

// hostCheck refuses, on a loopback address, a Host header that is not a
// loopback name: a page of another site that rebinds its DNS name to
// 127.0.0.1 must not reach the API.
func hostCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopbackAddr(la) && !isLoopbackHost(r.Host) {
			writeError(w, http.StatusForbidden, CodeForbiddenHost, "this server is bound to a loopback address and answers only localhost host names")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isLoopbackAddr(a net.Addr) bool {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
