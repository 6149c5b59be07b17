package hubspot_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

func TestScratchGate(t *testing.T) {
	f, c := setup(t)
	dir := t.TempDir()
	p, err := policy.Load([]byte(`version: 1
allow: [hubspot.*]
policies:
  - use: no_duplicate_contacts
  - use: limit_tasks_per_contact
    with: {max_tasks: 1, window_days: 7}
rules:
  - name: small_deals_only
    actions: [hubspot.update_deal, hubspot.create_deal]
    when: has(action.args.amount)
    deny_if: double(action.args.amount) > 10000.0
    reason: too big
`), "p.yaml")
	if err != nil { t.Fatal(err) }
	keys, _ := receipts.OpenKeyring(filepath.Join(dir, "keys"))
	store, err := receipts.OpenSQLite(t.Context(), filepath.Join(dir, "r.db"), keys.Signers())
	if err != nil { t.Fatal(err) }
	defer store.Close()
	g, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{c}, Store: store, Clock: time.Now})
	if err != nil { t.Fatal(err) }
	doc := "enact: 1.0.0\nid: Acts\ndescription: acts\nx-enact:\n  actions: [hubspot.create_contact, hubspot.create_deal, hubspot.create_task, hubspot.update_deal, hubspot.get_contact]\ntasks:\n  - id: t\n    type: script\n    language: python\n    code: |\n      return {}\n"
	cp, err := capabilities.Load([]byte(doc), "a.yaml")
	if err != nil { t.Fatal(err) }
	run, err := g.Begin(hostfns.RunInfo{Capability: cp, IdempotencyKey: "run-9"})
	if err != nil { t.Fatal(err) }
	for _, req := range []string{
		`{"action": "hubspot.create_contact", "args": {"email": "ada@example.com"}}`,
		`{"action": "hubspot.create_contact", "args": {"email": "ADA@example.com"}}`,
		`{"action": "hubspot.create_deal", "args": {"dealname": "big", "amount": 50000, "contact_email": "ada@example.com"}}`,
		`{"action": "hubspot.create_deal", "args": {"dealname": "small", "amount": "500", "contact_email": "ada@example.com"}}`,
		`{"action": "hubspot.create_deal", "args": {"dealname": "sneaky", "properties": {"amount": 50000}}}`,
		`{"action": "hubspot.create_task", "args": {"subject": "one", "contact_email": "ada@example.com"}}`,
		`{"action": "hubspot.create_task", "args": {"subject": "two", "contact_email": "ada@example.com"}}`,
		`{"action": "hubspot.create_task", "args": {"subject": "x", "contact_id": "1", "contact_email": "ada@example.com"}}`,
		`{"action": "hubspot.get_contact", "args": {"email": "ada@example.com"}}`,
	} {
		var r hostfns.Reply
		json.Unmarshal(run.Handle(t.Context(), []byte(req)), &r)
		b, _ := json.Marshal(r)
		t.Logf("%s\n   → %s", req, b)
	}
	t.Logf("contacts %d deals %d tasks %d", len(f.Contacts()), len(f.Deals()), len(f.Tasks()))
}
