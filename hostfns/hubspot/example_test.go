package hubspot_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/hubspot"
	"github.com/enact-run/enact/hostfns/hubspot/hubspotfake"
)

// The new-lead flow, run twice with the same idempotency keys: the second
// run finds every effect in place.
func Example() {
	fake := hubspotfake.New(hubspotfake.Config{})
	defer fake.Close()
	crm, err := hubspot.New(hubspot.Config{Token: fake.Token(), BaseURL: fake.URL()})
	if err != nil {
		panic(err)
	}
	steps := []struct{ action, args string }{
		{"create_contact", `{"email": "ada@example.com", "firstname": "Ada"}`},
		{"create_deal", `{"dealname": "Ada — pilot", "amount": 1200, "contact_email": "ada@example.com"}`},
		{"create_task", `{"subject": "Call Ada", "contact_email": "ada@example.com", "due": "2030-01-07T09:00:00Z"}`},
	}
	for run := 1; run <= 2; run++ {
		for i, s := range steps {
			out, err := crm.Call(context.Background(), s.action, json.RawMessage(s.args),
				hostfns.CallOptions{IdempotencyKey: fmt.Sprintf("run-1:%d", i+1)})
			if err != nil {
				panic(err)
			}
			var res struct{ ID string }
			json.Unmarshal(out.Result, &res)
			fmt.Printf("run %d: %s → id %s, already_existed %v\n", run, s.action, res.ID, out.AlreadyExisted)
		}
	}
	fmt.Println(len(fake.Contacts()), len(fake.Deals()), len(fake.Tasks()))
	// Output:
	// run 1: create_contact → id 1001, already_existed false
	// run 1: create_deal → id 1001, already_existed false
	// run 1: create_task → id 1001, already_existed false
	// run 2: create_contact → id 1001, already_existed true
	// run 2: create_deal → id 1001, already_existed true
	// run 2: create_task → id 1001, already_existed true
	// 1 1 1
}
