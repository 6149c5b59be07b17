package runtime_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/internal/testcache"
	"github.com/enact-run/enact/runtime"
)

// canaryFiles writes a file and a module next to it, each holding a
// canary string no run may ever show: the file's text, and a module that
// would print it if anything ever loaded it. It returns the canary, the
// directory and the file's path.
func canaryFiles(t *testing.T) (canary, dir, file string) {
	t.Helper()
	canary = fmt.Sprintf("enact-canary-%d", time.Now().UnixNano())
	dir = t.TempDir()
	file = filepath.Join(dir, "secret.txt")
	for name, text := range map[string]string{
		"secret.txt":    canary,
		"mod.js":        `print("` + canary + `"); export default "` + canary + `";`,
		"mod.json":      `{"c": "` + canary + `"}`,
		"enact_mod.py":  `print("` + canary + `")`,
		"enact_mod.mpy": canary,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return canary, dir, file
}

// moduleCase is one attempt to reach a module or file from a script: it
// either fails the run with code and a message containing msg, or
// returns outputs equal to out.
type moduleCase struct {
	name, src     string
	code, msg     string
	out, notPrint string
}

// refused is the run's error for an import the sandbox refuses.
func refused(spec string) string {
	return fmt.Sprintf("ReferenceError: import of %q is not allowed in the sandbox: capabilities reach the world only through enact", spec)
}

// checkModuleCase runs a case and asserts its outcome, and that the
// canary appears nowhere in what the run gave back.
func checkModuleCase(t *testing.T, e *runtime.Engine, lang string, tc moduleCase, extra, canary, dir, file string) *runtime.Result {
	t.Helper()
	c := load(t, scriptDoc(lang, tc.src, extra))
	res, err := e.Run(context.Background(), c, map[string]any{"canary_dir": dir, "canary_file": file})
	var seen strings.Builder
	if res != nil {
		seen.WriteString(jsonOf(t, res.Outputs) + res.Output)
	}
	if tc.code != "" {
		re := wantCode(t, err, tc.code)
		if !strings.Contains(re.Message, tc.msg) {
			t.Errorf("message %q does not contain %q", re.Message, tc.msg)
		}
		seen.WriteString(re.Message + re.Trace)
	} else {
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if got := jsonOf(t, res.Outputs); got != tc.out {
			t.Errorf("outputs = %s, want %s", got, tc.out)
		}
	}
	if strings.Contains(seen.String(), canary) {
		t.Errorf("the run reached the canary file: %s", seen.String())
	}
	if tc.notPrint != "" && res != nil && strings.Contains(res.Output, tc.notPrint) {
		t.Errorf("printed %q after the task ended: %q", tc.notPrint, res.Output)
	}
	return res
}

// QuickJS-NG's own modules (qjs:std, qjs:os, qjs:bjson) and every other
// specifier are refused by the module loader, whatever the route to
// import, and on every way an instance is started: the engine's own
// start-up, a restored start-up snapshot, and a pooled instance.
func TestHostileJSModules(t *testing.T) {
	t.Parallel()
	canary, dir, file := canaryFiles(t)
	const caught = `{"r":"refused"}`
	imp := func(spec string) moduleCase {
		return moduleCase{name: "import " + spec, src: "await import(" + jsQuote(spec) + ");\nreturn { r: 'loaded' };", code: runtime.CodeGuestError}
	}
	cases := []moduleCase{}
	for _, spec := range []string{"qjs:std", "qjs:os", "qjs:bjson", "<init_global>", "std", "os", "bjson", "qjs", "",
		"/etc/passwd", "file:///etc/passwd", "data:text/javascript,export default 1", "https://example.com/x.js", "../x", "../../etc/passwd"} {
		tc := imp(spec)
		tc.msg = refused(spec)
		cases = append(cases, tc)
	}
	// Relative specifiers are named as the engine resolved them, and a
	// specifier is read up to a NUL.
	for spec, resolved := range map[string]string{"./x.js": "x.js", "./qjs:std": "qjs:std", "./../x": "../x", "qjs:std\x00.js": "qjs:std"} {
		tc := imp(spec)
		tc.msg = refused(resolved)
		cases = append(cases, tc)
	}
	cases = append(cases, []moduleCase{
		// A real module and a real JSON file on the host, by absolute path.
		{name: "host module by path", src: "await import(inputs.canary_dir + '/mod.js');", code: runtime.CodeGuestError, msg: "is not allowed in the sandbox"},
		{name: "host JSON by path", src: "await import(inputs.canary_dir + '/mod.json');", code: runtime.CodeGuestError, msg: "is not allowed in the sandbox"},
		// Every route to import().
		{name: "computed specifier", src: "const p = ['qjs', 'std'].join(':');\nawait import(p);", code: runtime.CodeGuestError, msg: refused("qjs:std")},
		{name: "specifier object", src: "await import({ toString() { return 'qjs:os'; } });", code: runtime.CodeGuestError, msg: refused("qjs:os")},
		{name: "eval", src: `await eval("import('qjs:os')");`, code: runtime.CodeGuestError, msg: refused("qjs:os")},
		{name: "indirect eval", src: `await (0, eval)("import('qjs:std')");`, code: runtime.CodeGuestError, msg: refused("qjs:std")},
		{name: "new Function", src: `await new Function("return import('qjs:bjson')")();`, code: runtime.CodeGuestError, msg: refused("qjs:bjson")},
		{name: "in a microtask", src: "await new Promise((ok, no) => queueMicrotask(() => import('qjs:os').then(ok, no)));", code: runtime.CodeGuestError, msg: refused("qjs:os")},
		{name: "caught, engine's own error", src: "try { await import('qjs:std'); return { r: 'loaded' }; }\ncatch (e) { return { r: e instanceof ReferenceError && e.message === \"could not load module 'qjs:std'\" ? 'refused' : String(e) }; }", out: caught},
		{name: "twice, no cached namespace", src: "const rs = await Promise.allSettled([import('qjs:std'), import('qjs:std'), import('<init_global>')]);\nreturn { r: rs.every((x) => x.status === 'rejected') ? 'refused' : 'loaded' };", out: caught},
		// Static import and import.meta exist only in modules; a task never is one.
		{name: "static import", src: `import * as std from "qjs:std";`, code: runtime.CodeGuestError, msg: "SyntaxError"},
		{name: "static import in eval", src: `eval('import * as os from "qjs:os"');`, code: runtime.CodeGuestError, msg: "SyntaxError"},
		{name: "static import in new Function", src: `new Function('import * as os from "qjs:os"');`, code: runtime.CodeGuestError, msg: "SyntaxError"},
		{name: "import.meta", src: "return { r: import.meta.url };", code: runtime.CodeGuestError, msg: "SyntaxError"},
		// What the modules would do, reached through them: nothing runs.
		{name: "std.loadFile", src: "const std = await import('qjs:std');\nreturn { r: std.loadFile(inputs.canary_file) };", code: runtime.CodeGuestError, msg: refused("qjs:std")},
		{name: "std.evalScript", src: "const std = await import('qjs:std');\nreturn { r: std.evalScript('1 + 1') };", code: runtime.CodeGuestError, msg: refused("qjs:std")},
		{name: "std.exit", src: "(await import('qjs:std')).exit(3);", code: runtime.CodeGuestError, msg: refused("qjs:std")},
		{name: "os.readdir", src: "const os = await import('qjs:os');\nreturn { r: JSON.stringify(os.readdir(inputs.canary_dir)) };", code: runtime.CodeGuestError, msg: refused("qjs:os")},
		{name: "os.Worker", src: "const os = await import('qjs:os');\nnew os.Worker(inputs.canary_dir + '/mod.js');", code: runtime.CodeGuestError, msg: refused("qjs:os")},
		{name: "bjson.read", src: "const b = await import('qjs:bjson');\nreturn { r: String(b.read(new Uint8Array([1, 2, 3]).buffer, 0, 3)) };", code: runtime.CodeGuestError, msg: refused("qjs:bjson")},
		{name: "timer scheduled to fire after the run", src: "import('qjs:os').then((os) => os.setTimeout(() => print('late'), 0), () => {});\nreturn { r: String(setTimeout).includes('addTimer') ? 'refused' : 'timers' };", out: caught, notPrint: "late"},
		// The globals the engine's start-up made are gone, by every name;
		// the timers are the sandbox's own (js/webapi.js).
		{name: "globals", src: "return { r: [typeof std, typeof os, typeof bjson, typeof scriptArgs, typeof __loadScript, typeof QJS_PROXY_VALUE, typeof __enact_host, typeof __enact_sys].join() };",
			out: `{"r":"undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined"}`},
		{name: "globals through Reflect", src: "const names = ['std', 'os', 'bjson', 'scriptArgs', '__loadScript', '__enact_sys'];\nreturn { r: names.filter((k) => Reflect.has(globalThis, k) || Object.getOwnPropertyNames(globalThis).includes(k) || Reflect.get(globalThis, k) !== undefined).join() };", out: `{"r":""}`},
		// What is left prints to the captured output, nothing more.
		{name: "print and console", src: "print('p'); console.log('c');\nreturn { r: 'refused' };", out: caught},
	}...)

	// The shared engine restores its snapshot; two more, on the test
	// binaries' shared compilation cache (QuickJS compiled once, not
	// again for this test), start instances afresh and from a pool.
	engines := map[string]*runtime.Engine{"snapshot": engine(t)}
	cache := testcache.Dir()
	for _, mode := range []string{"start-up", "pooled"} {
		e, err := runtime.New(runtime.Config{CacheDir: cache, PoolSize: map[string]int{"pooled": 2}[mode]})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close(context.Background()) })
		if err := e.Warm(context.Background(), "javascript"); err != nil {
			t.Fatal(err)
		}
		engines[mode] = e
	}
	// start-up: each case has a memory limit of its own, so its instance
	// is started by the engine's own start-up, not restored from a
	// snapshot; snapshot: the engine's start-up snapshot, restored;
	// pooled: instances prepared ahead by a pool.
	t.Run("modes", func(t *testing.T) {
		for _, mode := range []string{"start-up", "snapshot", "pooled"} {
			t.Run(mode, func(t *testing.T) {
				t.Parallel()
				e, ranPooled := engines[mode], 0
				for i, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						extra := "env:\n  resources:\n    timeout: 10s\n"
						if mode == "start-up" {
							extra += fmt.Sprintf("    memory: %dMiB\n", 100+i)
						}
						res := checkModuleCase(t, e, "javascript", tc, extra, canary, dir, file)
						if res != nil && len(res.Tasks) == 1 && res.Tasks[0].Pooled {
							ranPooled++
						}
						if tc.name == "print and console" && res != nil && res.Output != "p\nc\n" {
							t.Errorf("output = %q", res.Output)
						}
					})
				}
				if mode == "pooled" && ranPooled == 0 {
					t.Error("no case ran on a pooled instance")
				}
			})
		}
	})
	stillWorks(t)
}

// jsQuote quotes a string as a JavaScript string literal.
func jsQuote(s string) string {
	return fmt.Sprintf("%q", s)
}

// What CPython could use to reach the world is refused, with errors that
// name the sandbox: files and directories outside the read-only standard
// library, the network, processes, threads, native code, the environment.
func TestHostilePythonModules(t *testing.T) {
	t.Parallel()
	canary, dir, file := canaryFiles(t)
	e := engine(t)
	const denied = `{"r":"PermissionError"}`
	try := func(stmt string) string {
		return "try:\n    " + stmt + "\n    return {'r': 'reached'}\nexcept Exception as e:\n    return {'r': type(e).__name__}"
	}
	cases := []moduleCase{
		{name: "open", src: try("open(inputs['canary_file']).read()"), out: denied},
		{name: "open for writing", src: try("open(inputs['canary_dir'] + '/new.txt', 'w').write('x')"), out: denied},
		{name: "io.open", src: "import io\n" + try("io.open(inputs['canary_file']).read()"), out: denied},
		{name: "os.open", src: "import os\n" + try("os.read(os.open(inputs['canary_file'], os.O_RDONLY), 10)"), out: denied},
		{name: "pathlib", src: "import pathlib\n" + try("pathlib.Path(inputs['canary_file']).read_text()"), out: denied},
		{name: "os.listdir", src: "import os\n" + try("os.listdir(inputs['canary_dir'])"), out: denied},
		{name: "os.listdir root", src: "import os\n" + try("os.listdir('/')"), out: denied},
		{name: "os.scandir", src: "import os\n" + try("list(os.scandir(inputs['canary_dir']))"), out: denied},
		{name: "os.stat", src: "import os\n" + try("os.stat(inputs['canary_file'])"), out: denied},
		{name: "os.chdir", src: "import os\n" + try("os.chdir(inputs['canary_dir'])"), out: denied},
		{name: "os.mkdir", src: "import os\n" + try("os.mkdir(inputs['canary_dir'] + '/d')"), out: denied},
		{name: "os.remove", src: "import os\n" + try("os.remove(inputs['canary_file'])"), out: denied},
		{name: "os.rename", src: "import os\n" + try("os.rename(inputs['canary_file'], inputs['canary_dir'] + '/moved')"), out: denied},
		{name: "the standard library is read-only", src: try("open('/usr/local/lib/python3.13/os.pyc', 'wb')"), out: denied},
		{name: "the standard library cannot be removed", src: "import os\n" + try("os.remove('/usr/local/lib/python3.13/os.pyc')"), out: `{"r":"OSError"}`},
		{name: "the standard library can be read", src: "return {'r': len(open('/usr/local/lib/python3.13/os.pyc', 'rb').read()) > 1000}", out: `{"r":true}`},
		{name: "escape from the mount", src: try("open('/usr/local/lib/../../../etc/passwd').read()"), out: denied},
		{name: "no environment, arguments or input", src: "import os, sys\nreturn {'r': [dict(os.environ), sys.argv, sys.stdin.read()]}",
			out: `{"r":[{},[""],""]}`},
		{name: "a module file on the host", src: "import sys\nsys.path.insert(0, inputs['canary_dir'])\n" + try("import enact_mod"), out: `{"r":"ModuleNotFoundError"}`},
		{name: "socket", src: "import socket\n" + try("socket.socket()"), out: denied},
		{name: "socket.create_connection", src: "import socket\n" + try("socket.create_connection(('127.0.0.1', 80))"), out: denied},
		{name: "_socket", src: "import _socket\n" + try("_socket.socket().connect(('127.0.0.1', 80))"), out: `{"r":"OSError"}`},
		{name: "urllib", src: "import urllib.request\n" + try("urllib.request.urlopen('http://127.0.0.1/')"), out: `{"r":"URLError"}`},
		{name: "subprocess", src: "import subprocess\n" + try("subprocess.run(['ls'])"), out: denied},
		{name: "os.system", src: "import os\n" + try("os.system('ls')"), out: denied},
		{name: "threads", src: "import threading\n" + try("threading.Thread(target=print).start()"), out: `{"r":"RuntimeError"}`},
		{name: "_thread", src: "import _thread\n" + try("_thread.start_new_thread(print, ())"), out: `{"r":"RuntimeError"}`},
		{name: "ctypes", src: "import ctypes", code: runtime.CodeGuestError, msg: "ctypes is not available in the Enact sandbox"},
		{name: "ssl", src: "import ssl", code: runtime.CodeGuestError, msg: "ssl is not available in the Enact sandbox"},
		{name: "multiprocessing", src: try("import multiprocessing"), out: `{"r":"ModuleNotFoundError"}`},
		{name: "the host entry point takes a str", src: "import _enact\n" + try("_enact.call(1)"), out: `{"r":"TypeError"}`},
		{name: "sys.exit", src: "import sys\nsys.exit(3)", code: runtime.CodeGuestError, msg: "SystemExit: 3"},
		{name: "os._exit", src: "import os\nos._exit(3)", code: runtime.CodeTrap},
	}
	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				checkModuleCase(t, e, "python", tc, "env:\n  resources:\n    timeout: 10s\n", canary, dir, file)
			})
		}
	})
	stillWorks(t)
}
