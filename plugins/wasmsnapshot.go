package plugins

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNoImage says a module cannot be started from an image of an
// initialised memory (see ImageModule); the error wrapping it names why.
var ErrNoImage = errors.New("plugins: module cannot start from a memory image")

// ImageModule is a module rewritten by ForImage.
type ImageModule struct {
	// Wasm is the rewritten module.
	Wasm []byte
	// Data are the original module's active data segments, in order:
	// what instantiating it would have written into its memory. The
	// rewritten module writes nothing; the host writes these into an
	// instance that is to start from scratch. Their bytes are part of
	// Wasm's and must not be changed.
	Data []DataSegment
	// MemoryMin is the memory's declared minimum, in pages of 64 KiB.
	MemoryMin uint32
	// Globals are the module's mutable globals, each exported by the
	// rewritten module so that the host can read and set it.
	Globals []ImageGlobal
}

// DataSegment is an active data segment: bytes written at an offset of
// memory 0 when the module is instantiated.
type DataSegment struct {
	Offset uint32
	Bytes  []byte
}

// ImageGlobal is a mutable global of a module rewritten by ForImage.
type ImageGlobal struct {
	// Index is the global's index in the module.
	Index uint32
	// Export is the name the rewritten module exports it under.
	Export string
	// Type is its value type as encoded in the binary format: 0x7f i32,
	// 0x7e i64, 0x7d f32 or 0x7c f64 (the byte values of wazero's
	// api.ValueType).
	Type byte
}

// imageGlobalPrefix starts the export names ForImage gives mutable
// globals.
const imageGlobalPrefix = "enact.image.global."

const (
	secExport    = 7
	secStart     = 8
	secDataCount = 12
	secTag       = 13
)

// sectionRank orders the non-custom sections as the binary format
// requires them.
func sectionRank(id byte) int {
	switch id {
	case secTag:
		return 55 // between memory and global
	case secDataCount:
		return 95 // between element and code
	case secCode:
		return 100
	case secData:
		return 110
	}
	return int(id) * 10
}

// ForImage returns a copy of a module that can be instantiated over an
// image of an instance's initialised memory: instantiating it writes
// nothing into memory, so the image's pages are not copied over, and the
// host can read and set every mutable global.
//
// Every active data segment becomes a passive one with the same bytes, so
// data indices, the data count section and passive segments are
// unchanged, and so is what memory.init and data.drop do: wazero keeps an
// active segment's bytes after instantiation (the specification drops
// them), and a passive segment costs nothing until it is used. The
// active segments are also returned so the host can write them into an
// instance it starts from scratch; each must lie within the memory's
// minimum, as instantiation would check.
//
// A passive segment's dropped state is not part of an image; a module
// whose start-up dropped one would see it undropped in a restored
// instance. Neither engine built here uses passive segments.
//
// It refuses, with ErrNoImage and the reason, a module whose state after
// start-up would not be captured by its memory and mutable globals: one
// that imports a memory, table or global; that has no memory, or more
// than one, or a shared one; whose code can change a table (table.set,
// table.grow, table.fill, table.copy, table.init, elem.drop); that has a
// start function (it would run again on every restored instance); that
// has a mutable global of a reference or vector type; or whose active
// data segments use an offset other than a constant. A malformed module
// fails with ErrNotWasm, as ModuleFootprint does.
//
// ForImage is RewriteForImage and CheckImageCode together.
func ForImage(wasm []byte) (*ImageModule, error) {
	if err := CheckImageCode(wasm); err != nil {
		return nil, err
	}
	return RewriteForImage(wasm)
}

// CheckImageCode is the part of ForImage's checks that reads the code
// section: it fails with ErrNoImage when the code can change a table, and
// with ErrNotWasm on a malformed module. It is the costly part (about
// 5 ms per MB of code), so a caller may run it apart from RewriteForImage,
// as long as nothing starts from an image before it has passed.
func CheckImageCode(wasm []byte) error {
	if _, err := Imports(wasm); err != nil {
		return err
	}
	r := &reader{b: wasm[8:]}
	for !r.done() {
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			return fmt.Errorf("%w: truncated section", ErrNotWasm)
		}
		if id != secCode {
			continue
		}
		var op *tableOp
		if _, err := scanCode(body, func(_, _, _ int, o tableOp) {
			if op == nil {
				op = &o
			}
		}); err != nil {
			return err
		}
		if op != nil {
			return fmt.Errorf("%w: its code changes tables (%s)", ErrNoImage, op)
		}
	}
	return nil
}

// RewriteForImage is ForImage without CheckImageCode: it reads and
// rewrites every section but the code, which it copies unread.
func RewriteForImage(wasm []byte) (*ImageModule, error) {
	f, err := moduleFootprint(wasm, false)
	if err != nil {
		return nil, err
	}
	imps, err := Imports(wasm)
	if err != nil {
		return nil, err
	}
	for _, imp := range imps {
		if imp.Kind != "func" {
			return nil, fmt.Errorf("%w: it imports %s", ErrNoImage, imp)
		}
	}
	if len(f.Memories) != 1 {
		return nil, fmt.Errorf("%w: it defines %d memories, not one", ErrNoImage, len(f.Memories))
	}
	im := &ImageModule{MemoryMin: f.Memories[0].Min}

	// One pass over the sections to learn what the rewrite needs.
	var exportNames map[string]bool
	haveExports := false
	r := &reader{b: wasm[8:]}
	for !r.done() {
		id := r.byte()
		body := r.bytes(r.u32())
		if r.err != nil {
			return nil, fmt.Errorf("%w: truncated section", ErrNotWasm)
		}
		switch id {
		case secMemory:
			if err := checkUnshared(body); err != nil {
				return nil, err
			}
		case secStart:
			return nil, fmt.Errorf("%w: it has a start function", ErrNoImage)
		case secGlobal:
			if im.Globals, err = mutableGlobals(body); err != nil {
				return nil, err
			}
		case secExport:
			if exportNames, err = exportedNames(body); err != nil {
				return nil, err
			}
			haveExports = true
		}
	}
	for _, g := range im.Globals {
		if exportNames[g.Export] {
			return nil, fmt.Errorf("%w: it already exports a name %q", ErrNoImage, g.Export)
		}
	}

	out := append(make([]byte, 0, len(wasm)+64*len(im.Globals)+64), wasm[:8]...)
	exportsDone := false
	var dataAt int  // where the data section's body starts in out
	var segAt []int // where each active segment's bytes start in it
	addExports := func(body []byte) {
		nb := appendU32(nil, uint32(len(exportNames)+len(im.Globals)))
		if len(body) > 0 {
			s := &reader{b: body}
			s.u32()
			nb = append(nb, s.b...)
		}
		for _, g := range im.Globals {
			nb = appendU32(nb, uint32(len(g.Export)))
			nb = append(nb, g.Export...)
			nb = append(nb, 0x03)
			nb = appendU32(nb, g.Index)
		}
		out = appendSection(out, secExport, nb)
		exportsDone = true
	}
	r = &reader{b: wasm[8:]}
	for !r.done() {
		start := len(wasm) - len(r.b)
		id := r.byte()
		body := r.bytes(r.u32())
		end := len(wasm) - len(r.b)
		if !haveExports && !exportsDone && len(im.Globals) > 0 && id != 0 && sectionRank(id) > sectionRank(secExport) {
			addExports(nil)
		}
		switch id {
		case secExport:
			addExports(body)
		case secData:
			nb, at, err := im.stripData(body)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, secData, nb)
			dataAt = len(out) - len(nb)
			segAt = at
		default:
			out = append(out, wasm[start:end]...)
		}
	}
	if !exportsDone && len(im.Globals) > 0 {
		addExports(nil)
	}
	im.Wasm = out
	// The segments' bytes, from the rewritten module rather than the
	// original, which need then not be kept.
	for i, at := range segAt {
		im.Data[i].Bytes = out[dataAt+at : dataAt+at+len(im.Data[i].Bytes) : dataAt+at+len(im.Data[i].Bytes)]
	}
	return im, nil
}

// String names a table-changing instruction.
func (op tableOp) String() string {
	switch op.code {
	case opTableSet:
		return "table.set " + strconv.Itoa(int(op.index))
	case opTableInit:
		return "table.init on table " + strconv.Itoa(int(op.index))
	case opElemDrop:
		return "elem.drop " + strconv.Itoa(int(op.index))
	case opTableCopy:
		return "table.copy to table " + strconv.Itoa(int(op.index))
	case opTableGrow:
		return "table.grow " + strconv.Itoa(int(op.index))
	case opTableFill:
		return "table.fill " + strconv.Itoa(int(op.index))
	}
	return fmt.Sprintf("0xfc %d", op.code)
}

func appendSection(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = appendU32(out, uint32(len(body)))
	return append(out, body...)
}

// checkUnshared refuses a shared memory (its contents are not the
// instance's alone).
func checkUnshared(body []byte) error {
	r := &reader{b: body}
	if n := r.u32(); n == 1 && r.byte()&2 != 0 {
		return fmt.Errorf("%w: its memory is shared", ErrNoImage)
	}
	return nil
}

// mutableGlobals lists the mutable globals of a global section (which
// ModuleFootprint has checked), refusing those the host cannot read and
// set through wazero's API.
func mutableGlobals(body []byte) ([]ImageGlobal, error) {
	r := &reader{b: body}
	n := r.u32()
	var gs []ImageGlobal
	for i := range n {
		t := r.byte()
		if t == 0x63 || t == 0x64 {
			r.s64()
		}
		mut := r.byte()
		r.constExpr()
		if r.err != nil {
			return nil, fmt.Errorf("%w: malformed global %d", ErrNotWasm, i)
		}
		if mut == 0 {
			continue
		}
		switch t {
		case 0x7f, 0x7e, 0x7d, 0x7c:
		default:
			return nil, fmt.Errorf("%w: global %d is mutable and of type %#x", ErrNoImage, i, t)
		}
		gs = append(gs, ImageGlobal{Index: i, Export: imageGlobalPrefix + strconv.Itoa(int(i)), Type: t})
	}
	return gs, nil
}

// exportedNames reads the names an export section declares.
func exportedNames(body []byte) (map[string]bool, error) {
	r := &reader{b: body}
	n, err := r.count("export", 3)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for range n {
		name := r.name()
		r.byte()
		r.u32()
		if r.err != nil {
			return nil, fmt.Errorf("%w: malformed export section", ErrNotWasm)
		}
		if names[name] {
			return nil, fmt.Errorf("%w: export %q appears twice", ErrNotWasm, name)
		}
		names[name] = true
	}
	if err := trailing(r, "export"); err != nil {
		return nil, err
	}
	return names, nil
}

// stripData records the active segments of a data section (which
// ModuleFootprint has checked) and returns the section with each of them
// made passive.
func (im *ImageModule) stripData(body []byte) (nb []byte, at []int, err error) {
	limit := uint64(im.MemoryMin) * 65536
	r := &reader{b: body}
	n := r.u32()
	nb = appendU32(nil, n)
	for i := range n {
		segStart := len(body) - len(r.b)
		flags := r.u32()
		if flags == 1 { // passive: kept as it is
			r.bytes(r.u32())
			if r.err != nil {
				return nil, nil, fmt.Errorf("%w: malformed data segment %d", ErrNotWasm, i)
			}
			nb = append(nb, body[segStart:len(body)-len(r.b)]...)
			continue
		}
		if flags == 2 && r.u32() != 0 {
			return nil, nil, fmt.Errorf("%w: data segment %d is for memory other than 0", ErrNoImage, i)
		}
		if r.byte() != 0x41 {
			return nil, nil, fmt.Errorf("%w: data segment %d has an offset that is not an i32.const", ErrNoImage, i)
		}
		off, ok := r.s32()
		if !ok || r.byte() != 0x0b {
			return nil, nil, fmt.Errorf("%w: data segment %d has an offset that is not an i32.const", ErrNoImage, i)
		}
		data := r.bytes(r.u32())
		if r.err != nil {
			return nil, nil, fmt.Errorf("%w: malformed data segment %d", ErrNotWasm, i)
		}
		if uint64(uint32(off))+uint64(len(data)) > limit {
			return nil, nil, fmt.Errorf("%w: data segment %d (%d bytes at %d) lies outside the memory's %d pages",
				ErrNoImage, i, len(data), uint32(off), im.MemoryMin)
		}
		nb = append(nb, 0x01)
		nb = appendU32(nb, uint32(len(data)))
		im.Data = append(im.Data, DataSegment{Offset: uint32(off), Bytes: data})
		at = append(at, len(nb))
		nb = append(nb, data...)
	}
	if err := trailing(r, "data"); err != nil {
		return nil, nil, err
	}
	return nb, at, nil
}

// s32 reads a signed LEB128 of up to 32 bits.
func (r *reader) s32() (int32, bool) {
	var v int64
	var shift uint
	for i := 0; i < 5; i++ {
		c := r.byte()
		if r.err != nil {
			return 0, false
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			if v < -1<<31 || v > 1<<31-1 {
				return 0, false
			}
			return int32(v), true
		}
	}
	return 0, false
}
