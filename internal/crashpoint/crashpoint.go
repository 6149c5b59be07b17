// Package crashpoint marks the places where a crash matters to the
// journal and the receipts — before and after an action's intent, after
// the action, after its outcome, inside the receipt's transaction, after
// the receipt — so the crash harness can kill the process exactly there.
//
// In a normal build Hit does nothing and costs nothing. Built with the tag
// enact_crashpoints, Hit(name) kills the process with SIGKILL (no
// deferred functions, no flushing: a real crash) at the Nth time name is
// hit, when $ENACT_CRASHPOINT is "name:N" (N defaults to 1).
package crashpoint

// Names of the crash points.
const (
	BeforeIntent  = "before_intent"  // the action passed the gate; its intent is not written
	AfterIntent   = "after_intent"   // the intent is durable; the connector was not called
	AfterAction   = "after_action"   // the connector acted; its outcome is not written
	AfterOutcome  = "after_outcome"  // the outcome is durable
	DuringReceipt = "during_receipt" // the receipt is inserted, its transaction not committed
	AfterReceipt  = "after_receipt"  // the receipt is stored; the idempotency key is not closed
)

// All lists every crash point.
var All = []string{BeforeIntent, AfterIntent, AfterAction, AfterOutcome, DuringReceipt, AfterReceipt}
