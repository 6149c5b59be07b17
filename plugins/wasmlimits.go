package plugins

import (
	"fmt"
)

// Footprint is what a module declares it will hold once instantiated,
// read from its table, memory, global, element and data sections. The
// runtime prices it against a run's memory limit (see package runtime)
// before anything is compiled: a module's declared minimums must fit in
// env.resources.memory, whatever it later does.
type Footprint struct {
	// Tables are the tables the module defines, in index order (a
	// prebuilt plugin may import none, see CheckImports).
	Tables []Table
	// Memories are the linear memories the module defines, in pages of
	// 64 KiB.
	Memories []Limits
	// Globals is the number of globals the module defines.
	Globals uint64
	// ElementSegments and ElementEntries count the element segments and
	// the references they hold altogether; LargestElement is the index
	// and entry count of the largest one.
	ElementSegments, ElementEntries uint64
	LargestElement                  Segment
	// DataSegments and DataBytes count the data segments and their bytes
	// altogether; LargestData is the index and size of the largest one.
	DataSegments, DataBytes uint64
	LargestData             Segment
}

// Segment names one element or data segment and its size (entries or
// bytes).
type Segment struct {
	Index int
	Size  uint64
}

// Limits are the declared bounds of a table (entries) or memory (pages).
type Limits struct {
	Min    uint32
	Max    uint32
	HasMax bool
}

// Table is one table a module defines.
type Table struct {
	// RefType is "funcref", "externref" or "ref" (a typed reference).
	RefType string
	Limits
	// Grown says the module's code has a table.grow on this table.
	Grown bool
	// limitsAt and limitsEnd locate the encoded limits inside the table
	// section's body, for WithTableMaximums.
	limitsAt, limitsEnd int
}

// Section ids of the binary format.
const (
	secTable   = 4
	secMemory  = 5
	secGlobal  = 6
	secElement = 9
	secData    = 11
)

// ModuleFootprint reads what a binary module declares in its table,
// memory, global, element and data sections, and which tables its code
// grows (table.grow). It decodes only those sections and the code, checks every count against the bytes that remain, and fails
// with ErrNotWasm on anything malformed or on an encoding it does not know
// (so nothing it cannot price reaches the compiler). It never allocates in
// proportion to a count the module states.
func ModuleFootprint(wasm []byte) (*Footprint, error) {
	return moduleFootprint(wasm, true)
}

// moduleFootprint is ModuleFootprint, reading the code section only when
// code is set (Tables' Grown is then left false).
func moduleFootprint(wasm []byte, code bool) (*Footprint, error) {
	if _, err := Imports(wasm); err != nil {
		return nil, err
	}
	f := &Footprint{}
	seen := map[byte]bool{}
	r := &reader{b: wasm[8:]}
	for !r.done() {
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			return nil, fmt.Errorf("%w: truncated section", ErrNotWasm)
		}
		switch id {
		case secTable, secMemory, secGlobal, secElement, secData, secCode:
		default:
			continue
		}
		if seen[id] {
			return nil, fmt.Errorf("%w: section %d appears twice", ErrNotWasm, id)
		}
		seen[id] = true
		var err error
		switch id {
		case secTable:
			err = f.readTables(body)
		case secMemory:
			err = f.readMemories(body)
		case secGlobal:
			err = f.readGlobals(body)
		case secElement:
			err = f.readElements(body)
		case secData:
			err = f.readData(body)
		case secCode:
			if !code {
				break
			}
			_, err = scanCode(body, func(_, _, _ int, op tableOp) {
				if op.code == opTableGrow && int(op.index) < len(f.Tables) {
					f.Tables[op.index].Grown = true
				}
			})
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// count reads a vector length and refuses one larger than the bytes left,
// given the fewest bytes each item takes.
func (r *reader) count(what string, minSize int) (uint32, error) {
	n := r.u32()
	if r.err != nil {
		return 0, fmt.Errorf("%w: malformed %s section", ErrNotWasm, what)
	}
	if uint64(n)*uint64(minSize) > uint64(len(r.b)) {
		return 0, fmt.Errorf("%w: %s count %d exceeds the section's size", ErrNotWasm, what, n)
	}
	return n, nil
}

func (f *Footprint) readTables(body []byte) error {
	r := &reader{b: body}
	n, err := r.count("table", 3)
	if err != nil {
		return err
	}
	for range n {
		t := Table{}
		lead := r.byte()
		var expr bool
		if lead == 0x40 { // table with an initialiser: 0x40 0x00 tabletype expr
			if r.byte() != 0 {
				return fmt.Errorf("%w: malformed table %d", ErrNotWasm, len(f.Tables))
			}
			expr = true
			lead = r.byte()
		}
		switch lead {
		case 0x70:
			t.RefType = "funcref"
		case 0x6f:
			t.RefType = "externref"
		case 0x63, 0x64: // (ref null ht), (ref ht)
			t.RefType = "ref"
			r.s64()
		default:
			return fmt.Errorf("%w: table %d has unknown element type %#x", ErrNotWasm, len(f.Tables), lead)
		}
		t.limitsAt = len(body) - len(r.b)
		t.Limits = r.limits32("table", len(f.Tables))
		t.limitsEnd = len(body) - len(r.b)
		if expr {
			r.constExpr()
		}
		if r.err != nil {
			return fmt.Errorf("%w: malformed table %d: %v", ErrNotWasm, len(f.Tables), r.err)
		}
		f.Tables = append(f.Tables, t)
	}
	return trailing(r, "table")
}

func (f *Footprint) readMemories(body []byte) error {
	r := &reader{b: body}
	n, err := r.count("memory", 2)
	if err != nil {
		return err
	}
	for range n {
		l := r.limits32("memory", len(f.Memories))
		if r.err != nil {
			return fmt.Errorf("%w: malformed memory %d: %v", ErrNotWasm, len(f.Memories), r.err)
		}
		f.Memories = append(f.Memories, l)
	}
	return trailing(r, "memory")
}

func (f *Footprint) readGlobals(body []byte) error {
	r := &reader{b: body}
	n, err := r.count("global", 4)
	if err != nil {
		return err
	}
	for i := range n {
		switch t := r.byte(); t {
		case 0x63, 0x64:
			r.s64()
		}
		r.byte() // mutability
		r.constExpr()
		if r.err != nil {
			return fmt.Errorf("%w: malformed global %d: %v", ErrNotWasm, i, r.err)
		}
	}
	f.Globals = uint64(n)
	return trailing(r, "global")
}

func (f *Footprint) readElements(body []byte) error {
	r := &reader{b: body}
	n, err := r.count("element", 2)
	if err != nil {
		return err
	}
	for i := range n {
		flags := r.u32()
		if flags > 7 {
			return fmt.Errorf("%w: element segment %d has unknown flags %d", ErrNotWasm, i, flags)
		}
		if flags&3 == 2 { // explicit table index
			r.u32()
		}
		if flags&1 == 0 { // active: an offset expression
			r.constExpr()
		}
		if flags&3 != 0 { // element kind (0x00) or reference type
			switch r.byte() {
			case 0x63, 0x64:
				r.s64()
			}
		}
		entries := r.u32()
		if r.err == nil && uint64(entries) > uint64(len(r.b)) {
			return fmt.Errorf("%w: element segment %d count %d exceeds the section's size", ErrNotWasm, i, entries)
		}
		for range entries {
			if flags&4 == 0 {
				r.u32() // function index
			} else {
				r.constExpr()
			}
			if r.err != nil {
				break
			}
		}
		if r.err != nil {
			return fmt.Errorf("%w: malformed element segment %d: %v", ErrNotWasm, i, r.err)
		}
		f.ElementSegments++
		f.ElementEntries += uint64(entries)
		if uint64(entries) > f.LargestElement.Size || f.ElementSegments == 1 {
			f.LargestElement = Segment{Index: int(i), Size: uint64(entries)}
		}
	}
	return trailing(r, "element")
}

func (f *Footprint) readData(body []byte) error {
	r := &reader{b: body}
	n, err := r.count("data", 2)
	if err != nil {
		return err
	}
	for i := range n {
		switch flags := r.u32(); flags {
		case 0:
			r.constExpr()
		case 1:
		case 2:
			r.u32()
			r.constExpr()
		default:
			return fmt.Errorf("%w: data segment %d has unknown flags %d", ErrNotWasm, i, flags)
		}
		size := len(r.bytes(r.u32()))
		if r.err != nil {
			return fmt.Errorf("%w: malformed data segment %d: %v", ErrNotWasm, i, r.err)
		}
		f.DataSegments++
		f.DataBytes += uint64(size)
		if uint64(size) > f.LargestData.Size || f.DataSegments == 1 {
			f.LargestData = Segment{Index: int(i), Size: uint64(size)}
		}
	}
	return trailing(r, "data")
}

func trailing(r *reader, what string) error {
	if r.err != nil {
		return fmt.Errorf("%w: malformed %s section", ErrNotWasm, what)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d stray bytes after the %s section", ErrNotWasm, len(r.b), what)
	}
	return nil
}

// limits32 reads the limits of a 32-bit table or memory. The 64-bit and
// custom-page-size encodings are refused: wazero v1.12 has neither, and
// nothing here prices them.
func (r *reader) limits32(what string, index int) Limits {
	var l Limits
	flags := r.byte()
	if r.err != nil {
		return l
	}
	if flags > 3 {
		r.err = fmt.Errorf("%s %d has unsupported limits flags %#x", what, index, flags)
		return l
	}
	l.Min = r.u32()
	if flags&1 != 0 {
		l.Max, l.HasMax = r.u32(), true
	}
	return l
}

// s64 skips a signed LEB128 of up to 64 bits (also used for s33 heap
// types).
func (r *reader) s64() {
	for i := 0; ; i++ {
		c := r.byte()
		if r.err != nil {
			return
		}
		if c&0x80 == 0 {
			return
		}
		if i == 9 {
			r.err = errTruncated
			return
		}
	}
}

// constExpr skips a constant expression up to and including its end
// opcode. It knows the instructions wazero v1.12 accepts in one (the
// numeric constants, the extended-constant arithmetic, global.get,
// ref.null, ref.func and v128.const); anything else is an error.
func (r *reader) constExpr() {
	for r.err == nil {
		switch op := r.byte(); op {
		case 0x0b: // end
			return
		case 0x41, 0x42: // i32.const, i64.const
			r.s64()
		case 0x43: // f32.const
			r.bytes(4)
		case 0x44: // f64.const
			r.bytes(8)
		case 0x23, 0xd2: // global.get, ref.func
			r.u32()
		case 0xd0: // ref.null
			r.s64()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended constants
		case 0xfd:
			if r.u32() != 12 { // v128.const
				if r.err == nil {
					r.err = fmt.Errorf("unsupported instruction 0xfd in a constant expression")
				}
				return
			}
			r.bytes(16)
		default:
			if r.err == nil {
				r.err = fmt.Errorf("unsupported instruction %#x in a constant expression", op)
			}
			return
		}
	}
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
