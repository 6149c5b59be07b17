package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/cmd/enact-run/internal/httpapi"
	"github.com/enact-run/enact/cmd/enact-run/internal/jsonguard"
)

func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// hostileBodies are run request bodies that must be refused before a run,
// with the status and code of the refusal and a word of its message.
func hostileBodies() []struct {
	name   string
	body   string
	status int
	code   string
	want   string
} {
	over := jsonguard.DefaultMaxDepth + 1
	return []struct {
		name   string
		body   string
		status int
		code   string
		want   string
	}{
		{"10,000-deep inputs", `{"capability":"TemperatureConverterJS","inputs":{"celsius":` + nested(10000) + `}}`, 400, "invalid_request", "nests deeper than 64"},
		{"10,001-deep inputs", `{"capability":"TemperatureConverterJS","inputs":{"celsius":` + nested(10001) + `}}`, 400, "invalid_request", "nests deeper than 64"},
		{"just over the depth limit", `{"capability":"TemperatureConverterJS","inputs":{"celsius":` + nested(over-2) + `}}`, 400, "invalid_request", "nests deeper"},
		{"deep unknown member first", `{"x":` + nested(5000) + `,"capability":"TemperatureConverterJS"}`, 400, "invalid_request", "nests deeper"},
		{"deep inside a string is not deep", `{"capability":"TemperatureConverterJS","inputs":{"celsius":"` + nested(5000) + `"}}`, 400, "invalid_input", "celsius"},
		{"deep and unclosed", `{"capability":"TemperatureConverterJS","inputs":{"celsius":` + strings.Repeat("{\"a\":", 10000), 400, "invalid_request", "nests deeper"},
		{"over the size limit", `{"capability":"TemperatureConverterJS","inputs":{"celsius":1,"pad":"` + strings.Repeat("x", 70<<10) + `"}}`, 413, "too_large", "65536 bytes"},
		{"deep and over the size limit", `{"capability":"TemperatureConverterJS","inputs":{"celsius":` + nested(40000) + `}}`, 413, "too_large", "bytes"},
	}
}

// TestHostileHTTPRunBodies: bodies too deep or too large are refused with
// 400 or 413 and a message naming the limit, before any run, and the API
// goes on serving.
func TestHostileHTTPRunBodies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range hostileBodies() {
		status, rep := f.run(t, adminToken, []byte(c.body))
		if status != c.status || rep.code() != c.code || !strings.Contains(rep.Error.Message, c.want) {
			t.Errorf("%s: %d %+v, want %d %s %q", c.name, status, rep.Error, c.status, c.code, c.want)
		}
		if rep.ReceiptID != "" {
			t.Errorf("%s: a run happened: %s", c.name, rep.ReceiptID)
		}
	}
	// Just under the limit: the body is decoded and judged by the schema.
	status, rep := f.run(t, adminToken, []byte(`{"capability":"TemperatureConverterJS","inputs":{"celsius":`+nested(jsonguard.DefaultMaxDepth-2)+`}}`))
	if status != 400 || rep.code() != "invalid_input" {
		t.Errorf("at the depth limit: %d %+v", status, rep.Error)
	}
	status, rep = f.run(t, adminToken, map[string]any{"capability": "TemperatureConverterJS", "inputs": map[string]any{"celsius": 100}})
	if status != 200 || rep.Outputs["fahrenheit"] != float64(212) {
		t.Errorf("a valid run after the hostile ones: %d %+v", status, rep)
	}
}

// passRunner passes every run without running it.
type passRunner struct{}

func (passRunner) Run(_ context.Context, req enact.RunRequest) (*enact.Result, error) {
	return &enact.Result{Status: enact.StatusPass, Outputs: map[string]any{"n": len(req.Inputs)}, RunID: "r"}, nil
}

// FuzzHTTPRunBody posts arbitrary bodies to POST /v1/runs: the API never
// panics, always answers a run report, refuses with 400 or 413 what it
// does not run, and runs only bodies that are one JSON object within the
// limits.
func FuzzHTTPRunBody(f *testing.F) {
	// Small seeds: the mutator slows to a crawl on inputs of tens of KiB.
	for _, c := range hostileBodies() {
		if len(c.body) <= 4<<10 {
			f.Add([]byte(c.body))
		}
	}
	f.Add([]byte(`{"capability":"TemperatureConverterJS","inputs":{"celsius":` + nested(jsonguard.DefaultMaxDepth) + `}}`))
	f.Add([]byte(`{"capability":"TemperatureConverterJS","inputs":{"celsius":` + nested(1000) + `}}`))
	for _, s := range []string{
		`{"capability":"TemperatureConverterJS","inputs":{"celsius":1}}`,
		`{"capability":"TemperatureConverterJS","inputs":{"celsius":1},"idempotency_key":"k","dry_run":true}`,
		`{"capability":"TemperatureConverterJS","capability":"x"}`,
		`{"capability":"TemperatureConverterJS"} {}`,
		`{"capability":"TemperatureConverterJS","inputs":{"celsius":1e400}}`,
		"{\"capability\":\"TemperatureConverterJS\",\"inputs\":{\"s\":\"\xff\"}}",
		`[]`, `null`, ``, `{`, `"\u0000"`,
	} {
		f.Add([]byte(s))
	}
	caps := map[string]*capabilities.Capability{}
	for name, data := range capabilities.Examples() {
		if strings.HasSuffix(name, ".policy.yaml") {
			continue
		}
		c, err := capabilities.Load(data, name)
		if err != nil {
			f.Fatal(err)
		}
		caps[c.ID] = c
	}
	h, err := httpapi.New(httpapi.Config{
		Runner: passRunner{}, Receipts: nopStore{}, AnonymousActor: "fuzz@acme.com", MaxBodyBytes: 64 << 10,
		Capabilities: func() map[string]*capabilities.Capability { return caps },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/v1/runs", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var rep struct {
			Status string `json:"status"`
			Error  *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatalf("%d: not a run report: %v: %.200s", rec.Code, err, rec.Body.Bytes())
		}
		switch rec.Code {
		case http.StatusOK:
			if rep.Status != enact.StatusPass || !json.Valid(body) || len(body) > 64<<10 {
				t.Fatalf("ran %.200q: %+v", body, rep)
			}
			if r := jsonguard.Scan(body, 0); r.TooDeep || r.First != '{' {
				t.Fatalf("ran a body past the guard: %.200q", body)
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge:
			if rep.Error == nil || rep.Error.Code == "" || rep.Error.Message == "" {
				t.Fatalf("%d without an error: %.200s", rec.Code, rec.Body.Bytes())
			}
		default:
			t.Fatalf("status %d: %.200s", rec.Code, rec.Body.Bytes())
		}
	})
}
