package receipts_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/enact-run/enact/receipts"
)

// Seal a receipt with an HMAC-SHA256 and an Ed25519 key, then verify it as a
// third party holding only the Ed25519 public key. (Real keys come from a
// Keyring; these are fixed so that the output is stable.)
func ExampleSeal() {
	hmacKey, _ := receipts.NewHMACSigner(bytes.Repeat([]byte{'k'}, 32))
	edKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{'s'}, ed25519.SeedSize))
	edSigner, _ := receipts.NewEd25519Signer(edKey)

	args, _ := receipts.Digest(map[string]any{"key": "greeting", "value": "hello"})
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &receipts.Receipt{
		RunID:      "0f6e2b1c-run",
		Seq:        1, // Store.Append assigns Seq and Prev
		Capability: receipts.Capability{ID: "demo/hello", Version: "1.0.0", Digest: "sha256:" + fmt.Sprintf("%064d", 0)},
		Actor:      receipts.Actor{Email: "ops@example.com", Roles: []string{"operator"}},
		Inputs:     receipts.Redact(map[string]any{"name": "Ada & Bob", "token": "s3cret"}, []string{"token"}),
		Decision:   receipts.DecisionPass,
		Status:     "completed",
		Actions: []receipts.Action{{
			Seq: 1, Action: "kv.put", ArgsDigest: args, Decision: receipts.ActionAllowed,
			Result: json.RawMessage(`{"ok":true}`), Started: start.Add(2 * time.Millisecond), DurationMS: 0.25,
		}},
		Outputs:    map[string]any{"message": "hello, Ada & Bob"},
		Started:    start,
		Finished:   start.Add(5 * time.Millisecond),
		DurationMS: 5,
		Timestamp:  start.Add(5 * time.Millisecond),
	}
	env, err := receipts.Seal(r, []receipts.Signer{hmacKey, edSigner})
	if err != nil {
		log.Fatal(err)
	}
	data, _ := env.MarshalJSON()
	fmt.Printf("%s\n\n", data)

	public, _ := receipts.NewEd25519Verifier(edKey.Public().(ed25519.PublicKey))
	got, err := receipts.Open(data, []receipts.Verifier{public})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.RunID, got.Decision, got.Actions[0].Action, got.Inputs["token"])

	data[bytes.Index(data, []byte("Ada"))] = 'E' // tamper with the body
	_, err = receipts.Open(data, []receipts.Verifier{public})
	fmt.Println(err)
	// Output:
	// {"body":{"actions":[{"action":"kv.put","already_existed":false,"args_digest":"sha256:70d1f39bbdf4662841088aba98df4925da43e70ea48f50355078351fce251b6a","decision":"allowed","duration_ms":0.25,"facts":{},"policy_results":[],"result":{"ok":true},"seq":1,"started":"2026-01-02T03:04:05.002Z"}],"actor":{"email":"ops@example.com","roles":["operator"]},"capability":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","id":"demo/hello","version":"1.0.0"},"decision":"PASS","duration_ms":5,"finished":"2026-01-02T03:04:05.005Z","idempotency_key":"","inputs":{"name":"Ada \u0026 Bob","token":"[redacted]"},"outputs":{"message":"hello, Ada \u0026 Bob"},"plugins":[],"policy_digest":"","policy_results":[],"prev":"","run_id":"0f6e2b1c-run","seq":1,"started":"2026-01-02T03:04:05Z","status":"completed","timestamp":"2026-01-02T03:04:05.005Z","version":"enact.receipt/v1"},"hash":"sha256:22cf6a7e8640c1aaf19d11c1a1ca37597d48931ab17edba829119a5ae711c6a9","signatures":[{"alg":"hmac-sha256","key_id":"hmac:4943b80109535bb9","sig":"o9xkx/UHMgVRAe18VGG0HmjiVyRJzoQfXGILxsCJFWM="},{"alg":"ed25519","key_id":"ed25519:fb199ef924705393","sig":"ZcLUYBNFlfhuv2CGd3Q2thVohOGhdzlOCiUeh3To7itKqno9HvcC3xWUpWiUMNzrXUq7jr/PsbmUdb1ayc0ECw=="}]}
	//
	// 0f6e2b1c-run PASS kv.put [redacted]
	// receipts: hash mismatch
}
