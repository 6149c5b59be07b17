package capabilities

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// Capability is a loaded and validated capability document. Load returns a
// new value each time; its methods are safe for concurrent use, and callers
// should treat its fields as read-only.
type Capability struct {
	// Enact is the protocol version the document is written in (1.x.y).
	Enact string
	// ID identifies the capability.
	ID string
	// Description says what the capability does.
	Description string
	// Version is the capability's own version, "" when absent.
	Version string
	// Type is "atomic" (the default) or "composite".
	Type string
	// Authors lists the authors, in document order.
	Authors []Author
	// Doc is the document's Markdown documentation, "" when absent.
	Doc string
	// Dependencies are the document's top-level dependencies, which every
	// script task without its own inherits; nil when absent.
	Dependencies *Dependencies
	// Tasks lists the tasks, in the order they run.
	Tasks []Task
	// Env holds the environment variables' schema and the resource limits.
	Env Env
	// Imports are the capabilities a composite's flow may call; nil for an
	// atomic capability.
	Imports []Import
	// Flow is a composite's flow; nil for an atomic capability.
	Flow *Flow
	// Extensions holds the top-level x- fields as JSON-compatible values
	// (see the package documentation), nil when there are none.
	Extensions map[string]any
	// Digest is "sha256:" and the hex SHA-256 of the exact document bytes.
	Digest string
	// Name is the name given to Load (the path given to LoadFile).
	Name string
	// Dir is the absolute directory of the document for LoadFile, against
	// which plugin paths are resolved; "" for Load.
	Dir string

	inputs, outputs *compiled
	vars            *compiled // the normalised env.vars schema, nil when absent
	// resolved holds a composite's imports once a Resolver found them.
	resolved map[string]*Capability
}

// compiled is an inputs or outputs schema.
type compiled struct {
	doc    any // the schema as JSON-compatible values
	raw    []byte
	schema *jsonschema.Schema
	pool   *meteredPool // metered copies of schema, for validating values
}

// Author is one entry of authors.
type Author struct {
	Name, Email, URL string
}

// Task is one executable unit of a capability.
type Task struct {
	// ID is unique within the capability.
	ID string
	// Type is "script" or "wasm".
	Type string
	// Language is "python" or "javascript" for a script task (the aliases
	// "py" and "js" are normalised), "" for a wasm task.
	Language string
	// LanguageAlias is the language as written when it was an alias ("py"
	// or "js"), "" otherwise.
	LanguageAlias string
	// Code is the script source, "" for a wasm task.
	Code string
	// EntryPoint is the function the script defines that the runner calls
	// with the inputs once the script has run: the task's entryPoint, else
	// the document's schema.defaults.entryPoint, else "" (the script's
	// top-level return gives the outputs).
	EntryPoint string
	// Dependencies lists what a script needs, nil when absent.
	Dependencies *Dependencies
	// Plugin references the module of a wasm task, nil for a script task.
	Plugin *PluginRef
	// Extensions holds the task's x- fields, nil when there are none.
	Extensions map[string]any
	// Line is the line of the task in the document.
	Line int
	// CodeLine and CodeColumn place the script's text in the document
	// (1-based; zero when unknown): the script's line L, column C is the
	// document's line CodeLine+L-1, column CodeColumn+C-1 (exact for a
	// block scalar, `code: |`, whose lines share one indentation).
	CodeLine, CodeColumn int
}

// Dependencies is what a script task needs from its runtime.
type Dependencies struct {
	// Version constrains the language version, such as ">=3.9,<4.0".
	Version string
	// Packages lists the packages, in document order.
	Packages []Package
}

// Package is one entry of dependencies.packages.
type Package struct {
	Name, Version string
}

// PluginRef references the prebuilt WebAssembly module of a wasm task.
type PluginRef struct {
	// Path is the module file, relative to the capability's Dir, with "/"
	// as separator; it does not leave that directory.
	Path string
	// SHA256 is the hex digest the module file must have (64 lowercase
	// hexadecimal digits).
	SHA256 string
	// Function is the export to call; "run" when absent.
	Function string
	// Input is how the task's variables reach the plugin: "json" (the
	// default: one JSON object) or "raw" (the bytes of RawInput).
	Input string
	// RawInput names the one string property of the inputs schema whose
	// value is the input of a "raw" plugin, "" otherwise.
	RawInput string
	// RawBase64 says RawInput has contentEncoding base64: its value is
	// decoded before it is passed.
	RawBase64 bool
	// Output is how the plugin's output becomes outputs: "json" (the
	// default: a JSON object of output names to values), "text" (UTF-8
	// text, the output named "output") or "bytes" (any bytes, the output
	// named "output" in base64).
	Output string
	// Config is the Extism configuration the author gives the plugin
	// (config_get), nil when absent. The operator may add keys at run time.
	Config map[string]string
}

// Env is what a capability needs from its environment.
type Env struct {
	// Vars is the JSON Schema of the environment variables as JSON (type
	// object, a property per variable, required listing those the run
	// needs), nil when absent. The map and list forms of env.vars are
	// given in this form too.
	Vars json.RawMessage
	// Resources holds the limits for a run.
	Resources Resources
}

// Resources are the limits env.resources asks for.
type Resources struct {
	// Memory is in bytes; 0 when not set.
	Memory uint64
	// Timeout is 0 when not set.
	Timeout time.Duration
}

//go:embed schema/enact-capability.schema.json
var protocolSchemaJSON []byte

//go:embed examples/*.yaml
var examplesFS embed.FS

//go:embed workflows/*.yaml
var workflowsFS embed.FS

// ProtocolSchema returns the JSON Schema (draft 2020-12) of a capability
// document, the one Load validates against. Load checks a few rules the
// schema cannot express as well: see the package documentation.
func ProtocolSchema() []byte { return bytes.Clone(protocolSchemaJSON) }

// Examples returns the example capabilities shipped with the package, file
// name ("hello-world.yaml") to document bytes. The map is a fresh copy.
func Examples() map[string][]byte { return readAll(examplesFS, "examples") }

// Workflows returns the reference workflows shipped with the package
// (db_safe_insert, agent_pr_workflow, new_lead_workflow) and the policy
// files written for them, file name ("db_safe_insert.yaml",
// "db_safe_insert.policy.yaml") to bytes. The map is a fresh copy.
func Workflows() map[string][]byte { return readAll(workflowsFS, "workflows") }

func readAll(fsys embed.FS, dir string) map[string][]byte {
	out := map[string][]byte{}
	entries, _ := fs.ReadDir(fsys, dir)
	for _, e := range entries {
		b, _ := fsys.ReadFile(dir + "/" + e.Name())
		out[e.Name()] = b
	}
	return out
}

// LoadFile reads the document at path (at most MaxSize bytes) and loads it
// as Load does, with path as the name. Dir is set to the document's
// absolute directory.
func LoadFile(path string) (*Capability, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("capabilities: read %s: %w", path, err)
	}
	c, err := Load(data, path)
	if err != nil {
		return nil, err
	}
	c.Dir = filepath.Dir(abs)
	return c, nil
}

// Load parses and validates a capability document. name identifies the
// document in errors, such as its file path. The error is a
// *ValidationError or, for several problems, ValidationErrors; limit
// violations also match ErrTooLarge, ErrTooDeep or ErrAliasExpansion with
// errors.Is.
func Load(data []byte, name string) (*Capability, error) {
	if len(data) > MaxSize {
		return nil, &ValidationError{Name: name, Rule: "size", Err: ErrTooLarge,
			Msg: fmt.Sprintf("the document is larger than %d bytes", MaxSize)}
	}
	root, err := parseYAML(data, name)
	if err != nil {
		return nil, err
	}
	cv := &converter{name: name}
	v := cv.value(root, nil)
	if len(cv.errs) > 0 {
		return nil, collect(cv.errs)
	}
	l := &loader{name: name, lines: lines{root: root, maps: map[*yaml.Node]map[string]entry{}, src: data}}
	if err := protocolSchema().Validate(v); err != nil {
		ve, ok := err.(*jsonschema.ValidationError)
		if !ok {
			return nil, l.fail(nil, "schema", err.Error())
		}
		for _, it := range issues(ve, nil) {
			l.add(it.path, it.rule, protocolMessage(v, it))
		}
		return nil, collect(l.errs)
	}
	sum := sha256.Sum256(data)
	c := l.build(v.(map[string]any))
	c.Digest, c.Name = "sha256:"+hex.EncodeToString(sum[:]), name
	if err := collect(l.errs); err != nil {
		return nil, err
	}
	return c, nil
}

// loader turns a document that passed the protocol schema into a
// Capability, checking what the schema cannot.
type loader struct {
	name  string
	lines lines
	errs  []*ValidationError
}

func (l *loader) fail(path []string, rule, msg string) *ValidationError {
	return &ValidationError{Name: l.name, Line: l.lines.at(path), Pointer: pointer(path), Rule: rule, Msg: msg}
}

func (l *loader) add(path []string, rule, msg string) {
	l.errs = append(l.errs, l.fail(path, rule, msg))
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func list(m map[string]any, key string) []map[string]any {
	var out []map[string]any
	arr, _ := m[key].([]any)
	for _, v := range arr {
		o, _ := v.(map[string]any)
		out = append(out, o)
	}
	return out
}

func extensions(m map[string]any) map[string]any {
	var out map[string]any
	for k, v := range m {
		if strings.HasPrefix(k, "x-") {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

func (l *loader) build(doc map[string]any) *Capability {
	c := &Capability{
		Enact: str(doc, "enact"), ID: str(doc, "id"), Description: str(doc, "description"),
		Version: str(doc, "version"), Type: str(doc, "type"), Extensions: extensions(doc), Doc: str(doc, "doc"),
	}
	if c.Type == "" {
		c.Type = "atomic"
	}
	if !strings.HasPrefix(c.Enact, "1.") {
		l.add([]string{"enact"}, "version", fmt.Sprintf("protocol version %q is not supported: this loader reads Enact 1.x documents, such as 1.0.0", c.Enact))
	}
	for _, a := range list(doc, "authors") {
		c.Authors = append(c.Authors, Author{Name: str(a, "name"), Email: str(a, "email"), URL: str(a, "url")})
	}
	c.Dependencies = dependencies(obj(doc, "dependencies"))
	seen := map[string]int{}
	for i, t := range list(doc, "tasks") {
		c.Tasks = append(c.Tasks, l.task(t, i, seen))
	}
	l.upstreamTasks(c, doc)
	for _, name := range []string{"inputs", "outputs"} {
		if m, ok := doc[name].(map[string]any); ok && !isSchemaForm(m) && (m["properties"] != nil || m["$schema"] != nil) {
			l.add([]string{name, "type"}, "required", "missing: a JSON Schema here needs type: object (the older form, a map of names to schemas, has no member named properties or $schema)")
		}
	}
	outputsDoc, source := splitSource(doc["outputs"])
	inputs, outputs := parameters(doc["inputs"]), parameters(outputsDoc)
	c.inputs = l.compile(inputs, "inputs")
	c.outputs = l.compile(outputs, "outputs")
	l.composite(doc, c, source)
	for i := range c.Tasks {
		if p := c.Tasks[i].Plugin; p != nil && p.Input == "raw" {
			p.RawInput, p.RawBase64 = l.rawInput(inputs, c.Tasks[i].ID, i)
		}
	}
	c.Env, c.vars = l.env(obj(doc, "env"))
	return c
}

func (l *loader) task(t map[string]any, i int, seen map[string]int) Task {
	at := []string{"tasks", fmt.Sprint(i)}
	task := Task{ID: str(t, "id"), Type: str(t, "type"), Language: str(t, "language"), Code: str(t, "code"),
		EntryPoint: str(t, "entryPoint"), Extensions: extensions(t), Line: l.lines.at(at)}
	if task.Code != "" {
		task.CodeLine, task.CodeColumn = l.lines.scalarStart(append(at[:2:2], "code"))
	}
	if first, dup := seen[task.ID]; dup {
		l.add(append(at, "id"), "unique", fmt.Sprintf("duplicate task id %q (first used at line %d)", task.ID, first))
	} else {
		seen[task.ID] = task.Line
	}
	if long, ok := map[string]string{"py": "python", "js": "javascript"}[task.Language]; ok {
		task.LanguageAlias, task.Language = task.Language, long
	}
	task.Dependencies = dependencies(obj(t, "dependencies"))
	if p := obj(t, "plugin"); p != nil {
		task.Plugin = &PluginRef{Path: str(p, "path"), SHA256: str(p, "sha256"), Function: str(p, "function"),
			Input: str(p, "input"), Output: str(p, "output")}
		if task.Plugin.Function == "" {
			task.Plugin.Function = "run"
		}
		if task.Plugin.Input == "" {
			task.Plugin.Input = "json"
		}
		if task.Plugin.Output == "" {
			task.Plugin.Output = "json"
		}
		for k, v := range obj(p, "config") {
			if task.Plugin.Config == nil {
				task.Plugin.Config = map[string]string{}
			}
			task.Plugin.Config[k], _ = v.(string)
		}
		clean := path.Clean(task.Plugin.Path)
		if strings.HasPrefix(task.Plugin.Path, "/") || strings.Contains(task.Plugin.Path, "\\") || clean == ".." || strings.HasPrefix(clean, "../") {
			l.add(append(at, "plugin", "path"), "path", fmt.Sprintf("must be a relative path with '/' separators that stays inside the capability's directory (got %q)", task.Plugin.Path))
		}
	}
	return task
}

// rawInput finds the property a raw-input plugin receives: the inputs
// schema must declare exactly one property, of type string. It returns the
// property's name and whether it is base64-encoded.
func (l *loader) rawInput(inputs any, task string, i int) (string, bool) {
	at := []string{"tasks", fmt.Sprint(i), "plugin", "input"}
	schema, _ := inputs.(map[string]any)
	props, _ := schema["properties"].(map[string]any)
	if len(props) != 1 {
		l.add(at, "input", fmt.Sprintf("task %q takes raw input, so the inputs schema must declare exactly one property, a string (it declares %d)", task, len(props)))
		return "", false
	}
	for name, v := range props {
		prop, _ := v.(map[string]any)
		if prop["type"] != "string" {
			l.add(at, "input", fmt.Sprintf("task %q takes raw input, so inputs property %q must have type string", task, name))
			return "", false
		}
		switch enc := prop["contentEncoding"]; enc {
		case nil:
			return name, false
		case "base64":
			return name, true
		default:
			l.add(at, "input", fmt.Sprintf("inputs property %q has contentEncoding %v; a raw input is given as text or with contentEncoding base64", name, enc))
		}
	}
	return "", false
}

func (l *loader) env(e map[string]any) (Env, *compiled) {
	var env Env
	var varsSchema *compiled
	vars, at := e["vars"], []string{"env", "vars"}
	if p := obj(e, "properties"); p != nil && p["vars"] != nil {
		if vars != nil {
			l.add(at, "env", "give the variables' schema once, as env.vars or as env.properties.vars")
		}
		vars, at = p["vars"], []string{"env", "properties", "vars"}
	}
	if vars != nil {
		if vars = l.varsSchema(vars, at); vars != nil {
			if varsSchema = l.compile(vars, at...); varsSchema != nil {
				env.Vars = varsSchema.raw
			}
		}
	}
	res := obj(e, "resources")
	var err error
	if m, ok := res["memory"].(string); ok {
		if env.Resources.Memory, err = ParseMemory(m); err != nil {
			l.add([]string{"env", "resources", "memory"}, "memory", err.Error())
		}
	}
	if t, ok := res["timeout"].(string); ok {
		if env.Resources.Timeout, err = ParseTimeout(t); err != nil {
			l.add([]string{"env", "resources", "timeout"}, "timeout", err.Error())
		}
	}
	return env, varsSchema
}
