package runtime

import "golang.org/x/sys/unix"

// preadImage reads an image file from its start.
func preadImage(img *memImage, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Pread(img.file.fd, buf[n:], int64(n))
		if err != nil || m == 0 {
			return n, err
		}
		n += m
	}
	return n, nil
}

// pwriteImage writes at the start of an image file.
func pwriteImage(img *memImage, b []byte) error {
	_, err := unix.Pwrite(img.file.fd, b, 0)
	return err
}
