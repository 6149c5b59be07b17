package plugins

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Import is one import declared by a Wasm module.
type Import struct {
	Module, Name string
	// Kind is "func", "table", "memory", "global" or "tag".
	Kind string
}

func (i Import) String() string { return i.Module + "." + i.Name + " (" + i.Kind + ")" }

// wasmMagic is the preamble of every binary Wasm module, version 1.
var wasmMagic = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// Imports lists the imports of a binary Wasm module. It reads only the
// section headers and the import section, so it is cheap enough to run on
// every plugin before anything is compiled.
func Imports(wasm []byte) ([]Import, error) {
	if len(wasm) < 8 || string(wasm[:4]) != string(wasmMagic[:4]) {
		return nil, ErrNotWasm
	}
	if string(wasm[4:8]) != string(wasmMagic[4:8]) {
		return nil, fmt.Errorf("%w: unsupported binary version %x", ErrNotWasm, wasm[4:8])
	}
	r := &reader{b: wasm[8:]}
	var imports []Import
	for !r.done() {
		id := r.byte()
		size := r.u32()
		body := r.bytes(size)
		if r.err != nil {
			return nil, fmt.Errorf("%w: truncated section", ErrNotWasm)
		}
		if id != 2 {
			continue
		}
		s := &reader{b: body}
		n := s.u32()
		if n > uint32(len(body)) {
			return nil, fmt.Errorf("%w: import count %d exceeds section size", ErrNotWasm, n)
		}
		for range n {
			mod, name := s.name(), s.name()
			kind := s.byte()
			imp := Import{Module: mod, Name: name}
			if _, ok := s.importDesc(kind); !ok {
				return nil, fmt.Errorf("%w: unknown import kind %d", ErrNotWasm, kind)
			}
			imp.Kind = importKinds[kind]
			if s.err != nil {
				return nil, fmt.Errorf("%w: malformed import section", ErrNotWasm)
			}
			imports = append(imports, imp)
		}
	}
	return imports, nil
}

// reader decodes the few Wasm binary forms Imports needs. The first error
// sticks; later reads return zero values.
type reader struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated")

func (r *reader) done() bool { return r.err != nil || len(r.b) == 0 }

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errTruncated
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) u32() uint32 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n > 5 || v > 0xffffffff {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return uint32(v)
}

func (r *reader) bytes(n uint32) []byte {
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) name() string { return string(r.bytes(r.u32())) }

// importKinds names the kinds of import an importDesc reads.
var importKinds = [...]string{"func", "table", "memory", "global", "tag"}

// importDesc reads the descriptor of an import of the given kind (what
// follows its two names and its kind byte) and returns a function import's
// type index; ok is false for a kind the format does not have.
func (r *reader) importDesc(kind byte) (typeIndex uint32, ok bool) {
	switch kind {
	case 0:
		return r.u32(), true
	case 1:
		r.byte()
		r.limits()
	case 2:
		r.limits()
	case 3:
		r.byte()
		r.byte()
	case 4:
		r.byte()
		r.u32()
	default:
		return 0, false
	}
	return 0, true
}

func (r *reader) limits() {
	flags := r.byte()
	r.u32()
	if flags&1 != 0 {
		r.u32()
	}
}
