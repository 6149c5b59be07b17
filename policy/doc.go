// Package policy decides whether a run or a connector action may proceed.
//
// Decide is pure and deterministic: the clock and every fact it needs arrive
// in its input. The built-in policies, the policy file and CEL rules land
// with the gate; this package holds only its documentation until then.
package policy
