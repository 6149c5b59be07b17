package policy

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/enact-run/enact/internal/lazyre"
)

// RoleAuditor is the role, given in the actors section, that reads every
// actor's runs and receipts (HTTP, MCP and the Go API); any other actor
// reads only its own.
const RoleAuditor = "auditor"

// Auditor reports whether the actors section gives email the auditor
// role. A nil policy gives it to nobody.
func (p *Policy) Auditor(email string) bool {
	if p == nil || strings.TrimSpace(email) == "" {
		return false
	}
	return slices.Contains(p.Roles(email), RoleAuditor)
}

// KVShare is a kv namespace that several capabilities share: each of them
// reads and writes the same keys under Namespace, where otherwise every
// capability has namespaces of its own.
type KVShare struct {
	Namespace    string
	Capabilities []string
}

// KVShared returns a copy of the kv section's shared namespaces, in file
// order; nil when there are none.
func (p *Policy) KVShared() []KVShare {
	if p == nil || len(p.kvShared) == 0 {
		return nil
	}
	out := make([]KVShare, len(p.kvShared))
	for i, s := range p.kvShared {
		out[i] = KVShare{Namespace: s.Namespace, Capabilities: slices.Clone(s.Capabilities)}
	}
	return out
}

// kvNamespaceRE is the kv connector's namespace syntax.
var kvNamespaceRE = lazyre.New(`^[A-Za-z0-9_.-]{1,64}$`)

// kv reads the kv section: {shared: [{namespace, capabilities: [id…]}]}.
func (d *decoder) kv(n *yaml.Node) []KVShare {
	fs, ok := d.fields(n, "kv", "shared")
	if !ok {
		return nil
	}
	f, has := fs["shared"]
	if !has {
		return nil
	}
	items, ok := d.list(f.val, "kv.shared")
	if !ok {
		return nil
	}
	var out []KVShare
	seen := map[string]bool{}
	for i, it := range items {
		what := fmt.Sprintf("kv.shared[%d]", i)
		fs, ok := d.fields(it, what, "namespace", "capabilities")
		if !ok {
			continue
		}
		fns, hasNS := fs["namespace"]
		fcaps, hasCaps := fs["capabilities"]
		if !hasNS || !hasCaps {
			d.failf(it, "%s: namespace and capabilities are required", what)
			continue
		}
		ns, ok := d.nonEmpty(fns.val, what+".namespace")
		if !ok {
			continue
		}
		if !kvNamespaceRE.MatchString(ns) {
			d.failf(fns.val, "%s.namespace: %q is not a kv namespace (1 to 64 letters, digits, _ . -)", what, ns)
			continue
		}
		if seen[ns] {
			d.failf(fns.val, "%s.namespace: %q is already shared above; list every capability in one entry", what, ns)
			continue
		}
		caps, ok := d.strings(fcaps.val, what+".capabilities")
		if !ok {
			continue
		}
		if len(caps) == 0 {
			d.failf(fcaps.val, "%s.capabilities: list the capability ids that share %q", what, ns)
			continue
		}
		bad := false
		for j, c := range caps {
			if strings.TrimSpace(c) == "" || strings.Contains(c, "*") {
				d.failf(fcaps.val, "%s.capabilities[%d]: %q is not a capability id (no globs: name each capability)", what, j, c)
				bad = true
			}
		}
		if bad {
			continue
		}
		seen[ns] = true
		out = append(out, KVShare{Namespace: ns, Capabilities: caps})
	}
	return out
}
