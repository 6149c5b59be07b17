package runtime

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero/api"
)

// An interpreter whose start-up is expensive (QuickJS builds its runtime,
// context and every built-in object: about 2.5 ms) is started once per
// memory limit; later instances are brought to the same point by copying
// the started instance's linear memory into a freshly instantiated module.
// This is sound for an engine whose whole state after start-up lives in
// its linear memory: QuickJS-NG's WASI build has one mutable global (the
// C stack pointer, back at its initial value when start-up returns), a
// fixed-size function table the program never changes, and no host state
// but what the runtime keeps per instance anyway. What start-up derives
// from the outside world (the seed of Math.random) is replaced per run by
// the program prelude.
//
// Only the pages that differ from a freshly instantiated module are kept
// and copied, so restoring writes little beyond what start-up allocated.
//
// Where the platform can map files privately (Linux), an interpreter that
// asks for it starts from a copy-on-write memory image instead, which
// copies nothing up front (snapshot_image.go); page-copy snapshots are the
// fallback elsewhere and for a module the image rewrite refuses.

// pageSize is the granularity of the snapshot's diff.
const pageSize = 4096

// memSnapshot is the linear memory of a started instance.
type memSnapshot struct {
	size   uint32     // bytes of memory after start-up
	pages  []snapPage // the pages that differ from a fresh instance
	handle uint32     // what init returned
}

type snapPage struct {
	offset uint32
	data   []byte // one or more whole pages
}

// snapshots holds an interpreter's snapshots by memory limit.
type snapshots struct {
	mu    sync.Mutex
	byLim map[uint64]*memSnapshot
}

// maxSnapshots bounds the memory limits snapshotted, like the pools: a
// capability with a limit of its own beyond that starts the engine anew.
const maxSnapshots = 8

// get returns the snapshot for a limit, or nil; wanted says whether one
// should be taken (there is none, and there is room).
func (s *snapshots) get(limit uint64) (snap *memSnapshot, wanted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap = s.byLim[limit]
	return snap, snap == nil && len(s.byLim) < maxSnapshots
}

func (s *snapshots) put(limit uint64, snap *memSnapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byLim == nil {
		s.byLim = map[uint64]*memSnapshot{}
	}
	if _, ok := s.byLim[limit]; ok || len(s.byLim) >= maxSnapshots {
		return
	}
	s.byLim[limit] = snap
}

// takeSnapshot records the started memory of m, diffed against fresh, the
// memory of a module instantiated and not started.
func takeSnapshot(m api.Module, fresh []byte, handle uint32) (*memSnapshot, error) {
	mem := m.Memory()
	size := mem.Size()
	cur, ok := mem.Read(0, size)
	if !ok {
		return nil, fmt.Errorf("runtime: snapshot: memory unreadable")
	}
	snap := &memSnapshot{size: size, handle: handle}
	for off := uint32(0); off < size; off += pageSize {
		end := min(off+pageSize, size)
		page := cur[off:end]
		var base []byte
		if int(off) < len(fresh) {
			base = fresh[off:min(int(end), len(fresh))]
		}
		if bytes.Equal(page[:len(base)], base) && allZero(page[len(base):]) {
			continue
		}
		// Extend the previous run when adjacent.
		if n := len(snap.pages); n > 0 && snap.pages[n-1].offset+uint32(len(snap.pages[n-1].data)) == off {
			snap.pages[n-1].data = append(snap.pages[n-1].data, page...)
			continue
		}
		snap.pages = append(snap.pages, snapPage{offset: off, data: bytes.Clone(page)})
	}
	return snap, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// restore brings a freshly instantiated module to the snapshot's state.
func (s *memSnapshot) restore(m api.Module) error {
	mem := m.Memory()
	if cur := mem.Size(); cur < s.size {
		if _, ok := mem.Grow((s.size - cur) / 65536); !ok {
			return errGuestOutOfMemory
		}
	}
	for _, p := range s.pages {
		if !mem.Write(p.offset, p.data) {
			return fmt.Errorf("runtime: snapshot: write outside memory at %#x", p.offset)
		}
	}
	return nil
}
