package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/runtime"
)

// TestJavaScriptCompatibility runs the ordinary programs of
// testdata/jscompat in the sandbox and compares what they print with what
// the same program printed under node (the .want files, made by
// testdata/jscompat/generate.sh; NODE_VERSION names the node).
func TestJavaScriptCompatibility(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "jscompat", "*.js"))
	if err != nil || len(files) < 50 {
		t.Fatalf("want at least 50 programs in testdata/jscompat, have %d (%v)", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".js")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".js") + ".want")
			if err != nil {
				t.Fatalf("%v (regenerate with testdata/jscompat/generate.sh)", err)
			}
			c := load(t, scriptDoc("javascript", string(code), ""))
			res, err := run(t, c, nil)
			if err != nil {
				var re *runtime.Error
				if e, ok := err.(*runtime.Error); ok {
					re = e
				}
				t.Fatalf("run: %v\n%v\nprinted:\n%s", err, re, res.Output)
			}
			if diff := cmp.Diff(string(want), res.Output); diff != "" {
				t.Errorf("printed output differs from node's (-node +sandbox):\n%s", diff)
			}
		})
	}
}

// jsOutputs runs a JavaScript task and returns its outputs as JSON.
func jsOutputs(t *testing.T, code string) string {
	t.Helper()
	return jsonOf(t, mustRun(t, load(t, scriptDoc("javascript", code, "")), nil).Outputs)
}

func TestJavaScriptWebAPIs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, code, want string
	}{
		{"sha-256 of abc", `
const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
return { hex: Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("") };`,
			`{"hex":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}`},
		{"sha-1 and sha-512 of the empty string", `
const hex = (d) => Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
return { sha1: hex(await crypto.subtle.digest("SHA-1", new Uint8Array(0))), sha512: hex(await crypto.subtle.digest("SHA-512", new ArrayBuffer(0))).slice(0, 16) };`,
			`{"sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709","sha512":"cf83e1357eefb8bd"}`},
		{"hmac-sha256 of the RFC 4231 case 2", `
const enc = new TextEncoder();
const key = await crypto.subtle.importKey("raw", enc.encode("Jefe"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
const sig = await crypto.subtle.sign("HMAC", key, enc.encode("what do ya want for nothing?"));
const hex = Array.from(new Uint8Array(sig), (b) => b.toString(16).padStart(2, "0")).join("");
return { hex, ok: await crypto.subtle.verify("HMAC", key, sig, enc.encode("what do ya want for nothing?")), bad: await crypto.subtle.verify("HMAC", key, sig, enc.encode("x")) };`,
			`{"bad":false,"hex":"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843","ok":true}`},
		{"digest of a view into a larger buffer", `
const buf = new TextEncoder().encode("xxabcxx");
const d = await crypto.subtle.digest("SHA-256", buf.subarray(2, 5));
return { first: new Uint8Array(d)[0] };`, `{"first":186}`},
		{"url parsing", `
const u = new URL("../x/./y?q=a b#f", "http://User@EXAMPLE.org:8080/a/b/c");
return { href: u.href, host: u.host, path: u.pathname, origin: u.origin };`,
			`{"host":"example.org:8080","href":"http://User@example.org:8080/a/x/y?q=a%20b#f","origin":"http://example.org:8080","path":"/a/x/y"}`},
		{"url ipv4 and ipv6 hosts", `
return { v4: new URL("http://0x7F.0.0.1/").host, v6: new URL("http://[0:0:0:0:0:ffff:c000:280]/").host, idn: new URL("https://bücher.example/").host };`,
			`{"idn":"xn--bcher-kva.example","v4":"127.0.0.1","v6":"[::ffff:c000:280]"}`},
		{"invalid url", `
try { new URL("http://exa mple.com"); return { thrown: false }; } catch (e) { return { name: e.name, message: e.message, code: e.code }; }`,
			`{"code":"ERR_INVALID_URL","message":"Invalid URL","name":"TypeError"}`},
		{"searchparams encode like forms", `
const p = new URLSearchParams({ q: "a+b c", emoji: "😀" });
return { s: p.toString(), back: new URLSearchParams(p.toString()).get("q") };`,
			`{"back":"a+b c","s":"q=a%2Bb+c\u0026emoji=%F0%9F%98%80"}`},
		{"structuredClone of a cyclic map", `
const m = new Map(); const o = { m }; m.set("o", o); m.set("d", new Date(5));
const c = structuredClone(o);
return { cyclic: c.m.get("o") === c, fresh: c !== o && c.m !== m, date: c.m.get("d").getTime() };`,
			`{"cyclic":true,"date":5,"fresh":true}`},
		{"structuredClone refuses a function", `
try { structuredClone({ f: function f() {} }); return {}; } catch (e) { return { name: e.name, isDOMException: e instanceof DOMException, message: e.message }; }`,
			`{"isDOMException":true,"message":"function f() {} could not be cloned.","name":"DataCloneError"}`},
		{"text decoder streams a split character", `
const bytes = new TextEncoder().encode("€");
const d = new TextDecoder();
const a = d.decode(bytes.subarray(0, 1), { stream: true }), b = d.decode(bytes.subarray(1, 2), { stream: true }), c = d.decode(bytes.subarray(2), { stream: true }), end = d.decode();
return { a, b, c, end, bytes: Array.from(bytes) };`,
			`{"a":"","b":"","bytes":[226,130,172],"c":"€","end":""}`},
		{"text decoder replaces invalid bytes", `
return { s: new TextDecoder().decode(new Uint8Array([0x61, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x62])) };`,
			"{\"s\":\"a\ufffd(\ufffd\ufffd\ufffdb\"}"},
		{"atob and btoa", `return { b: btoa("any carnal pleas"), a: atob("YW55IGNhcm5hbCBwbGVhcw") };`,
			`{"a":"any carnal pleas","b":"YW55IGNhcm5hbCBwbGVhcw=="}`},
		{"setTimeout ordering", `
const log = [];
setTimeout(() => { log.push("a"); setTimeout(() => log.push("c"), 0); Promise.resolve().then(() => log.push("a-micro")); }, 0);
setTimeout(() => log.push("b"), 0);
Promise.resolve().then(() => log.push("micro"));
queueMicrotask(() => log.push("queued"));
await new Promise((r) => setTimeout(r, 20));
return { log };`, `{"log":["micro","queued","a","a-micro","b","c"]}`},
		{"setInterval until cleared", `
let n = 0;
await new Promise((r) => { const id = setInterval(() => { if (++n === 3) { clearInterval(id); r(); } }, 1); });
return { n };`, `{"n":3}`},
		{"abort controller", `
const ac = new AbortController(); let heard = 0;
ac.signal.addEventListener("abort", () => heard++);
ac.abort(); ac.abort();
return { aborted: ac.signal.aborted, heard, reason: ac.signal.reason.name };`,
			`{"aborted":true,"heard":1,"reason":"AbortError"}`},
		{"performance.now starts near zero in every run", `
return { small: performance.now() < 1000, positive: performance.now() >= 0 };`, `{"positive":true,"small":true}`},
		{"getRandomValues fills the view only", `
const buf = new Uint8Array(64); const view = new Uint8Array(buf.buffer, 8, 16);
crypto.getRandomValues(view);
return { outside: buf.slice(0, 8).every((b) => b === 0) && buf.slice(24).every((b) => b === 0), uuid: crypto.randomUUID()[14] };`,
			`{"outside":true,"uuid":"4"}`},
		{"a module compiled on first use keeps the order of pending jobs", `
const log = [];
Promise.resolve().then(() => log.push("micro"));
log.push(new URL("https://a.example/").host);
await new Promise((r) => setTimeout(() => { log.push(btoa("x")); Promise.resolve().then(() => log.push("after")); r(); }, 1));
log.push(typeof structuredClone);
return { log };`, `{"log":["a.example","micro","eA==","after","function"]}`},
		{"BigInt.asUintN and asIntN", `
return { u: String(BigInt.asUintN(64, -1n)), i: String(BigInt.asIntN(64, 2n ** 64n - 1n)), u8: String(BigInt.asUintN(8, -255n)) };`,
			`{"i":"-1","u":"18446744073709551615","u8":"1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := jsOutputs(t, tc.code); got != tc.want {
				t.Errorf("outputs:\n%s", cmp.Diff(tc.want, got))
			}
		})
	}
}

func TestJavaScriptNeverSettlingPromiseEndsAtOnce(t *testing.T) {
	t.Parallel()
	// The timeout is far beyond what the test waits for: the run must end
	// because nothing can settle the promise, not at the deadline.
	for _, code := range []string{
		"await new Promise(() => {});",
		"setTimeout(() => {}, 1);\nawait new Promise(() => {});",
		"const ac = new AbortController();\nawait new Promise((r) => ac.signal.addEventListener('abort', r));",
	} {
		c := load(t, scriptDoc("javascript", code, "env:\n  resources:\n    timeout: 10m\n"))
		_, err := run(t, c, nil)
		re := wantCode(t, err, runtime.CodeGuestError)
		if !strings.Contains(re.Message, "waiting on a promise that nothing can settle") {
			t.Errorf("message = %q", re.Message)
		}
	}
}

func TestJavaScriptTimersThatRescheduleForeverEndAtTheDeadline(t *testing.T) {
	t.Parallel()
	c := load(t, scriptDoc("javascript", `
const again = () => setTimeout(again, 0);
again();
setInterval(() => {}, 1);
await new Promise(() => {});`, "env:\n  resources:\n    timeout: 1s\n"))
	_, err := run(t, c, nil)
	wantCode(t, err, runtime.CodeTimeout)
	stillWorks(t)
}

func TestJavaScriptUncaughtCallbackErrorFailsTheTask(t *testing.T) {
	t.Parallel()
	c := load(t, scriptDoc("javascript", `
setTimeout(() => { throw new RangeError("from a timer"); }, 1);
await new Promise((r) => setTimeout(r, 50));
return { unreachable: true };`, ""))
	_, err := run(t, c, nil)
	re := wantCode(t, err, runtime.CodeGuestError)
	if re.Message != "RangeError: from a timer" {
		t.Errorf("message = %q", re.Message)
	}
	if strings.Contains(re.Trace, "<enact>") || strings.Contains(re.Trace, "<loop>") {
		t.Errorf("the trace shows the runtime's own frames:\n%s", re.Trace)
	}
}

// TestJavaScriptWebAPIStateDoesNotLeak changes the new globals and their
// prototypes in one run and checks that the next run sees none of it.
func TestJavaScriptWebAPIStateDoesNotLeak(t *testing.T) {
	t.Parallel()
	e, err := runtime.New(runtime.Config{PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	const probe = `
const seen = {
  urlProto: URL.prototype.leak ?? null, encode: typeof TextEncoder.prototype.encode,
  consoleLog: typeof console.log, counted: null, cryptoUUID: typeof crypto.randomUUID,
  eventProto: Event.prototype.leak ?? null, timers: typeof setTimeout, atob: typeof atob,
  globalLeak: globalThis.leak ?? null,
};
URL.prototype.leak = 1; TextEncoder.prototype.encode = null; Event.prototype.leak = 2;
crypto.randomUUID = null; globalThis.leak = 3; setTimeout(() => {}, 100000);
return { seen };`
	c := load(t, scriptDoc("javascript", probe, ""))
	want := `{"seen":{"atob":"function","consoleLog":"function","counted":null,"cryptoUUID":"function","encode":"function","eventProto":null,"globalLeak":null,"timers":"function","urlProto":null}}`
	for i := range 3 {
		res, err := e.Run(t.Context(), c, nil)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if got := jsonOf(t, res.Outputs); got != want {
			t.Fatalf("run %d saw another run's changes:\n%s", i, cmp.Diff(want, got))
		}
	}
}

// TestInputsKeepTheCallersKeyOrder runs both languages with inputs whose
// keys are not sorted, nested too, through Engine.RunOrdered.
func TestInputsKeepTheCallersKeyOrder(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"zeta": 1, "alpha": {"y": 1, "b": 2, "list": [{"k2": 1, "k1": 2}]}, "mid": 3}`)
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	// MicroPython's dict does not keep insertion order, so only
	// JavaScript is checked end to end; TestOrderedJSON checks the text
	// both languages receive.
	for _, tc := range []struct{ lang, code string }{
		{"javascript", "return { top: Object.keys(inputs), nested: Object.keys(alpha), deep: Object.keys(alpha.list[0]) };"},
	} {
		c := load(t, scriptDoc(tc.lang, tc.code, `inputs:
  type: object
  properties:
    zeta: {type: integer}
    alpha: {type: object}
    mid: {type: integer}
    extra: {type: string, default: "d"}
`))
		res, err := engine(t).RunOrdered(t.Context(), c, in, runtime.KeyOrderOf(raw), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.lang, err)
		}
		want := `{"deep":["k2","k1"],"nested":["y","b","list"],"top":["zeta","alpha","mid","extra"]}`
		if got := jsonOf(t, res.Outputs); got != want {
			t.Errorf("%s:\n%s", tc.lang, cmp.Diff(want, got))
		}
	}
}

// TestHostileURLParsing feeds the URL parser a deterministic stream of
// odd inputs in one run: it must neither crash nor hang, and every input
// either parses to a URL that parses again to itself or throws TypeError.
// The run takes ~10 s of CPU; its time limit (5 minutes) leaves room for a
// machine under load, where 60 s was not enough, and still ends a hang.
func TestHostileURLParsing(t *testing.T) {
	t.Parallel()
	c := load(t, scriptDoc("javascript", `
const alphabet = ["a", "Z", "0", "9", ":", "/", "\\", "?", "#", "@", "[", "]", ".", "..", "%", "%2e", "%zz", " ", "\t", "\n", "\u0000", "é", "😀", "\ud800", "xn--", "[::1]", "0x", "255", "256", "http:", "file:", "//", "|", "^", "'", "\"", "<", ">", "&", "=", "+"];
let seed = 12345; const rnd = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
let parsed = 0, refused = 0, unstable = [];
for (let i = 0; i < 3000; i++) {
  let s = rnd(3) === 0 ? ["http://", "https://", "file:///", "mailto:", "x:", ""][rnd(6)] : "";
  for (let j = rnd(12); j > 0; j--) s += alphabet[rnd(alphabet.length)];
  const base = rnd(2) ? "http://h/p/q?x#y" : undefined;
  let u;
  try { u = new URL(s, base); parsed++; } catch (e) { if (!(e instanceof TypeError)) throw e; refused++; continue; }
  if (new URL(u.href).href !== u.href && unstable.length < 5) unstable.push([s, u.href, new URL(u.href).href]);
}
return { total: parsed + refused, unstable };`, "env:\n  resources:\n    timeout: 5m\n"))
	res := mustRun(t, c, nil)
	if got := jsonOf(t, res.Outputs); got != `{"total":3000,"unstable":[]}` {
		t.Errorf("outputs = %s", got)
	}
}

// TestHostileStructuredCloneOfAGrowingStructure ends at the memory limit.
func TestHostileStructuredCloneOfAGrowingStructure(t *testing.T) {
	t.Parallel()
	c := load(t, scriptDoc("javascript", `
let big = [new Map([[0, new Uint8Array(1 << 20)]])];
for (;;) big = big.concat(structuredClone(big));`,
		"env:\n  resources:\n    memory: 32MiB\n    timeout: 60s\n"))
	_, err := run(t, c, nil)
	wantCode(t, err, runtime.CodeMemoryLimit)
	stillWorks(t)
}

// BenchmarkJavaScriptWebAPIFirstUse measures a run that uses one of the
// web APIs compiled on first use (a fresh instance each run, pooled), next
// to a run that uses none: the difference is the module's compilation.
func BenchmarkJavaScriptWebAPIFirstUse(b *testing.B) {
	e, err := runtime.New(runtime.Config{PoolSize: 4})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	for _, bc := range []struct{ name, code string }{
		{"none", "return { n: 1 };"},
		{"console.log string", "console.log('hello', 'world');"},
		{"console.log object", "console.log({ a: 1, b: [1, 2] });"},
		{"setTimeout", "await new Promise((r) => setTimeout(r, 0));"},
		{"TextEncoder", "return { n: new TextEncoder().encode('héllo').length };"},
		{"URL", "return { h: new URL('https://example.com/a?b=1').host };"},
		{"crypto.randomUUID", "return { u: crypto.randomUUID() };"},
		{"structuredClone", "return { n: structuredClone({ a: [1] }).a[0] };"},
		{"Intl.NumberFormat", "return { s: (1234.5).toLocaleString('de-DE', { style: 'currency', currency: 'EUR' }) };"},
		{"1000 Intl.NumberFormat calls", "const f = new Intl.NumberFormat('en-US'); let s = ''; for (let i = 0; i < 1000; i++) s = f.format(i * 1.5); return { s };"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := load(b, scriptDoc("javascript", bc.code, ""))
			ctx := context.Background()
			for range 3 {
				if _, err := e.Run(ctx, c, nil); err != nil {
					b.Fatal(err)
				}
			}
			timed(b, func() error {
				_, err := e.Run(ctx, c, nil)
				return err
			})
		})
	}
}

// TestJavaScriptTracesNameTheDocument checks that an error's trace points
// into the capability document: file, line and column of the code.
func TestJavaScriptTracesNameTheDocument(t *testing.T) {
	t.Parallel()
	// scriptDoc puts the code's first line on line 9, indented by 6.
	// Columns are QuickJS's (which points near, not always at, the
	// expression) shifted by the indentation.
	for _, tc := range []struct{ code, want string }{
		{"const a = 1;\nmissing();", t.Name() + ".yaml:10:7"},
		{"const a = 1;\nconst b = a +;", t.Name() + ".yaml:10:"},
		{"function f() {\n  throw new Error('deep');\n}\nf();", "at f (" + t.Name() + ".yaml:10:"},
		{"function f() {\n  throw new Error('deep');\n}\nf();", t.Name() + ".yaml:12:7"},
	} {
		c := load(t, scriptDoc("javascript", tc.code, ""))
		_, err := run(t, c, nil)
		re := wantCode(t, err, runtime.CodeGuestError)
		if !strings.Contains(re.Trace, tc.want) {
			t.Errorf("%q: trace %q does not name %s", tc.code, re.Trace, tc.want)
		}
	}
}
