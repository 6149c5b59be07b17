package runtime

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/binary"
	"fmt"
	"hash"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	// Time zones for Intl.DateTimeFormat come from Go's database: the
	// system's, else this copy, so that every host formats them alike.
	_ "time/tzdata"

	"github.com/tetratelabs/wazero/api"
)

// The web-platform APIs of JavaScript tasks (TextEncoder, URL, crypto,
// timers, console, ...) are written in JavaScript, in js/webapi.js, and
// evaluated at engine start-up, so they live in the start-up snapshot.
// What JavaScript cannot do alone it asks the host through a second
// QuickJS function proxy, __enact_sys, which webapi.js captures and removes
// from the global object before any task runs.
//
// # The runtime-internal bridge
//
// Both function proxies reach jsFunctionProxy (env.go); the proxy's first
// value is its id: jsProxyHost (1) is __enact_host, the guest ABI of
// package hostfns; jsProxySys (2) is __enact_sys, this bridge. A call
// __enact_sys(op, ...args) takes numbers and ArrayBuffers and returns a
// number; results that are bytes are written into an ArrayBuffer the
// caller passes:
//
//	__enact_sys(1, 0)                        milliseconds since the run's start (performance.now)
//	__enact_sys(1, 1)                        the run's start in Unix milliseconds (performance.timeOrigin)
//	__enact_sys(2, buf, off, len)            fills buf[off:off+len] with random bytes (len <= 65536); returns len
//	__enact_sys(3, alg, buf, off, len, out)  writes the digest of buf[off:off+len] into out; returns its size
//	__enact_sys(4, alg, kbuf, koff, klen, buf, off, len, out)
//	                                         writes the HMAC of buf[off:off+len] under kbuf[koff:koff+klen]
//	                                         into out; returns its size
//	__enact_sys(6, zone, ms)                 the offset from UTC, in minutes, of the IANA time zone zone
//	                                         (a string) at ms Unix milliseconds; throws for an unknown zone
//	__enact_sys(5, name)                     compiles the web API module name (js/name.js) and returns
//	                                         its value, a function
//
// alg is 1 (SHA-1), 256, 384 or 512 (SHA-2). A call with bad arguments
// throws TypeError in the guest.
//
// # The event loop
//
// A task's program (javascriptProgram) starts the task's async function and
// ends; QJS_Eval then runs every pending job. execJavaScript then asks
// __enact_loop.tick() (webapi.js) what is left: the envelope, once the
// task's promise has settled; a delay until the next timer is due, which
// the host sleeps (bounded by the run's context, never spinning); or -1,
// nothing left that could ever settle the promise, which ends the run at
// once. Each tick runs at most one timer callback, and QJS_Eval runs the
// jobs it queued before the next tick, as node runs microtasks between
// timers.

//go:embed js/webapi.js
var jsWebAPI string

// jsModules are the web APIs webapi.js compiles on first use, by name
// (the file's name without .js). The host keeps their text, so that
// neither it nor their compiled form is in the start-up snapshot. The map
// is built on first use, not at process start (the texts are ~190 KB).
//
//go:embed js/events.js js/base64.js js/encoding.js js/clone.js js/crypto.js js/url.js js/inspect.js js/intl.js
var jsModuleFiles embed.FS

var jsModules = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	entries, err := jsModuleFiles.ReadDir("js")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := jsModuleFiles.ReadFile("js/" + e.Name())
		if err != nil {
			panic(err)
		}
		m[strings.TrimSuffix(e.Name(), ".js")] = string(b)
	}
	return m
})

// The ids of the QuickJS function proxies the runtime installs.
const (
	jsProxyHost = 1
	jsProxySys  = 2
)

// The operations of __enact_sys.
const (
	sysNow    = 1
	sysRandom = 2
	sysDigest = 3
	sysHMAC   = 4
	sysModule = 5
	sysZone   = 6
)

// maxRandomBytes is crypto.getRandomValues's quota per call.
const maxRandomBytes = 65536

// jsNeverSettles is the message of a run whose promise nothing can settle.
const jsNeverSettles = "the task is waiting on a promise that nothing can settle (no timer is pending and nothing else can resolve it)"

// jsRunClock is the origin of performance.now for one run.
type jsRunClock struct {
	start time.Time
}

type jsRunClockKey struct{}

func withJSRunClock(ctx context.Context) context.Context {
	return context.WithValue(ctx, jsRunClockKey{}, &jsRunClock{start: time.Now()})
}

// javascriptSys serves one call of __enact_sys; argv points at the
// proxy's four values followed by the caller's arguments.
func javascriptSys(ctx context.Context, inst *instance, argc, argv uint32) uint64 {
	args := make([]uint64, 0, 9)
	for i := uint32(4); i < argc && len(args) < 9; i++ {
		b, err := inst.read(argv+i*8, 8)
		if err != nil {
			panic(err)
		}
		args = append(args, binary.LittleEndian.Uint64(b))
	}
	if len(args) >= 2 {
		op, err := inst.call(ctx, "QJS_ToFloat64", uint64(inst.handle), args[0])
		if err == nil && math.Float64frombits(op) == sysModule {
			return jsModuleSource(ctx, inst, args[1])
		}
		if err == nil && math.Float64frombits(op) == sysZone && len(args) == 3 {
			return jsZoneOffset(ctx, inst, args[1], args[2])
		}
	}
	v, err := sysCall(ctx, inst, args)
	if err != nil {
		return jsThrowTypeError(ctx, inst, err.Error())
	}
	res, err := inst.call(ctx, "QJS_NewFloat64", uint64(inst.handle), math.Float64bits(v))
	if err != nil {
		panic(err)
	}
	return res
}

func sysCall(ctx context.Context, inst *instance, args []uint64) (float64, error) {
	if len(args) == 0 {
		return 0, fmt.Errorf("__enact_sys: no operation")
	}
	num := func(i int) (float64, error) {
		if i >= len(args) {
			return 0, fmt.Errorf("__enact_sys: argument %d missing", i)
		}
		f, err := inst.call(ctx, "QJS_ToFloat64", uint64(inst.handle), args[i])
		return math.Float64frombits(f), err
	}
	op, err := num(0)
	if err != nil {
		return 0, err
	}
	switch op {
	case sysNow:
		which, err := num(1)
		if err != nil {
			return 0, err
		}
		clock, _ := ctx.Value(jsRunClockKey{}).(*jsRunClock)
		if clock == nil { // start-up: no run yet
			clock = &jsRunClock{start: time.Now()}
		}
		if which == 1 {
			return float64(clock.start.UnixNano()) / 1e6, nil
		}
		return float64(time.Since(clock.start).Nanoseconds()) / 1e6, nil
	case sysRandom:
		buf, err := sysBytes(ctx, inst, args, 1, num)
		if err != nil {
			return 0, err
		}
		if len(buf) > maxRandomBytes {
			return 0, fmt.Errorf("__enact_sys: %d random bytes asked; the limit is %d", len(buf), maxRandomBytes)
		}
		_, _ = rand.Read(buf)
		return float64(len(buf)), nil
	case sysDigest, sysHMAC:
		alg, err := num(1)
		if err != nil {
			return 0, err
		}
		newHash := hashFor(alg)
		if newHash == nil {
			return 0, fmt.Errorf("__enact_sys: no hash algorithm %v", alg)
		}
		var h hash.Hash
		next := 2
		if op == sysHMAC {
			key, err := sysBytes(ctx, inst, args, 2, num)
			if err != nil {
				return 0, err
			}
			h = hmac.New(newHash, key)
			next = 5
		} else {
			h = newHash()
		}
		data, err := sysBytes(ctx, inst, args, next, num)
		if err != nil {
			return 0, err
		}
		h.Write(data)
		if next+3 >= len(args) {
			return 0, fmt.Errorf("__enact_sys: the output buffer is missing")
		}
		out, err := sysBuffer(ctx, inst, args[next+3])
		if err != nil {
			return 0, err
		}
		if len(out) < h.Size() {
			return 0, fmt.Errorf("__enact_sys: the output buffer holds %d bytes; the digest needs %d", len(out), h.Size())
		}
		copy(out, h.Sum(nil))
		return float64(h.Size()), nil
	}
	return 0, fmt.Errorf("__enact_sys: unknown operation %v", op)
}

// jsModuleSource compiles a web API module, under the file name <enact>,
// and returns its value. It runs inside a JavaScript call, and QJS_Eval
// runs every pending job after evaluating: so the engine's job list is
// set aside meanwhile (an empty list in its place) and put back after,
// and the task's promise reactions keep their order.
func jsModuleSource(ctx context.Context, inst *instance, nameVal uint64) uint64 {
	name, err := jsString(ctx, inst, nameVal)
	if err != nil {
		return jsThrowTypeError(ctx, inst, "__enact_sys: the module name is not a string")
	}
	src, ok := jsModules()[string(name)]
	if !ok {
		return jsThrowTypeError(ctx, inst, fmt.Sprintf("__enact_sys: no module %q", truncate(string(name), 40)))
	}
	mem := inst.mod.Memory()
	rt, ok := mem.ReadUint32Le(inst.handle + qjsCtxRuntime)
	if !ok || rt == 0 {
		panic(fmt.Errorf("runtime: javascript: no runtime behind the context"))
	}
	jobs := rt + qjsRtJobList
	prev, ok1 := mem.ReadUint32Le(jobs)
	next, ok2 := mem.ReadUint32Le(jobs + 4)
	if !ok1 || !ok2 {
		panic(fmt.Errorf("runtime: javascript: job list outside guest memory"))
	}
	if !mem.WriteUint32Le(jobs, jobs) || !mem.WriteUint32Le(jobs+4, jobs) {
		panic(fmt.Errorf("runtime: javascript: job list outside guest memory"))
	}
	addrs, err := inst.cStrings(ctx, 0, src, "<enact>")
	if err != nil {
		panic(err)
	}
	opts, err := inst.call(ctx, "QJS_CreateEvalOption", uint64(addrs[0]), 0, 0, uint64(addrs[1]), 0 /* JS_EVAL_TYPE_GLOBAL */)
	if err != nil || uint32(opts) == 0 {
		panic(fmt.Errorf("runtime: javascript: compile module %s: %v", name, err))
	}
	// A function of its own: the instance's memoised QJS_Eval is the one
	// running the code that asked, and a wazero function's call stack
	// serves one call at a time.
	res, err := inst.mod.ExportedFunction("QJS_Eval").Call(ctx, uint64(inst.handle), opts)
	if err != nil {
		panic(err)
	}
	val := res[0]
	_, _ = inst.call(ctx, "free", opts)
	_, _ = inst.call(ctx, "free", uint64(addrs[0]))
	// Whatever the module's evaluation queued has run; the list is empty
	// again and takes back the task's jobs, whose nodes still point at it.
	if !mem.WriteUint32Le(jobs, prev) || !mem.WriteUint32Le(jobs+4, next) {
		panic(fmt.Errorf("runtime: javascript: job list outside guest memory"))
	}
	return val
}

// jsZoneOffset answers __enact_sys(6, zone, ms) from Go's time zone
// database (the system's, or the copy embedded in the binary).
func jsZoneOffset(ctx context.Context, inst *instance, zoneVal, msVal uint64) uint64 {
	zone, err := jsString(ctx, inst, zoneVal)
	if err != nil || len(zone) == 0 || len(zone) > 64 {
		return jsThrowTypeError(ctx, inst, "__enact_sys: the time zone is not a name")
	}
	loc, err := time.LoadLocation(string(zone))
	if err != nil || string(zone) == "Local" {
		return jsThrowTypeError(ctx, inst, fmt.Sprintf("Invalid time zone specified: %s", zone))
	}
	bits, err := inst.call(ctx, "QJS_ToFloat64", uint64(inst.handle), msVal)
	if err != nil {
		panic(err)
	}
	ms := math.Float64frombits(bits)
	if math.IsNaN(ms) || math.Abs(ms) > 8.64e15 {
		return jsThrowTypeError(ctx, inst, "__enact_sys: the time is out of range")
	}
	_, offset := time.UnixMilli(int64(ms)).In(loc).Zone()
	res, err := inst.call(ctx, "QJS_NewFloat64", uint64(inst.handle), math.Float64bits(float64(offset)/60))
	if err != nil {
		panic(err)
	}
	return res
}

// hashFor returns the hash named by __enact_sys's alg number.
func hashFor(alg float64) func() hash.Hash {
	switch alg {
	case 1:
		return sha1.New
	case 256:
		return sha256.New
	case 384:
		return sha512.New384
	case 512:
		return sha512.New
	}
	return nil
}

// sysBytes returns the guest memory of args[i] (an ArrayBuffer) from
// byte args[i+1] for args[i+2] bytes, checked against the buffer.
func sysBytes(ctx context.Context, inst *instance, args []uint64, i int, num func(int) (float64, error)) ([]byte, error) {
	if i >= len(args) {
		return nil, fmt.Errorf("__enact_sys: argument %d missing", i)
	}
	off, err := num(i + 1)
	if err != nil {
		return nil, err
	}
	n, err := num(i + 2)
	if err != nil {
		return nil, err
	}
	buf, err := sysBuffer(ctx, inst, args[i])
	if err != nil {
		return nil, err
	}
	if !(off >= 0 && n >= 0 && off+n <= float64(len(buf))) || off != math.Trunc(off) || n != math.Trunc(n) {
		return nil, fmt.Errorf("__enact_sys: bytes %v..%v+%v outside a buffer of %d", off, off, n, len(buf))
	}
	return buf[int(off) : int(off)+int(n)], nil
}

// sysBuffer returns the guest memory of an ArrayBuffer.
func sysBuffer(ctx context.Context, inst *instance, val uint64) ([]byte, error) {
	packed, err := inst.call(ctx, "QJS_GetArrayBuffer", uint64(inst.handle), val)
	if err != nil {
		return nil, err
	}
	if uint32(packed) == 0 {
		// The engine threw (not an ArrayBuffer); that exception is
		// replaced by a TypeError.
		exc, _ := inst.call(ctx, "JS_GetException", uint64(inst.handle))
		_, _ = inst.call(ctx, "JS_FreeValue", uint64(inst.handle), exc)
		return nil, fmt.Errorf("__enact_sys: an argument is not an ArrayBuffer")
	}
	word, err := inst.read(uint32(packed), 8)
	if err != nil {
		return nil, err
	}
	_, _ = inst.call(ctx, "free", packed)
	v := binary.LittleEndian.Uint64(word)
	ptr, size := uint32(v>>32), uint32(v)
	b, ok := inst.mod.Memory().Read(ptr, size)
	if !ok {
		return nil, fmt.Errorf("__enact_sys: buffer outside guest memory")
	}
	return b, nil
}

// jsThrowTypeError throws a TypeError in the guest and returns the
// exception value for the proxy to return.
func jsThrowTypeError(ctx context.Context, inst *instance, msg string) uint64 {
	addrs, err := inst.cStrings(ctx, 0, msg)
	if err != nil {
		panic(err)
	}
	v, err := inst.call(ctx, "QJS_ThrowTypeError", uint64(inst.handle), uint64(addrs[0]))
	if err != nil {
		panic(err)
	}
	_, _ = inst.call(ctx, "free", uint64(addrs[0]))
	return v
}

// jsProxyID reads which function proxy a call of jsFunctionProxy came
// through: the first of the proxy's own values.
func jsProxyID(ctx context.Context, inst *instance, argc, argv uint32) int64 {
	if argc < 1 {
		return 0
	}
	b, err := inst.read(argv, 8)
	if err != nil {
		panic(err)
	}
	v, err := inst.call(ctx, "QJS_ToInt64", uint64(inst.handle), binary.LittleEndian.Uint64(b))
	if err != nil {
		panic(err)
	}
	return int64(v)
}

// javascriptProxy serves a call of jsFunctionProxy: the guest ABI or the
// internal bridge, by the proxy's id.
func javascriptProxy(ctx context.Context, inst *instance, argc, argv uint32) uint64 {
	if jsProxyID(ctx, inst, argc, argv) == jsProxySys {
		return javascriptSys(ctx, inst, argc, argv)
	}
	return javascriptBridge(ctx, inst, argc, argv)
}

// jsLoop drives a started program's timers until its promise settles (see
// "The event loop" above) and returns the envelope.
func jsLoop(ctx context.Context, inst *instance) ([]byte, error) {
	// Most tasks have settled by the first tick: that one allocates the
	// least and frees nothing (the instance goes after the run). Later
	// ticks free what they allocate, so a run of timers does not
	// accumulate garbage until its deadline.
	for again := false; ; again = true {
		val, err := evalScript(ctx, inst, "__enact_loop.tick()", "<loop>", again)
		if err != nil {
			return nil, err
		}
		text, packed, err := jsCString(ctx, inst, val)
		if err != nil {
			return nil, err
		}
		if len(text) > 0 && text[0] == '{' {
			return text, nil
		}
		wait, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return nil, fmt.Errorf("runtime: javascript: the event loop answered %q", truncate(string(text), 40))
		}
		if err := jsRelease(ctx, inst, val, packed); err != nil {
			return nil, err
		}
		if wait < 0 {
			return nil, &Error{Code: CodeGuestError, Message: jsNeverSettles}
		}
		if wait > 0 {
			t := time.NewTimer(time.Duration(wait * float64(time.Millisecond)))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
	}
}

// jsRelease frees a value and the C string jsCString made of it.
func jsRelease(ctx context.Context, inst *instance, val, packed uint64) error {
	jsctx := uint64(inst.handle)
	word, err := inst.read(uint32(packed), 8)
	if err != nil {
		return err
	}
	if _, err := inst.call(ctx, "JS_FreeCString", jsctx, binary.LittleEndian.Uint64(word)>>32); err != nil {
		return err
	}
	if _, err := inst.call(ctx, "free", packed); err != nil {
		return err
	}
	_, err = inst.call(ctx, "JS_FreeValue", jsctx, val)
	return err
}

// jsInstallProxy defines a global function proxy of the given id.
func jsInstallProxy(ctx context.Context, m api.Module, jsctx uint64, id uint64, name string) error {
	call := func(fn string, args ...uint64) (uint64, error) {
		res, err := m.ExportedFunction(fn).Call(ctx, args...)
		if err != nil || len(res) == 0 {
			return 0, err
		}
		return res[0], nil
	}
	fn, err := call("QJS_CreateFunctionProxy", jsctx, id, 0, 0)
	if err != nil {
		return err
	}
	global, err := call("JS_GetGlobalObject", jsctx)
	if err != nil {
		return err
	}
	ptr, err := call("malloc", uint64(len(name)+1))
	if err != nil || uint32(ptr) == 0 {
		return errGuestOutOfMemory
	}
	if !m.Memory().WriteString(uint32(ptr), name+"\x00") {
		return fmt.Errorf("runtime: write outside guest memory")
	}
	if ok, err := call("JS_SetPropertyStr", jsctx, global, ptr, fn); err != nil || int32(ok) < 0 {
		return fmt.Errorf("runtime: define %s: %v", name, err)
	}
	_, _ = call("JS_FreeValue", jsctx, global)
	_, _ = call("free", ptr)
	return nil
}
