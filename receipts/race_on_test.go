//go:build race

package receipts

// flipStride is how many bytes apart the store-level tampering tests flip
// a stored receipt (from a random first byte): under the race detector,
// where each flip's rewrite and whole-chain Verify cost several times as
// much, a fifth of the bytes, a different fifth each run. Every byte is
// still flipped through Open by TestOpenDetectsByteChanges, and by the
// store tests in an ordinary build.
const flipStride = 5
