//go:build linux

package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// A memory image can outlive its process: with a cache directory, the
// image of an interpreter whose start-up is costly (CPython: its
// initialisation and pre-imports take hundreds of milliseconds) is also
// written to a file under the directory, and a later process maps that
// file instead of starting the interpreter again. The file is named by a
// digest of everything the image depends on (the rewritten module's bytes,
// the start-up code, the format), so a new engine or boot code never finds
// an old image. Like the compiled code in the same directory, the file is
// trusted: the directory is the runner's own (0700).
//
// Layout: a header page of imageHeaderSize bytes (magic, the memory's size,
// init's handle, the mutable globals), then the memory, its all-zero pages
// left as holes; the memory is mapped privately from offset
// imageHeaderSize.

const (
	imageHeaderSize = 64 << 10
	imageMagic      = "ENACT-IMAGE-1\x00\x00\x00"
)

// imagePath is the file of an image key under dir.
func imagePath(dir, key string) string { return filepath.Join(dir, "image-"+key+".bin") }

// loadImage maps nothing yet: it opens the image file of key under dir
// and reads its header. A missing or malformed file is (nil, nil) or an
// error; either way the caller starts the interpreter itself.
func loadImage(dir, key string, globals int) (*memImage, error) {
	f, err := os.Open(imagePath(dir, key))
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	var head [imageHeaderSize]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("runtime: image file: %w", err)
	}
	if !bytes.Equal(head[:len(imageMagic)], []byte(imageMagic)) {
		return nil, fmt.Errorf("runtime: image file %s: not an image", f.Name())
	}
	p := head[len(imageMagic):]
	size := binary.LittleEndian.Uint64(p)
	handle := binary.LittleEndian.Uint32(p[8:])
	n := int(binary.LittleEndian.Uint32(p[12:]))
	st, err := f.Stat()
	if err != nil || n != globals || 16+8*n > len(p) || size == 0 || size%65536 != 0 || uint64(st.Size()) != imageHeaderSize+size {
		return nil, fmt.Errorf("runtime: image file %s: inconsistent header", f.Name())
	}
	img := &memImage{size: size, handle: handle, globals: make([]uint64, n)}
	for i := range img.globals {
		img.globals[i] = binary.LittleEndian.Uint64(p[16+8*i:])
	}
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(fd)
	img.file = &imageFile{fd: fd, offset: imageHeaderSize}
	return img, nil
}

// saveImage writes an image taken from mem to its file under dir, through
// a temporary file renamed into place, so a reader sees a whole image or
// none. Failing to save is not an error of the run: the next process takes
// the image again.
func saveImage(dir, key string, img *memImage, mem []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "image-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var head [imageHeaderSize]byte
	copy(head[:], imageMagic)
	p := head[len(imageMagic):]
	binary.LittleEndian.PutUint64(p, img.size)
	binary.LittleEndian.PutUint32(p[8:], img.handle)
	binary.LittleEndian.PutUint32(p[12:], uint32(len(img.globals)))
	if 16+8*len(img.globals) > len(p) {
		return fmt.Errorf("runtime: image: %d globals do not fit the header", len(img.globals))
	}
	for i, g := range img.globals {
		binary.LittleEndian.PutUint64(p[16+8*i:], g)
	}
	if _, err := tmp.WriteAt(head[:], 0); err != nil {
		return err
	}
	if err := tmp.Truncate(imageHeaderSize + int64(len(mem))); err != nil {
		return err
	}
	if err := writePages(tmp, imageHeaderSize, mem); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), imagePath(dir, key))
}
