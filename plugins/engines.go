package plugins

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"sync"
)

//go:embed engines/cpython.wasm
var cpythonWasm []byte

//go:embed engines/python-stdlib.zip
var pythonStdlibZip []byte

// pythonStdlibSHA256 pins engines/python-stdlib.zip.
const pythonStdlibSHA256 = "444b2bed05e0978b62e937486e9e4d0cd41c2c189594937d59b1698184916915"

//go:embed engines/quickjs-ng.wasm
var quickjsWasm []byte

// Engine is an interpreter module that script tasks of one language run on.
// Engines are pinned: their bytes are embedded in the binary and checked
// against the digest recorded in engines/ENGINES.md before first use.
type Engine struct {
	name, language, pkg, version, sha256 string
	bytes                                []byte
	once                                 sync.Once
	err                                  error
	// memOnce guards InitialMemory's answer, read once.
	memOnce sync.Once
	mem     uint64
	memErr  error
}

var (
	python = &Engine{
		name:     "cpython",
		language: "python",
		pkg:      "deb-src:python3.13",
		version:  "3.13.5-2+deb13u5",
		sha256:   "ced079c9784be4e87ac45620e227bfc48f6d8af5782931ccc3a0eeeeb43838d6",
		bytes:    cpythonWasm,
	}
	javascript = &Engine{
		name:     "quickjs-ng",
		language: "javascript",
		pkg:      "go:github.com/fastschema/qjs",
		version:  "v0.0.6",
		sha256:   "88fcbeead33cca3ec8394feb0fb3eec8047ec9ac5062aba7a63799cee11989b7",
		bytes:    quickjsWasm,
	}
)

// Python returns the engine that runs `language: python` tasks.
func Python() *Engine { return python }

// JavaScript returns the engine that runs `language: javascript` tasks.
func JavaScript() *Engine { return javascript }

// EngineFor returns the engine for a normalised language name ("python" or
// "javascript").
func EngineFor(language string) (*Engine, error) {
	switch language {
	case "python":
		return python, nil
	case "javascript":
		return javascript, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedLanguage, language)
}

// Name is the engine's short name, e.g. "cpython".
func (e *Engine) Name() string { return e.name }

// Language is the normalised language the engine runs.
func (e *Engine) Language() string { return e.language }

// Package names the registry package the engine's bytes come from.
func (e *Engine) Package() string { return e.pkg }

// Version is the registry package's version.
func (e *Engine) Version() string { return e.version }

// SHA256 is the hex digest the engine's bytes must have.
func (e *Engine) SHA256() string { return e.sha256 }

// Wasm returns a copy of the engine's module bytes after checking them
// against the pinned digest.
func (e *Engine) Wasm() ([]byte, error) {
	if err := e.checked(); err != nil {
		return nil, err
	}
	return append([]byte(nil), e.bytes...), nil
}

// InitialMemory is the memory the engine's module declares it starts with,
// in bytes: a task whose memory limit is lower cannot start. It is read
// from the module's memory section once, without copying the module or
// reading its code.
func (e *Engine) InitialMemory() (uint64, error) {
	e.memOnce.Do(func() {
		if e.memErr = e.checked(); e.memErr != nil {
			return
		}
		fp, err := moduleFootprint(e.bytes, false)
		if e.memErr = err; err == nil && len(fp.Memories) > 0 {
			e.mem = uint64(fp.Memories[0].Min) * 65536
		}
	})
	return e.mem, e.memErr
}

// checked checks the engine's bytes against its pinned digest, once.
func (e *Engine) checked() error {
	e.once.Do(func() { e.err = checkPinned("engine "+e.name, e.bytes, e.sha256) })
	return e.err
}

// checkPinned checks embedded bytes against their pinned hex sha256.
func checkPinned(what string, b []byte, want string) error {
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("%w: %s is %s, pinned %s", ErrHashMismatch, what, got, want)
	}
	return nil
}

var stdlib struct {
	once sync.Once
	zip  *zip.Reader
	err  error
}

// PythonStdlib returns the standard library archive of the Python engine
// (engines/python-stdlib.zip: lib/python3.13 holds the modules as .pyc
// files, share/zoneinfo the tz database), after checking it against its
// pinned digest.
func PythonStdlib() (*zip.Reader, error) {
	stdlib.once.Do(func() {
		if stdlib.err = checkPinned("the Python standard library archive", pythonStdlibZip, pythonStdlibSHA256); stdlib.err == nil {
			stdlib.zip, stdlib.err = zip.NewReader(bytes.NewReader(pythonStdlibZip), int64(len(pythonStdlibZip)))
		}
	})
	return stdlib.zip, stdlib.err
}

// PythonStdlibSHA256 is the pinned digest of the standard library archive.
func PythonStdlibSHA256() string { return pythonStdlibSHA256 }
