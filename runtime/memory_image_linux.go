package runtime

import (
	"bytes"
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tetratelabs/wazero/experimental"
)

// imageFile is a memory image in a sealed memfd: its size, contents and
// seals can no longer change, so every private mapping of it sees the
// bytes start-up left.
type imageFile struct {
	mu sync.RWMutex // held for reading while mapping, so close cannot reuse fd under it
	fd int          // -1 once closed
}

var (
	imagesOnce sync.Once
	imagesOK   bool
)

// imagesAvailable reports whether this process can create sealed memfds
// (Linux 3.17 and later, unless a seccomp policy forbids it).
func imagesAvailable() bool {
	imagesOnce.Do(func() {
		fd, err := unix.MemfdCreate("enact-probe", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
		if err == nil {
			imagesOK = true
			_ = unix.Close(fd)
		}
	})
	return imagesOK
}

// zeroPage is what pages absent from an image file read as.
var zeroPage [pageSize]byte

// newImageFile writes mem into a new memfd, leaving holes where mem's
// pages are all zero, and seals it.
func newImageFile(mem []byte) (*imageFile, error) {
	fd, err := unix.MemfdCreate("enact-image", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := &imageFile{fd: fd}
	if err := f.fill(mem); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *imageFile) fill(mem []byte) error {
	if err := unix.Ftruncate(f.fd, int64(len(mem))); err != nil {
		return fmt.Errorf("ftruncate: %w", err)
	}
	for off := 0; off < len(mem); {
		if bytes.Equal(mem[off:min(off+pageSize, len(mem))], zeroPage[:min(pageSize, len(mem)-off)]) {
			off += pageSize
			continue
		}
		end := off + pageSize
		for end < len(mem) && !bytes.Equal(mem[end:min(end+pageSize, len(mem))], zeroPage[:min(pageSize, len(mem)-end)]) {
			end += pageSize
		}
		end = min(end, len(mem))
		for off < end {
			n, err := unix.Pwrite(f.fd, mem[off:end], int64(off))
			if err != nil {
				return fmt.Errorf("write: %w", err)
			}
			off += n
		}
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(f.fd), unix.F_ADD_SEALS, seals); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	return nil
}

func (f *imageFile) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fd >= 0 {
		_ = unix.Close(f.fd)
		f.fd = -1
	}
}

// imageMemory is a mappedMemory whose first img.size bytes are a private
// mapping of the image: reads see the image, writes go to the instance's
// own copies of the pages. Growth past the image is the reservation's
// anonymous memory, as for any mappedMemory. It returns nil when the
// image cannot be mapped.
func imageMemory(b *memoryBudget, reserve uint64, img *memImage) experimental.LinearMemory {
	if img.size == 0 || img.size > reserve {
		return nil
	}
	mem, _ := mmapMemory(b, reserve).(*mappedMemory)
	if mem == nil {
		return nil
	}
	img.file.mu.RLock()
	defer img.file.mu.RUnlock()
	if img.file.fd < 0 {
		mem.Free()
		return nil
	}
	_, err := unix.MmapPtr(img.file.fd, 0, unsafe.Pointer(&mem.region[0]), uintptr(img.size),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if err != nil {
		mem.Free()
		return nil
	}
	return mem
}
