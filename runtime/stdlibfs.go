package runtime

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"sync"
)

// archiveFS serves a zip archive's files as seekable in-memory files (what
// a WASI guest expects of a regular file: CPython's zoneinfo seeks, for
// one), inflating each file once, on its first open, and keeping it for the
// life of the process. Directories, implicit ones included, come from the
// zip reader itself.
type archiveFS struct {
	zr     *zip.Reader
	files  map[string]*zip.File
	cached sync.Map // name -> []byte
}

func newArchiveFS(zr *zip.Reader) *archiveFS {
	a := &archiveFS{zr: zr, files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		a.files[f.Name] = f
	}
	return a
}

// Open implements fs.FS.
func (a *archiveFS) Open(name string) (fs.File, error) {
	f, ok := a.files[name]
	if !ok {
		return a.zr.Open(name)
	}
	data, err := a.contents(f)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &archiveFile{Reader: bytes.NewReader(data), info: f.FileInfo()}, nil
}

func (a *archiveFS) contents(f *zip.File) ([]byte, error) {
	if v, ok := a.cached.Load(f.Name); ok {
		return v.([]byte), nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, err
	}
	v, _ := a.cached.LoadOrStore(f.Name, data)
	return v.([]byte), nil
}

// archiveFile is one open file of an archiveFS.
type archiveFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *archiveFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *archiveFile) Close() error               { return nil }
