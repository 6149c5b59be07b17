//go:build !linux

package runtime

func preadImage(*memImage, []byte) (int, error) { return 0, errImageUnavailable }

func pwriteImage(*memImage, []byte) error { return errImageUnavailable }

func minorFaults() int64 { return 0 }
