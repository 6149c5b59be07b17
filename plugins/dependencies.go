package plugins

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/enact-run/enact/capabilities"
)

// PythonVersion is the version of the CPython engine.
const PythonVersion = "3.13.5"

// pythonBuiltinModules are the modules compiled into the CPython engine (its
// sys.builtin_module_names) that a task may import by name; the rest of
// what it can import is in the standard library archive.
var pythonBuiltinModules = setOf(
	"array", "binascii", "builtins", "cmath", "errno", "faulthandler", "gc", "itertools", "marshal",
	"math", "posix", "select", "sys", "time", "unicodedata", "zlib", "pyexpat", "_socket", "_struct",
	"_json", "_random", "_datetime", "_decimal", "_pickle", "_csv", "_heapq", "_bisect", "_md5",
	"_sha1", "_sha2", "_sha3", "_blake2", "_statistics", "_zoneinfo", "_contextvars", "_asyncio",
	"_queue", "_opcode", "_elementtree", "atexit",
)

// pythonRefused are standard modules the sandbox refuses to import (their
// native part is absent or their purpose is refused); they are not
// available even though the archive may hold their Python part.
var pythonRefused = setOf(
	"ctypes", "ssl", "multiprocessing", "sqlite3", "bz2", "lzma", "readline", "curses", "tkinter",
	"dbm", "mmap", "fcntl", "pwd", "grp", "resource", "termios", "idlelib", "test", "turtle",
	"turtledemo", "ensurepip", "venv", "lib2to3",
)

var pythonAvailable struct {
	once  sync.Once
	names map[string]bool
}

// PythonModules lists the top-level modules a Python task can import:
// the engine's built-in modules and the standard library archive's
// modules and packages, minus what the sandbox refuses. Private modules
// (a leading underscore) are left out.
func PythonModules() []string {
	names := pythonModuleSet()
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func pythonModuleSet() map[string]bool {
	pythonAvailable.once.Do(func() {
		names := map[string]bool{}
		for n := range pythonBuiltinModules {
			names[n] = true
		}
		if zr, err := PythonStdlib(); err == nil {
			const dir = "lib/python3.13/"
			for _, f := range zr.File {
				rel, ok := strings.CutPrefix(f.Name, dir)
				if !ok {
					continue
				}
				top, _, isPkg := strings.Cut(rel, "/")
				if isPkg {
					names[top] = true
				} else if ext := path.Ext(top); ext == ".pyc" {
					names[strings.TrimSuffix(top, ext)] = true
				}
			}
		}
		for n := range names {
			if strings.HasPrefix(n, "_") || pythonRefused[n] {
				delete(names, n)
			}
		}
		pythonAvailable.names = names
	})
	return pythonAvailable.names
}

// checkDependencies refuses a script task whose dependencies the sandbox
// cannot satisfy, naming every missing package.
func checkDependencies(t capabilities.Task) error {
	if t.Dependencies == nil {
		return nil
	}
	if v := strings.TrimSpace(t.Dependencies.Version); v != "" && t.Language == "python" {
		if err := admitsVersion(v, PythonVersion); err != nil {
			return fmt.Errorf("dependencies.version %q excludes Python %s, the version the sandbox runs: %v", v, PythonVersion, err)
		}
	}
	var missing []string
	for _, p := range t.Dependencies.Packages {
		if t.Language == "python" && pythonModuleSet()[p.Name] {
			continue
		}
		missing = append(missing, p.Name)
	}
	if len(missing) == 0 {
		return nil
	}
	have := "no packages: only the language's built-ins"
	if t.Language == "python" {
		have = fmt.Sprintf("Python %s's standard library (%d importable modules) and nothing installed beside it", PythonVersion, len(pythonModuleSet()))
	}
	return fmt.Errorf("%w: %s (a %s task has %s)", ErrUnavailablePackages, strings.Join(missing, ", "), t.Language, have)
}

// admitsVersion checks a version constraint such as ">=3.9,<4.0",
// "~=3.11" or "==3.13.*" against a release: nil when the release
// satisfies every clause, else an error naming the first clause it fails.
func admitsVersion(constraint, release string) error {
	rel := versionParts(release)
	for _, c := range strings.Split(constraint, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		op := strings.TrimRight(c, "0123456789.* ")
		ver := strings.TrimSpace(c[len(op):])
		op = strings.TrimSpace(op)
		wildcard := strings.HasSuffix(ver, ".*")
		want := versionParts(strings.TrimSuffix(ver, ".*"))
		if len(want) == 0 {
			return fmt.Errorf("clause %q has no version", c)
		}
		cmp := compareVersions(rel, want)
		prefix := compareVersions(rel[:min(len(want), len(rel))], want) == 0
		ok := true
		switch op {
		case "==", "===", "":
			ok = cmp == 0 || (wildcard && prefix)
		case "!=":
			ok = !(cmp == 0 || (wildcard && prefix))
		case ">=":
			ok = cmp >= 0
		case ">":
			ok = cmp > 0
		case "<":
			ok = cmp < 0
		case "<=":
			ok = cmp <= 0
		case "~=":
			// ~=X.Y means >=X.Y and ==X.*; ~=X.Y.Z means >=X.Y.Z and ==X.Y.*.
			if len(want) < 2 {
				return fmt.Errorf("clause %q: ~= needs at least two version parts", c)
			}
			ok = cmp >= 0 && compareVersions(rel[:min(len(want)-1, len(rel))], want[:len(want)-1]) == 0
		default:
			return fmt.Errorf("clause %q has an unknown operator %q", c, op)
		}
		if !ok {
			return fmt.Errorf("%s does not satisfy %q", release, c)
		}
	}
	return nil
}

func versionParts(v string) []int {
	var parts []int
	for _, p := range strings.Split(strings.TrimSpace(v), ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			break
		}
		parts = append(parts, n)
	}
	return parts
}

// compareVersions compares numeric versions, missing parts counting as 0.
func compareVersions(a, b []int) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
