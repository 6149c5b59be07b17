package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tetratelabs/wazero/experimental"
)

// imageFile is a memory image in a sealed memfd: its size, contents and
// seals can no longer change, so every private mapping of it sees the
// bytes start-up left.
type imageFile struct {
	mu  sync.RWMutex // held for reading while mapping, so close cannot reuse fd under it
	fd  int          // -1 once closed
	hot hotPages
	// offset is where the memory starts in the file: 0 in a memfd, the
	// header's size in an image file on disk (image_disk_linux.go).
	offset int64
}

// hotPages learns which pages of an image the instances restored from it
// write, and then has every new instance copy those pages when it maps
// the image, in one call (MADV_POPULATE_WRITE), instead of taking one
// page fault on each first write. Page faults are the main cost of a
// restored instance: each costs microseconds (tens on some virtual
// machines), and a run writes tens (QuickJS) to hundreds (CPython) of
// image pages.
//
// The first hotSamples instances freed are sampled: their written pages
// are those of the image range that /proc/self/pagemap shows as private
// anonymous pages (a write made a private copy), their read pages those
// it shows mapped from the file. A page at least half the samples wrote
// is copied at start; any other page one of them touched is mapped
// (MADV_POPULATE_READ, which costs no private memory). Going by the
// majority for copies keeps one odd run among the samples (a guest that
// writes its whole memory) from making every later instance copy
// everything. A
// page copied at start that a run then does not write costs the memory
// of a page and the time of a copy; one it writes that was not copied
// costs a fault, as without learning. Where pagemap or
// MADV_POPULATE_WRITE (Linux 5.14) is unavailable, instances fault
// their pages in as they touch them.
type hotPages struct {
	mu      sync.Mutex
	samples int
	// written and touched count, per page, the samples that wrote it and
	// that read or wrote it.
	written, touched []uint8
	// ranges are what to do at start, once learned.
	ranges atomic.Pointer[[]hotRange]
}

// pageUse is what a run did with an image page.
type pageUse uint8

const (
	pageUnused  pageUse = iota
	pageRead            // mapped, not copied
	pageWritten         // copied
)

// hotRange is a byte range of an image to populate at start: copied
// (MADV_POPULATE_WRITE) or mapped (MADV_POPULATE_READ, so that reading it
// takes no fault either).
type hotRange struct {
	start, end int
	advice     int
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

// writePages writes mem at offset base of w, leaving out its all-zero
// pages (holes in a file truncated to size first read as zeros), in one
// write per run of other pages.
func writePages(w io.WriterAt, base int64, mem []byte) error {
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
		if _, err := w.WriteAt(mem[off:end], base+int64(off)); err != nil {
			return err
		}
		off = end
	}
	return nil
}

// fdWriter writes to a file descriptor at an offset (pwrite, all of it).
type fdWriter int

func (fd fdWriter) WriteAt(p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Pwrite(int(fd), p[done:], off+int64(done))
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

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
	if err := writePages(fdWriter(f.fd), 0, mem); err != nil {
		return fmt.Errorf("write: %w", err)
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
	_, err := unix.MmapPtr(img.file.fd, img.file.offset, unsafe.Pointer(&mem.region[0]), uintptr(img.size),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED)
	if err != nil {
		mem.Free()
		return nil
	}
	mem.image = img
	if r := img.file.hot.ranges.Load(); r != nil {
		for _, rg := range *r {
			_ = unix.Madvise(mem.region[rg.start:rg.end], rg.advice)
		}
	}
	return mem
}

// learnImagePages samples the pages a freed instance wrote into its
// image range, while the image's hot pages are being learned.
func learnImagePages(img *memImage, region []byte) {
	h := &img.file.hot
	if h.ranges.Load() != nil {
		return
	}
	use, ok := pageUses(region[:img.size])
	if !ok {
		// No pagemap: learn nothing, and stop trying.
		h.ranges.Store(&[]hotRange{})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ranges.Load() != nil {
		return
	}
	if h.written == nil {
		h.written, h.touched = make([]uint8, len(use)), make([]uint8, len(use))
	}
	for i, u := range use {
		if u == pageWritten {
			h.written[i]++
		}
		if u != pageUnused {
			h.touched[i]++
		}
	}
	if h.samples++; h.samples < hotSamples {
		return
	}
	ps := os.Getpagesize()
	ranges := []hotRange{}
	for i := range h.written {
		var advice int
		switch {
		case 2*int(h.written[i]) >= hotSamples:
			advice = unix.MADV_POPULATE_WRITE
		case h.touched[i] > 0:
			advice = unix.MADV_POPULATE_READ
		default:
			continue
		}
		if n := len(ranges); n > 0 && ranges[n-1].end == i*ps && ranges[n-1].advice == advice {
			ranges[n-1].end += ps
		} else {
			ranges = append(ranges, hotRange{i * ps, (i + 1) * ps, advice})
		}
	}
	h.written, h.touched = nil, nil
	h.ranges.Store(&ranges)
}

// Bits of a /proc/self/pagemap entry.
const (
	pagemapPresent = 1 << 63
	pagemapFile    = 1 << 61 // a file page or shared anonymous page
)

// pageUses reports, for each page of mem (a private mapping of an
// image), whether it is a private anonymous copy (which a private file
// mapping only has where it was written), mapped from the file (read), or
// not mapped.
func pageUses(mem []byte) ([]pageUse, bool) {
	ps := os.Getpagesize()
	if len(mem) == 0 || len(mem)%ps != 0 {
		return nil, false
	}
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil, false
	}
	defer f.Close()
	n := len(mem) / ps
	buf := make([]byte, 8*n)
	first := int64(uintptr(unsafe.Pointer(&mem[0])) / uintptr(ps))
	if _, err := f.ReadAt(buf, first*8); err != nil {
		return nil, false
	}
	use := make([]pageUse, n)
	for i := range use {
		switch e := binary.LittleEndian.Uint64(buf[8*i:]); {
		case e&pagemapPresent == 0:
		case e&pagemapFile != 0:
			use[i] = pageRead
		default:
			use[i] = pageWritten
		}
	}
	return use, true
}
