package runtime

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryBudget enforces a run's memory limit on all the linear memories
// created while it is in a context (experimental.WithMemoryAllocator)
// together, plus whatever else the run was charged for up front (a
// prebuilt module's tables, globals and segments: see planModule). Growth
// past the limit fails the way memory.grow fails in any engine: the guest
// sees -1 and its allocator reports out of memory. The budget remembers
// that it refused, so a run that then dies can be reported as
// memory_limit rather than as a generic trap.
type memoryBudget struct {
	limit   uint64
	used    atomic.Uint64
	refused atomic.Bool
	// image, when set, is mapped as the start of the first memory
	// allocated (see snapshot_image.go); imageMapped says it was.
	image       *memImage
	imageMapped bool
}

// charge counts n more bytes against the limit, or refuses them (and
// remembers that it did). force charges even past the limit: an
// instance's initial memory must be handed over (wazero cannot fail it),
// and the caller checks refused after instantiation.
func (b *memoryBudget) charge(n uint64, force bool) bool {
	for {
		used := b.used.Load()
		if used+n > b.limit {
			b.refused.Store(true)
			if !force {
				return false
			}
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

func (b *memoryBudget) release(n uint64) { b.used.Add(-n) }

// Allocate implements experimental.MemoryAllocator.
func (b *memoryBudget) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	reserve := min(max(maxBytes, capacity), b.limit)
	if img := b.image; img != nil {
		// One memory starts from the image: an interpreter has one.
		b.image = nil
		if mem := imageMemory(b, reserve, img); mem != nil {
			b.imageMapped = true
			return mem
		}
	}
	if mem := mmapMemory(b, reserve); mem != nil {
		return mem
	}
	return &limitedMemory{budget: b, buf: make([]byte, 0, min(capacity, b.limit))}
}

// limitedMemory is one linear memory under a budget, backed by the Go heap
// (used where anonymous mappings are not available).
type limitedMemory struct {
	budget  *memoryBudget
	buf     []byte
	started bool
}

// Reallocate implements experimental.LinearMemory.
func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) && !m.budget.charge(size-uint64(len(m.buf)), !m.started) {
		return nil
	}
	m.started = true
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	// Grow geometrically up to the limit, so a guest growing page by page
	// does not copy its whole memory on every step.
	newCap := max(size, 2*uint64(cap(m.buf)))
	newCap = min(newCap, max(size, m.budget.limit))
	grown := make([]byte, size, newCap)
	copy(grown, m.buf)
	m.buf = grown
	return m.buf
}

// Free implements experimental.LinearMemory.
func (m *limitedMemory) Free() {
	m.budget.release(uint64(len(m.buf)))
	m.buf = nil
}
