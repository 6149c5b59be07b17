package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/runtime"
)

// Hostile Python programs. They are written for the CPython engine: each
// asserts the code a run must end with and that the engine serves a
// normal run afterwards (stillWorks).

// pyRun runs one Python task with the given env block.
func pyRun(t *testing.T, code, extra string) (*runtime.Result, error) {
	t.Helper()
	return run(t, load(t, scriptDoc("python", code, extra)), nil)
}

// mustPyRun runs one Python task that must succeed and returns its result.
func mustPyRun(t *testing.T, code string) *runtime.Result {
	t.Helper()
	return mustRun(t, load(t, scriptDoc("python", code, "")), nil)
}

func TestPythonHostileLoopsEndAtTheDeadline(t *testing.T) {
	t.Parallel()
	endsWith(t, runtime.CodeTimeout, []hostileCase{
		{"while True", script("python", "while True:\n    pass", shortLimits)},
		{"loop inside C code", script("python", "import itertools\nsum(itertools.count())", shortLimits)},
		{"catastrophic regex", script("python", "import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')", shortLimits)},
		{"catches every exception", script("python", `
while True:
    try:
        while True:
            pass
    except BaseException:
        pass`, shortLimits)},
		{"loops again in finally", script("python", `
try:
    while True:
        pass
finally:
    while True:
        pass`, shortLimits)},
		{"sleeps forever", script("python", "import time\nwhile True:\n    time.sleep(0.01)", shortLimits)},
	})
	t.Run("the deadline is the capability's", func(t *testing.T) {
		t.Parallel()
		res, err := pyRun(t, "while True:\n    pass", shortLimits)
		wantCode(t, err, runtime.CodeTimeout)
		if res.Timeout != time.Second {
			t.Errorf("Result.Timeout = %s, want 1s", res.Timeout)
		}
	})
}

func TestPythonHostileMemoryBombsEndAtTheLimit(t *testing.T) {
	t.Parallel()
	limits := "env:\n  resources:\n    timeout: 60s\n    memory: 48MiB\n"
	endsWith(t, runtime.CodeMemoryLimit, []hostileCase{
		{"list of a billion", script("python", "x = [0] * 10**9\nreturn {'n': len(x)}", limits)},
		// 2**31 - 1 is the largest size a wasm32 CPython can ask for (2**31
		// is an OverflowError there, before any allocation).
		{"2 GiB of bytes", script("python", "b = b'x' * (2**31 - 1)\nreturn {'n': len(b)}", limits)},
		{"growing list of strings", script("python", "x = []\nwhile True:\n    x.append(str(len(x)) * 1000)", limits)},
		{"bytearray", script("python", "b = bytearray(1 << 30)\nreturn {'n': len(b)}", limits)},
		{"range materialised", script("python", "x = list(range(10**8))\nreturn {'n': len(x)}", limits)},
		{"dict growth", script("python", "d = {}\ni = 0\nwhile True:\n    d[i] = str(i)\n    i += 1", limits)},
	})
}

func TestPythonHostileRecursion(t *testing.T) {
	t.Parallel()
	t.Run("python recursion is a RecursionError", func(t *testing.T) {
		t.Parallel()
		_, err := pyRun(t, "def f():\n    return f()\nf()", "")
		re := wantCode(t, err, runtime.CodeGuestError)
		if !strings.HasPrefix(re.Message, "RecursionError") {
			t.Errorf("message = %q, want a RecursionError", re.Message)
		}
		stillWorks(t)
	})
	t.Run("mutual recursion through a method is a RecursionError", func(t *testing.T) {
		t.Parallel()
		_, err := pyRun(t, "class A:\n    def __repr__(self):\n        return repr(self)\nrepr(A())", "")
		re := wantCode(t, err, runtime.CodeGuestError)
		if !strings.HasPrefix(re.Message, "RecursionError") {
			t.Errorf("message = %q, want a RecursionError", re.Message)
		}
		stillWorks(t)
	})
	// Recursion in C code (the JSON encoder, the parser, repr of nested
	// containers) must end in a clean error: CPython's own limit
	// (guest_error) or the Wasm stack's end (trap), never a host crash.
	deep := "x = []\nfor _ in range(100000):\n    x = [x]\n"
	// slow: CPython itself spends over a second natively before giving up
	// (deepcopy's RecursionError), or grows a million frames; the deadline
	// may end them first, which is as clean an end.
	for _, tc := range []struct {
		name, code string
		slow       bool
	}{
		{"json.dumps of a deep list", deep + "import json\njson.dumps(x)", false},
		{"repr of a deep list", deep + "repr(x)", false},
		{"str of a deep dict", "d = {}\nfor _ in range(100000):\n    d = {'k': d}\nstr(d)", false},
		{"json.loads of deep brackets", "import json\njson.loads('[' * 100000 + ']' * 100000)", false},
		{"eval of deep parentheses", "eval('(' * 100000)", false},
		{"eval of deep unary minus", "eval('-' * 100000 + '1')", false},
		{"compile of a long sum", "compile('1' + '+1' * 100000, 'x', 'eval')", false},
		{"literal_eval of deep brackets", "import ast\nast.literal_eval('[' * 100000 + ']' * 100000)", false},
		{"deep copy", deep + "import copy\ncopy.deepcopy(x)", true},
		{"pickle of a deep list", deep + "import pickle\npickle.dumps(x)", false},
		{"raised recursion limit", "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)", true},
		{"raised recursion limit and C recursion", deep + "import sys, json\nsys.setrecursionlimit(10**6)\njson.dumps(x)", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			limits, codes := "env:\n  resources:\n    timeout: 60s\n", []string{runtime.CodeGuestError, runtime.CodeTrap, runtime.CodeMemoryLimit}
			if tc.slow {
				limits, codes = "env:\n  resources:\n    timeout: 3s\n", append(codes, runtime.CodeTimeout)
			}
			_, err := pyRun(t, tc.code, limits)
			if err == nil {
				t.Fatal("the run succeeded")
			}
			re := wantCodeIn(t, err, codes...)
			if re.Message == "" {
				t.Error("the error has no message")
			}
			stillWorks(t)
		})
	}
}

// wantCodeIn asserts that err is a *runtime.Error with one of codes.
func wantCodeIn(t testing.TB, err error, codes ...string) *runtime.Error {
	t.Helper()
	var re *runtime.Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *runtime.Error", err, err)
	}
	if !slices.Contains(codes, re.Code) {
		t.Fatalf("code = %q, want one of %q (error: %v)", re.Code, codes, err)
	}
	return re
}

func TestPythonHostileOutputFloodIsTruncated(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10 // the test engine's MaxOutput
	for _, tc := range []struct{ name, code string }{
		{"10 MB in lines", "line = 'x' * 1023\nfor i in range(10240):\n    print(line)\nreturn {'done': True}"},
		{"10 MB in one print", "print('x' * 10_000_000)\nreturn {'done': True}"},
		{"10 MB through sys.stdout.write", "import sys\nfor i in range(10000):\n    sys.stdout.write('y' * 1000)\nreturn {'done': True}"},
		{"10 MB to stderr", "import sys\nfor i in range(10000):\n    print('z' * 999, file=sys.stderr)\nreturn {'done': True}"},
		{"10 MB unflushed without newlines", "import sys\nsys.stdout.write('w' * 10_000_000)\nreturn {'done': True}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := pyRun(t, tc.code, "")
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := jsonOf(t, res.Outputs); got != `{"done":true}` {
				t.Errorf("outputs = %s", got)
			}
			wantTruncatedAt(t, res, limit)
			stillWorks(t)
		})
	}
}

// TestPythonHostileWorldIsUnavailable checks that what the sandbox does
// not have fails with an error that names the sandbox, of a type a Python
// program would expect for it.
func TestPythonHostileWorldIsUnavailable(t *testing.T) {
	t.Parallel()
	oserr := []string{"PermissionError", "OSError"}
	imperr := []string{"ModuleNotFoundError", "ImportError"}
	for _, tc := range []struct {
		name, code string
		types      []string
	}{
		{"open /etc/passwd", "open('/etc/passwd').read()", append(oserr, "FileNotFoundError")},
		{"open for writing", "open('x', 'w').write('data')", oserr},
		{"os.listdir", "import os\nos.listdir('/')", append(oserr, "FileNotFoundError")},
		{"os.remove", "import os\nos.remove('/etc/hosts')", append(oserr, "FileNotFoundError")},
		{"socket", "import socket\nsocket.socket()", append(oserr, imperr...)},
		{"socket.create_connection", "import socket\nsocket.create_connection(('example.com', 80))", append(oserr, imperr...)},
		{"urllib.request", "import urllib.request\nurllib.request.urlopen('http://example.com')", append(append(oserr, imperr...), "URLError")},
		{"subprocess", "import subprocess\nsubprocess.run(['ls'])", append(oserr, imperr...)},
		{"os.system", "import os\nos.system('ls')", append(append(oserr, imperr...), "AttributeError")},
		{"ctypes", "import ctypes", imperr},
		{"ssl", "import ssl", imperr},
		{"thread start", "import threading\nthreading.Thread(target=print).start()", append([]string{"RuntimeError"}, append(oserr, imperr...)...)},
		{"multiprocessing", "import multiprocessing\nmultiprocessing.Process(target=print).start()", append([]string{"RuntimeError"}, append(oserr, imperr...)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := pyRun(t, tc.code, "")
			re := wantCode(t, err, runtime.CodeGuestError)
			typ, _, _ := strings.Cut(re.Message, ":")
			if !slices.Contains(tc.types, typ) {
				t.Errorf("error type %q, want one of %v (message %q)", typ, tc.types, re.Message)
			}
			if !strings.Contains(strings.ToLower(re.Message), "sandbox") {
				t.Errorf("message %q does not say the sandbox has no such thing", re.Message)
			}
			if res.Output != "" {
				t.Errorf("printed %q", res.Output)
			}
			stillWorks(t)
		})
	}
}

// pyProbe reports every piece of interpreter state a previous run could
// have tampered with; a clean run prints "tampered: []".
const pyProbe = `
import sys, builtins, json, re, os, random, datetime, collections, gc
checks = {}
checks["json.dumps"] = json.dumps({"a": 1}) == '{"a": 1}'
checks["json.JSONEncoder.default"] = json.JSONEncoder.default.__qualname__ == "JSONEncoder.default"
checks["builtins.len"] = builtins.len is not None and len([1, 2]) == 2
checks["builtins.print"] = type(builtins.print).__name__ == "builtin_function_or_method" and builtins.print.__name__ == "print"
checks["builtins.planted"] = not hasattr(builtins, "planted")
checks["sys.modules evil"] = "evil" not in sys.modules
try:
    import evil_module_from_a_finder
    checks["meta_path"] = False
except ImportError:
    checks["meta_path"] = True
checks["global planted"] = "planted" not in globals()
checks["os.environ"] = dict(os.environ) == {}
checks["re.compile"] = re.compile("a").match("a") is not None
checks["re cache"] = re.match("a", "a") is not None and re.match("a", "b") is None
checks["datetime"] = datetime.datetime(2024, 1, 2).day == 2
checks["collections.Counter"] = collections.Counter("aab")["a"] == 2
checks["recursion limit"] = sys.getrecursionlimit() > 50
checks["int digits"] = sys.get_int_max_str_digits() == 4300
checks["stdout"] = sys.stdout is sys.__stdout__
checks["excepthook"] = sys.excepthook is sys.__excepthook__
checks["trace"] = sys.gettrace() is None and sys.getprofile() is None
checks["gc"] = gc.isenabled()
checks["random"] = random.random() != 0.13436424411240122
print("tampered:", sorted(k for k, ok in checks.items() if not ok))
`

func TestPythonHostileStateDoesNotSurvive(t *testing.T) {
	t.Parallel()
	probe := func(t *testing.T) {
		t.Helper()
		res, err := pyRun(t, pyProbe, "")
		if err != nil {
			t.Fatalf("probe: %v", err)
		}
		if res.Output != "tampered: []\n" {
			t.Errorf("probe printed %q", res.Output)
		}
	}
	// The probe passes on an untouched engine, or the test proves nothing.
	probe(t)
	for _, tc := range []struct{ name, code string }{
		{"json.dumps replaced", "import json\njson.dumps = None"},
		{"JSONEncoder.default replaced", "import json\njson.JSONEncoder.default = lambda self, o: 'leak'"},
		{"builtins.len replaced", "import builtins\nbuiltins.len = None"},
		{"builtins.print replaced", "import builtins\nbuiltins.print = lambda *a, **k: None"},
		{"builtin added", "import builtins\nbuiltins.planted = 1"},
		{"sys.modules entry", "import sys\nsys.modules['evil'] = type(sys)('evil')"},
		{"meta path finder", `
import sys, importlib.abc, importlib.util
class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.startswith("evil_"):
            return importlib.util.spec_from_loader(name, self)
        return None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        pass
sys.meta_path.insert(0, Finder())`},
		{"module global", "planted = 42\ndef f():\n    global planted2\n    planted2 = 1\nf()"},
		{"os.environ", "import os\nos.environ['SECRET'] = 'x'\nos.putenv('OTHER', 'y')"},
		{"re.compile replaced", "import re\nre.compile = None"},
		{"re cache poisoned", `
import re
bad = re.compile("b")
for name in ("_cache", "_cache2"):
    cache = getattr(re, name, None)
    if isinstance(cache, dict):
        cache[(str, "a", 0)] = bad`},
		{"datetime class replaced", "import datetime\ndatetime.datetime = None"},
		{"collections.Counter replaced", "import collections\ncollections.Counter = dict"},
		{"recursion limit lowered", "import sys\nsys.setrecursionlimit(50)"},
		{"int digits limit lifted", "import sys\nsys.set_int_max_str_digits(0)"},
		{"stdout replaced", "import sys, io\nsys.stdout = io.StringIO()"},
		{"excepthook replaced", "import sys\nsys.excepthook = lambda *a: None"},
		{"trace and profile hooks", "import sys\nsys.settrace(lambda *a: None)\nsys.setprofile(lambda *a: None)"},
		{"gc disabled", "import gc\ngc.disable()"},
		{"random seeded", "import random\nrandom.seed(1)"},
		{"atexit handler", "import atexit\natexit.register(print, 'leak')"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: each plant is followed by probes on the same
			// engine before the next plant.
			// The planting run may break itself (a runtime that encodes
			// the result with the guest's json module fails when json.dumps
			// is gone), but only as a guest error.
			if _, err := pyRun(t, tc.code, ""); err != nil {
				wantCode(t, err, runtime.CodeGuestError)
				t.Logf("planting run: %v", err)
			}
			for range 3 {
				probe(t)
			}
		})
	}
}

func TestPythonHostileRandomnessDiffersBetweenRuns(t *testing.T) {
	t.Parallel()
	const code = `
import random, os, secrets, uuid
return {"random": random.random(), "big": str(random.getrandbits(128)), "urandom": os.urandom(16).hex(), "token": secrets.token_hex(16), "uuid4": str(uuid.uuid4())}`
	seen := map[string]map[string]bool{}
	for range 3 {
		res := mustPyRun(t, code)
		for k, v := range res.Outputs {
			s := jsonOf(t, v)
			if seen[k] == nil {
				seen[k] = map[string]bool{}
			}
			if seen[k][s] {
				t.Errorf("%s repeated a value across runs: %s", k, s)
			}
			seen[k][s] = true
		}
	}
	if len(seen) != 5 {
		t.Errorf("outputs %v", seen)
	}
}

func TestPythonEnvironmentAndClock(t *testing.T) {
	t.Parallel()
	t.Run("os.environ is empty", func(t *testing.T) {
		t.Parallel()
		res := mustPyRun(t, "import os\nreturn {'environ': dict(os.environ), 'home': os.getenv('HOME'), 'path': os.environ.get('PATH')}")
		if got := jsonOf(t, res.Outputs); got != `{"environ":{},"home":null,"path":null}` {
			t.Errorf("outputs = %s", got)
		}
	})
	t.Run("time.time is the host's time", func(t *testing.T) {
		t.Parallel()
		before := time.Now()
		res := mustPyRun(t, "import time, datetime\nreturn {'t': time.time(), 'now': datetime.datetime.now(datetime.timezone.utc).isoformat(), 'ns': time.time_ns()}")
		after := time.Now()
		t0, err := res.Outputs["t"].(json.Number).Float64()
		if err != nil {
			t.Fatalf("t = %v: %v", res.Outputs["t"], err)
		}
		guest := time.Unix(0, int64(t0*1e9))
		// A few seconds either side: the guest's clock must be the host's
		// wall clock, not a frozen or zero one.
		if guest.Before(before.Add(-2*time.Second)) || guest.After(after.Add(2*time.Second)) {
			t.Errorf("guest time %s, host between %s and %s", guest, before, after)
		}
		now, err := time.Parse(time.RFC3339Nano, res.Outputs["now"].(string))
		if err != nil {
			t.Fatalf("now = %v: %v", res.Outputs["now"], err)
		}
		if now.Before(before.Add(-2*time.Second)) || now.After(after.Add(2*time.Second)) {
			t.Errorf("datetime.now %s, host between %s and %s", now, before, after)
		}
	})
	t.Run("time.sleep sleeps", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		res := mustPyRun(t, "import time\nt0 = time.monotonic()\ntime.sleep(0.05)\nreturn {'slept': time.monotonic() - t0}")
		slept, err := res.Outputs["slept"].(json.Number).Float64()
		if err != nil {
			t.Fatal(err)
		}
		// Sleeping less than asked is the bug this guards against (a no-op
		// nanosleep); the guest's monotonic clock may tick coarsely.
		if slept < 0.045 {
			t.Errorf("time.sleep(0.05) slept %.4f s by the guest's clock", slept)
		}
		if d := time.Since(start); d < 45*time.Millisecond {
			t.Errorf("the run took %s on the host, less than the sleep", d)
		}
	})
	t.Run("the clock moves between runs", func(t *testing.T) {
		t.Parallel()
		code := "import time\nreturn {'ns': str(time.time_ns()), 'mono': str(time.monotonic_ns())}"
		a, b := mustPyRun(t, code), mustPyRun(t, code)
		if a.Outputs["ns"] == b.Outputs["ns"] {
			t.Errorf("time.time_ns() gave %v twice", a.Outputs["ns"])
		}
	})
}

func TestPythonHostileExits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, code string
		codes      []string
	}{
		{"raise SystemExit(5)", "raise SystemExit(5)", []string{runtime.CodeGuestError}},
		{"sys.exit('message')", "import sys\nsys.exit('bad input')", []string{runtime.CodeGuestError}},
		{"raise KeyboardInterrupt", "raise KeyboardInterrupt", []string{runtime.CodeGuestError}},
		{"raise BaseException", "raise BaseException('base')", []string{runtime.CodeGuestError}},
		{"os._exit", "import os\nos._exit(3)", []string{runtime.CodeGuestError, runtime.CodeTrap}},
		{"os.abort", "import os\nos.abort()", []string{runtime.CodeGuestError, runtime.CodeTrap}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := pyRun(t, tc.code, "")
			wantCodeIn(t, err, tc.codes...)
			stillWorks(t)
		})
	}
}

// TestPythonRunsAreIndependentUnderLoad plants state and probes in
// parallel: isolation must not depend on runs being sequential.
func TestPythonRunsAreIndependentUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plant := load(t, scriptDoc("python", "import json, builtins\njson.dumps = None\nbuiltins.len = None\nplanted = 1", ""))
	probe := load(t, scriptDoc("python", pyProbe, ""))
	errs := make(chan string, 16)
	done := make(chan struct{})
	for i := range 16 {
		go func() {
			defer func() { done <- struct{}{} }()
			if i%2 == 0 {
				if _, err := engine(t).Run(ctx, plant, nil); err != nil {
					if re, ok := errors.AsType[*runtime.Error](err); !ok || re.Code != runtime.CodeGuestError {
						errs <- "plant: " + err.Error()
					}
				}
				return
			}
			res, err := engine(t).Run(ctx, probe, nil)
			switch {
			case err != nil:
				errs <- "probe: " + err.Error()
			case res.Output != "tampered: []\n":
				errs <- "probe printed " + res.Output
			}
		}()
	}
	for range 16 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
