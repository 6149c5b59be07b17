// Package plugins turns the tasks of a capability into runnable plugins.
//
// A script task (`type: script`) becomes a plugin made of a pinned
// interpreter engine (CPython 3.13 for Python, QuickJS-NG for JavaScript;
// see engines/ENGINES.md) plus the task's source. The source stays out of the
// engine's bytes, so every script of a language shares one compiled engine.
//
// A prebuilt task (`type: wasm`) names an Extism-ABI module by a path
// relative to the capability's directory and its sha256:
//
//	tasks:
//	  - id: stats
//	    type: wasm
//	    plugin:
//	      path: textstats.wasm   # relative, inside the capability's directory
//	      sha256: 3f5c…          # hex sha256 of the file's bytes
//	      function: run          # exported function to call (default "run")
//	      input: json            # json (default) or raw
//	      output: json           # json (default), text or bytes
//	      config: {key: value}   # Extism configuration (config_get)
//
// The plugin's input and output modes and configuration are read by
// package capabilities (capabilities.PluginRef) and exposed by InputMode,
// RawInput, OutputMode and Config; the runtime applies them.
//
// Build checks, before anything runs: the path stays inside the capability's
// directory (no "..", no absolute path, no symbolic link leading out), the
// file is at most MaxPluginSize bytes, its digest matches, it is a Wasm
// binary, it imports nothing outside the Extism kernel (minus HTTP) and
// WASI preview 1 minus sockets (CheckImports), it exports the function to
// call with the Extism signature () -> i32 (CheckExport), and its table,
// memory, global, element, data and code sections decode (ModuleFootprint:
// what the module will claim once instantiated, which the runtime prices
// against env.resources.memory before compiling it). Script tasks
// that declare dependencies.packages the sandbox does not have fail with
// the names of the missing packages.
package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/enact-run/enact/capabilities"
)

// MaxPluginSize bounds the size of a prebuilt plugin file.
const MaxPluginSize = 64 << 20

// Sentinel errors, wrapped by *TaskError.
var (
	ErrHashMismatch        = errors.New("plugins: sha256 mismatch")
	ErrPathEscape          = errors.New("plugins: plugin path leaves the capability's directory")
	ErrNotWasm             = errors.New("plugins: not a WebAssembly binary module")
	ErrForbiddenImport     = errors.New("plugins: module imports functions outside the sandbox ABI")
	ErrUnavailablePackages = errors.New("plugins: packages not available in the sandbox")
	ErrUnsupportedLanguage = errors.New("plugins: unsupported script language")
	ErrUnsupportedTask     = errors.New("plugins: unsupported task type")
	ErrTooLarge            = errors.New("plugins: plugin file too large")
)

// TaskError reports why one task could not become a plugin.
type TaskError struct {
	Task string
	Line int
	Err  error
}

func (e *TaskError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("task %q (line %d): %v", e.Task, e.Line, e.Err)
	}
	return fmt.Sprintf("task %q: %v", e.Task, e.Err)
}

func (e *TaskError) Unwrap() error { return e.Err }

// Kind says how a plugin runs.
type Kind string

// The plugin kinds.
const (
	KindScript Kind = "script" // source run by an interpreter engine
	KindWasm   Kind = "wasm"   // prebuilt Extism-ABI module
)

// Plugin is one task made runnable. A Plugin is immutable and safe for
// concurrent use.
type Plugin struct {
	taskID   string
	kind     Kind
	language string
	code     string
	entry    string // the entry point, "" for none
	// file, codeLine and codeColumn place code in its document (CodeAt).
	file                 string
	codeLine, codeColumn int
	engine               *Engine
	function             string
	artifact             []byte
	digest               string
	// footprint is what a prebuilt module declares (nil for scripts).
	footprint *Footprint
	// ref is a prebuilt task's plugin reference (nil for scripts); its
	// Config map is never handed out.
	ref *capabilities.PluginRef
}

// scriptFormat names the layout of a script plugin's artifact.
const scriptFormat = "enact-script-plugin/1"

// scriptArtifact is the built form of a script task: the source plus the
// pinned engine it runs on. Its JSON encoding is the artifact, and its
// sha256 the plugin's digest.
type scriptArtifact struct {
	Format   string    `json:"format"`
	Language string    `json:"language"`
	Engine   engineRef `json:"engine"`
	Source   string    `json:"source"`
	// EntryPoint is the function the runner calls once the script has
	// run, "" for none.
	EntryPoint string `json:"entry_point,omitempty"`
}

type engineRef struct {
	Name    string `json:"name"`
	Package string `json:"package"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TaskID is the id of the task the plugin runs.
func (p *Plugin) TaskID() string { return p.taskID }

// Kind says whether the plugin is a script or a prebuilt module.
func (p *Plugin) Kind() Kind { return p.kind }

// Language is the script language ("python" or "javascript"), or "" for a
// prebuilt module.
func (p *Plugin) Language() string { return p.language }

// Code is the script source, or "" for a prebuilt module.
func (p *Plugin) Code() string { return p.code }

// EntryPoint is the function of the script that the runner calls with the
// inputs once the script has run, "" when the script's top-level return
// gives the outputs.
func (p *Plugin) EntryPoint() string { return p.entry }

// CodeAt names where the script's text starts: the capability document's
// name (as given to capabilities.Load) and the line and column of the
// script's first character (see capabilities.Task.CodeLine); zeros when
// unknown.
func (p *Plugin) CodeAt() (file string, line, column int) { return p.file, p.codeLine, p.codeColumn }

// Engine is the interpreter a script runs on, or nil for a prebuilt module.
func (p *Plugin) Engine() *Engine { return p.engine }

// Function is the export a prebuilt module is called through.
func (p *Plugin) Function() string { return p.function }

// InputMode is how a prebuilt plugin takes its input: "json" (the JSON
// object of the task's variables) or "raw" (the bytes of RawInput); "" for
// a script.
func (p *Plugin) InputMode() string {
	if p.ref == nil {
		return ""
	}
	return p.ref.Input
}

// RawInput names the variable whose bytes a "raw" plugin receives, and
// says whether its value is base64 to decode first.
func (p *Plugin) RawInput() (name string, base64 bool) {
	if p.ref == nil {
		return "", false
	}
	return p.ref.RawInput, p.ref.RawBase64
}

// OutputMode is how a prebuilt plugin's output becomes outputs: "json",
// "text" or "bytes"; "" for a script.
func (p *Plugin) OutputMode() string {
	if p.ref == nil {
		return ""
	}
	return p.ref.Output
}

// Config returns a copy of the Extism configuration the capability gives a
// prebuilt plugin (nil when none).
func (p *Plugin) Config() map[string]string {
	if p.ref == nil || p.ref.Config == nil {
		return nil
	}
	return maps.Clone(p.ref.Config)
}

// Wasm returns a copy of a prebuilt module's bytes (nil for scripts).
func (p *Plugin) Wasm() []byte {
	if p.kind != KindWasm {
		return nil
	}
	return slices.Clone(p.artifact)
}

// Footprint is what a prebuilt module declares in its table, memory,
// global, element and data sections, or nil for a script.
func (p *Plugin) Footprint() *Footprint {
	if p.footprint == nil {
		return nil
	}
	f := *p.footprint
	f.Tables = slices.Clone(f.Tables)
	f.Memories = slices.Clone(f.Memories)
	return &f
}

// Artifact returns a copy of the plugin's built form: the module bytes of a
// prebuilt plugin, or for a script a JSON document holding the source and
// the pinned engine's name, package, version and sha256.
func (p *Plugin) Artifact() []byte { return slices.Clone(p.artifact) }

// Digest is "sha256:" and the hex sha256 of Artifact: the plugin's content
// address.
func (p *Plugin) Digest() string { return p.digest }

// Build makes a plugin of every task of an atomic capability, in task order.
// Prebuilt modules are read from the capability's directory (c.Dir). All
// problems of all tasks are reported together, joined with errors.Join.
func Build(c *capabilities.Capability) ([]*Plugin, error) {
	var (
		out  []*Plugin
		errs []error
	)
	for _, t := range c.Tasks {
		p, err := build(c, t)
		if err != nil {
			errs = append(errs, &TaskError{Task: t.ID, Line: t.Line, Err: err})
			continue
		}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func build(c *capabilities.Capability, t capabilities.Task) (*Plugin, error) {
	switch t.Type {
	case "script":
		engine, err := EngineFor(t.Language)
		if err != nil {
			return nil, err
		}
		if err := checkDependencies(t); err != nil {
			return nil, err
		}
		artifact, err := json.Marshal(scriptArtifact{
			Format:   scriptFormat,
			Language: t.Language,
			Engine: engineRef{
				Name: engine.name, Package: engine.pkg, Version: engine.version, SHA256: engine.sha256,
			},
			Source:     t.Code,
			EntryPoint: t.EntryPoint,
		})
		if err != nil {
			return nil, err
		}
		return &Plugin{
			taskID:   t.ID,
			kind:     KindScript,
			language: t.Language,
			code:     t.Code,
			entry:    t.EntryPoint,
			file:     c.Name,
			codeLine: t.CodeLine, codeColumn: t.CodeColumn,
			engine:   engine,
			artifact: artifact,
			digest:   digestOf(artifact),
		}, nil
	case "wasm":
		if t.Plugin == nil {
			return nil, fmt.Errorf("%w: wasm task without plugin", ErrUnsupportedTask)
		}
		wasm, err := readPlugin(c.Dir, t.Plugin.Path, t.Plugin.SHA256)
		if err != nil {
			return nil, err
		}
		if err := CheckImports(wasm); err != nil {
			return nil, err
		}
		fp, err := ModuleFootprint(wasm)
		if err != nil {
			return nil, err
		}
		fn := t.Plugin.Function
		if fn == "" {
			fn = "run"
		}
		if err := CheckExport(wasm, fn); err != nil {
			return nil, err
		}
		ref := *t.Plugin
		ref.Config = maps.Clone(ref.Config)
		if ref.Input == "" {
			ref.Input = "json"
		}
		if ref.Output == "" {
			ref.Output = "json"
		}
		return &Plugin{
			ref:       &ref,
			taskID:    t.ID,
			kind:      KindWasm,
			function:  fn,
			artifact:  wasm,
			digest:    digestOf(wasm),
			footprint: fp,
		}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedTask, t.Type)
}

// readPlugin reads a prebuilt module that must live inside dir and have the
// given digest.
func readPlugin(dir, rel, want string) ([]byte, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: the capability was not loaded from a file, so %q cannot be resolved", ErrPathEscape, rel)
	}
	if rel == "" || filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") || strings.Contains(rel, "\\") {
		return nil, fmt.Errorf("%w: %q must be a relative path", ErrPathEscape, rel)
	}
	clean := filepath.Clean(filepath.FromSlash(rel))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%w: %q", ErrPathEscape, rel)
	}
	// os.Root refuses any path, symbolic links included, that resolves
	// outside dir.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("plugins: open capability directory: %w", err)
	}
	defer root.Close()
	f, err := root.Open(clean)
	if err != nil {
		if strings.Contains(err.Error(), "escapes") {
			return nil, fmt.Errorf("%w: %q", ErrPathEscape, rel)
		}
		return nil, fmt.Errorf("plugins: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("plugins: %q is not a regular file", rel)
	}
	wasm, err := io.ReadAll(io.LimitReader(f, MaxPluginSize+1))
	if err != nil {
		return nil, fmt.Errorf("plugins: read %q: %w", rel, err)
	}
	if len(wasm) > MaxPluginSize {
		return nil, fmt.Errorf("%w: %q is over %d MiB", ErrTooLarge, rel, MaxPluginSize>>20)
	}
	sum := sha256.Sum256(wasm)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, want) {
		return nil, fmt.Errorf("%w: %q has sha256 %s, the capability pins %s", ErrHashMismatch, rel, got, want)
	}
	if len(wasm) < 8 || string(wasm[:8]) != string(wasmMagic) {
		return nil, fmt.Errorf("%w: %q does not start with the Wasm magic number and version 1", ErrNotWasm, rel)
	}
	return wasm, nil
}

// CheckImports refuses a prebuilt module that imports anything the sandbox
// does not provide: only the guest ABI (extism:host/user.enact_call), the
// functions of the Extism kernel (extism:host/env) minus its HTTP calls,
// and the WASI preview 1 calls but the socket ones (filesystem calls are
// linked, but no directory is ever open to them). The error lists every
// offending import.
func CheckImports(wasm []byte) error {
	imports, err := Imports(wasm)
	if err != nil {
		return err
	}
	var bad []string
	for _, imp := range imports {
		if imp.Kind != "func" || !allowedImport(imp.Module, imp.Name) {
			bad = append(bad, imp.String())
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrForbiddenImport, strings.Join(bad, ", "))
	}
	return nil
}

func allowedImport(module, name string) bool {
	switch module {
	case "extism:host/env":
		return extismKernel[name]
	case "wasi_snapshot_preview1":
		return wasiSubset[name]
	case "extism:host/user":
		return name == "enact_call" // the guest ABI (package hostfns)
	}
	return false
}

// extismKernel is the Extism kernel ABI a plugin may import, minus HTTP.
var extismKernel = setOf(
	"alloc", "free", "length", "length_unsafe", "load_u8", "load_u64", "store_u8", "store_u64",
	"input_offset", "input_length", "input_load_u8", "input_load_u64", "output_set", "error_set", "error_get",
	"config_get", "var_get", "var_set", "reset",
	"log_trace", "log_debug", "log_info", "log_warn", "log_error", "get_log_level",
)

// wasiSubset is the part of WASI preview 1 a plugin may import: all of it
// but the socket calls. There are no preopened directories, so the
// descriptor calls only ever see standard input (empty), output and error,
// and every path call fails (no directory descriptor is open; wasi-libc
// reports ENOTCAPABLE for any path). Toolchains link the filesystem calls
// whether or not a plugin uses files (TinyGo's println, wasi-libc, the
// Haskell PDK), so refusing them would refuse such plugins for nothing.
var wasiSubset = setOf(
	"args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
	"clock_res_get", "clock_time_get", "random_get", "sched_yield", "poll_oneoff", "proc_exit", "proc_raise",
	"fd_write", "fd_read", "fd_close", "fd_sync", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_seek",
	"fd_prestat_get", "fd_prestat_dir_name",
	"fd_advise", "fd_allocate", "fd_datasync", "fd_fdstat_set_rights", "fd_filestat_get",
	"fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_pwrite", "fd_readdir",
	"fd_renumber", "fd_tell",
	"path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link", "path_open",
	"path_readlink", "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
