package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/tetratelabs/wazero/api"

	"github.com/enact-run/enact/plugins"
)

// Starting from a memory image (copy-on-write snapshots).
//
// An interpreter that asks for it (interpreter.image) and runs where the
// platform can map files privately (Linux: memfd) starts its instances
// from an image of a started instance's linear memory instead of from a
// page-copy snapshot (snapshot.go):
//
//   - The engine's module is compiled as plugins.RewriteForImage rewrites
//     it: its active data segments are passive, so instantiating it writes
//     nothing into memory, and its mutable globals are exported. An
//     instance that starts from scratch gets the segments written by the
//     host (writeData), which is what instantiating the original would
//     have done. plugins.CheckImageCode (the code changes no table) runs
//     in the background; no image is taken before it passes, and none
//     ever if it fails (instances then start from scratch).
//   - Once per memory limit (or once for all, interpreter.imageAnyLimit)
//     an instance is started from scratch (init, then startup), and its
//     whole linear memory is written to a sealed memfd (the image): only
//     pages that are not all zero are written, so the file holds what
//     start-up produced and the rest are holes. The mutable globals' values
//     are recorded with it.
//   - Every later instance is instantiated under a budget whose allocator
//     maps the image privately (MAP_PRIVATE|MAP_FIXED) over the start of
//     its memory's reservation, then grows to the image's size and gets
//     the recorded globals. Nothing is copied: pages fault in from the
//     image when touched, and a page the guest writes becomes the
//     instance's own copy. The image itself is never written (a private
//     mapping, and the file is sealed against writes).
//
// Soundness rests on what plugins.ForImage checks (RewriteForImage and
// CheckImageCode): the module's state
// after start-up is its memory, its mutable globals and its tables, and
// its code cannot change a table, so every table is as instantiation
// leaves it. What the host keeps per instance (the handle init returned,
// the emscripten call bridge) is recorded or rebuilt as for page-copy
// snapshots.
//
// The image counts against a run's budget at its full size, like any
// memory an instance starts with; what the host really spends on an
// instance is the pages it touches.

// imageSet holds an interpreter's memory images by memory limit.
type imageSet struct {
	module *plugins.ImageModule
	// anyLimit: one image serves every limit it fits (see
	// interpreter.imageAnyLimit).
	anyLimit bool

	// checked is closed once CheckImageCode has run (in the background:
	// it reads all the code), codeErr then its verdict. No image is taken
	// before it has passed.
	checked chan struct{}
	codeErr error

	mu     sync.Mutex
	byLim  map[uint64]*memImage
	closed bool
	// refused: the code check failed, and no image will be taken.
	refused bool
	// lastErr is the last failure to take an image; runs then start from
	// scratch.
	lastErr error

	// dir and diskKey, when set, keep the image (of an anyLimit set) on disk
	// across processes (image_disk_linux.go); loaded says the disk was
	// looked at.
	dir, diskKey string
	loaded       bool
}

// memImage is the linear memory of a started instance, in a file mapped
// privately into each instance that starts from it.
type memImage struct {
	file    *imageFile
	size    uint64   // bytes of memory after start-up
	handle  uint32   // what init returned
	globals []uint64 // the mutable globals after start-up, as ForImage lists them
}

// hotSamples is how many freed instances an image's hot pages are learned
// from (see hotPages, Linux).
const hotSamples = 4

// errImageUnavailable is what the image allocator reports when it could not
// map an image (the instance then has plain memory and must not run).
var errImageUnavailable = errors.New("runtime: the start-up image could not be mapped")

// prepareImages decides whether an interpreter starts from memory images:
// when it asks to, the platform can, and its module qualifies. It returns
// the module to compile: the rewritten one, or wasm unchanged. With images,
// the page-copy snapshots are not used.
func prepareImages(in *interpreter, wasm []byte, disabled bool, cacheDir string) []byte {
	if !in.image || disabled || !imagesAvailable() {
		return wasm
	}
	im, err := plugins.RewriteForImage(wasm)
	if err != nil {
		// Not fatal: the engine keeps its page-copy snapshots.
		in.imageErr = err
		return wasm
	}
	s := &imageSet{module: im, anyLimit: in.imageAnyLimit, checked: make(chan struct{})}
	if cacheDir != "" && in.imageAnyLimit && in.imageIdentity != "" {
		h := sha256.New()
		h.Write(im.Wasm)
		h.Write([]byte{0})
		h.Write([]byte(in.imageIdentity))
		s.dir, s.diskKey = filepath.Join(cacheDir, "images"), hex.EncodeToString(h.Sum(nil))
	}
	// The code check costs ~5 ms per MB of code: it runs beside
	// compilation and the first start-up, which need only the rewrite.
	go func() {
		s.codeErr = plugins.CheckImageCode(wasm)
		close(s.checked)
	}()
	in.images = s
	in.snapshots = nil
	return im.Wasm
}

// key is the map key of a limit.
func (s *imageSet) key(limit uint64) uint64 {
	if s.anyLimit {
		return 0
	}
	return limit
}

// get returns the image for a limit, or nil; wanted says whether one
// should be taken (there is none, and there is room).
func (s *imageSet) get(limit uint64) (img *memImage, wanted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	img = s.byLim[s.key(limit)]
	if img == nil && s.dir != "" && !s.loaded && !s.closed {
		// Once per process: an image a process before this one saved.
		s.loaded = true
		if disk, err := loadImage(s.dir, s.diskKey, len(s.module.Globals)); disk != nil {
			if s.byLim == nil {
				s.byLim = map[uint64]*memImage{}
			}
			s.byLim[s.key(limit)], img = disk, disk
		} else if err != nil {
			s.lastErr = err
		}
	}
	return img, img == nil && !s.closed && !s.refused && len(s.byLim) < maxSnapshots
}

// put records an image, unless one is already there (two instances were
// started at once) or the set is full or closed; an image not kept is
// closed.
func (s *imageSet) put(limit uint64, img *memImage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byLim == nil {
		s.byLim = map[uint64]*memImage{}
	}
	k := s.key(limit)
	if _, ok := s.byLim[k]; ok || s.closed || len(s.byLim) >= maxSnapshots {
		img.file.close()
		return
	}
	s.byLim[k] = img
}

// close closes every image file. Instances still mapping one keep it
// until they are freed.
func (s *imageSet) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for k, img := range s.byLim {
		img.file.close()
		delete(s.byLim, k)
	}
}

// writeData writes the module's active data segments into an instance
// that starts from scratch.
func (s *imageSet) writeData(m api.Module) error {
	mem := m.Memory()
	for i, d := range s.module.Data {
		if !mem.Write(d.Offset, d.Bytes) {
			return fmt.Errorf("runtime: data segment %d (%d bytes at %#x) outside memory", i, len(d.Bytes), d.Offset)
		}
	}
	return nil
}

// capture takes the image of a started instance under a limit, once the
// code check has passed.
func (s *imageSet) capture(m api.Module, limit uint64, handle uint32) {
	if <-s.checked; s.codeErr != nil {
		s.mu.Lock()
		s.refused, s.lastErr = true, s.codeErr
		s.mu.Unlock()
		return
	}
	img, err := s.take(m, handle)
	if err != nil {
		s.mu.Lock()
		s.lastErr = err
		s.mu.Unlock()
		return
	}
	s.put(limit, img)
}

func (s *imageSet) take(m api.Module, handle uint32) (*memImage, error) {
	globals := make([]uint64, len(s.module.Globals))
	for i, g := range s.module.Globals {
		eg := m.ExportedGlobal(g.Export)
		if eg == nil {
			return nil, fmt.Errorf("runtime: image: global %d is not exported as %q", g.Index, g.Export)
		}
		globals[i] = eg.Get()
	}
	mem := m.Memory()
	buf, ok := mem.Read(0, mem.Size())
	if !ok {
		return nil, fmt.Errorf("runtime: image: memory unreadable")
	}
	file, err := newImageFile(buf)
	if err != nil {
		return nil, fmt.Errorf("runtime: image: %w", err)
	}
	img := &memImage{file: file, size: uint64(len(buf)), handle: handle, globals: globals}
	if s.dir != "" {
		if err := saveImage(s.dir, s.diskKey, img, buf); err != nil {
			s.mu.Lock()
			s.lastErr = fmt.Errorf("runtime: image: saving it: %w", err)
			s.mu.Unlock()
		}
	}
	return img, nil
}

// restore brings an instance whose memory the image allocator mapped to
// the image's state: its memory grown to the image's size (the module
// declares less when start-up grew it), its mutable globals set.
func (s *imageSet) restore(m api.Module, budget *memoryBudget, img *memImage) error {
	if !budget.imageMapped {
		return errImageUnavailable
	}
	mem := m.Memory()
	if cur := uint64(mem.Size()); cur < img.size {
		if _, ok := mem.Grow(uint32((img.size - cur) / 65536)); !ok {
			return errGuestOutOfMemory
		}
	}
	for i, g := range s.module.Globals {
		mg, ok := m.ExportedGlobal(g.Export).(api.MutableGlobal)
		if !ok {
			return fmt.Errorf("runtime: image: global %d is not exported as a mutable global", g.Index)
		}
		mg.Set(img.globals[i])
	}
	return nil
}

// startFromImage is newInstance's image path: it reports whether the
// interpreter has an image for the limit (restored into a new instance,
// or an error), and otherwise what a started instance should be captured
// for (wanted).
func (e *Engine) startFromImage(ctx context.Context, in *interpreter, memLimit uint64) (inst *instance, ok, wanted bool, err error) {
	img, wanted := in.images.get(memLimit)
	if img == nil {
		return nil, false, wanted, nil
	}
	if img.size > memLimit {
		return nil, true, false, &Error{Code: CodeMemoryLimit, Message: fmt.Sprintf(
			"the %s engine needs %d MiB of memory to start; the limit is %d MiB",
			in.language, (img.size+(1<<20)-1)>>20, memLimit>>20)}
	}
	budget := &memoryBudget{limit: memLimit, image: img}
	inst, err = e.instantiate(ctx, in, budget)
	if err != nil {
		return nil, true, false, err
	}
	if err := in.images.restore(inst.mod, budget, img); err != nil {
		inst.close(ctx)
		return nil, true, false, fmt.Errorf("runtime: start %s engine: %w", in.language, err)
	}
	inst.handle = img.handle
	return inst, true, false, nil
}
