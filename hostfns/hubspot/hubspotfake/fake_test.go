package hubspotfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/hostfns/hubspot/hubspotfake"
)

type client struct {
	t     *testing.T
	f     *hubspotfake.Fake
	token string
	base  string
}

func start(t *testing.T, cfg hubspotfake.Config) *client {
	t.Helper()
	f := hubspotfake.New(cfg)
	t.Cleanup(f.Close)
	base := "/crm/v3/objects/"
	if cfg.APIVersion != "" && cfg.APIVersion != "v3" {
		base = "/crm/objects/" + cfg.APIVersion + "/"
	}
	return &client{t: t, f: f, token: f.Token(), base: base}
}

// do sends a request; path is relative to the objects root unless it
// starts with "/".
func (c *client) do(method, path, body string) (int, http.Header, map[string]any) {
	c.t.Helper()
	if !strings.HasPrefix(path, "/") {
		path = c.base + path
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.f.URL()+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.f.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatalf("%s %s: answer %q is not JSON: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, resp.Header, m
}

func (c *client) want(status int, method, path, body string) map[string]any {
	c.t.Helper()
	got, _, m := c.do(method, path, body)
	if got != status {
		c.t.Fatalf("%s %s %s: status %d, want %d (%v)", method, path, body, got, status, m)
	}
	return m
}

func ids(m map[string]any) []string {
	var out []string
	for _, r := range m["results"].([]any) {
		out = append(out, r.(map[string]any)["id"].(string))
	}
	return out
}

func TestAuth(t *testing.T) {
	t.Parallel()
	c := start(t, hubspotfake.Config{Token: "secret"})
	c.token = ""
	m := c.want(401, "GET", "contacts", "")
	if m["category"] != "INVALID_AUTHENTICATION" || m["status"] != "error" {
		t.Errorf("401 body %v", m)
	}
	c.token = "other"
	c.want(401, "GET", "contacts", "")
	c.token = "secret"
	c.want(200, "GET", "contacts", "")
	c.f.SetForbidden("deals", true)
	if m := c.want(403, "GET", "deals", ""); m["category"] != "MISSING_SCOPES" {
		t.Errorf("403 body %v", m)
	}
}

func TestContactsUniqueEmail(t *testing.T) {
	t.Parallel()
	c := start(t, hubspotfake.Config{})
	m := c.want(201, "POST", "contacts", `{"properties": {"email": "Ada@Example.com", "firstname": "Ada"}}`)
	if m["id"] != "1001" || m["properties"].(map[string]any)["email"] != "ada@example.com" {
		t.Errorf("created %v", m)
	}
	m = c.want(409, "POST", "contacts", `{"properties": {"email": "ADA@example.com"}}`)
	if m["message"] != "Contact already exists. Existing ID: 1001" || m["category"] != "CONFLICT" {
		t.Errorf("409 body %v", m)
	}
	c.want(201, "POST", "contacts", `{"properties": {"email": "bob@example.com"}}`)
	c.want(409, "PATCH", "contacts/1002", `{"properties": {"email": "ada@EXAMPLE.com"}}`)
	c.want(200, "PATCH", "contacts/1002", `{"properties": {"firstname": "Bob"}}`)

	m = c.want(200, "GET", "contacts/ADA@example.com?idProperty=email&properties=firstname,lastname", "")
	if diff := cmp.Diff(map[string]any{"firstname": "Ada", "lastname": nil}, m["properties"]); m["id"] != "1001" || diff != "" {
		t.Errorf("by email: %v %s", m, diff)
	}
	c.want(404, "GET", "contacts/nobody@example.com?idProperty=email", "")
	c.want(404, "GET", "contacts/999", "")
	c.want(400, "GET", "contacts/Ada?idProperty=firstname", "")
	if n := len(c.f.Contacts()); n != 2 {
		t.Errorf("%d contacts", n)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	c := start(t, hubspotfake.Config{})
	for _, tc := range []struct{ path, body, code string }{
		{"contacts", `{"properties": {"nope": "x"}}`, "PROPERTY_DOESNT_EXIST"},
		{"contacts", `{"properties": {"email": "no-at-sign"}}`, "INVALID_EMAIL"},
		{"contacts", `{"properties": {"createdate": "2026-01-01"}}`, "READ_ONLY_VALUE"},
		{"deals", `{"properties": {"amount": "ten"}}`, "INVALID_DECIMAL"},
		{"deals", `{"properties": {"closedate": "soon"}}`, "INVALID_DATE"},
		{"tasks", `{"properties": {"hs_task_subject": "s", "hs_timestamp": "1767225600000", "hs_task_priority": "URGENT"}}`, "INVALID_OPTION"},
		{"tasks", `{"properties": {"hs_task_subject": "s"}}`, "REQUIRED_PROPERTY"},
	} {
		m := c.want(400, "POST", tc.path, tc.body)
		if m["category"] != "VALIDATION_ERROR" || !strings.Contains(m["message"].(string), tc.code) {
			t.Errorf("%s %s: %v", tc.path, tc.body, m)
		}
	}
	c.want(400, "POST", "contacts", `{"properties": `)
	c.want(400, "POST", "widgets", `{}`)
	m := c.want(201, "POST", "tasks", `{"properties": {"hs_task_subject": "s", "hs_timestamp": 1767225600000}}`)
	if got := m["properties"].(map[string]any)["hs_timestamp"]; got != "2026-01-01T00:00:00.000Z" {
		t.Errorf("hs_timestamp stored as %v", got)
	}
}

func TestAssociations(t *testing.T) {
	t.Parallel()
	c := start(t, hubspotfake.Config{})
	c.want(201, "POST", "contacts", `{"properties": {"email": "a@example.com"}}`)
	assoc := func(id string, typ int) string {
		return fmt.Sprintf(`[{"to": {"id": %q}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": %d}]}]`, id, typ)
	}
	c.want(201, "POST", "tasks", `{"properties": {"hs_task_subject": "t", "hs_timestamp": "2026-01-01T00:00:00Z"}, "associations": `+assoc("1001", 204)+`}`)
	c.want(400, "POST", "tasks", `{"properties": {"hs_task_subject": "t", "hs_timestamp": "2026-01-01T00:00:00Z"}, "associations": `+assoc("4242", 204)+`}`)
	c.want(400, "POST", "tasks", `{"properties": {"hs_task_subject": "t", "hs_timestamp": "2026-01-01T00:00:00Z"}, "associations": `+assoc("1001", 3)+`}`)
	c.want(201, "POST", "deals", `{"properties": {"dealname": "d"}, "associations": `+assoc("1001", 3)+`}`)

	m := c.want(200, "GET", "contacts/1001?associations=deals,tasks", "")
	want := map[string]any{
		"deals": map[string]any{"results": []any{map[string]any{"id": "1001", "type": "contact_to_deal"}}},
		"tasks": map[string]any{"results": []any{map[string]any{"id": "1001", "type": "contact_to_task"}}},
	}
	if diff := cmp.Diff(want, m["associations"]); diff != "" {
		t.Errorf("associations (-want +got):\n%s", diff)
	}
	m = c.want(200, "POST", "tasks/search", `{"filterGroups": [{"filters": [{"propertyName": "associations.contact", "operator": "EQ", "value": "1001"}]}]}`)
	if m["total"] != 1.0 {
		t.Errorf("tasks of contact 1001: %v", m)
	}
	if got := c.f.Tasks()[0].Associations; !cmp.Equal(got, map[string][]string{"contacts": {"1001"}}) {
		t.Errorf("inspection: %v", got)
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	c := start(t, hubspotfake.Config{})
	for i := range 25 {
		c.want(201, "POST", "deals", fmt.Sprintf(`{"properties": {"dealname": "deal %02d", "amount": %d, "pipeline": %q}}`, i, i*100, []string{"default", "other"}[i%2]))
	}
	// EQ, numeric range, one sort, paging with after.
	body := func(after string) string {
		return `{"filterGroups": [{"filters": [{"propertyName": "pipeline", "operator": "EQ", "value": "DEFAULT"},
			{"propertyName": "amount", "operator": "GTE", "value": "400"}]}],
			"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}], "properties": ["dealname", "amount"], "limit": 4` + after + `}`
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		m := c.want(200, "POST", "deals/search", body(after))
		if m["total"] != 11.0 {
			t.Fatalf("total %v, want 11", m["total"])
		}
		for _, r := range m["results"].([]any) {
			got = append(got, r.(map[string]any)["properties"].(map[string]any)["amount"].(string))
		}
		p, ok := m["paging"].(map[string]any)
		if !ok {
			break
		}
		after = fmt.Sprintf(`, "after": %q`, p["next"].(map[string]any)["after"])
	}
	want := []string{"2400", "2200", "2000", "1800", "1600", "1400", "1200", "1000", "800", "600", "400"}
	if !cmp.Equal(got, want) {
		t.Errorf("amounts %v, want %v", got, want)
	}
	// OR of groups, IN, BETWEEN, default order by id.
	m := c.want(200, "POST", "deals/search", `{"filterGroups": [
		{"filters": [{"propertyName": "dealname", "operator": "IN", "values": ["deal 01", "DEAL 02"]}]},
		{"filters": [{"propertyName": "amount", "operator": "BETWEEN", "value": 2300, "highValue": "2400"}]}]}`)
	if !cmp.Equal(ids(m), []string{"1002", "1003", "1024", "1025"}) {
		t.Errorf("OR search: %v", ids(m))
	}
	for _, bad := range []string{
		`{"limit": 201}`,
		`{"after": "10000"}`,
		`{"sorts": ["amount", "dealname"]}`,
		`{"filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "x"}]}]}`,
		`{"filterGroups": [{"filters": [{"propertyName": "amount", "operator": "EQ", "value": "x"}]}]}`,
		`{"filterGroups": [{"filters": [{"propertyName": "amount", "operator": "LIKE", "value": "1"}]}]}`,
		`{"filterGroups": [{}, {}, {}, {}, {}, {}]}`,
	} {
		c.want(400, "POST", "deals/search", bad)
	}
	m = c.want(200, "POST", "deals/search", `{"query": "deal 1", "limit": 100}`)
	if m["total"] != 10.0 {
		t.Errorf("query: total %v", m["total"])
	}
	// The list endpoint pages the same way, without total.
	m = c.want(200, "GET", "deals?limit=20&properties=dealname", "")
	if len(ids(m)) != 20 || m["paging"] == nil || m["total"] != nil {
		t.Errorf("list page: %v", m)
	}
	m = c.want(200, "GET", "deals?limit=20&after=20", "")
	if !cmp.Equal(ids(m), []string{"1021", "1022", "1023", "1024", "1025"}) || m["paging"] != nil {
		t.Errorf("last list page: %v", ids(m))
	}
}

func TestSearchLag(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	c := start(t, hubspotfake.Config{Clock: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	c.f.SetSearchLag(5 * time.Second)
	c.want(201, "POST", "contacts", `{"properties": {"email": "a@example.com"}}`)
	search := `{"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "A@example.com"}]}]}`
	if m := c.want(200, "POST", "contacts/search", search); m["total"] != 0.0 {
		t.Errorf("found before the index caught up: %v", m)
	}
	c.want(200, "GET", "contacts/a@example.com?idProperty=email", "")
	mu.Lock()
	now = now.Add(6 * time.Second)
	mu.Unlock()
	if m := c.want(200, "POST", "contacts/search", search); m["total"] != 1.0 {
		t.Errorf("not found after the lag: %v", m)
	}
}

func TestRateLimitAndFailures(t *testing.T) {
	t.Parallel()
	c := start(t, hubspotfake.Config{})
	c.f.SetRateLimited(2)
	for range 2 {
		status, h, m := c.do("GET", "contacts", "")
		if status != 429 || h.Get("Retry-After") != "1" || m["errorType"] != "RATE_LIMIT" || m["policyName"] != "SECONDLY" {
			t.Errorf("429: %d %v %v", status, h, m)
		}
	}
	c.want(200, "GET", "contacts", "")
	c.f.SetRetryAfter("")
	c.f.SetRateLimitedWhere(1, func(method, path string) bool { return method == "POST" })
	c.want(200, "GET", "contacts", "")
	if _, h, _ := c.do("POST", "contacts", `{"properties": {}}`); h.Get("Retry-After") != "" {
		t.Errorf("Retry-After %q, want none", h.Get("Retry-After"))
	}
	c.f.FailNext(1, 502)
	c.want(502, "GET", "contacts", "")
	c.want(200, "GET", "contacts", "")
	got := c.f.Requests()
	if len(got) != 7 || got[0].Status != 429 || got[6].Status != 200 || got[4].Method != "POST" {
		t.Errorf("requests %+v", got)
	}
}

func TestDateVersion(t *testing.T) {
	t.Parallel()
	c := start(t, hubspotfake.Config{APIVersion: "2026-03"})
	c.want(201, "POST", "contacts", `{"properties": {"email": "a@example.com"}}`)
	c.want(200, "GET", "/crm/objects/2026-03/contacts/1001", "")
	c.want(404, "GET", "/crm/v3/objects/contacts/1001", "")
	c.want(404, "GET", "/crm/objects/2025-09/contacts/1001", "")
}

func TestAdd(t *testing.T) {
	t.Parallel()
	c := start(t, hubspotfake.Config{})
	id, err := c.f.Add("contacts", map[string]string{"email": "a@example.com", "createdate": "2020-01-01T00:00:00Z"}, nil)
	if err != nil || id != "1001" {
		t.Fatalf("Add: %q %v", id, err)
	}
	if got := c.f.Contacts()[0]; !got.CreatedAt.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("CreatedAt %v", got.CreatedAt)
	}
	if _, err := c.f.Add("contacts", map[string]string{"email": "A@example.com"}, nil); err == nil {
		t.Error("duplicate email added")
	}
	if _, err := c.f.Add("tasks", map[string]string{"hs_task_subject": "t"}, map[string][]string{"contacts": {"999"}}); err == nil {
		t.Error("association to a missing contact added")
	}
	// Inspection returns copies.
	c.f.Contacts()[0].Properties["email"] = "changed"
	if c.f.Contacts()[0].Properties["email"] != "a@example.com" {
		t.Error("inspection exposes the fake's state")
	}
}
