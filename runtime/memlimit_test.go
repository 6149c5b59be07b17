package runtime_test

import (
	"context"
	"strings"
	"testing"

	"github.com/enact-run/enact/internal/wasmtest"
	"github.com/enact-run/enact/runtime"
)

const hostileMemory = "env:\n  resources:\n    timeout: 20s\n    memory: 8MiB\n"

// TestHostileMemoryClaims runs modules that claim more than their memory
// limit through tables, globals, element and data segments and linear
// memory: what they declare is refused before anything is compiled
// (plugin_error, naming the table, segment or global and its size), what
// they grow ends the run as memory_limit.
func TestHostileMemoryClaims(t *testing.T) {
	t.Parallel()
	for _, h := range wasmtest.Hostiles() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			c := loadFile(t, writePluginCapability(t, h.Wasm, "run", hostileMemory))
			if h.Code == runtime.CodePluginError {
				err := engine(t).Check(c)
				if err == nil || !strings.Contains(err.Error(), h.Message) {
					t.Fatalf("Check = %v, want a refusal mentioning %q", err, h.Message)
				}
			}
			res, err := run(t, c, nil)
			re := wantCode(t, err, h.Code)
			t.Logf("%s: %s", re.Code, re.Message)
			if !strings.Contains(re.Message, h.Message) {
				t.Errorf("message %q does not mention %q", re.Message, h.Message)
			}
			if h.Code == runtime.CodePluginError && len(res.Tasks) != 0 {
				t.Errorf("tasks ran: %+v", res.Tasks)
			}
		})
	}
}

// TestTablesGrowWithinTheirBudget shows the bound leaves room: a table the
// code grows a little works, and a guest's own maximum still makes
// table.grow return -1 for the guest to handle.
func TestTablesGrowWithinTheirBudget(t *testing.T) {
	t.Parallel()
	w := wasmtest.Module{Tables: []wasmtest.Table{{Ref: wasmtest.Funcref}}, Run: wasmtest.Cat(
		// table.grow 0 (ref.func 0, 100000) == 0 ? 0 : 1
		wasmtest.RefFunc(0), wasmtest.I32Const(100_000), wasmtest.TableGrow(0), []byte{0x45, 0x45})}
	c := loadFile(t, writePluginCapability(t, w.Bytes(), "run", hostileMemory))
	if _, err := run(t, c, nil); err != nil {
		t.Fatalf("a table growing by 100000 entries under 8 MiB: %v", err)
	}
	own := wasmtest.Module{Tables: []wasmtest.Table{{Ref: wasmtest.Externref, Limits: wasmtest.Limits{Max: 10, HasMax: true}}}, Run: wasmtest.Cat(
		// table.grow 0 (ref.null extern, 11) == -1 ? 0 : 1
		wasmtest.RefNull(wasmtest.Externref), wasmtest.I32Const(11), wasmtest.TableGrow(0), wasmtest.I32Const(-1), []byte{0x47})}
	c = loadFile(t, writePluginCapability(t, own.Bytes(), "run", hostileMemory))
	if _, err := run(t, c, nil); err != nil {
		t.Fatalf("a guest's own table maximum: %v", err)
	}
}

// TestHostileInputBeyondTheMemoryLimit: an input that cannot fit in the
// plugin's memory is refused on the host rather than handed over empty.
func TestHostileInputBeyondTheMemoryLimit(t *testing.T) {
	t.Parallel()
	w := wasmtest.Module{Memories: []wasmtest.Limits{{Min: 1}}}
	doc := hostileMemory + "inputs:\n  type: object\n  properties:\n    blob: {type: string}\n"
	c := loadFile(t, writePluginCapability(t, w.Bytes(), "run", doc))
	_, err := engine(t).Run(context.Background(), c, map[string]any{"blob": strings.Repeat("x", 9<<20)})
	re := wantCode(t, err, runtime.CodeMemoryLimit)
	if !strings.Contains(re.Message, "the plugin's input is 9437") {
		t.Errorf("message %q does not give the input's size", re.Message)
	}
}
