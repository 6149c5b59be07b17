package mcpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/cmd/enact-run/internal/clienttest"
	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/runtime"
)

const (
	agent      = "agent@acme.com"
	testPolicy = `version: 1
actors:
  - email: agent@acme.com
    roles: [agent]
allow: [kv.*]
policies:
  - use: require_actor_role
    with: {allowed_roles: [agent]}
`
	kvWriter = `enact: 1.0.0
id: acme/kv.writer
description: Writes and deletes a key
version: 2.1.0
x-enact:
  actions: [kv.put, kv.delete]
inputs:
  type: object
  additionalProperties: false
  properties:
    key: {type: string}
  required: [key]
tasks:
  - id: put
    type: script
    language: js
    code: |
      const r = enact.request("kv.put", {key: key, value: 1});
      return {ok: r.ok};
`
	kvReader = `enact: 1.0.0
id: acme/kv_reader
description: Reads a key
x-enact:
  actions: [kv.get]
tasks:
  - id: get
    type: script
    language: js
    code: |
      return {};
`
	throws = `enact: 1.0.0
id: Throws
description: Always fails
tasks:
  - id: boom
    type: script
    language: js
    code: |
      throw new Error("the sky is falling");
`
	broken = "enact: 1.0.0\nid: Broken\n  description: [unclosed\n"
)

// newRunner wires a real client the way enact-run does: the sandbox, the
// kv connector and SQLite receipts in a temporary directory.
func newRunner(t testing.TB) *enact.Client {
	t.Helper()
	return clienttest.New(t, testPolicy).Client
}

// recorder is a Runner that records the requests reaching the real one.
type recorder struct {
	mcpserver.Runner
	mu   sync.Mutex
	reqs []enact.RunRequest
}

func (r *recorder) Run(ctx context.Context, req enact.RunRequest) (*enact.Result, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.Runner.Run(ctx, req)
}

func (r *recorder) requests() []enact.RunRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]enact.RunRequest(nil), r.reqs...)
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

type fixture struct {
	srv *mcpserver.Server
	rec *recorder
	dir string
}

func newFixture(t testing.TB, runner mcpserver.Runner, actor string) *fixture {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"kv-writer.yaml":      kvWriter,
		"kv-reader.yml":       kvReader,
		"throws.yaml":         throws,
		"broken.yaml":         broken,
		"ignored.policy.yaml": "version: 1\n",
		"notes.txt":           "not a capability",
	})
	rec := &recorder{Runner: runner}
	srv, err := mcpserver.New(mcpserver.Config{
		Dir: dir, Shipped: true, Actor: actor, Runner: rec,
		Mutating: func(id string) bool { return !policy.ReadOnly(id) },
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, rec: rec, dir: dir}
}

// transports connects the go-sdk's own client to a server in each way the
// server is offered.
var transports = []struct {
	name    string
	connect func(t testing.TB, s *mcpserver.Server, opts *mcp.ClientOptions) *mcp.ClientSession
}{
	{"in-memory", func(t testing.TB, s *mcpserver.Server, opts *mcp.ClientOptions) *mcp.ClientSession {
		ct, st := mcp.NewInMemoryTransports()
		ss, err := s.MCP().Connect(context.Background(), st, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ss.Close() })
		return clientOver(t, ct, opts)
	}},
	{"streamable-http", func(t testing.TB, s *mcpserver.Server, opts *mcp.ClientOptions) *mcp.ClientSession {
		hs := httptest.NewServer(s.HTTPHandler())
		t.Cleanup(hs.Close)
		return clientOver(t, &mcp.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1}, opts)
	}},
}

func clientOver(t testing.TB, tr mcp.Transport, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, opts)
	cs, err := c.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func listTools(t testing.TB, cs *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	tools := map[string]*mcp.Tool{}
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		tools[tool.Name] = tool
	}
	return tools
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func TestListTools(t *testing.T) {
	t.Parallel()
	f := newFixture(t, newRunner(t), agent)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			tools := listTools(t, tr.connect(t, f.srv, nil))
			for _, want := range []string{"TemperatureConverterJS", "TemperatureConverter", "agent_pr_workflow", "acme_kv_writer", "acme_kv_reader", "Throws"} {
				if tools[want] == nil {
					t.Errorf("no tool %s among %v", want, f.srv.Tools())
				}
			}
			if tools["Broken"] != nil || len(tools) != len(f.srv.Tools()) {
				t.Errorf("listed %d tools, served %v", len(tools), f.srv.Tools())
			}
			for name, tool := range tools {
				if !validName.MatchString(name) {
					t.Errorf("invalid tool name %q", name)
				}
				checkSchema(t, name, tool.InputSchema, true)
				if tool.OutputSchema != nil {
					checkSchema(t, name, tool.OutputSchema, false)
				}
				if tool.Annotations == nil || !tool.Annotations.IdempotentHint {
					t.Errorf("%s: annotations %+v", name, tool.Annotations)
				}
			}
			conv := tools["TemperatureConverterJS"]
			if a := conv.Annotations; !a.ReadOnlyHint || *a.DestructiveHint || *a.OpenWorldHint {
				t.Errorf("TemperatureConverterJS annotations %+v", a)
			}
			if conv.OutputSchema == nil || !strings.Contains(conv.Description, "TemperatureConverterJS version 1.0.0") {
				t.Errorf("TemperatureConverterJS: output schema %v, description %q", conv.OutputSchema, conv.Description)
			}
			if a := tools["acme_kv_writer"].Annotations; a.ReadOnlyHint || !*a.DestructiveHint || !*a.OpenWorldHint {
				t.Errorf("acme_kv_writer annotations %+v", a)
			}
			if a := tools["acme_kv_reader"].Annotations; !a.ReadOnlyHint || *a.DestructiveHint || !*a.OpenWorldHint {
				t.Errorf("acme_kv_reader annotations %+v", a)
			}
			if a := tools["agent_pr_workflow"].Annotations; a.ReadOnlyHint || *a.DestructiveHint {
				t.Errorf("agent_pr_workflow annotations %+v", a)
			}
		})
	}
}

// checkSchema asserts that a tool schema is a valid draft 2020-12 schema
// with root type object, and that the input schema offers the reserved key.
func checkSchema(t *testing.T, tool string, schema any, input bool) {
	t.Helper()
	m, ok := schema.(map[string]any)
	if !ok || m["type"] != "object" {
		t.Errorf("%s: schema root %v", tool, schema)
		return
	}
	if input {
		props, _ := m["properties"].(map[string]any)
		if key, _ := props[mcpserver.IdempotencyKeyArgument].(map[string]any); key["type"] != "string" {
			t.Errorf("%s: no reserved key property in %v", tool, props)
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("urn:tool", m); err != nil {
		t.Errorf("%s: %v", tool, err)
		return
	}
	if _, err := c.Compile("urn:tool"); err != nil {
		t.Errorf("%s: not a valid draft 2020-12 schema: %v", tool, err)
	}
}

func call(t testing.TB, cs *mcp.ClientSession, params *mcp.CallToolParams) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), params)
	if err != nil {
		t.Fatalf("%s: protocol error: %v", params.Name, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestCalls(t *testing.T) {
	t.Parallel()
	runner := newRunner(t)
	f := newFixture(t, runner, agent)
	outsider := newFixture(t, runner, "mallory@elsewhere.example")
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t, f.srv, nil)

			res := call(t, cs, &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": 100}})
			if res.IsError {
				t.Fatalf("pass: %s", text(res))
			}
			out, _ := res.StructuredContent.(map[string]any)
			if out["fahrenheit"] != float64(212) {
				t.Errorf("structured content %v", res.StructuredContent)
			}
			var fromText map[string]any
			if err := json.Unmarshal([]byte(text(res)), &fromText); err != nil || fromText["fahrenheit"] != float64(212) {
				t.Errorf("text %q: %v", text(res), err)
			}
			if id, _ := res.Meta[mcpserver.MetaReceiptID].(string); id == "" || res.Meta[mcpserver.MetaStatus] != enact.StatusPass {
				t.Errorf("_meta %v", res.Meta)
			}
			// The run report rides in _meta, the shape of run --json and of
			// the HTTP API, without the envelope.
			rep, _ := res.Meta[mcpserver.MetaReport].(map[string]any)
			if outs, _ := rep["outputs"].(map[string]any); rep["status"] != enact.StatusPass || rep["run_id"] != res.Meta[mcpserver.MetaReceiptID] ||
				outs["fahrenheit"] != float64(212) || rep["digest"] == "" || rep["receipt_hash"] == "" || rep["receipt"] != nil {
				t.Errorf("_meta %s: %v", mcpserver.MetaReport, res.Meta[mcpserver.MetaReport])
			}

			res = call(t, cs, &mcp.CallToolParams{Name: "Throws", Arguments: map[string]any{}})
			if !res.IsError || !strings.Contains(text(res), "FAILED guest_error") || !strings.Contains(text(res), "the sky is falling") {
				t.Errorf("failed run: isError %v, %q", res.IsError, text(res))
			}
			if id, _ := res.Meta[mcpserver.MetaReceiptID].(string); id == "" || res.Meta[mcpserver.MetaErrorCode] != runtime.CodeGuestError {
				t.Errorf("failed run _meta %v", res.Meta)
			}

			res = call(t, cs, &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": "hot"}})
			if !res.IsError || !strings.Contains(text(res), "invalid_input") || !strings.Contains(text(res), "celsius") {
				t.Errorf("invalid input: isError %v, %q", res.IsError, text(res))
			}
			res = call(t, cs, &mcp.CallToolParams{Name: "acme_kv_writer", Arguments: map[string]any{"key": "k", "extra": 1}})
			if !res.IsError || !strings.Contains(text(res), "extra") {
				t.Errorf("unexpected argument: isError %v, %q", res.IsError, text(res))
			}

			res = call(t, cs, &mcp.CallToolParams{Name: "acme_kv_writer", Arguments: map[string]any{"key": "k"}})
			if res.IsError || res.StructuredContent.(map[string]any)["ok"] != true {
				t.Errorf("kv write: %s", text(res))
			}

			if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "NoSuchTool", Arguments: map[string]any{}}); err == nil {
				t.Error("an unknown tool is not a protocol error")
			}
		})
		t.Run(tr.name+"/denied", func(t *testing.T) {
			cs := tr.connect(t, outsider.srv, nil)
			res := call(t, cs, &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": 1}})
			if !res.IsError || !strings.HasPrefix(text(res), "BLOCK denied: require_actor_role") {
				t.Errorf("denied run: isError %v, %q", res.IsError, text(res))
			}
			if id, _ := res.Meta[mcpserver.MetaReceiptID].(string); id == "" || res.Meta[mcpserver.MetaStatus] != enact.StatusBlock {
				t.Errorf("denied run _meta %v", res.Meta)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, newRunner(t), agent)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t, f.srv, nil)
			before := len(f.rec.requests())
			key := "retry-" + tr.name
			for _, p := range []*mcp.CallToolParams{
				{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": 5, mcpserver.IdempotencyKeyArgument: key}},
				{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": 5}, Meta: mcp.Meta{mcpserver.IdempotencyKeyMeta: key}},
			} {
				if res := call(t, cs, p); res.IsError {
					t.Fatal(text(res))
				}
			}
			reqs := f.rec.requests()[before:]
			if len(reqs) != 2 {
				t.Fatalf("%d requests reached the runner", len(reqs))
			}
			for i, r := range reqs {
				if r.IdempotencyKey != key || r.Actor.Email != agent {
					t.Errorf("request %d: key %q actor %q", i, r.IdempotencyKey, r.Actor.Email)
				}
				if _, ok := r.Inputs[mcpserver.IdempotencyKeyArgument]; ok || len(r.Inputs) != 1 {
					t.Errorf("request %d: inputs %v", i, r.Inputs)
				}
			}
			res := call(t, cs, &mcp.CallToolParams{Name: "TemperatureConverterJS",
				Arguments: map[string]any{"celsius": 5, mcpserver.IdempotencyKeyArgument: "a"},
				Meta:      mcp.Meta{mcpserver.IdempotencyKeyMeta: "b"}})
			if !res.IsError || len(f.rec.requests()) != before+2 {
				t.Errorf("conflicting keys: %q", text(res))
			}
			res = call(t, cs, &mcp.CallToolParams{Name: "TemperatureConverterJS",
				Arguments: map[string]any{"celsius": 5, mcpserver.IdempotencyKeyArgument: 7}})
			if !res.IsError || !strings.Contains(text(res), mcpserver.IdempotencyKeyArgument) {
				t.Errorf("a key that is not a string: %q", text(res))
			}
		})
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t, newRunner(t), agent)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t, f.srv, nil)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				wg.Go(func() {
					res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": i * 10}})
					switch {
					case err != nil:
						errs <- err
					case res.IsError:
						errs <- fmt.Errorf("call %d: %s", i, text(res))
					case res.StructuredContent.(map[string]any)["fahrenheit"] != float64(i*10)*9/5+32:
						errs <- fmt.Errorf("call %d: %v", i, res.StructuredContent)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, newRunner(t), agent)
			changed := make(chan struct{}, 16)
			cs := tr.connect(t, f.srv, &mcp.ClientOptions{ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
				changed <- struct{}{}
			}})
			if listTools(t, cs)["Added"] != nil {
				t.Fatal("Added is served before it is written")
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go f.srv.Watch(ctx, 20*time.Millisecond)

			writeFiles(t, f.dir, map[string]string{
				"added.yaml":  strings.Replace(throws, "id: Throws", "id: Added", 1),
				"broken.yaml": broken + "more: [",
			})
			waitFor(t, changed)
			tools := listTools(t, cs)
			if tools["Added"] == nil || tools["TemperatureConverterJS"] == nil || tools["Broken"] != nil {
				t.Fatalf("after adding: %v", f.srv.Tools())
			}
			if res := call(t, cs, &mcp.CallToolParams{Name: "Added", Arguments: map[string]any{}}); !res.IsError || !strings.Contains(text(res), "guest_error") {
				t.Errorf("calling the added tool: %q", text(res))
			}

			// Breaking a served file takes its tool away, and only it.
			writeFiles(t, f.dir, map[string]string{"added.yaml": broken})
			waitFor(t, changed)
			tools = listTools(t, cs)
			if tools["Added"] != nil || tools["Throws"] == nil {
				t.Fatalf("after breaking: %v", f.srv.Tools())
			}
		})
	}
}

func waitFor(t *testing.T, changed <-chan struct{}) {
	t.Helper()
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no notifications/tools/list_changed")
	}
}

func TestNewRequiresARunnerAndAReadableDir(t *testing.T) {
	t.Parallel()
	if _, err := mcpserver.New(mcpserver.Config{}); err == nil {
		t.Error("no runner: no error")
	}
	if _, err := mcpserver.New(mcpserver.Config{Runner: &recorder{}, Dir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("missing dir: no error")
	}
}

func TestServeStdio(t *testing.T) {
	t.Parallel()
	f := newFixture(t, newRunner(t), agent)
	serverIn, clientOut := io.Pipe()
	clientIn, serverOut := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- f.srv.ServeStdio(t.Context(), serverIn, serverOut)
		serverOut.Close()
	}()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := c.Connect(t.Context(), &mcp.IOTransport{Reader: clientIn, Writer: clientOut}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := call(t, cs, &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": 0}})
	if res.IsError || res.StructuredContent.(map[string]any)["fahrenheit"] != float64(32) {
		t.Errorf("over stdio: %s", text(res))
	}
	cs.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeStdio after the client left: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after the client left")
	}
}

type bearer struct {
	token string
	rt    http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.rt.RoundTrip(r)
}

// Over HTTP the actor is the user of the verified bearer token, the way
// enact-run serve wires it.
func TestHTTPActorFromBearerToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, newRunner(t), "")
	verify := func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		if token != "s3cret" {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: agent, Expiration: time.Now().Add(time.Hour)}, nil
	}
	hs := httptest.NewServer(auth.RequireBearerToken(verify, nil)(f.srv.HTTPHandler()))
	t.Cleanup(hs.Close)
	cs := clientOver(t, &mcp.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearer{"s3cret", http.DefaultTransport}}}, nil)
	if res := call(t, cs, &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": 1}}); res.IsError {
		t.Fatal(text(res))
	}
	if reqs := f.rec.requests(); len(reqs) != 1 || reqs[0].Actor.Email != agent {
		t.Errorf("requests %+v", reqs)
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	if _, err := c.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1}, nil); err == nil {
		t.Error("connected without a token")
	}
}
