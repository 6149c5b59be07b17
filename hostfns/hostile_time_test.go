package hostfns_test

import (
	"context"
	"strings"
	"testing"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/policy"
)

// TestHostileTimeActionArgs: args a guest makes deep or huge are refused
// before the action's schema or any policy judges them, and the run's
// receipt still seals.
func TestHostileTimeActionArgs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	run, err := f.gate.Begin(hostfns.RunInfo{
		Capability: capability(t, "x-enact:\n  actions: [kv.put]\n"),
		Actor:      policy.Actor{Email: "agent@acme.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	nest := func(n int) string { return strings.Repeat(`[`, n) + strings.Repeat(`]`, n) }
	tests := []struct {
		name, req, code, msg string
	}{
		{"deep value", `{"action": "kv.put", "args": {"key": "a", "value": ` + nest(hostfns.MaxArgsDepth+1) + `}}`, hostfns.CodeInvalidArgs, "MaxArgsDepth"},
		{"very deep value", `{"action": "kv.put", "args": {"key": "a", "value": ` + nest(9000) + `}}`, hostfns.CodeInvalidArgs, "MaxArgsDepth"},
		{"deeper than the decoder", `{"action": "kv.put", "args": {"key": "a", "value": ` + nest(100_000) + `}}`, hostfns.CodeInvalidRequest, "exceeded max depth"},
		{"huge args", `{"action": "kv.put", "args": {"key": "a", "value": "` + strings.Repeat("x", hostfns.MaxRequestBytes) + `"}}`, hostfns.CodeInvalidRequest, "the limit is"},
	}
	for _, tt := range tests {
		r := reply(t, run.Handle(ctx, []byte(tt.req)))
		if r.OK || r.Error.Code != tt.code || !strings.Contains(r.Error.Message, tt.msg) {
			t.Errorf("%s: reply %+v %+v, want %s naming %q", tt.name, r, r.Error, tt.code, tt.msg)
		}
	}
	// Args at the limit still pass.
	if r := reply(t, run.Handle(ctx, []byte(`{"action": "kv.put", "args": {"key": "ok", "value": `+nest(hostfns.MaxArgsDepth-1)+`}}`))); !r.OK {
		t.Errorf("args at the depth limit: %+v", r.Error)
	}
	if _, err := run.Finish(ctx, hostfns.RunOutcome{}); err != nil {
		t.Fatal(err)
	}
}
