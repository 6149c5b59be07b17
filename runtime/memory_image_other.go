//go:build !linux

package runtime

import "github.com/tetratelabs/wazero/experimental"

// imageFile is unavailable here: interpreters use page-copy snapshots.
type imageFile struct{}

func imagesAvailable() bool { return false }

func newImageFile([]byte) (*imageFile, error) { return nil, errImageUnavailable }

func (*imageFile) close() {}

func imageMemory(*memoryBudget, uint64, *memImage) experimental.LinearMemory { return nil }

func learnImagePages(*memImage, []byte) {}

func loadImage(string, string, int) (*memImage, error) { return nil, nil }

func saveImage(string, string, *memImage, []byte) error { return errImageUnavailable }
