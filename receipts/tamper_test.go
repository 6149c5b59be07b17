package receipts

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// chainLength is the length of the sample chain the tampering tests break.
const chainLength = 5

// approvalSeq is the seq of the approval record (a vote's chain entry) in
// the sample chain: tampering with it is detected like with a run's receipt.
const approvalSeq = 3

// testTampering breaks a sample chain in every way the issue names and
// checks that Verify reports the first broken link at the right seq.
func testTampering(t *testing.T, newHarness func(t *testing.T) *harness, signers []Signer, verifiers []Verifier) {
	build := func(t *testing.T, first int) (*harness, Store) {
		h := newHarness(t)
		s := h.open(t, signers)
		for i := first; i < first+chainLength; i++ {
			r := smallReceipt(i)
			if i-first+1 == approvalSeq {
				r = smallApprovalRecord(i)
			}
			if _, err := s.Append(t.Context(), r); err != nil {
				t.Fatal(err)
			}
		}
		return h, s
	}
	otherSigners, _ := testKeys(t, 2)

	// Each receipt's bytes are flipped on a chain of its own, in parallel.
	for seq := int64(1); seq <= chainLength; seq++ {
		t.Run(fmt.Sprintf("every byte of receipt %d flipped", seq), func(t *testing.T) {
			t.Parallel()
			h, s := build(t, 1)
			orig := h.raw(t, seq)
			for i := rand.IntN(flipStride); i < len(orig); i += flipStride {
				b := bytes.Clone(orig)
				b[i] ^= 0x01
				h.put(t, seq, b)
				wantBroken(t, s, verifiers, seq, fmt.Sprintf("byte %d of seq %d (%q) flipped", i, seq, orig[i]))
			}
			h.put(t, seq, orig)
			if report, err := s.Verify(t.Context(), verifiers); err != nil || report.Verified != chainLength {
				t.Fatalf("restored chain: Verify = %+v, %v", report, err)
			}
		})
	}

	type tampering struct {
		name string
		do   func(t *testing.T, h *harness)
		seq  int64 // where Verify must report the break
		// indexedSeq, when set, is where a database store, which keeps
		// each receipt's hash beside it, reports the break instead.
		indexedSeq int64
		check      func(error) bool
	}
	var cases []tampering
	for k := int64(1); k <= chainLength; k++ {
		cases = append(cases, tampering{
			name: fmt.Sprintf("receipt %d deleted", k),
			do:   func(t *testing.T, h *harness) { h.remove(t, k) },
			seq:  k,
		}, tampering{
			name: fmt.Sprintf("receipt %d re-signed with another key", k),
			do: func(t *testing.T, h *harness) {
				env, err := ParseEnvelope(h.raw(t, k))
				if err != nil {
					t.Fatal(err)
				}
				h.put(t, k, resealBody(t, string(env.Body), otherSigners))
			},
			seq: k, check: isTyped[*UnknownKeyError],
		}, tampering{
			name: fmt.Sprintf("receipt %d edited and re-signed with another key", k),
			do: func(t *testing.T, h *harness) {
				env, err := ParseEnvelope(h.raw(t, k))
				if err != nil {
					t.Fatal(err)
				}
				h.put(t, k, resealBody(t, string(bytes.Replace(env.Body, []byte(`"PASS"`), []byte(`"BLOCK"`), 1)), otherSigners))
			},
			seq: k, check: isTyped[*UnknownKeyError],
		}, tampering{
			name: fmt.Sprintf("receipt %d replaced by one from another chain with the same keys", k),
			do: func(t *testing.T, h *harness) {
				other, _ := build(t, 100)
				h.put(t, k, other.raw(t, k))
			},
			seq: k,
		})
		for j := k + 1; j <= chainLength; j++ {
			cases = append(cases, tampering{
				name: fmt.Sprintf("receipts %d and %d swapped", k, j),
				do: func(t *testing.T, h *harness) {
					a, b := h.raw(t, k), h.raw(t, j)
					h.put(t, k, b)
					h.put(t, j, a)
				},
				seq: k,
			})
		}
	}
	cases = append(cases, tampering{
		// The keys' holder turns the approval into a denial: the record
		// verifies alone, but the next receipt's prev no longer matches.
		name: "approval record turned into a denial and re-signed with the store's keys",
		do: func(t *testing.T, h *harness) {
			env, err := ParseEnvelope(h.raw(t, approvalSeq))
			if err != nil {
				t.Fatal(err)
			}
			body := strings.NewReplacer(`"approve":true`, `"approve":false`, `"APPROVED"`, `"DENIED"`,
				`"state":"approved"`, `"state":"denied"`).Replace(string(env.Body))
			if body == string(env.Body) {
				t.Fatal("the approval record has no approve vote to edit")
			}
			h.put(t, approvalSeq, resealBody(t, body, signers))
			if r, err := Open(h.raw(t, approvalSeq), verifiers); err != nil || r.Decision != DecisionDenied {
				t.Fatalf("the edited record alone: %v, %v; want a valid denial", r, err)
			}
		},
		seq: approvalSeq + 1, indexedSeq: approvalSeq,
	})
	for _, cut := range [][2]int64{{1, 2}, {2, 3}, {3, 5}, {2, 5}, {1, 5}} {
		cases = append(cases, tampering{
			name: fmt.Sprintf("receipts %d to %d removed", cut[0], cut[1]),
			do: func(t *testing.T, h *harness) {
				for seq := cut[0]; seq <= cut[1]; seq++ {
					h.remove(t, seq)
				}
			},
			seq: cut[0],
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, s := build(t, 1)
			tc.do(t, h)
			seq := tc.seq
			if tc.indexedSeq != 0 && h.location != "" { // the database stores
				seq = tc.indexedSeq
			}
			wantBroken(t, s, verifiers, seq, tc.name)
			_, err := s.Verify(t.Context(), verifiers)
			if tc.check != nil && !tc.check(err) {
				t.Errorf("Verify: %v (%T) is not the expected kind of error", err, errors.Unwrap(err))
			}
		})
	}
}

// More changes to every byte of every envelope of the sample chain fail
// Open with a typed error: a low bit, the ASCII case bit (encoding/json
// matches keys case-insensitively) and the high bit. (The store tests flip
// bit 0 of every byte through Verify.)
func TestOpenDetectsByteChanges(t *testing.T) {
	t.Parallel()
	signers, verifiers := testKeys(t, 1)
	h := dirHarness(t)
	s := h.open(t, signers)
	for i := 1; i <= chainLength; i++ {
		if _, err := s.Append(t.Context(), smallReceipt(i)); err != nil {
			t.Fatal(err)
		}
	}
	for seq := int64(1); seq <= chainLength; seq++ {
		orig := h.raw(t, seq)
		for i := range orig {
			for _, mask := range []byte{0x02, 0x20, 0x80} {
				b := bytes.Clone(orig)
				b[i] ^= mask
				_, err := Open(b, verifiers)
				if err == nil || !typedOpenError(err) {
					t.Fatalf("seq %d byte %d (%q) ^ %#x: Open = %v", seq, i, orig[i], mask, err)
				}
			}
		}
	}
}

// typedOpenError reports whether err is one of the errors Open documents.
func typedOpenError(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrHashMismatch) ||
		isTyped[*UnknownKeyError](err) || isTyped[*InvalidSignatureError](err)
}
