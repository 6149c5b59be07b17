package plugins

import (
	"fmt"
	"slices"
	"strings"

	"github.com/enact-run/enact/capabilities"
)

// pythonModules are the modules MicroPython 1.27 (PyScript build) has built
// in, as its help("modules") lists them, minus the browser bridges (js,
// jsffi) and vfs, which have nothing behind them here. A Python task may
// declare any of them in dependencies.packages.
var pythonModules = setOf(
	"abc", "array", "asyncio", "base64", "binascii", "builtins", "cmath", "collections", "copy",
	"datetime", "deflate", "errno", "fnmatch", "framebuf", "functools", "gc", "gzip", "hashlib",
	"heapq", "hmac", "html", "inspect", "io", "itertools", "json", "locale", "logging", "math",
	"micropython", "operator", "os", "pathlib", "platform", "random", "re", "select", "stat",
	"string", "struct", "sys", "tarfile", "time", "types", "uctypes", "unittest", "uu", "zlib",
)

// checkDependencies refuses a script task whose dependencies the sandbox
// cannot satisfy, naming every missing package.
func checkDependencies(t capabilities.Task) error {
	if t.Dependencies == nil {
		return nil
	}
	if v := strings.TrimSpace(t.Dependencies.Version); v != "" && t.Language == "python" && !admitsPython3(v) {
		return fmt.Errorf("dependencies.version %q excludes Python 3, the only version the sandbox runs", v)
	}
	var missing []string
	for _, p := range t.Dependencies.Packages {
		if t.Language == "python" && pythonModules[p.Name] {
			continue
		}
		missing = append(missing, p.Name)
	}
	if len(missing) == 0 {
		return nil
	}
	have := "no packages: only the language's built-ins"
	if t.Language == "python" {
		names := make([]string, 0, len(pythonModules))
		for n := range pythonModules {
			names = append(names, n)
		}
		slices.Sort(names)
		have = "the MicroPython built-in modules " + strings.Join(names, ", ")
	}
	return fmt.Errorf("%w: %s (a %s task has %s)", ErrUnavailablePackages, strings.Join(missing, ", "), t.Language, have)
}

// admitsPython3 reports whether a version constraint such as ">=3.9,<4.0"
// admits some Python 3 release. MicroPython implements Python 3 syntax but
// does not track CPython's minor releases, so only the major version is
// judged.
func admitsPython3(constraint string) bool {
	for _, c := range strings.Split(constraint, ",") {
		c = strings.TrimSpace(c)
		op := strings.TrimRight(c, "0123456789.*")
		ver := strings.TrimSpace(c[len(op):])
		op = strings.TrimSpace(op)
		major := ver
		if i := strings.IndexByte(ver, '.'); i >= 0 {
			major = ver[:i]
		}
		rest := strings.TrimPrefix(ver, major)
		switch op {
		case "==", "", "~=", "===":
			if major != "3" {
				return false
			}
		case ">=":
			if major > "3" || len(major) > 1 {
				return false
			}
		case ">":
			if major > "3" || len(major) > 1 || (major == "3" && rest == "") {
				return false
			}
		case "<":
			if major < "3" || (major == "3" && strings.Trim(rest, ".0") == "") {
				return false
			}
		case "<=":
			if major < "3" {
				return false
			}
		}
	}
	return true
}
