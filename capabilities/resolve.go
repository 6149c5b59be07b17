package capabilities

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxCompositeDepth is how deep composites may nest: a composite whose
// steps run composites whose steps run composites … at most this many
// composites in one chain.
const MaxCompositeDepth = 8

// ErrUnresolved means a composite's imports have not been resolved (see
// Resolver); it cannot run or be granted anything until they are.
var ErrUnresolved = errors.New("capabilities: the composite's imports are not resolved")

// Resolver finds the capabilities a composite imports. Each import is
// looked for, by id and exact version, in this order: the directory of the
// composite's document (Capability.Dir), each of Dirs, the shipped examples
// and reference workflows (unless NoShipped), and last its bundle
// reference (Import.Ref) through Bundle. Imports that are composites are
// resolved the same way, from their own directory first. The zero value
// searches the composite's directory and the shipped set.
type Resolver struct {
	// Dirs are further directories of capability files (*.yaml, *.yml),
	// searched in order after the composite's own; not recursively.
	Dirs []string
	// NoShipped leaves the shipped set out of the search.
	NoShipped bool
	// Bundle loads the capability a bundle reference names; nil when this
	// runner cannot fetch bundles, and then an import found nowhere else
	// is unresolved.
	Bundle func(ref string) (*Capability, error)
}

// Resolved reports whether the capability can run as far as its imports
// go: atomic, or a composite whose imports (and theirs) are resolved.
func (c *Capability) Resolved() bool { return c.Type != "composite" || c.resolved != nil }

// Imported returns the capability a resolved composite imports under id,
// nil when there is none (or the composite is not resolved).
func (c *Capability) Imported(id string) *Capability { return c.resolved[id] }

// Resolve returns a copy of the composite c with every import resolved,
// checked and the whole graph validated: each import found with its exact
// version, nested composites resolved in turn, no composite importing
// itself through others, and no chain of composites deeper than
// MaxCompositeDepth. An atomic capability is returned as it is. Errors
// name the step whose capability failed.
func (r *Resolver) Resolve(c *Capability) (*Capability, error) {
	if c.Type != "composite" {
		return c, nil
	}
	rs := &resolving{r: r, dirs: map[string][]*Capability{}, broken: map[string][]string{}}
	return rs.resolve(c, []string{c.ID})
}

// resolving is one Resolve call: the directories it read.
type resolving struct {
	r      *Resolver
	dirs   map[string][]*Capability // directory → its capabilities
	broken map[string][]string      // directory → its files that do not load
}

func (rs *resolving) resolve(c *Capability, chain []string) (*Capability, error) {
	if len(chain) > MaxCompositeDepth {
		return nil, fmt.Errorf("composites nest deeper than the maximum depth of %d: %s", MaxCompositeDepth, strings.Join(chain, " → "))
	}
	cp := *c
	cp.resolved = map[string]*Capability{}
	var errs []string
	for _, im := range c.Imports {
		found, err := rs.find(c, im)
		if err == nil && found.Type == "composite" {
			for _, id := range chain {
				if id == found.ID {
					err = fmt.Errorf("import cycle: %s → %s", strings.Join(chain, " → "), found.ID)
				}
			}
			if err == nil {
				found, err = rs.resolve(found, append(chain[:len(chain):len(chain)], found.ID))
			}
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", stepsOf(c, im.ID), err))
			continue
		}
		cp.resolved[im.ID] = found
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %s", c.Name, strings.Join(errs, "; "))
	}
	return &cp, nil
}

// stepsOf names the steps that run the import id, for errors.
func stepsOf(c *Capability, id string) string {
	var names []string
	for _, s := range c.Flow.Steps {
		if s.Capability == id {
			names = append(names, fmt.Sprintf("%q", s.ID))
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("import %s (no step runs it)", id)
	}
	word := "step"
	if len(names) > 1 {
		word = "steps"
	}
	return fmt.Sprintf("%s %s (capability %s)", word, strings.Join(names, ", "), id)
}

// find looks for one import in the search order.
func (rs *resolving) find(c *Capability, im Import) (*Capability, error) {
	var versions []string
	var places []string
	if c.Dir != "" {
		places = append(places, c.Dir)
	}
	places = append(places, rs.r.Dirs...)
	for _, dir := range places {
		for _, cand := range rs.dir(dir) {
			if cand.ID != im.ID {
				continue
			}
			if cand.Version == im.Version {
				return cand, nil
			}
			versions = append(versions, fmt.Sprintf("%s in %s", orNone(cand.Version), cand.Name))
		}
	}
	if !rs.r.NoShipped {
		for _, set := range []map[string][]byte{Examples(), Workflows()} {
			names := make([]string, 0, len(set))
			for n := range set {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if strings.HasSuffix(n, ".policy.yaml") {
					continue
				}
				cand, err := Load(set[n], "shipped/"+n)
				if err != nil || cand.ID != im.ID {
					continue
				}
				if cand.Version == im.Version {
					return cand, nil
				}
				versions = append(versions, fmt.Sprintf("%s in %s", orNone(cand.Version), cand.Name))
			}
		}
	}
	if im.Ref != "" {
		if rs.r.Bundle == nil {
			return nil, fmt.Errorf("not found locally, and this runner cannot fetch bundle references yet (ref %s)", im.Ref)
		}
		cand, err := rs.r.Bundle(im.Ref)
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", im.Ref, err)
		}
		if cand.ID != im.ID || cand.Version != im.Version {
			return nil, fmt.Errorf("version mismatch: bundle %s holds %s %s, not %s %s", im.Ref, cand.ID, orNone(cand.Version), im.ID, im.Version)
		}
		return cand, nil
	}
	if len(versions) > 0 {
		return nil, fmt.Errorf("version mismatch: version %s is imported, found only version %s", im.Version, strings.Join(versions, ", "))
	}
	var broken []string
	for _, dir := range places {
		broken = append(broken, rs.broken[dir]...)
	}
	hint := ""
	if len(broken) > 0 {
		hint = fmt.Sprintf("; these files there do not load, validate them: %s", strings.Join(broken, ", "))
	}
	return nil, fmt.Errorf("unresolved import: no capability %s was found (searched %s)%s", im.ID, searched(places, rs.r.NoShipped), hint)
}

func orNone(v string) string {
	if v == "" {
		return "(none)"
	}
	return v
}

func searched(places []string, noShipped bool) string {
	s := append([]string(nil), places...)
	if !noShipped {
		s = append(s, "the shipped set")
	}
	if len(s) == 0 {
		return "nowhere"
	}
	return strings.Join(s, ", ")
}

// dir loads, once per Resolve, every capability file of a directory that
// loads; the others cannot be imported.
func (rs *resolving) dir(dir string) []*Capability {
	if cs, ok := rs.dirs[dir]; ok {
		return cs
	}
	var out []*Capability
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".policy.yaml") ||
			(!strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".yml")) {
			continue
		}
		if cand, err := LoadFile(filepath.Join(dir, n)); err == nil {
			out = append(out, cand)
		} else {
			rs.broken[dir] = append(rs.broken[dir], filepath.Join(dir, n))
		}
	}
	rs.dirs[dir] = out
	return out
}
