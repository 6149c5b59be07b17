package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero/api"
)

// A WASI mount: one read-only directory tree a guest sees, served from an
// fs.FS held in memory (for CPython, its standard library archive).
//
// The tree is indexed once, when the mount is made: every directory and
// regular file with its size and inode, so that opening, stat and listing
// are lookups and read no archive entry. A file's bytes are read from the
// fs.FS only when the guest reads them. Symbolic links and other kinds of
// entry are left out: the guest sees none.
//
// Descriptors are per guest instance. The host module is shared by every
// instance of an interpreter, so each instance (its api.Module) gets a
// table of its own on its first file call, holding only the preopened
// directory, fd 3; the files it opens get fd 4 and up, at most
// maxGuestFiles of them at once (EMFILE beyond). An instance restored from
// a memory snapshot is a new api.Module and so starts from that same
// table. release drops an instance's table when it closes.
//
// What the guest cannot do is refused with the error a read-only file
// system gives: opening for writing, creating, truncating or appending,
// and every path call that would change the tree, answer EROFS (CPython:
// "[Errno 69] Read-only file system"); a path leaving the mount by ".."
// answers ENOTCAPABLE, as wasi-libc itself does for a path outside every
// preopened directory ("[Errno 76] Capabilities insufficient").

// maxGuestFiles bounds the descriptors one instance may have open on a
// mount, besides standard I/O and the preopened directory.
const maxGuestFiles = 64

// maxMountEntries bounds the entries a mount indexes, and maxGuestPath the
// length of a path a guest passes, in bytes.
const (
	maxMountEntries = 1 << 20
	maxGuestPath    = 4096
)

// mountTime is every timestamp the mount reports: 2000-01-01T00:00:00Z, in
// nanoseconds. The stdlib's .pyc files are checked by hash or not at all,
// never by time.
const mountTime = 946684800 * 1_000_000_000

// mountDev is the device number of every entry of the mount.
const mountDev = 1

// WASI errno values the mount answers, beyond those in wasi.go.
const (
	errnoExist       = 20
	errnoIO          = 29
	errnoIsdir       = 31
	errnoMfile       = 33
	errnoNametoolong = 37
	errnoNoent       = 44
	errnoNotdir      = 54
	errnoNotsup      = 58
	errnoRofs        = 69
)

// WASI file types, open flags and rights.
const (
	wasiFiletypeDirectory = 3
	wasiFiletypeRegular   = 4

	oflagCreat     = 1
	oflagDirectory = 2
	oflagExcl      = 4
	oflagTrunc     = 8

	fdflagAppend = 1

	rightFdDatasync        = 1 << 0
	rightFdRead            = 1 << 1
	rightFdSeek            = 1 << 2
	rightFdFdstatSetFlags  = 1 << 3
	rightFdSync            = 1 << 4
	rightFdTell            = 1 << 5
	rightFdWrite           = 1 << 6
	rightFdAdvise          = 1 << 7
	rightFdAllocate        = 1 << 8
	rightPathOpen          = 1 << 13
	rightFdReaddir         = 1 << 14
	rightPathReadlink      = 1 << 15
	rightPathFilestatGet   = 1 << 18
	rightFdFilestatGet     = 1 << 21
	rightFdFilestatSetSize = 1 << 22
	rightPollFdReadwrite   = 1 << 27

	// fileRights are what an opened file may have, dirRights an opened
	// directory.
	fileRights = rightFdRead | rightFdSeek | rightFdFdstatSetFlags | rightFdSync | rightFdTell |
		rightFdAdvise | rightFdFilestatGet | rightPollFdReadwrite
	dirRights = rightFdFdstatSetFlags | rightFdSync | rightPathOpen | rightFdReaddir |
		rightPathReadlink | rightPathFilestatGet | rightFdFilestatGet
	// writeRights are the rights that only a write access mode asks for
	// (wasi-libc asks for every other right whatever the mode). A
	// directory advertises them as inheritable so that a request to write
	// reaches path_open, which refuses it with EROFS, rather than being
	// masked by the libc into a read-only open that would then fail at
	// the first write with EBADF.
	writeRights = rightFdDatasync | rightFdWrite | rightFdAllocate | rightFdFilestatSetSize
)

// wasiMount is a read-only directory tree served to guests. It is safe for
// concurrent use by any number of guest instances.
type wasiMount struct {
	fsys   fs.FS
	path   string // where the guest sees it, e.g. "/usr/local"
	root   *mountNode
	tables sync.Map // api.Module -> *fdTable
}

// mountNode is one directory or regular file of a mount.
type mountNode struct {
	name   string // base name; "." for the root
	fsPath string // its name in the fs.FS
	parent *mountNode
	dir    bool
	size   int64
	ino    uint64
	// A directory's entries, by name and sorted.
	children map[string]*mountNode
	list     []*mountNode
}

// newWASIMount indexes fsys, to be seen by guests as the directory
// mountPath (absolute and clean, e.g. "/usr/local"), read only. fsys must
// not change afterwards and must be safe for concurrent use (a zip.Reader
// and an fstest.MapFS are).
func newWASIMount(fsys fs.FS, mountPath string) (*wasiMount, error) {
	if fsys == nil {
		return nil, errors.New("runtime: WASI mount: no file system")
	}
	if !strings.HasPrefix(mountPath, "/") || path.Clean(mountPath) != mountPath || len(mountPath) > maxGuestPath {
		return nil, fmt.Errorf("runtime: WASI mount path %q: want an absolute, clean path of at most %d bytes", mountPath, maxGuestPath)
	}
	m := &wasiMount{fsys: fsys, path: mountPath}
	nodes := map[string]*mountNode{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if len(nodes) >= maxMountEntries {
			return fmt.Errorf("more than %d entries", maxMountEntries)
		}
		n := &mountNode{name: d.Name(), fsPath: p, ino: uint64(len(nodes)) + 1}
		switch {
		case d.IsDir():
			n.dir, n.children = true, map[string]*mountNode{}
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			n.size = max(info.Size(), 0)
		default:
			return nil // no symbolic links, devices or pipes
		}
		if p == "." {
			n.name = "."
			m.root = n
		} else {
			parent := nodes[path.Dir(p)]
			if parent == nil || strings.IndexByte(n.name, 0) >= 0 {
				return nil // under a skipped entry, or unnameable
			}
			n.parent = parent
			parent.children[n.name] = n
			parent.list = append(parent.list, n)
		}
		if n.dir {
			nodes[p] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("runtime: index the WASI mount: %w", err)
	}
	if m.root == nil || !m.root.dir {
		return nil, errors.New("runtime: WASI mount: the file system's root is not a directory")
	}
	for _, n := range nodes {
		slices.SortFunc(n.list, func(a, b *mountNode) int { return strings.Compare(a.name, b.name) })
	}
	return m, nil
}

// release forgets a guest instance's descriptors, closing what it left
// open. Call it when the instance closes; calling it for an instance that
// never touched the mount, or on a nil mount, does nothing.
func (m *wasiMount) release(mod api.Module) {
	if m == nil {
		return
	}
	if v, ok := m.tables.LoadAndDelete(mod); ok {
		t := v.(*fdTable)
		t.mu.Lock()
		defer t.mu.Unlock()
		for i, f := range t.files {
			if f != nil {
				f.close()
				t.files[i] = nil
			}
		}
	}
}

// fdTable is one instance's descriptors on the mount: files[0] is fd 3,
// the preopened directory, files[i] is fd 3+i.
type fdTable struct {
	mu    sync.Mutex
	files [1 + maxGuestFiles]*mountFile
}

// mountFile is an open descriptor of the mount.
type mountFile struct {
	mount   *wasiMount
	node    *mountNode
	rights  uint64
	fdflags uint16
	pos     int64 // the guest's offset in a regular file
	// The file's bytes, opened on the first read: at reads at offsets
	// when the fs.File can; otherwise f is read in order, its next byte
	// being at offset fpos.
	f    fs.File
	at   io.ReaderAt
	fpos int64
}

// table returns the instance's descriptors, making them on first use.
func (m *wasiMount) table(mod api.Module) *fdTable {
	if v, ok := m.tables.Load(mod); ok {
		return v.(*fdTable)
	}
	t := &fdTable{}
	t.files[0] = &mountFile{mount: m, node: m.root, rights: dirRights}
	v, _ := m.tables.LoadOrStore(mod, t)
	return v.(*fdTable)
}

// get returns the open descriptor fd, or nil.
func (t *fdTable) get(fd uint32) *mountFile {
	if fd < 3 || fd-3 >= uint32(len(t.files)) {
		return nil
	}
	return t.files[fd-3]
}

// add gives f the lowest free descriptor above the preopen.
func (t *fdTable) add(f *mountFile) (uint32, bool) {
	for i := 1; i < len(t.files); i++ {
		if t.files[i] == nil {
			t.files[i] = f
			return uint32(3 + i), true
		}
	}
	return 0, false
}

func (f *mountFile) close() {
	if f.f != nil {
		_ = f.f.Close()
		f.f, f.at = nil, nil
	}
}

// readAt reads the file's bytes at off into p, as many as there are.
func (f *mountFile) readAt(p []byte, off int64) (int, error) {
	if off >= f.node.size {
		return 0, nil
	}
	if int64(len(p)) > f.node.size-off {
		p = p[:f.node.size-off]
	}
	if f.f == nil {
		if err := f.open(); err != nil {
			return 0, err
		}
	}
	if f.at != nil {
		n, err := f.at.ReadAt(p, off)
		if err == io.EOF {
			err = nil
		}
		return n, err
	}
	if off != f.fpos {
		if s, ok := f.f.(io.Seeker); ok {
			if _, err := s.Seek(off, io.SeekStart); err != nil {
				return 0, err
			}
			f.fpos = off
		} else {
			if off < f.fpos {
				// Back to the start: a compressed entry cannot seek.
				f.close()
				if err := f.open(); err != nil {
					return 0, err
				}
			}
			n, err := io.CopyN(io.Discard, f.f, off-f.fpos)
			f.fpos += n
			if err == io.EOF {
				return 0, nil
			} else if err != nil {
				return 0, err
			}
		}
	}
	n, err := io.ReadFull(f.f, p)
	f.fpos += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return n, err
}

func (f *mountFile) open() error {
	file, err := f.mount.fsys.Open(f.node.fsPath)
	if err != nil {
		return err
	}
	f.f, f.fpos = file, 0
	f.at, _ = file.(io.ReaderAt)
	return nil
}

// resolve looks a guest's path up from the directory base. Paths are
// relative, "." and empty components are skipped, ".." goes up but never
// above the mount's root, and a trailing slash requires a directory.
func (m *wasiMount) resolve(base *mountNode, p []byte) (*mountNode, uint32) {
	if len(p) == 0 {
		return nil, errnoNoent
	}
	if p[0] == '/' {
		return nil, errnoNotcapable // WASI paths are relative
	}
	if bytes.IndexByte(p, 0) >= 0 {
		return nil, errnoInval
	}
	cur, wantDir := base, p[len(p)-1] == '/'
	for len(p) > 0 {
		var comp []byte
		if i := bytes.IndexByte(p, '/'); i >= 0 {
			comp, p = p[:i], p[i+1:]
		} else {
			comp, p = p, nil
		}
		if !cur.dir {
			return nil, errnoNotdir
		}
		switch string(comp) {
		case "", ".":
		case "..":
			if cur.parent == nil {
				return nil, errnoNotcapable
			}
			cur = cur.parent
		default:
			next := cur.children[string(comp)]
			if next == nil {
				return nil, errnoNoent
			}
			cur = next
		}
	}
	if wantDir && !cur.dir {
		return nil, errnoNotdir
	}
	return cur, errnoSuccess
}

// guestPath returns the path a guest passed, a view of its memory.
func guestPath(mod api.Module, ptr, n uint32) ([]byte, uint32) {
	if n > maxGuestPath {
		return nil, errnoNametoolong
	}
	p, ok := mod.Memory().Read(ptr, n)
	if !ok {
		return nil, errnoFault
	}
	return p, errnoSuccess
}

// filestat encodes a WASI filestat.
func (n *mountNode) filestat() [64]byte {
	var st [64]byte
	binary.LittleEndian.PutUint64(st[0:], mountDev)
	binary.LittleEndian.PutUint64(st[8:], n.ino)
	st[16] = n.filetype()
	binary.LittleEndian.PutUint64(st[24:], 1)
	if !n.dir {
		binary.LittleEndian.PutUint64(st[32:], uint64(n.size))
	}
	for _, off := range []int{40, 48, 56} {
		binary.LittleEndian.PutUint64(st[off:], mountTime)
	}
	return st
}

func (n *mountNode) filetype() byte {
	if n.dir {
		return wasiFiletypeDirectory
	}
	return wasiFiletypeRegular
}

// stdioFilestat is what fstat says of standard input, output and error: a
// character device. CPython checks its standard streams with fstat.
func stdioFilestat() [64]byte {
	var st [64]byte
	st[16] = wasiFiletypeChar
	binary.LittleEndian.PutUint64(st[24:], 1)
	for _, off := range []int{40, 48, 56} {
		binary.LittleEndian.PutUint64(st[off:], mountTime)
	}
	return st
}

// direntSize is the size of a WASI dirent header, before its name.
const direntSize = 24

// readdir fills buf with the directory's entries from the cookie on, as
// WASI's fd_readdir does: ".", ".." and then the entries by name, each a
// header and its name, the last one cut off when buf is full. A cookie is
// the index of the next entry. It returns how much of buf it used.
func (n *mountNode) readdir(buf []byte, cookie uint64) int {
	used := 0
	count := uint64(len(n.list)) + 2
	for i := cookie; i < count && used < len(buf); i++ {
		var name string
		var e *mountNode
		switch i {
		case 0:
			name, e = ".", n
		case 1:
			name, e = "..", n
			if n.parent != nil {
				e = n.parent
			}
		default:
			e = n.list[i-2]
			name = e.name
		}
		var h [direntSize]byte
		binary.LittleEndian.PutUint64(h[0:], i+1)
		binary.LittleEndian.PutUint64(h[8:], e.ino)
		binary.LittleEndian.PutUint32(h[16:], uint32(len(name)))
		h[20] = e.filetype()
		used += copy(buf[used:], h[:])
		used += copy(buf[used:], name)
	}
	return used
}

// exports returns the WASI functions the mount serves; wasi.go exports
// them in place of its own answers. The stdio descriptors 0-2 keep their
// behaviour except fd_filestat_get, which describes a character device.
func (m *wasiMount) exports(stdio map[string]api.GoModuleFunc) map[string]api.GoModuleFunc {
	// withFile runs f on an open descriptor; standard I/O and unknown
	// descriptors get the answer they had before the mount.
	withFile := func(name string, f func(ctx context.Context, mod api.Module, file *mountFile, t *fdTable, s []uint64) uint32) api.GoModuleFunc {
		old := stdio[name]
		if old == nil {
			panic("runtime: the sandbox's WASI has no answer of its own for " + name)
		}
		return func(ctx context.Context, mod api.Module, s []uint64) {
			fd := uint32(s[0])
			if fd < 3 {
				old(ctx, mod, s)
				return
			}
			t := m.table(mod)
			t.mu.Lock()
			defer t.mu.Unlock()
			file := t.get(fd)
			if file == nil {
				s[0] = errnoBadf
				return
			}
			s[0] = uint64(f(ctx, mod, file, t, s))
		}
	}
	// write puts b at ptr in guest memory.
	write := func(mod api.Module, ptr uint32, b []byte) uint32 {
		if !mod.Memory().Write(ptr, b) {
			return errnoFault
		}
		return errnoSuccess
	}
	rofs := func(_ context.Context, _ api.Module, _ *mountFile, _ *fdTable, _ []uint64) uint32 { return errnoRofs }
	dirOnly := func(name string, f func(ctx context.Context, mod api.Module, dir *mountFile, s []uint64) uint32) api.GoModuleFunc {
		return withFile(name, func(ctx context.Context, mod api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
			if !file.node.dir {
				return errnoNotdir
			}
			return f(ctx, mod, file, s)
		})
	}

	fns := map[string]api.GoModuleFunc{}

	fns["fd_prestat_get"] = func(_ context.Context, mod api.Module, s []uint64) {
		fd, ptr := uint32(s[0]), uint32(s[1])
		if fd != 3 || m.table(mod).get(3) == nil {
			s[0] = errnoBadf
			return
		}
		var pre [8]byte // tag 0: a directory
		binary.LittleEndian.PutUint32(pre[4:], uint32(len(m.path)))
		s[0] = uint64(write(mod, ptr, pre[:]))
	}
	fns["fd_prestat_dir_name"] = func(_ context.Context, mod api.Module, s []uint64) {
		fd, ptr, n := uint32(s[0]), uint32(s[1]), uint32(s[2])
		switch {
		case fd != 3 || m.table(mod).get(3) == nil:
			s[0] = errnoBadf
		case n < uint32(len(m.path)):
			s[0] = errnoNametoolong
		default:
			s[0] = uint64(write(mod, ptr, []byte(m.path)))
		}
	}

	fns["fd_close"] = withFile("fd_close", func(_ context.Context, _ api.Module, file *mountFile, t *fdTable, s []uint64) uint32 {
		file.close()
		t.files[uint32(s[0])-3] = nil
		return errnoSuccess
	})
	fns["fd_fdstat_get"] = withFile("fd_fdstat_get", func(_ context.Context, mod api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		var st [24]byte
		st[0] = file.node.filetype()
		binary.LittleEndian.PutUint16(st[2:], file.fdflags)
		binary.LittleEndian.PutUint64(st[8:], file.rights)
		if file.node.dir {
			binary.LittleEndian.PutUint64(st[16:], fileRights|dirRights|writeRights)
		}
		return write(mod, uint32(s[1]), st[:])
	})
	fns["fd_fdstat_set_flags"] = withFile("fd_fdstat_set_flags", func(_ context.Context, _ api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		flags := uint16(s[1])
		if flags&fdflagAppend != 0 {
			return errnoRofs
		}
		file.fdflags = flags
		return errnoSuccess
	})
	fns["fd_fdstat_set_rights"] = withFile("fd_fdstat_set_rights", func(_ context.Context, _ api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		base := s[1]
		if base&^file.rights != 0 {
			return errnoNotcapable
		}
		file.rights = base
		return errnoSuccess
	})
	fns["fd_filestat_get"] = withFile("fd_filestat_get", func(_ context.Context, mod api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		st := file.node.filestat()
		return write(mod, uint32(s[1]), st[:])
	})
	mountStat := fns["fd_filestat_get"]
	fns["fd_filestat_get"] = func(ctx context.Context, mod api.Module, s []uint64) {
		if fd := uint32(s[0]); fd < 3 {
			st := stdioFilestat()
			s[0] = uint64(write(mod, uint32(s[1]), st[:]))
			return
		}
		mountStat(ctx, mod, s)
	}
	success := func(_ context.Context, _ api.Module, _ *mountFile, _ *fdTable, _ []uint64) uint32 {
		return errnoSuccess
	}
	fns["fd_sync"] = withFile("fd_sync", success)
	fns["fd_datasync"] = withFile("fd_datasync", success)
	fns["fd_advise"] = withFile("fd_advise", func(_ context.Context, _ api.Module, file *mountFile, _ *fdTable, _ []uint64) uint32 {
		if file.node.dir {
			return errnoBadf
		}
		return errnoSuccess
	})
	fns["fd_allocate"] = withFile("fd_allocate", rofs)
	fns["fd_filestat_set_size"] = withFile("fd_filestat_set_size", rofs)
	fns["fd_filestat_set_times"] = withFile("fd_filestat_set_times", rofs)
	fns["fd_pwrite"] = withFile("fd_pwrite", func(_ context.Context, _ api.Module, _ *mountFile, _ *fdTable, _ []uint64) uint32 { return errnoBadf })

	// readInto reads into the guest's iovecs from offset off and returns
	// how many bytes it read.
	readInto := func(mod api.Module, file *mountFile, iovs, iovsLen uint32, off int64) (int64, uint32) {
		if file.node.dir {
			return 0, errnoIsdir
		}
		mem := mod.Memory()
		var total int64
		for i := uint32(0); i < iovsLen; i++ {
			iov, ok := mem.Read(iovs+i*8, 8)
			if !ok {
				return 0, errnoFault
			}
			buf, ok := mem.Read(binary.LittleEndian.Uint32(iov), binary.LittleEndian.Uint32(iov[4:]))
			if !ok {
				return 0, errnoFault
			}
			if room := int64(math.MaxInt32) - total; int64(len(buf)) > room {
				buf = buf[:room]
			}
			n, err := file.readAt(buf, off+total)
			total += int64(n)
			if err != nil {
				return 0, errnoIO
			}
			if n < len(buf) || total >= math.MaxInt32 {
				break
			}
		}
		return total, errnoSuccess
	}
	fns["fd_read"] = withFile("fd_read", func(_ context.Context, mod api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		n, errno := readInto(mod, file, uint32(s[1]), uint32(s[2]), file.pos)
		if errno != errnoSuccess {
			return errno
		}
		file.pos += n
		if !mod.Memory().WriteUint32Le(uint32(s[3]), uint32(n)) {
			return errnoFault
		}
		return errnoSuccess
	})
	fns["fd_pread"] = withFile("fd_pread", func(_ context.Context, mod api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		off := int64(s[3])
		if off < 0 {
			return errnoInval
		}
		n, errno := readInto(mod, file, uint32(s[1]), uint32(s[2]), off)
		if errno != errnoSuccess {
			return errno
		}
		if !mod.Memory().WriteUint32Le(uint32(s[4]), uint32(n)) {
			return errnoFault
		}
		return errnoSuccess
	})
	fns["fd_seek"] = withFile("fd_seek", func(_ context.Context, mod api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		if file.node.dir {
			return errnoNotcapable
		}
		delta, whence := int64(s[1]), uint32(s[2])
		var base int64
		switch whence {
		case 0: // set
		case 1: // cur
			base = file.pos
		case 2: // end
			base = file.node.size
		default:
			return errnoInval
		}
		pos := base + delta
		if (delta > 0 && pos < base) || pos < 0 {
			return errnoInval
		}
		file.pos = pos
		if !mod.Memory().WriteUint64Le(uint32(s[3]), uint64(pos)) {
			return errnoFault
		}
		return errnoSuccess
	})
	fns["fd_tell"] = withFile("fd_tell", func(_ context.Context, mod api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		if file.node.dir {
			return errnoNotcapable
		}
		if !mod.Memory().WriteUint64Le(uint32(s[1]), uint64(file.pos)) {
			return errnoFault
		}
		return errnoSuccess
	})
	fns["fd_readdir"] = withFile("fd_readdir", func(_ context.Context, mod api.Module, file *mountFile, _ *fdTable, s []uint64) uint32 {
		buf, bufLen, cookie, usedPtr := uint32(s[1]), uint32(s[2]), s[3], uint32(s[4])
		if !file.node.dir {
			return errnoNotdir
		}
		b, ok := mod.Memory().Read(buf, bufLen)
		if !ok {
			return errnoFault
		}
		used := file.node.readdir(b, cookie)
		if !mod.Memory().WriteUint32Le(usedPtr, uint32(used)) {
			return errnoFault
		}
		return errnoSuccess
	})

	fns["path_open"] = withFile("path_open", func(_ context.Context, mod api.Module, dir *mountFile, t *fdTable, s []uint64) uint32 {
		pathPtr, pathLen, oflags := uint32(s[2]), uint32(s[3]), uint16(s[4])
		base, fdflags, fdPtr := s[5], uint16(s[7]), uint32(s[8])
		if !dir.node.dir {
			return errnoNotdir
		}
		p, errno := guestPath(mod, pathPtr, pathLen)
		if errno != errnoSuccess {
			return errno
		}
		n, errno := m.resolve(dir.node, p)
		if errno == errnoNoent && oflags&oflagCreat != 0 {
			return errnoRofs
		}
		if errno != errnoSuccess {
			return errno
		}
		writing := base&writeRights != 0 || oflags&oflagTrunc != 0 || fdflags&fdflagAppend != 0
		switch {
		case oflags&(oflagCreat|oflagExcl) == oflagCreat|oflagExcl:
			return errnoExist
		case oflags&oflagDirectory != 0 && !n.dir:
			return errnoNotdir
		case n.dir && writing:
			return errnoIsdir
		case writing || oflags&oflagCreat != 0:
			return errnoRofs
		}
		f := &mountFile{mount: m, node: n, fdflags: fdflags}
		if n.dir {
			f.rights = base & dirRights
		} else {
			f.rights = base & fileRights
		}
		fd, ok := t.add(f)
		if !ok {
			return errnoMfile
		}
		if !mod.Memory().WriteUint32Le(fdPtr, fd) {
			t.files[fd-3] = nil
			return errnoFault
		}
		return errnoSuccess
	})
	fns["path_filestat_get"] = dirOnly("path_filestat_get", func(_ context.Context, mod api.Module, dir *mountFile, s []uint64) uint32 {
		p, errno := guestPath(mod, uint32(s[2]), uint32(s[3]))
		if errno != errnoSuccess {
			return errno
		}
		n, errno := m.resolve(dir.node, p)
		if errno != errnoSuccess {
			return errno
		}
		st := n.filestat()
		return write(mod, uint32(s[4]), st[:])
	})
	fns["path_readlink"] = dirOnly("path_readlink", func(_ context.Context, mod api.Module, dir *mountFile, s []uint64) uint32 {
		p, errno := guestPath(mod, uint32(s[1]), uint32(s[2]))
		if errno != errnoSuccess {
			return errno
		}
		if _, errno := m.resolve(dir.node, p); errno != errnoSuccess {
			return errno
		}
		return errnoInval // there are no symbolic links
	})
	for _, name := range []string{
		"path_create_directory", "path_filestat_set_times", "path_link", "path_remove_directory",
		"path_rename", "path_unlink_file",
	} {
		fns[name] = dirOnly(name, func(_ context.Context, _ api.Module, _ *mountFile, _ []uint64) uint32 { return errnoRofs })
	}
	// path_symlink takes its directory third: (old path, length, fd, new
	// path, length).
	symlink := dirOnly("path_symlink", func(_ context.Context, _ api.Module, _ *mountFile, _ []uint64) uint32 { return errnoRofs })
	fns["path_symlink"] = func(ctx context.Context, mod api.Module, s []uint64) {
		s[0], s[2] = s[2], s[0]
		symlink(ctx, mod, s)
	}
	return fns
}

// ready answers a poll_oneoff subscription on a descriptor of the mount:
// an open regular file is always ready to read, with what is left of it.
func (m *wasiMount) ready(mod api.Module, fd uint32, writing bool) (uint64, uint32) {
	t := m.table(mod)
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.get(fd)
	if f == nil || f.node.dir || writing {
		return 0, errnoBadf
	}
	return uint64(max(f.node.size-f.pos, 0)), errnoSuccess
}
