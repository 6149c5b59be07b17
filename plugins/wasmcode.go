package plugins

import (
	"fmt"
)

const (
	secType     = 1
	secFunction = 3
	secCode     = 10
)

// tableOp is an instruction that changes a table or an element segment:
// its opcode (opTableSet, or the 0xfc prefix's sub-opcode) and the index
// it names first (the table; the element segment for table.init and
// elem.drop).
type tableOp struct {
	code, index uint32
}

// The table-changing instructions scanCode reports.
const (
	opTableInit = 12
	opElemDrop  = 13
	opTableCopy = 14
	opTableGrow = 15
	opTableFill = 17
	opTableSet  = 0x26
)

// scanCode walks every instruction of every function body in a code
// section and calls visit(fn, pos, end, op) for each instruction that
// changes a table (table.set, table.grow, table.fill, table.copy,
// table.init, elem.drop), pos being the offset of its opcode in body and
// end the offset just past it. It
// knows the instruction set wazero enables by default (WebAssembly 2.0:
// MVP, sign extension, saturating conversions, multi-value, bulk memory,
// reference types, SIMD); any other opcode is an error, so nothing can
// hide a table.grow behind an instruction the scanner skips wrongly.
func scanCode(body []byte, visit func(fn, pos, end int, op tableOp)) (int, error) {
	r := &reader{b: body}
	n, err := r.count("code", 1)
	if err != nil {
		return 0, err
	}
	for fn := range int(n) {
		size := r.u32()
		code := r.bytes(size)
		if r.err != nil {
			return 0, fmt.Errorf("%w: malformed code section at function body %d", ErrNotWasm, fn)
		}
		base := len(body) - len(r.b) - len(code)
		if err := scanBody(code, func(pos, end int, op tableOp) { visit(fn, base+pos, base+end, op) }); err != nil {
			return 0, fmt.Errorf("%w: function body %d: %v", ErrNotWasm, fn, err)
		}
	}
	if err := trailing(r, "code"); err != nil {
		return 0, err
	}
	return int(n), nil
}

func scanBody(code []byte, visit func(pos, end int, op tableOp)) error {
	r := &reader{b: code}
	groups := r.u32()
	if r.err == nil && uint64(groups) > uint64(len(r.b)) {
		return fmt.Errorf("local count %d exceeds the body's size", groups)
	}
	for range groups {
		r.u32()
		switch r.byte() {
		case 0x63, 0x64:
			r.s64()
		}
	}
	for r.err == nil && len(r.b) > 0 {
		pos := len(code) - len(r.b)
		op := r.byte()
		switch {
		case op <= 0x01, op == 0x05, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b,
			op >= 0x45 && op <= 0xc4, op == 0xd1:
		case op >= 0x02 && op <= 0x04: // block, loop, if: a block type
			switch r.byte() {
			case 0x63, 0x64:
				r.s64()
			case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
			default: // a type index, as a signed LEB128 already begun
				if code[len(code)-len(r.b)-1]&0x80 != 0 {
					r.s64()
				}
			}
		case op == 0x0c, op == 0x0d, op == 0x10, op >= 0x20 && op <= 0x25, op == 0xd2:
			r.u32()
		case op == opTableSet:
			t := r.u32()
			if r.err == nil {
				visit(pos, len(code)-len(r.b), tableOp{opTableSet, t})
			}
		case op == 0x0e: // br_table
			n := r.u32()
			if r.err == nil && uint64(n) > uint64(len(r.b)) {
				return fmt.Errorf("br_table count %d exceeds the body's size", n)
			}
			for range n + 1 {
				r.u32()
			}
		case op == 0x11: // call_indirect
			r.u32()
			r.u32()
		case op == 0x1c: // select with types
			n := r.u32()
			if r.err == nil && uint64(n) > uint64(len(r.b)) {
				return fmt.Errorf("select type count %d exceeds the body's size", n)
			}
			for range n {
				r.byte()
			}
		case op >= 0x28 && op <= 0x3e:
			r.memarg()
		case op == 0x3f, op == 0x40:
			r.u32()
		case op == 0x41, op == 0x42:
			r.s64()
		case op == 0x43:
			r.bytes(4)
		case op == 0x44:
			r.bytes(8)
		case op == 0xd0:
			r.s64()
		case op == 0xfc:
			switch sub := r.u32(); {
			case sub <= 7:
			case sub == 8, sub == 10:
				r.u32()
				r.u32()
			case sub == 9, sub == 11, sub == 16:
				r.u32()
			case sub == opTableInit, sub == opTableCopy:
				// table.init elem table; table.copy dst src
				first, second := r.u32(), r.u32()
				if sub == opTableInit {
					first = second
				}
				if r.err == nil {
					visit(pos, len(code)-len(r.b), tableOp{sub, first})
				}
			case sub == opElemDrop, sub == opTableGrow, sub == opTableFill:
				t := r.u32()
				if r.err == nil {
					visit(pos, len(code)-len(r.b), tableOp{sub, t})
				}
			default:
				return fmt.Errorf("unsupported instruction 0xfc %d", sub)
			}
		case op == 0xfd:
			switch sub := r.u32(); {
			case sub <= 11, sub == 92, sub == 93:
				r.memarg()
			case sub == 12, sub == 13:
				r.bytes(16)
			case sub >= 21 && sub <= 34:
				r.byte()
			case sub >= 84 && sub <= 91:
				r.memarg()
				r.byte()
			case sub > 0x113:
				return fmt.Errorf("unsupported instruction 0xfd %d", sub)
			}
		default:
			return fmt.Errorf("unsupported instruction %#x", op)
		}
	}
	if r.err != nil {
		return fmt.Errorf("truncated instruction")
	}
	return nil
}

func (r *reader) memarg() {
	r.u32()
	r.u32()
}

// importedFuncs counts the functions a module imports.
func importedFuncs(wasm []byte) (uint32, error) {
	imps, err := Imports(wasm)
	if err != nil {
		return 0, err
	}
	var n uint32
	for _, imp := range imps {
		if imp.Kind == "func" {
			n++
		}
	}
	return n, nil
}

// BoundedModule is a module rewritten by BoundTables.
type BoundedModule struct {
	// Wasm is the rewritten module.
	Wasm []byte
	// GrowFuncs maps the index of each function the rewrite added to the
	// table whose table.grow it stands for.
	GrowFuncs map[uint32]int
}

// BoundTables returns a copy of a module in which the given tables (index
// to maximum entries) have that maximum written into their limits, and
// every table.grow on them calls a function the rewrite appends instead:
// it performs the same table.grow and traps (unreachable) where the grow
// would have returned -1. The runtime uses it to hold a table that can
// grow within what a run's memory limit allows, and to tell that trap
// apart from the guest's own (see BoundedModule.GrowFuncs). Everything
// else in the module, function indices included, is unchanged.
func BoundTables(wasm []byte, maxima map[int]uint32) (*BoundedModule, error) {
	f, err := ModuleFootprint(wasm)
	if err != nil {
		return nil, err
	}
	if len(maxima) == 0 {
		return &BoundedModule{Wasm: append([]byte(nil), wasm...)}, nil
	}
	nimp, err := importedFuncs(wasm)
	if err != nil {
		return nil, err
	}
	// The tables to wrap, in index order, and the types and functions
	// the rewrite adds: one (param ref i32) (result i32) function each.
	var order []int
	for i := range f.Tables {
		if m, ok := maxima[i]; ok {
			if m < f.Tables[i].Min {
				return nil, fmt.Errorf("plugins: table %d: maximum %d below its minimum %d", i, m, f.Tables[i].Min)
			}
			if f.Tables[i].RefType == "ref" {
				return nil, fmt.Errorf("plugins: table %d: typed reference tables cannot be bounded", i)
			}
			order = append(order, i)
		}
	}
	if len(order) != len(maxima) {
		return nil, fmt.Errorf("plugins: a bounded table does not exist")
	}
	var ntypes, nfuncs uint32
	var haveTypes, haveFuncs bool
	out := append([]byte(nil), wasm[:8]...)
	wrapper := map[int]uint32{}
	grows := map[uint32]int{}
	r := &reader{b: wasm[8:]}
	for !r.done() {
		start := len(wasm) - len(r.b)
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			return nil, fmt.Errorf("%w: truncated section", ErrNotWasm)
		}
		end := len(wasm) - len(r.b)
		var nb []byte
		switch id {
		case secType:
			s := &reader{b: body}
			ntypes = s.u32()
			if s.err != nil {
				return nil, fmt.Errorf("%w: malformed type section", ErrNotWasm)
			}
			haveTypes = true
			nb = appendU32(nil, ntypes+uint32(len(order)))
			nb = append(nb, s.b...)
			for _, i := range order {
				ref := byte(0x70)
				if f.Tables[i].RefType == "externref" {
					ref = 0x6f
				}
				nb = append(nb, 0x60, 2, ref, 0x7f, 1, 0x7f)
			}
		case secFunction:
			s := &reader{b: body}
			nfuncs = s.u32()
			if s.err != nil || !haveTypes {
				return nil, fmt.Errorf("%w: malformed function section", ErrNotWasm)
			}
			haveFuncs = true
			nb = appendU32(nil, nfuncs+uint32(len(order)))
			nb = append(nb, s.b...)
			for k, i := range order {
				nb = appendU32(nb, ntypes+uint32(k))
				idx := nimp + nfuncs + uint32(k)
				wrapper[i] = idx
				grows[idx] = i
			}
		case secTable:
			at := 0
			for _, i := range order {
				t := f.Tables[i]
				nb = append(nb, body[at:t.limitsAt]...)
				nb = append(nb, 0x01)
				nb = appendU32(nb, t.Min)
				nb = appendU32(nb, maxima[i])
				at = t.limitsEnd
			}
			nb = append(nb, body[at:]...)
		case secCode:
			if !haveFuncs {
				return nil, fmt.Errorf("%w: code section without functions", ErrNotWasm)
			}
			if nb, err = rewriteCode(body, wrapper, order); err != nil {
				return nil, err
			}
		default:
			out = append(out, wasm[start:end]...)
			continue
		}
		out = append(out, id)
		out = appendU32(out, uint32(len(nb)))
		out = append(out, nb...)
	}
	if !haveFuncs {
		return nil, fmt.Errorf("plugins: the module defines no function that could grow a table")
	}
	return &BoundedModule{Wasm: out, GrowFuncs: grows}, nil
}

// rewriteCode replaces each table.grow on a wrapped table with a call of
// its wrapper and appends the wrappers' bodies.
func rewriteCode(body []byte, wrapper map[int]uint32, order []int) ([]byte, error) {
	type cut struct {
		pos, end int
		table    int
	}
	cuts := map[int][]cut{}
	n, err := scanCode(body, func(fn, pos, end int, op tableOp) {
		if _, ok := wrapper[int(op.index)]; ok && op.code == opTableGrow {
			cuts[fn] = append(cuts[fn], cut{pos, end, int(op.index)})
		}
	})
	if err != nil {
		return nil, err
	}
	r := &reader{b: body}
	r.u32()
	nb := appendU32(nil, uint32(n+len(order)))
	for fn := range n {
		size := r.u32()
		at := len(body) - len(r.b)
		code := r.bytes(size)
		if len(cuts[fn]) == 0 {
			nb = appendU32(nb, size)
			nb = append(nb, code...)
			continue
		}
		var nc []byte
		prev := at
		for _, c := range cuts[fn] {
			nc = append(nc, body[prev:c.pos]...)
			nc = append(nc, 0x10)
			nc = appendU32(nc, wrapper[c.table])
			prev = c.end
		}
		nc = append(nc, body[prev:at+len(code)]...)
		nb = appendU32(nb, uint32(len(nc)))
		nb = append(nb, nc...)
	}
	for _, i := range order {
		// local.get 0; local.get 1; table.grow i; local.tee 1;
		// i32.const -1; i32.eq; if; unreachable; end; local.get 1; end
		fb := []byte{0, 0x20, 0, 0x20, 1, 0xfc, 15}
		fb = appendU32(fb, uint32(i))
		fb = append(fb, 0x22, 1, 0x41, 0x7f, 0x46, 0x04, 0x40, 0x00, 0x0b, 0x20, 1, 0x0b)
		nb = appendU32(nb, uint32(len(fb)))
		nb = append(nb, fb...)
	}
	return nb, nil
}
