// Command hostile is a deliberately misbehaving Extism plugin (Go,
// GOOS=wasip1) used by the runtime's tests to prove that limits hold and
// that the host stays usable after a guest misbehaves.
//
// Exports (all Extism ABI, no parameters, i32 result):
//
//	spin   loops forever (never returns); only a host deadline stops it
//	hog    allocates 1 MiB chunks forever, touching every 4 KiB, keeping them live
//	flood  prints 10 MiB to stdout (10240 lines of 1 KiB) and sets a 10 MiB output
//	echo   returns its input unchanged
//	fail   sets the error "deliberate failure" and returns 1
//	panic  panics with "hostile: deliberate panic"
//
// Observed with Go 1.26 + Extism go-sdk v1.7.1 / wazero v1.12: a panic and
// the Go runtime's "fatal error: out of memory" both print to the guest's
// stderr and then trap with "wasm error: unreachable" (no proc_exit). The
// instance is NOT closed by the trap and later calls on it may still appear
// to work, but the guest runtime is in an undefined state: a host must
// discard the instance after any trap. spin under a deadline closes the
// module ("module closed with context deadline exceeded"), after which calls
// fail with "module is closed".
package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/extism/go-pdk"

	enact "github.com/enact-run/enact/plugins/pdk"
)

var (
	spinCounter uint64
	hoard       [][]byte
)

//go:noinline
func tick(n uint64) uint64 { return n*6364136223846793005 + 1442695040888963407 }

//go:wasmexport spin
func spin() int32 {
	for {
		spinCounter = tick(spinCounter)
	}
}

//go:wasmexport hog
func hog() int32 {
	const chunk = 1 << 20
	for {
		b := make([]byte, chunk)
		for i := 0; i < chunk; i += 4096 {
			b[i] = byte(i>>12) | 1
		}
		hoard = append(hoard, b)
	}
}

//go:wasmexport flood
func flood() int32 {
	const total = 10 << 20 // 10 MiB
	const lineLen = 1024   // bytes per line, including the '\n'
	line := string(bytes.Repeat([]byte{'x'}, lineLen-1)) + "\n"
	for i := 0; i < total/lineLen; i++ {
		fmt.Print(line)
	}
	pdk.Output(bytes.Repeat([]byte{'y'}, total))
	return 0
}

//go:wasmexport echo
func echo() int32 {
	pdk.Output(pdk.Input())
	return 0
}

//go:wasmexport fail
func fail() int32 {
	pdk.SetErrorString("deliberate failure")
	return 1
}

//go:wasmexport panic
func doPanic() int32 {
	panic("hostile: deliberate panic")
}

// main is required for package main but is not called: with
// -buildmode=c-shared the module is a WASI reactor.
func main() {}

// act asks the host for the action in its input, {"action": ..., "args":
// {...}}, through the guest ABI, and returns the host's whole reply.
//
//go:wasmexport act
func act() int32 {
	var in struct {
		Action string         `json:"action"`
		Args   map[string]any `json:"args"`
	}
	if err := json.Unmarshal(pdk.Input(), &in); err != nil {
		pdk.SetError(err)
		return 1
	}
	reply, err := enact.Request(in.Action, in.Args)
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	out, _ := json.Marshal(map[string]any{"reply": reply})
	pdk.Output(out)
	return 0
}
