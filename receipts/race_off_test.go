//go:build !race

package receipts

// flipStride: in an ordinary build the store-level tampering tests flip
// every byte of a stored receipt.
const flipStride = 1
