package receipts

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// testKeys returns a deterministic HMAC and Ed25519 key pair derived from
// seed: signers, and the verifiers of the same keys.
func testKeys(t testing.TB, seed byte) ([]Signer, []Verifier) {
	t.Helper()
	secret := bytes.Repeat([]byte{seed}, 32)
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed ^ 0xa5}, ed25519.SeedSize))
	hs, err := NewHMACSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	hv, err := NewHMACVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	es, err := NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewEd25519Verifier(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return []Signer{hs, es}, []Verifier{hv, ev}
}

var testTime = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// sampleReceipt is a realistic receipt of run i: a run-level policy, one
// allowed, one denied and one failed action, text that HTML-escaping
// encoders rewrite, and non-ASCII text.
func sampleReceipt(i int) *Receipt {
	start := testTime.Add(time.Duration(i) * time.Minute)
	return &Receipt{
		RunID:        fmt.Sprintf("run-%04d", i),
		Capability:   Capability{ID: "crm/create-contact", Version: "1.2.0", Digest: "sha256:" + fmt.Sprintf("%064x", i)},
		Actor:        Actor{Email: fmt.Sprintf("agent%d@example.com", i%3), Roles: []string{"sales"}},
		Inputs:       map[string]any{"email": "jane@acme.test", "note": "<b>Müller & Søn</b>", "api_key": Redacted},
		PolicyDigest: "sha256:" + fmt.Sprintf("%064x", 7),
		PolicyResults: []PolicyResult{
			{Policy: "require_actor_role", Passed: true, Reason: "actor has role sales"},
		},
		Decision: []Decision{DecisionPass, DecisionBlock, DecisionFailed}[i%3],
		Status:   "completed",
		Actions: []Action{
			{Seq: 1, Action: "kv.put", ArgsDigest: "sha256:" + fmt.Sprintf("%064x", 1), Decision: ActionAllowed,
				Facts: map[string]any{"exists": false}, Result: json.RawMessage(`{"ok": true, "n": 1e3}`),
				Started: start.Add(time.Millisecond), DurationMS: 0.412},
			{Seq: 2, Action: "github.create_pr", ArgsDigest: "sha256:" + fmt.Sprintf("%064x", 2), Decision: ActionDenied,
				PolicyResults: []PolicyResult{{Policy: "no_push_to_main", Passed: false, Reason: "branch main is protected"}},
				Error:         &Error{Code: "denied", Message: "no_push_to_main: branch main is protected"},
				Started:       start.Add(2 * time.Millisecond)},
			{Seq: 3, Action: "kv.get", ArgsDigest: "sha256:" + fmt.Sprintf("%064x", 3), Decision: ActionFailed,
				Error: &Error{Code: "timeout", Message: "deadline exceeded"}, Started: start.Add(3 * time.Millisecond), DurationMS: 1000},
		},
		Plugins:        []Plugin{{Task: "main", Digest: "sha256:" + fmt.Sprintf("%064x", 9)}},
		IdempotencyKey: fmt.Sprintf("idem-%d", i),
		Outputs:        map[string]any{"contact_id": float64(1000 + i)},
		Started:        start,
		Finished:       start.Add(1500 * time.Millisecond),
		DurationMS:     1500,
		Timestamp:      start.Add(1501 * time.Millisecond),
	}
}

// smallReceipt is a compact receipt of run i for the tampering tests,
// which flip every byte: one denied action, text that HTML-escaping
// encoders rewrite.
func smallReceipt(i int) *Receipt {
	return &Receipt{
		RunID:      fmt.Sprintf("r%d", i),
		Capability: Capability{ID: "c", Version: "1"},
		Actor:      Actor{Email: "a@x"},
		Inputs:     map[string]any{"q": "<&>"},
		Decision:   DecisionPass,
		Status:     "completed",
		Actions: []Action{{Seq: 1, Action: "kv.put", Decision: ActionDenied,
			Error: &Error{Code: "denied", Message: "no"}, Started: testTime}},
		Timestamp: testTime.Add(time.Duration(i) * time.Second),
	}
}

// smallApprovalRecord is a compact approval record (an approve vote that
// approved its request) in place of run i, for the tampering tests.
func smallApprovalRecord(i int) *Receipt {
	b := Binding{CapabilityID: "c", CapabilityVersion: "1", Action: "kv.put",
		ArgsDigest: "sha256:" + fmt.Sprintf("%064x", i), Actor: "a@x", Seq: 1}
	digest, err := Digest(b)
	if err != nil {
		panic(err)
	}
	req := "apr_" + strings.Repeat("a", 26)
	return &Receipt{
		RunID:      approvalRecordID(req, i),
		Capability: Capability{ID: "c", Version: "1"},
		Actor:      Actor{Email: "m@x", Roles: []string{"maintainer"}},
		Decision:   DecisionApproved,
		Status:     "approval",
		Approval: &ApprovalRecord{Request: req, Binding: b, BindingDigest: digest, Approve: true,
			Reason: "<&> fine", State: ApprovalApproved},
		Timestamp: testTime.Add(time.Duration(i) * time.Second),
	}
}
