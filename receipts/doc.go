// Package receipts defines the signed, hash-chained record written for every
// run and every action a run asks for. The package documentation becomes the
// format specification when signing and chaining land with the gate.
package receipts
