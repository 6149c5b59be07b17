package hubspot_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/connectortest"
	"github.com/enact-run/enact/hostfns/hubspot"
	"github.com/enact-run/enact/hostfns/hubspot/hubspotfake"
)

// Recovery asks the connector whether an action took effect; the
// contract then holds it to Check's rules.
var _ hostfns.Checker = (*hubspot.Connector)(nil)

func check(t testing.TB, c *hubspot.Connector, action, args, key string) hostfns.CheckResult {
	t.Helper()
	return connectortest.Check(t, c, action, args, key)
}

var wantPerformed = connectortest.WantPerformed

// Check only reads: over a lead flow, before and after each step, it
// sends GETs and searches alone.
func TestCheckOnlyReads(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	steps := []struct{ action, args string }{
		{"create_contact", `{"email": "lead@acme.test"}`},
		{"create_deal", `{"dealname": "Acme", "contact_email": "lead@acme.test"}`},
		{"create_task", `{"subject": "Call", "contact_email": "lead@acme.test", "due": "2030-01-01"}`},
		{"update_deal", `{"id": "1001", "amount": 10}`},
	}
	readOnly := func(from int, action string) {
		t.Helper()
		for _, r := range f.Requests()[from:] {
			if r.Method != http.MethodGet && !(r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/search")) {
				t.Errorf("check %s sent %s %s", action, r.Method, r.Path)
			}
		}
	}
	for i, s := range steps {
		key := fmt.Sprintf("run-1:%d", i)
		before := len(f.Requests())
		if res := check(t, c, s.action, s.args, key); res.Performed {
			t.Errorf("check %s before it: %+v", s.action, res)
		}
		readOnly(before, s.action)
		must(t, c, s.action, s.args, key, false)
		before = len(f.Requests())
		if res := check(t, c, s.action, s.args, key); !res.Performed {
			t.Errorf("check %s after it: %+v", s.action, res)
		}
		readOnly(before, s.action)
	}
	if n := len(f.Contacts()) + len(f.Deals()) + len(f.Tasks()); n != 3 {
		t.Errorf("%d records, want 3", n)
	}
}

func TestCheckCreateContact(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	// The contact is absent.
	wantPerformed(t, check(t, c, "create_contact", `{"email": "ada@example.com"}`, ""), false, "no HubSpot contact has the email ada@example.com")
	// Someone else made it, with the email in other case: the effect is
	// there, as create_contact judges.
	if _, err := f.Add("contacts", map[string]string{"email": "ADA@Example.com", "firstname": "Ada"}, nil); err != nil {
		t.Fatal(err)
	}
	res := check(t, c, "create_contact", `{"email": "Ada@example.COM", "firstname": "Augusta"}`, "")
	wantPerformed(t, res, true, "has the email ada@example.com")
	var got map[string]any
	if err := json.Unmarshal(res.Result, &got); err != nil || got["id"] != "1001" || got["properties"].(map[string]any)["firstname"] != "Ada" {
		t.Errorf("result %s, want contact 1001 as it is", res.Result)
	}
	if _, err := c.Check(t.Context(), "create_contact", json.RawMessage(`{"firstname": "x"}`), hostfns.CallOptions{}); !isCode(err, hostfns.CodeInvalidArgs) {
		t.Errorf("check without an email: %v", err)
	}
}

func TestCheckUpdateDeal(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	wantPerformed(t, check(t, c, "update_deal", `{"id": "1001", "amount": 1}`, ""), false, "no HubSpot deal has the id 1001")
	must(t, c, "create_deal", `{"dealname": "D", "amount": "1000", "closedate": "2026-06-30T00:00:00Z"}`, "k", false)
	// Numbers and instants compare by value, as update_deal compares them.
	wantPerformed(t, check(t, c, "update_deal", `{"id": 1001, "amount": 1000.0, "closedate": "2026-06-30T02:00:00+02:00"}`, ""), true, "holds every value")
	wantPerformed(t, check(t, c, "update_deal", `{"id": 1001, "amount": 1000, "dealstage": "closedwon"}`, ""), false, "does not hold the value of dealstage")
	wantPerformed(t, check(t, c, "update_deal", `{"id": 1001, "properties": {"description": null}}`, ""), true, "holds every value")
}

func TestCheckDealsAndTasks(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	for _, action := range []string{"create_deal", "create_task"} {
		if _, err := c.Check(t.Context(), action, json.RawMessage(`{}`), hostfns.CallOptions{IdempotencyKey: "k"}); !isCode(err, hostfns.CodeInvalidArgs) {
			t.Errorf("check %s without its name: %v", action, err)
		}
	}
	// Without a key nothing identifies the record: Check cannot tell.
	for _, tc := range []struct{ action, args string }{{"create_deal", `{"dealname": "d"}`}, {"create_task", `{"subject": "s"}`}} {
		_, err := c.Check(t.Context(), tc.action, json.RawMessage(tc.args), hostfns.CallOptions{})
		if !isCode(err, hostfns.CodeInvalidArgs) || !strings.Contains(err.Error(), "idempotency key") {
			t.Errorf("check %s without a key: %v", tc.action, err)
		}
	}
	// A deal carrying another key is another deal.
	must(t, c, "create_deal", `{"dealname": "d"}`, "run-1:2", false)
	wantPerformed(t, check(t, c, "create_deal", `{"dealname": "d"}`, "run-2:2"), false, "no HubSpot deal has enact_idempotency_key run-2:2")
	// A contact_email no contact has: create_deal would answer not_found.
	if _, err := c.Check(t.Context(), "create_deal", json.RawMessage(`{"dealname": "d", "contact_email": "nobody@x.io"}`), hostfns.CallOptions{IdempotencyKey: "run-1:2"}); !isCode(err, hostfns.CodeNotFound) {
		t.Errorf("check with an unknown contact_email: %v, want not_found", err)
	}

	// Search trails writes. The deal's key property is unique, so the
	// consistent read finds it; the task's is not, and Check misses it
	// until the index catches up, as the package doc says.
	f.SetSearchLag(time.Hour)
	must(t, c, "create_deal", `{"dealname": "lagging"}`, "run-3:1", false)
	wantPerformed(t, check(t, c, "create_deal", `{"dealname": "lagging"}`, "run-3:1"), true, "has enact_idempotency_key run-3:1")
	must(t, c, "create_task", `{"subject": "lagging"}`, "run-3:2", false)
	wantPerformed(t, check(t, c, "create_task", `{"subject": "lagging"}`, "run-3:2"), false, "no HubSpot task")
	f.SetSearchLag(0)
	wantPerformed(t, check(t, c, "create_task", `{"subject": "lagging"}`, "run-3:2"), true, "has enact_idempotency_key run-3:2")

	// A portal without the key property: the setup error, not "not performed".
	f.RemoveProperty("tasks", "enact_idempotency_key")
	_, err := c.Check(t.Context(), "create_task", json.RawMessage(`{"subject": "s"}`), hostfns.CallOptions{IdempotencyKey: "run-4:1"})
	if !isCode(err, hostfns.CodeConnectorError) || !strings.Contains(err.Error(), "enact_idempotency_key") {
		t.Errorf("check without the key property: %v", err)
	}
}

// A HubSpot that cannot be reached, or fails, is an error, never "not
// performed".
func TestCheckUnreachableIsAnError(t *testing.T) {
	t.Parallel()
	closed := hubspotfake.New(hubspotfake.Config{})
	c := connect(t, closed)
	closed.Close()
	_, err := c.Check(t.Context(), "create_contact", json.RawMessage(`{"email": "a@b.io"}`), hostfns.CallOptions{})
	if !isCode(err, hostfns.CodeUnavailable) {
		t.Errorf("check against a closed server: %v, want unavailable", err)
	}
	f, c := setup(t)
	f.FailNext(1, http.StatusServiceUnavailable)
	_, err = c.Check(t.Context(), "update_deal", json.RawMessage(`{"id": 1, "amount": 1}`), hostfns.CallOptions{})
	if !isCode(err, hostfns.CodeUnavailable) {
		t.Errorf("check against a 503: %v, want unavailable", err)
	}
}

func isCode(err error, code string) bool {
	ce, ok := err.(*hostfns.ConnectorError)
	return ok && ce.Code == code
}
