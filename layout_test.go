package enact_test

import (
	"os/exec"
	"strings"
	"testing"
)

// allowed is the design's dependency table: which Enact packages each
// package may import. Data flows one way: CLI → capabilities → runtime →
// hostfns → policy / connectors / receipts.
var allowed = map[string][]string{
	"capabilities":          {"internal/lazyre"},
	"policy":                {"capabilities", "internal/lazyre"},
	"receipts":              {"internal/crashpoint", "internal/lazyre", "internal/bounds"},
	"hostfns":               {"capabilities", "policy", "receipts", "internal/crashpoint", "internal/lazyre", "internal/bounds"},
	"hostfns/postgres":      {"hostfns"},
	"hostfns/kv":            {"hostfns"},
	"hostfns/connectortest": {"hostfns"},
	"hostfns/github":        {"hostfns", "internal/lazyre"},
	"hostfns/hubspot":       {"hostfns", "internal/lazyre"},
	"plugins":               {"capabilities"},
	"plugins/pdk":           {},
	"plugins/bundle":        {"capabilities", "plugins"},
	"plugins/registry":      {"plugins/bundle"},
	"internal/registrytest": {},
	"runtime":               {"capabilities", "plugins", "hostfns", "internal/lazyre"},
	"internal/pgtest":       {},
	"internal/crashpoint":   {},
	"internal/teststate":    {"receipts", "hostfns/kv"},
	"internal/wasmtest":     {},
	"internal/testcache":    {},
	"internal/lazyre":       {},
	"internal/initgc":       {},
	"internal/bounds":       {},
}

const module = "github.com/enact-run/enact"

func TestPackagesImportOnlyWhatTheDesignAllows(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		if pkg == "" || strings.HasPrefix(pkg, "cmd/") {
			continue // the root API and the CLI may import everything
		}
		owner := pkg
		for owner != "" {
			if _, ok := allowed[owner]; ok {
				break
			}
			if i := strings.LastIndex(owner, "/"); i >= 0 {
				owner = owner[:i]
			} else {
				owner = ""
			}
		}
		if owner == "" {
			t.Errorf("package %s is not in the design's layout table", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if dep == owner || strings.HasPrefix(dep, owner+"/") {
				continue // its own subpackages
			}
			ok := false
			for _, a := range allowed[owner] {
				if dep == a || strings.HasPrefix(dep, a+"/internal") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s imports %s, which the design does not allow", pkg, dep)
			}
		}
	}
}
