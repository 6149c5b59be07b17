package runtime

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryBudget enforces a run's memory limit on every linear memory created
// while it is in a context (experimental.WithMemoryAllocator). Growth past
// the limit fails the way memory.grow fails in any engine: the guest sees -1
// and its allocator reports out of memory. The budget remembers that it
// refused, so a run that then dies can be reported as memory_limit rather
// than as a generic trap.
type memoryBudget struct {
	limit   uint64
	refused atomic.Bool
}

// Allocate implements experimental.MemoryAllocator.
func (b *memoryBudget) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	reserve := min(max(maxBytes, capacity), b.limit)
	if mem := mmapMemory(b, reserve); mem != nil {
		return mem
	}
	return &limitedMemory{budget: b, buf: make([]byte, 0, min(capacity, b.limit))}
}

// limitedMemory is one linear memory under a budget, backed by the Go heap
// (used where anonymous mappings are not available).
type limitedMemory struct {
	budget *memoryBudget
	buf    []byte
}

// Reallocate implements experimental.LinearMemory.
func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.budget.limit && len(m.buf) > 0 {
		m.budget.refused.Store(true)
		return nil
	}
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
func (m *limitedMemory) Free() { m.buf = nil }
