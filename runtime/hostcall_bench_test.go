package runtime_test

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/enact-run/enact/hostfns"
)

// loopModule is a hand-assembled Wasm module: run(n) calls the imported
// env.f n times. It measures the raw cost of crossing from a guest into a
// Go host function in wazero, the floor under every action request.
var loopModule = []byte{
	0, 'a', 's', 'm', 1, 0, 0, 0,
	1, 8, 2, 0x60, 0, 0, 0x60, 1, 0x7f, 0, // types: () -> (), (i32) -> ()
	2, 9, 1, 3, 'e', 'n', 'v', 1, 'f', 0, 0, // import env.f, type 0
	3, 2, 1, 1, // one function of type 1
	7, 7, 1, 3, 'r', 'u', 'n', 0, 1, // export "run" = function 1
	10, 26, 1, 24, // code: one body of 24 bytes
	0,          // no locals
	0x02, 0x40, // block
	0x03, 0x40, // loop
	0x20, 0x00, 0x45, 0x0d, 0x01, // if n == 0, leave the block
	0x10, 0x00, // call f
	0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, // n = n - 1
	0x0c, 0x00, // continue the loop
	0x0b, 0x0b, 0x0b,
}

// BenchmarkHostCall reports the cost of one host call per guest, ns/call:
// the raw wazero crossing, and an action request (JSON out, reply back)
// through the Python and JavaScript bridges to a handler that answers at
// once. The gate's own cost per request is BenchmarkGateHandle in hostfns.
func BenchmarkHostCall(b *testing.B) {
	const calls = 10000
	b.Run("raw-wazero", func(b *testing.B) {
		ctx := context.Background()
		r := wazero.NewRuntime(ctx)
		defer r.Close(ctx)
		if _, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}), nil, nil).
			Export("f").Instantiate(ctx); err != nil {
			b.Fatal(err)
		}
		m, err := r.Instantiate(ctx, loopModule)
		if err != nil {
			b.Fatal(err)
		}
		run := m.ExportedFunction("run")
		for b.Loop() {
			if _, err := run.Call(ctx, calls); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*calls), "ns/call")
	})
	answer := hostfns.HandlerFunc(func(context.Context, []byte) []byte { return []byte(`{"ok":true,"result":{"v":1}}`) })
	for _, tc := range []struct{ lang, code string }{
		{"python", "for i in range(10000):\n    enact.request('kv.get', {'key': 'k'})\nreturn {}"},
		{"javascript", "for (let i = 0; i < 10000; i++) enact.request('kv.get', { key: 'k' });\nreturn {};"},
	} {
		b.Run(tc.lang+"-bridge", func(b *testing.B) {
			c := load(b, scriptDoc(tc.lang, tc.code, ""))
			e := engine(b)
			if _, err := e.RunWith(context.Background(), c, nil, answer); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.RunWith(context.Background(), c, nil, answer); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*calls), "ns/call")
		})
	}
}
