package mcpserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
)

const (
	// IdempotencyKeyArgument is the reserved tool argument that carries the
	// run's idempotency key.
	IdempotencyKeyArgument = "_enact_idempotency_key"
	// IdempotencyKeyMeta is the request metadata key (params._meta) that
	// carries the run's idempotency key.
	IdempotencyKeyMeta = "enact/idempotency_key"
	// Metadata keys of a tool result.
	MetaStatus    = "enact/status"
	MetaReceiptID = "enact/receipt_id"
	MetaErrorCode = "enact/error_code"
	// MetaSteps holds a composite's steps: id, capability, status, and
	// each one's own run id and receipt hash.
	MetaSteps = "enact/steps"
	// MetaReport holds the run report (package report: the shape of
	// "enact-run run --json" and of the HTTP API's run responses), without
	// the receipt envelope, which is the resource enact://receipts/{run_id}.
	MetaReport = "enact/report"
	// MetaApprovalID holds the approval request of a run held for
	// approval (status PENDING).
	MetaApprovalID = "enact/approval_id"

	maxNameLen         = 64
	hashSuffixLen      = 8
	maxIdempotencyKey  = 256
	draft202012        = "https://json-schema.org/draft/2020-12/schema"
	idempotencyKeyDesc = "Optional. Enact idempotency key: a retry of this call with the same key is deduplicated by the runtime instead of acting twice."
)

// tool is one capability prepared for serving.
type tool struct {
	cap  *capabilities.Capability
	name string
	def  *mcp.Tool
	// reservedKey is false when the capability declares an input named
	// IdempotencyKeyArgument itself.
	reservedKey bool
	// fingerprint changes when anything a client sees changes.
	fingerprint string
}

// baseName maps an id to [a-zA-Z0-9_-] and cuts it to 64 bytes.
func baseName(id string) string {
	var b strings.Builder
	for _, r := range id {
		if validNameRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() == maxNameLen {
			break
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

func validNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

func hashedName(base, id string) string {
	sum := sha256.Sum256([]byte(id))
	cut := maxNameLen - 1 - hashSuffixLen
	if len(base) > cut {
		base = base[:cut]
	}
	return base + "_" + hex.EncodeToString(sum[:])[:hashSuffixLen]
}

// toolNames assigns a tool name to every id (ids are distinct). The result
// depends only on the set of ids. An id whose name cannot be made unique
// (a hashed name equal to another id's name, which takes a SHA-256 prefix
// collision or a contrived id) is left out and reported.
func toolNames(ids []string) (map[string]string, []error) {
	groups := map[string][]string{}
	for _, id := range ids {
		b := baseName(id)
		groups[b] = append(groups[b], id)
	}
	names := make(map[string]string, len(ids))
	taken := map[string]string{} // name -> id
	var hashed []string          // ids that need a hashed name
	for b, g := range groups {
		if len(g) == 1 {
			names[g[0]], taken[b] = b, g[0]
			continue
		}
		for _, id := range g {
			if id == b {
				names[id], taken[b] = b, id
			} else {
				hashed = append(hashed, id)
			}
		}
	}
	sort.Strings(hashed)
	var errs []error
	for _, id := range hashed {
		n := hashedName(baseName(id), id)
		if other, ok := taken[n]; ok {
			errs = append(errs, fmt.Errorf("mcpserver: capability %q: tool name %s is already used by %q", id, n, other))
			continue
		}
		names[id], taken[n] = n, id
	}
	return names, errs
}

// newTool prepares a capability for serving under name.
func newTool(c *capabilities.Capability, name string, mutating func(string) bool) (*tool, error) {
	in, err := decodeSchema(c.InputSchema())
	if err != nil {
		return nil, fmt.Errorf("inputs schema: %w", err)
	}
	if err := checkRoot(in); err != nil {
		return nil, fmt.Errorf("inputs schema: %w", err)
	}
	t := &tool{cap: c, name: name, reservedKey: true}
	props, _ := in["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	if _, ok := props[IdempotencyKeyArgument]; ok {
		t.reservedKey = false
	} else {
		props[IdempotencyKeyArgument] = map[string]any{
			"type":        "string",
			"minLength":   1,
			"maxLength":   maxIdempotencyKey,
			"description": idempotencyKeyDesc,
		}
	}
	in["properties"] = props

	var out map[string]any
	if raw := c.OutputSchema(); len(raw) > 0 {
		o, err := decodeSchema(raw)
		if err == nil && checkRoot(o) == nil {
			out = o
		}
	}

	actions, err := hostfns.Declared(c)
	if err != nil {
		return nil, fmt.Errorf("declared actions: %w", err)
	}
	ann := annotations(actions, mutating)

	desc := c.Description
	desc = strings.TrimSpace(desc) + "\n\nEnact capability " + c.ID
	if c.Version != "" {
		desc += " version " + c.Version
	}
	desc += "."
	t.def = &mcp.Tool{
		Name:        name,
		Title:       c.ID,
		Description: desc,
		InputSchema: in,
		Annotations: ann,
	}
	if out != nil {
		t.def.OutputSchema = out
	}
	fp, err := json.Marshal(t.def)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append(fp, c.Digest...))
	t.fingerprint = hex.EncodeToString(sum[:])
	return t, nil
}

func decodeSchema(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// checkRoot accepts a schema whose root is type object under draft 2020-12.
func checkRoot(m map[string]any) error {
	if t, _ := m["type"].(string); t != "object" {
		return errors.New(`root type must be "object"`)
	}
	if s, ok := m["$schema"]; ok && strings.TrimSuffix(fmt.Sprint(s), "#") != draft202012 {
		return fmt.Errorf("$schema %v is not draft 2020-12", s)
	}
	return nil
}

// annotations derives the hints from the declared actions.
func annotations(actions []string, mutating func(string) bool) *mcp.ToolAnnotations {
	if mutating == nil {
		mutating = func(string) bool { return true }
	}
	var anyMutating, destructive bool
	for _, a := range actions {
		if !mutating(a) {
			continue
		}
		anyMutating = true
		name := a[strings.LastIndexByte(a, '.')+1:]
		for _, verb := range []string{"delete", "merge"} {
			if name == verb || strings.HasPrefix(name, verb+"_") {
				destructive = true
			}
		}
	}
	openWorld := len(actions) > 0
	return &mcp.ToolAnnotations{
		ReadOnlyHint:    !anyMutating,
		DestructiveHint: &destructive,
		IdempotentHint:  true,
		OpenWorldHint:   &openWorld,
	}
}
