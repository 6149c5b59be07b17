//go:build !(linux || darwin || freebsd)

package runtime

import "github.com/tetratelabs/wazero/experimental"

// mmapMemory is unavailable here; memories live on the Go heap.
func mmapMemory(*memoryBudget, uint64) experimental.LinearMemory { return nil }
