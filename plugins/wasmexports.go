package plugins

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of CheckExport, wrapped by *TaskError.
var (
	ErrMissingExport   = errors.New("plugins: the module does not export the function to call")
	ErrExportSignature = errors.New("plugins: the exported function does not have the Extism signature () -> i32")
)

// Section ids CheckExport reads (secExport is wasmsnapshot.go's).
const secImport = 2

// funcType is a function signature as value type bytes.
type funcType struct{ params, results []byte }

func (t funcType) String() string {
	name := func(vs []byte) string {
		var parts []string
		for _, v := range vs {
			parts = append(parts, valueTypeName(v))
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return name(t.params) + " -> " + name(t.results)
}

func valueTypeName(v byte) string {
	switch v {
	case 0x7f:
		return "i32"
	case 0x7e:
		return "i64"
	case 0x7d:
		return "f32"
	case 0x7c:
		return "f64"
	case 0x7b:
		return "v128"
	case 0x70:
		return "funcref"
	case 0x6f:
		return "externref"
	}
	return fmt.Sprintf("0x%02x", v)
}

// CheckExport checks that a module exports a function of the given name
// that an Extism host can call: no parameters and one i32 result (the
// return code), or no result at all (treated as 0 when the call does not
// trap). The error wraps ErrMissingExport, naming the functions the module
// does export, or ErrExportSignature, naming the signature found; a module
// that does not decode gives ErrNotWasm.
func CheckExport(wasm []byte, name string) error {
	if _, err := Imports(wasm); err != nil {
		return err
	}
	var (
		types     []funcType
		funcTypes []uint32 // the type of every function, imports first
		exported  = -1
		funcNames []string
		kinds     = map[byte]string{1: "table", 2: "memory", 3: "global", 4: "tag"}
		otherKind string
	)
	r := &reader{b: wasm[8:]}
	for !r.done() {
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			return fmt.Errorf("%w: truncated section", ErrNotWasm)
		}
		s := &reader{b: body}
		switch id {
		case secType:
			n, err := s.count("type", 3)
			if err != nil {
				return err
			}
			for range n {
				if s.byte() != 0x60 {
					return fmt.Errorf("%w: a type that is not a function type", ErrNotWasm)
				}
				var t funcType
				t.params = s.valueTypes()
				t.results = s.valueTypes()
				if s.err != nil {
					return fmt.Errorf("%w: malformed type section", ErrNotWasm)
				}
				types = append(types, t)
			}
		case secImport:
			n, err := s.count("import", 4)
			if err != nil {
				return err
			}
			for range n {
				s.name()
				s.name()
				kind := s.byte()
				if t, _ := s.importDesc(kind); kind == 0 {
					funcTypes = append(funcTypes, t)
				}
			}
		case secFunction:
			n, err := s.count("function", 1)
			if err != nil {
				return err
			}
			for range n {
				funcTypes = append(funcTypes, s.u32())
			}
		case secExport:
			n, err := s.count("export", 3)
			if err != nil {
				return err
			}
			for range n {
				en := s.name()
				kind := s.byte()
				idx := s.u32()
				if kind == 0 {
					funcNames = append(funcNames, en)
				}
				if en == name {
					if kind == 0 {
						exported = int(idx)
					} else {
						otherKind = kinds[kind]
					}
				}
			}
		}
		if s.err != nil {
			return fmt.Errorf("%w: malformed section %d", ErrNotWasm, id)
		}
	}
	if exported < 0 {
		what := "no function"
		if otherKind != "" {
			what = "a " + otherKind + ", not a function,"
		}
		found := "it exports no functions"
		if len(funcNames) > 0 {
			if len(funcNames) > 20 {
				funcNames = append(funcNames[:20], "…")
			}
			found = "it exports " + strings.Join(funcNames, ", ")
		}
		return fmt.Errorf("%w: %q is %s named so; %s", ErrMissingExport, name, what, found)
	}
	if exported >= len(funcTypes) || int(funcTypes[exported]) >= len(types) {
		return fmt.Errorf("%w: export %q names function %d, which the module does not define", ErrNotWasm, name, exported)
	}
	t := types[funcTypes[exported]]
	if len(t.params) != 0 || len(t.results) > 1 || len(t.results) == 1 && t.results[0] != 0x7f {
		return fmt.Errorf("%w: %q is %s", ErrExportSignature, name, t)
	}
	return nil
}

// valueTypes reads a vector of value types, one byte each (the reference
// types of later proposals, which take more, are refused).
func (r *reader) valueTypes() []byte {
	n := r.u32()
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	out := r.bytes(n)
	for _, v := range out {
		switch v {
		case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		default:
			r.err = errTruncated
			return nil
		}
	}
	return out
}

// RenameImports returns a copy of a module in which every function import
// for which rename returns a new module name imports from that module
// instead (same name, same type). Nothing else changes: import order,
// function indices and every other section are kept byte for byte. The
// runtime uses it to serve some Extism kernel imports with functions of
// its own.
func RenameImports(wasm []byte, rename func(module, name string) (string, bool)) ([]byte, error) {
	if _, err := Imports(wasm); err != nil {
		return nil, err
	}
	out := append([]byte(nil), wasm[:8]...)
	r := &reader{b: wasm[8:]}
	for !r.done() {
		start := len(wasm) - len(r.b)
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			return nil, fmt.Errorf("%w: truncated section", ErrNotWasm)
		}
		end := len(wasm) - len(r.b)
		if id != secImport {
			out = append(out, wasm[start:end]...)
			continue
		}
		s := &reader{b: body}
		n := s.u32()
		sec := appendU32(nil, n)
		for range n {
			entry := len(body) - len(s.b)
			mod, name := s.name(), s.name()
			kind := s.byte()
			s.importDesc(kind)
			if s.err != nil {
				return nil, fmt.Errorf("%w: malformed import section", ErrNotWasm)
			}
			rest := body[entry : len(body)-len(s.b)]
			if kind == 0 {
				if to, ok := rename(mod, name); ok {
					sec = appendU32(sec, uint32(len(to)))
					sec = append(sec, to...)
					// Skip the old module name: its length prefix and bytes.
					_, skip := uleb(rest)
					rest = rest[skip+len(mod):]
				}
			}
			sec = append(sec, rest...)
		}
		out = append(out, secImport)
		out = appendU32(out, uint32(len(sec)))
		out = append(out, sec...)
	}
	return out, nil
}

// uleb decodes an unsigned LEB128 number and says how many bytes it took.
func uleb(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return v, len(b)
}
