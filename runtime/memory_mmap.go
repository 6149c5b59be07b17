//go:build linux || darwin || freebsd

package runtime

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mappedMemory backs a linear memory with an anonymous private mapping that
// reserves the whole budget up front. Growing is then a reslice: nothing is
// copied, the address never moves, and only pages the guest touches cost
// real memory. The mapping lives outside the Go heap, so a run's memory
// adds nothing to garbage collection, and Free returns it at once.
type mappedMemory struct {
	budget  *memoryBudget
	region  []byte
	size    uint64
	started bool
	// image is the image mapped over the start of region, if any (see
	// imageMemory).
	image *memImage
}

func mmapMemory(b *memoryBudget, reserve uint64) experimental.LinearMemory {
	if reserve == 0 {
		reserve = 65536
	}
	region, err := syscall.Mmap(-1, 0, int(reserve), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return nil
	}
	return &mappedMemory{budget: b, region: region}
}

// Reallocate implements experimental.LinearMemory.
func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.region)) {
		m.budget.refused.Store(true)
		return nil
	}
	if size > m.size && !m.budget.charge(size-m.size, !m.started) {
		return nil
	}
	m.started = true
	m.size = size
	return m.region[:size:size]
}

// Free implements experimental.LinearMemory.
func (m *mappedMemory) Free() {
	if m.region != nil {
		if m.image != nil {
			learnImagePages(m.image, m.region)
		}
		m.budget.release(m.size)
		_ = syscall.Munmap(m.region)
		m.region = nil
	}
}
