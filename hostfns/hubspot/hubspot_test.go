package hubspot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/connectortest"
	"github.com/enact-run/enact/hostfns/hubspot"
	"github.com/enact-run/enact/hostfns/hubspot/hubspotfake"
)

func newFake(t testing.TB, cfg hubspotfake.Config) *hubspotfake.Fake {
	t.Helper()
	f := hubspotfake.New(cfg)
	t.Cleanup(f.Close)
	return f
}

func connect(t testing.TB, f *hubspotfake.Fake, edit ...func(*hubspot.Config)) *hubspot.Connector {
	t.Helper()
	cfg := hubspot.Config{Token: f.Token(), BaseURL: f.URL(), HTTPClient: f.Client()}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := hubspot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// setup is a fresh fake and a connector to it.
func setup(t testing.TB) (*hubspotfake.Fake, *hubspot.Connector) {
	f := newFake(t, hubspotfake.Config{})
	return f, connect(t, f)
}

type result = map[string]any

func call(t testing.TB, c hostfns.Connector, action, args, key string) (result, bool, error) {
	t.Helper()
	return callCtx(t, t.Context(), c, action, args, key)
}

func callCtx(t testing.TB, ctx context.Context, c hostfns.Connector, action, args, key string) (result, bool, error) {
	t.Helper()
	out, err := c.Call(ctx, action, json.RawMessage(args), hostfns.CallOptions{IdempotencyKey: key})
	if err != nil {
		var ce *hostfns.ConnectorError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: error %T %v is not a *hostfns.ConnectorError", action, err, err)
		}
		return nil, false, err
	}
	var m result
	if err := json.Unmarshal(out.Result, &m); err != nil {
		t.Fatalf("%s: result %s: %v", action, out.Result, err)
	}
	return m, out.AlreadyExisted, nil
}

// must calls and fails the test on error, checking already_existed.
func must(t testing.TB, c hostfns.Connector, action, args, key string, wantExisted bool) result {
	t.Helper()
	m, existed, err := call(t, c, action, args, key)
	if err != nil {
		t.Fatalf("%s %s: %v", action, args, err)
	}
	if existed != wantExisted {
		t.Fatalf("%s %s: already_existed = %v, want %v (result %v)", action, args, existed, wantExisted, m)
	}
	return m
}

func wantCode(t testing.TB, err error, code string) *hostfns.ConnectorError {
	t.Helper()
	var ce *hostfns.ConnectorError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return ce
}

func props(m result) map[string]any { return m["properties"].(map[string]any) }

func TestContract(t *testing.T) {
	connectortest.Run(t, func(t *testing.T) hostfns.Connector { _, c := setup(t); return c }, connectortest.Contract{
		Mutations: []connectortest.Call{
			{Action: "create_contact", Args: `{"email": "Ada@Example.com", "firstname": "Ada", "properties": {"jobtitle": "Engineer"}}`},
			{Action: "create_deal", Args: `{"dealname": "Ada pilot", "amount": 1200, "pipeline": "default", "dealstage": "appointmentscheduled", "contact_email": "ada@example.com"}`},
			{Action: "create_task", Args: `{"subject": "Call Ada", "body": "About the pilot", "contact_email": "ada@example.com", "due": "2030-01-01T09:00:00Z", "priority": "HIGH"}`},
			{Action: "update_deal", Args: `{"id": "1001", "amount": "1500", "dealstage": "qualifiedtobuy", "properties": {"description": "bigger"}}`},
		},
		Reads: []connectortest.Call{
			{Action: "get_contact", Args: `{"email": "ada@example.com"}`},
			{Action: "get_contact", Args: `{"email": "nobody@example.com"}`},
			{Action: "count_tasks", Args: `{"email": "ada@example.com", "since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}`},
			{Action: "count_tasks", Args: `{"contact_id": 1001, "since": "2000-01-01", "until": "2100-01-01"}`},
		},
	})
}

func TestActionsFollowTheNamingConvention(t *testing.T) {
	_, c := setup(t)
	for _, a := range c.Actions() {
		read := strings.HasPrefix(a.Name, "get_") || strings.HasPrefix(a.Name, "count_")
		if a.Mutating == read {
			t.Errorf("%s: Mutating = %v", a.Name, a.Mutating)
		}
		if a.Description == "" {
			t.Errorf("%s has no description", a.Name)
		}
	}
}

// newLead is the new_lead_workflow's three steps under one run key.
func newLead(t *testing.T, c hostfns.Connector, run string, wantExisted bool) (contact, deal, task result) {
	t.Helper()
	contact = must(t, c, "create_contact", `{"email": "lead@acme.test", "firstname": "Lee", "lastname": "Ad", "company": "Acme"}`, run+":1", wantExisted)
	deal = must(t, c, "create_deal", fmt.Sprintf(`{"dealname": "Acme — new lead", "amount": 5000, "contact_id": %q}`, contact["id"]), run+":2", wantExisted)
	task = must(t, c, "create_task", `{"subject": "Call Lee", "contact_email": "lead@acme.test", "due": "2030-05-01T09:00:00+02:00"}`, run+":3", wantExisted)
	return contact, deal, task
}

func TestNewLeadFlowRetriedChangesNothing(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	contact, deal, task := newLead(t, c, "run-1", false)
	contact2, deal2, task2 := newLead(t, c, "run-1", true)
	for _, d := range []struct {
		name        string
		first, then result
	}{{"contact", contact, contact2}, {"deal", deal, deal2}, {"task", task, task2}} {
		if diff := cmp.Diff(d.first, d.then); diff != "" {
			t.Errorf("%s: the retry's result differs (-first +retry):\n%s", d.name, diff)
		}
	}
	contacts, deals, tasks := f.Contacts(), f.Deals(), f.Tasks()
	if len(contacts) != 1 || len(deals) != 1 || len(tasks) != 1 {
		t.Fatalf("the fake holds %d contacts, %d deals, %d tasks; want one of each", len(contacts), len(deals), len(tasks))
	}
	id := contacts[0].ID
	if got := deals[0].Associations["contacts"]; !cmp.Equal(got, []string{id}) {
		t.Errorf("deal associated with contacts %v, want [%s]", got, id)
	}
	if got := tasks[0].Associations["contacts"]; !cmp.Equal(got, []string{id}) {
		t.Errorf("task associated with contacts %v, want [%s]", got, id)
	}
	if got := contacts[0].Associations; len(got["deals"]) != 1 || len(got["tasks"]) != 1 {
		t.Errorf("contact associations %v, want one deal and one task", got)
	}
	if got := tasks[0].Properties["hs_timestamp"]; got != "2030-05-01T07:00:00.000Z" {
		t.Errorf("hs_timestamp = %q", got)
	}
	if deal["contact_id"] != id || task["contact_id"] != id {
		t.Errorf("results name contact %v and %v, want %s", deal["contact_id"], task["contact_id"], id)
	}
	// A run with another key finds the contact but makes its own deal and
	// task: keys identify actions of a run.
	newLeadOther := must(t, c, "create_contact", `{"email": "LEAD@acme.test"}`, "run-2:1", true)
	if newLeadOther["id"] != id {
		t.Errorf("run-2 found contact %v, want %s", newLeadOther["id"], id)
	}
	must(t, c, "create_deal", `{"dealname": "Acme — second look", "contact_email": "lead@acme.test"}`, "run-2:2", false)
	if n := len(f.Deals()); n != 2 {
		t.Errorf("%d deals, want 2", n)
	}
}

func TestCreateContactFindsDifferentCaseEmail(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	id, err := f.Add("contacts", map[string]string{"email": "Ann.Lee@Example.com", "firstname": "Ann"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := must(t, c, "create_contact", `{"email": "  ANN.LEE@example.COM ", "firstname": "Annie"}`, "k", true)
	if m["id"] != id || props(m)["firstname"] != "Ann" {
		t.Errorf("result %v, want the existing contact %s unchanged", m, id)
	}
	m = must(t, c, "create_contact", `{"properties": {"email": "ann.lee@EXAMPLE.com"}}`, "k2", true)
	if m["id"] != id {
		t.Errorf("properties.email: result %v, want contact %s", m, id)
	}
	if n := len(f.Contacts()); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
	for _, r := range f.Requests() {
		if r.Method == http.MethodPost {
			t.Errorf("a create was sent: %s %s", r.Method, r.Path)
		}
	}
	got := must(t, c, "get_contact", `{"email": "ann.lee@example.com", "properties": ["jobtitle"]}`, "", false)
	want := result{"found": true, "id": id, "email": "ann.lee@example.com", "properties": map[string]any{
		"email": "ann.lee@example.com", "firstname": "Ann", "lastname": nil, "company": nil, "phone": nil, "jobtitle": nil,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("get_contact (-want +got):\n%s", diff)
	}
}

func TestCreateContactRaceResolvesConflict(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	var seeded atomic.Value
	f.SetHook(func(method, path string) {
		if method == http.MethodPost && path == "/crm/v3/objects/contacts" && seeded.Load() == nil {
			// Someone else creates the contact between the check and the create.
			id, err := f.Add("contacts", map[string]string{"email": "race@example.com"}, nil)
			if err != nil {
				t.Error(err)
			}
			seeded.Store(id)
		}
	})
	m := must(t, c, "create_contact", `{"email": "race@example.com"}`, "k", true)
	if m["id"] != seeded.Load() {
		t.Errorf("result %v, want the contact created meanwhile (%v)", m, seeded.Load())
	}
	if n := len(f.Contacts()); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
	var statuses []int
	for _, r := range f.Requests() {
		statuses = append(statuses, r.Status)
	}
	if !cmp.Equal(statuses, []int{404, 409, 200}) {
		t.Errorf("statuses %v, want check 404, create 409, read 200", statuses)
	}
}

func TestConflictOnAnotherContactIsConflict(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	f.DefineProperty("contacts", "customer_number", hubspotfake.Property{Type: "string", Unique: true})
	if _, err := f.Add("contacts", map[string]string{"email": "first@example.com", "customer_number": "C-1"}, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err := call(t, c, "create_contact", `{"email": "second@example.com", "properties": {"customer_number": "C-1"}}`, "k")
	ce := wantCode(t, err, hostfns.CodeConflict)
	if !strings.Contains(ce.Message, "Existing ID: 1001") {
		t.Errorf("message %q does not carry HubSpot's", ce.Message)
	}
}

func TestConcurrentCreateContactMakesOne(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	var created atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, existed, err := call(t, c, "create_contact", `{"email": "same@example.com"}`, "")
			if err != nil {
				t.Error(err)
			}
			if !existed {
				created.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := len(f.Contacts()); n != 1 || created.Load() != 1 {
		t.Errorf("%d contacts and %d calls that created; want 1 and 1", n, created.Load())
	}
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t, hubspotfake.Config{Token: "pat-na1-right"})
	wrong := connect(t, f, func(c *hubspot.Config) { c.Token = "pat-na1-wrong-secret" })
	_, _, err := call(t, wrong, "get_contact", `{"email": "a@example.com"}`, "")
	ce := wantCode(t, err, hostfns.CodeUnauthorized)
	if strings.Contains(ce.Message, "pat-na1-wrong-secret") {
		t.Errorf("message carries the token: %q", ce.Message)
	}
	_, _, err = call(t, wrong, "create_contact", `{"email": "a@example.com"}`, "k")
	wantCode(t, err, hostfns.CodeUnauthorized)

	right := connect(t, f, func(c *hubspot.Config) { c.Token = "pat-na1-right" })
	f.SetForbidden("deals", true)
	_, _, err = call(t, right, "create_deal", `{"dealname": "d"}`, "k")
	wantCode(t, err, hostfns.CodeUnauthorized)
	if n := len(f.Deals()); n != 0 {
		t.Errorf("%d deals", n)
	}
}

// TestTokenNeverLeaves runs every action against a server that echoes the
// Authorization header into everything it answers.
func TestTokenNeverLeaves(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-0b1c2d3e-SECRET"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(r.URL.Path, "/contacts/") && r.Method == http.MethodGet:
			fmt.Fprintf(w, `{"id": "7", "properties": {"email": "a@example.com", "firstname": %q}}`, auth)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status": "error", "message": "bad request from %s", "category": "VALIDATION_ERROR"}`, auth)
		}
	}))
	t.Cleanup(echo.Close)
	c, err := hubspot.New(hubspot.Config{Token: token, BaseURL: echo.URL})
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct{ action, args string }{
		{"get_contact", `{"email": "a@example.com"}`},
		{"create_contact", `{"email": "a@example.com"}`},
		{"create_deal", `{"dealname": "d", "contact_id": 7}`},
		{"update_deal", `{"id": 7, "amount": 3}`},
		{"create_task", `{"subject": "s"}`},
		{"count_tasks", `{"contact_id": 7, "since": "2020-01-01", "until": "2021-01-01"}`},
	}
	seen := 0
	for _, cl := range calls {
		out, err := c.Call(t.Context(), cl.action, json.RawMessage(cl.args), hostfns.CallOptions{IdempotencyKey: "k"})
		text := string(out.Result)
		if err != nil {
			text += err.Error()
		}
		if strings.Contains(text, "Bearer") {
			seen++ // the echo reached the connector's output path
		}
		if strings.Contains(text, token) {
			t.Errorf("%s: the token reached the output: %s", cl.action, text)
		}
	}
	if seen == 0 {
		t.Fatal("no echo reached an output; the test proves nothing")
	}
}

func TestRateLimitedReadIsRetriedAfterRetryAfter(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	f.SetRateLimited(1)
	start := time.Now()
	m := must(t, c, "get_contact", `{"email": "x@example.com"}`, "", false)
	if m["found"] != false {
		t.Errorf("result %v", m)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %s; Retry-After said 1 s", d)
	}
	if got := statuses(f); !cmp.Equal(got, []int{429, 404}) {
		t.Errorf("statuses %v, want 429 then 404", got)
	}
}

func statuses(f *hubspotfake.Fake) []int {
	var s []int
	for _, r := range f.Requests() {
		s = append(s, r.Status)
	}
	return s
}

func TestRateLimitedSearchRetriedCreateNot(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	f.SetRetryAfter("0")
	isSearch := func(method, path string) bool { return strings.HasSuffix(path, "/search") }
	isCreate := func(method, path string) bool { return method == http.MethodPost && strings.HasSuffix(path, "/deals") }

	f.SetRateLimitedWhere(1, isSearch)
	must(t, c, "create_deal", `{"dealname": "retried search"}`, "k1", false)
	if got := statuses(f); !cmp.Equal(got, []int{429, 200, 201}) {
		t.Errorf("statuses %v, want search 429, search 200, create 201", got)
	}

	f.SetRateLimitedWhere(1, isCreate)
	before := len(f.Requests())
	_, _, err := call(t, c, "create_deal", `{"dealname": "limited create"}`, "k2")
	wantCode(t, err, hostfns.CodeRateLimited)
	if got := statuses(f)[before:]; !cmp.Equal(got, []int{200, 429}) {
		t.Errorf("statuses %v, want search 200 and one create 429 (no retry)", got)
	}
	if n := len(f.Deals()); n != 1 {
		t.Errorf("%d deals, want 1", n)
	}
	// The caller's retry of the action then creates it, once.
	must(t, c, "create_deal", `{"dealname": "limited create"}`, "k2", false)
	must(t, c, "create_deal", `{"dealname": "limited create"}`, "k2", true)
	if n := len(f.Deals()); n != 2 {
		t.Errorf("%d deals, want 2", n)
	}
}

func TestRateLimitNotRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		retryAfter string
		limited    int
		timeout    time.Duration
		requests   int
	}{
		{"wait beyond the deadline", "1", 1, 300 * time.Millisecond, 1},
		{"wait beyond the cap", "30", 1, 0, 1},
		{"limited again after the retry", "0", 2, 0, 2},
		{"HTTP-date in the past, then limited again", "Mon, 02 Jan 2006 15:04:05 GMT", 2, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, c := setup(t)
			f.SetRetryAfter(tc.retryAfter)
			f.SetRateLimited(tc.limited)
			ctx := t.Context()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			start := time.Now()
			_, _, err := callCtx(t, ctx, c, "get_contact", `{"email": "x@example.com"}`, "")
			ce := wantCode(t, err, hostfns.CodeRateLimited)
			if !strings.Contains(ce.Message, "retry after") {
				t.Errorf("message %q does not say when to retry", ce.Message)
			}
			if n := len(f.Requests()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

func TestCountTasksPagesAndWindow(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ada, _ := f.Add("contacts", map[string]string{"email": "ada@example.com"}, nil)
	bob, _ := f.Add("contacts", map[string]string{"email": "bob@example.com"}, nil)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	add := func(contact string, at time.Time) {
		t.Helper()
		_, err := f.Add("tasks", map[string]string{
			"hs_task_subject": "t", "hs_timestamp": "2030-01-01T00:00:00Z", // due far ahead: not what is counted
			"hs_createdate": at.Format(time.RFC3339Nano),
		}, map[string][]string{"contacts": {contact}})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 450 {
		add(ada, base.Add(time.Duration(i)*time.Minute)) // 2026-03-01 00:00 … 07:29
	}
	add(ada, base.Add(-time.Millisecond)) // just before the window
	add(ada, base.Add(24*time.Hour))      // after it
	for range 5 {
		add(bob, base.Add(time.Hour))
	}
	window := `"since": "2026-03-01T00:00:00Z", "until": "2026-03-01T07:29:00Z"`
	before := len(f.Requests())
	m := must(t, c, "count_tasks", `{"email": "ADA@example.com", `+window+`}`, "", false)
	if m["count"] != 450.0 || m["contact_id"] != ada {
		t.Errorf("count_tasks = %v, want 450 for contact %s", m, ada)
	}
	var searches int
	for _, r := range f.Requests()[before:] {
		if strings.HasSuffix(r.Path, "/tasks/search") {
			searches++
		}
	}
	if searches != 3 {
		t.Errorf("%d search pages, want 3 (200 + 200 + 50)", searches)
	}
	m = must(t, c, "count_tasks", fmt.Sprintf(`{"contact_id": %q, %s}`, bob, window), "", false)
	if m["count"] != 5.0 {
		t.Errorf("bob: %v, want 5", m)
	}
	m = must(t, c, "count_tasks", `{"email": "nobody@example.com", `+window+`}`, "", false)
	if m["count"] != 0.0 {
		t.Errorf("unknown contact: %v, want 0", m)
	}
	_, _, err := call(t, c, "count_tasks", `{"email": "ada@example.com", "since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}`, "")
	wantCode(t, err, hostfns.CodeInvalidArgs)
	_, _, err = call(t, c, "count_tasks", `{"email": "ada@example.com", "contact_id": "1", `+window+`}`, "")
	wantCode(t, err, hostfns.CodeInvalidArgs)
}

func TestCountTasksSeesTasksDueLater(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f := newFake(t, hubspotfake.Config{Clock: func() time.Time { return now }})
	c := connect(t, f)
	must(t, c, "create_contact", `{"email": "ada@example.com"}`, "r:1", false)
	must(t, c, "create_task", `{"subject": "Follow up", "contact_email": "ada@example.com", "due": "2026-03-17T09:00:00Z"}`, "r:2", false)
	// limit_tasks_per_contact asks for the window ending at the decision time.
	m := must(t, c, "count_tasks", `{"email": "ada@example.com", "since": "2026-03-03T12:00:00Z", "until": "2026-03-10T12:00:00Z"}`, "", false)
	if m["count"] != 1.0 {
		t.Errorf("count %v, want the task created now though due next week", m["count"])
	}
}

func TestDateVersionedPaths(t *testing.T) {
	t.Parallel()
	f := newFake(t, hubspotfake.Config{APIVersion: "2026-03"})
	c := connect(t, f, func(c *hubspot.Config) { c.APIVersion = "2026-03" })
	newLead(t, c, "run", false)
	newLead(t, c, "run", true)
	must(t, c, "count_tasks", `{"email": "lead@acme.test", "since": "2000-01-01", "until": "2100-01-01"}`, "", false)
	for _, r := range f.Requests() {
		if !strings.HasPrefix(r.Path, "/crm/objects/2026-03/") || r.Status >= 400 && r.Status != 404 {
			t.Errorf("%s %s → %d", r.Method, r.Path, r.Status)
		}
	}
	v3 := connect(t, f)
	_, _, err := call(t, v3, "create_contact", `{"email": "x@example.com"}`, "k")
	wantCode(t, err, hostfns.CodeNotFound)
}

func TestUpdateDeal(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	deal := must(t, c, "create_deal", `{"dealname": "D", "amount": "1000", "closedate": "2026-06-30T00:00:00Z"}`, "k", false)
	id := deal["id"].(string)
	same := []string{
		`{"id": %q, "amount": 1000.00}`,
		`{"id": %q, "amount": "1e3", "dealname": "D"}`,
		`{"id": %q, "closedate": "2026-06-30T02:00:00+02:00"}`,
	}
	for _, args := range same {
		must(t, c, "update_deal", fmt.Sprintf(args, id), "", true)
	}
	m := must(t, c, "update_deal", fmt.Sprintf(`{"id": %s, "amount": 2500, "properties": {"description": "grown"}}`, id), "", false)
	want := result{"id": id, "properties": map[string]any{"amount": "2500", "description": "grown"}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("update (-want +got):\n%s", diff)
	}
	again := must(t, c, "update_deal", fmt.Sprintf(`{"id": %s, "amount": 2500, "properties": {"description": "grown"}}`, id), "", true)
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("retried update (-want +got):\n%s", diff)
	}
	must(t, c, "update_deal", fmt.Sprintf(`{"id": %q, "properties": {"description": null}}`, id), "", false)
	must(t, c, "update_deal", fmt.Sprintf(`{"id": %q, "properties": {"description": null}}`, id), "", true)
	if got := f.Deals()[0].Properties; got["amount"] != "2500" || got["description"] != "" {
		t.Errorf("stored %v", got)
	}
	for _, tc := range []struct{ args, code string }{
		{`{"id": "999", "amount": 1}`, hostfns.CodeNotFound},
		{fmt.Sprintf(`{"id": %q, "properties": {"amount": 1}}`, id), hostfns.CodeInvalidArgs},
		{fmt.Sprintf(`{"id": %q, "properties": {"enact_idempotency_key": "x"}}`, id), hostfns.CodeInvalidArgs},
		{fmt.Sprintf(`{"id": %q}`, id), hostfns.CodeInvalidArgs},
		{`{"id": "../contacts/1", "amount": 1}`, hostfns.CodeInvalidArgs},
		{fmt.Sprintf(`{"id": %q, "amount": "lots"}`, id), hostfns.CodeInvalidArgs},
		{fmt.Sprintf(`{"id": %q, "properties": {"no_such_property": "x"}}`, id), hostfns.CodeInvalidArgs},
	} {
		_, _, err := call(t, c, "update_deal", tc.args, "")
		wantCode(t, err, tc.code)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	for _, tc := range []struct{ action, args, code, msg string }{
		{"create_contact", `{"email": "a@example.com", "properties": {"favourite_colour": "blue"}}`, hostfns.CodeInvalidArgs, `Property \"favourite_colour\" does not exist`},
		{"create_contact", `{"email": "not an email"}`, hostfns.CodeInvalidArgs, "not an email address"},
		{"create_contact", `{"email": "a@example.com", "properties": {"email": "b@example.com"}}`, hostfns.CodeInvalidArgs, "differ"},
		{"create_contact", `{"firstname": "No email"}`, hostfns.CodeInvalidArgs, "email"},
		{"create_contact", `{"email": "a@example.com", "surprise": 1}`, hostfns.CodeInvalidArgs, "unknown field"},
		{"create_deal", `{"dealname": "d", "contact_email": "nobody@example.com"}`, hostfns.CodeNotFound, "nobody@example.com"},
		{"create_deal", `{"dealname": "d", "contact_id": 1, "contact_email": "a@example.com"}`, hostfns.CodeInvalidArgs, "not both"},
		{"create_deal", `{"dealname": "d", "contact_id": 4242}`, hostfns.CodeInvalidArgs, "associations are invalid"},
		{"create_deal", `{"dealname": "d", "properties": {"amount": 5}}`, hostfns.CodeInvalidArgs, "top-level"},
		{"create_deal", `{"amount": 5}`, hostfns.CodeInvalidArgs, "dealname"},
		{"create_task", `{"subject": "s", "priority": "URGENT"}`, hostfns.CodeInvalidArgs, "priority"},
		{"create_task", `{"subject": "s", "due": "tomorrow"}`, hostfns.CodeInvalidArgs, "RFC 3339"},
		{"get_contact", `{"email": "a@example.com", "properties": ["Bad-Name"]}`, hostfns.CodeInvalidArgs, "property name"},
	} {
		_, _, err := call(t, c, tc.action, tc.args, "k")
		ce := wantCode(t, err, tc.code)
		if !strings.Contains(ce.Message, tc.msg) {
			t.Errorf("%s %s: message %q lacks %q", tc.action, tc.args, ce.Message, tc.msg)
		}
	}
	if n := len(f.Contacts()) + len(f.Deals()) + len(f.Tasks()); n != 0 {
		t.Errorf("%d records created by failing calls", n)
	}

	f.FailNext(1, http.StatusServiceUnavailable)
	_, _, err := call(t, c, "get_contact", `{"email": "a@example.com"}`, "")
	wantCode(t, err, hostfns.CodeUnavailable)

	f.SetHook(func(string, string) { time.Sleep(300 * time.Millisecond) })
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, _, err = callCtx(t, ctx, c, "create_contact", `{"email": "slow@example.com"}`, "k")
	wantCode(t, err, hostfns.CodeTimeout)
	f.SetHook(nil)

	gone := newFake(t, hubspotfake.Config{})
	cg := connect(t, gone)
	gone.Close()
	_, _, err = call(t, cg, "get_contact", `{"email": "a@example.com"}`, "")
	wantCode(t, err, hostfns.CodeUnavailable)
}

func TestMissingIdempotencyPropertyCreatesNothing(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	f.RemoveProperty("deals", "enact_idempotency_key")
	f.RemoveProperty("tasks", "enact_idempotency_key")
	for _, tc := range []struct{ action, args string }{
		{"create_deal", `{"dealname": "d"}`},
		{"create_task", `{"subject": "s"}`},
	} {
		_, _, err := call(t, c, tc.action, tc.args, "k")
		ce := wantCode(t, err, hostfns.CodeConnectorError)
		if !strings.Contains(ce.Message, "enact_idempotency_key") {
			t.Errorf("%s: message %q does not name the property", tc.action, ce.Message)
		}
	}
	if n := len(f.Deals()) + len(f.Tasks()); n != 0 {
		t.Errorf("%d unmarked records created", n)
	}
}

func TestCustomIdempotencyProperty(t *testing.T) {
	t.Parallel()
	f, _ := setup(t)
	f.DefineProperty("tasks", "x_run_key", hubspotfake.Property{Type: "string"})
	c := connect(t, f, func(c *hubspot.Config) { c.IdempotencyProperty = "x_run_key" })
	must(t, c, "create_task", `{"subject": "s"}`, "key-1", false)
	must(t, c, "create_task", `{"subject": "s"}`, "key-1", true)
	tasks := f.Tasks()
	if len(tasks) != 1 || tasks[0].Properties["x_run_key"] != "key-1" {
		t.Errorf("tasks %v", tasks)
	}
}

func TestLongKeysAreHashed(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	key := strings.Repeat("k", 300)
	must(t, c, "create_task", `{"subject": "s"}`, key, false)
	must(t, c, "create_task", `{"subject": "s"}`, key, true)
	if v := f.Tasks()[0].Properties["enact_idempotency_key"]; !strings.HasPrefix(v, "sha256:") || len(v) != 71 {
		t.Errorf("stored key %q", v)
	}
}

// TestDealSurvivesSearchLag: HubSpot's search trails writes; the unique
// key property turns the second create into a 409 that resolves.
func TestDealSurvivesSearchLag(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	f.SetSearchLag(time.Hour)
	first := must(t, c, "create_deal", `{"dealname": "lagging"}`, "run:1", false)
	again := must(t, c, "create_deal", `{"dealname": "lagging"}`, "run:1", true)
	if first["id"] != again["id"] {
		t.Errorf("ids %v and %v", first["id"], again["id"])
	}
	if n := len(f.Deals()); n != 1 {
		t.Errorf("%d deals, want 1", n)
	}
}

func TestWithoutKeyNothingIsDeduplicated(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	must(t, c, "create_task", `{"subject": "s"}`, "", false)
	must(t, c, "create_task", `{"subject": "s"}`, "", false)
	if n := len(f.Tasks()); n != 2 {
		t.Errorf("%d tasks, want 2", n)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []hubspot.Config{
		{},
		{Token: "t", BaseURL: "http://api.hubapi.com"},
		{Token: "t", BaseURL: "https://api.hubapi.com?x=1"},
		{Token: "t", BaseURL: "ftp://x"},
		{Token: "t", APIVersion: "v3/../../x"},
		{Token: "t", APIVersion: "2026-13"},
		{Token: "t", IdempotencyProperty: "Has-Caps"},
		{Token: "t\nX-Evil: 1"},
	} {
		if _, err := hubspot.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	for _, cfg := range []hubspot.Config{
		{Token: "t"},
		{Token: "t", BaseURL: "http://127.0.0.1:8080/proxy/", APIVersion: "2026-03"},
		{Token: "t", BaseURL: "http://localhost:1", APIVersion: "v4"},
	} {
		if _, err := hubspot.New(cfg); err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}

func TestBaseURLPathPrefix(t *testing.T) {
	t.Parallel()
	f := newFake(t, hubspotfake.Config{})
	proxy := httptest.NewServer(http.StripPrefix("/hubspot", f))
	t.Cleanup(proxy.Close)
	c, err := hubspot.New(hubspot.Config{Token: f.Token(), BaseURL: proxy.URL + "/hubspot/"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, c, "create_contact", `{"email": "p@example.com"}`, "k", false)
}

func BenchmarkCreateContact(b *testing.B) {
	b.Run("new", func(b *testing.B) {
		f, c := setup(b)
		i := 0
		for b.Loop() {
			i++
			args := fmt.Sprintf(`{"email": "lead%d@example.com", "firstname": "Lead"}`, i)
			if _, err := c.Call(b.Context(), "create_contact", json.RawMessage(args), hostfns.CallOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(f.Requests()))/float64(b.N), "requests/op")
	})
	b.Run("already_existed", func(b *testing.B) {
		f, c := setup(b)
		args := json.RawMessage(`{"email": "lead@example.com", "firstname": "Lead"}`)
		if _, err := c.Call(b.Context(), "create_contact", args, hostfns.CallOptions{}); err != nil {
			b.Fatal(err)
		}
		start := len(f.Requests())
		for b.Loop() {
			if _, err := c.Call(b.Context(), "create_contact", args, hostfns.CallOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(f.Requests())-start)/float64(b.N), "requests/op")
	})
}

// FuzzCall feeds arbitrary arguments to every action: each call ends in a
// result that is JSON or in a *hostfns.ConnectorError, never a panic.
func FuzzCall(f *testing.F) {
	for _, s := range []string{
		`{"email": "a@example.com"}`, `{"dealname": "d", "amount": "1e3", "contact_id": 1001}`,
		`{"id": "1001", "amount": null, "properties": {"x": true}}`, `{"subject": "s", "due": "2026-01-01"}`,
		`{"contact_id": "1", "since": "2026-01-01", "until": "2026-01-02"}`, `[]`, `null`, `{"email": "\u0000@x.y"}`,
	} {
		f.Add(s)
	}
	fake, c := setup(f)
	must(f, c, "create_contact", `{"email": "a@example.com"}`, "seed", false)
	must(f, c, "create_deal", `{"dealname": "d"}`, "seed", false)
	actions := c.Actions()
	f.Fuzz(func(t *testing.T, args string) {
		for _, a := range actions {
			out, err := c.Call(t.Context(), a.Name, json.RawMessage(args), hostfns.CallOptions{IdempotencyKey: "fuzz"})
			if err != nil {
				var ce *hostfns.ConnectorError
				if !errors.As(err, &ce) {
					t.Fatalf("%s %s: %T %v", a.Name, args, err, err)
				}
				continue
			}
			if !json.Valid(out.Result) {
				t.Fatalf("%s %s: result %q", a.Name, args, out.Result)
			}
		}
	})
	_ = fake
}

// TestArgsSchemas checks what the gate accepts before a call reaches the
// connector, notably the shapes policies rely on.
func TestArgsSchemas(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	schemas := map[string]*jsonschema.Schema{}
	for _, a := range c.Actions() {
		comp := jsonschema.NewCompiler()
		comp.DefaultDraft(jsonschema.Draft2020)
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(a.Args)))
		if err != nil {
			t.Fatal(err)
		}
		if err := comp.AddResource(a.Name+".json", doc); err != nil {
			t.Fatal(err)
		}
		if schemas[a.Name], err = comp.Compile(a.Name + ".json"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		action, args string
		ok           bool
	}{
		{"create_contact", `{"email": "a@example.com", "properties": {"jobtitle": "CTO", "age": 40, "vip": true}}`, true},
		{"create_contact", `{"properties": {"email": "a@example.com"}}`, true},
		{"create_contact", `{"firstname": "no email"}`, false},
		{"create_contact", `{"email": "a@example.com", "properties": {"nested": {"x": 1}}}`, false},
		{"create_contact", `{"email": "a@example.com", "properties": {"Bad Name": "x"}}`, false},
		{"get_contact", `{"email": "a@example.com", "properties": ["jobtitle"]}`, true},
		{"create_deal", `{"dealname": "d", "amount": "1200.50", "contact_id": 1001}`, true},
		{"create_deal", `{"dealname": "d", "amount": "lots"}`, false},
		{"create_deal", `{"dealname": "d", "properties": {"amount": 5}}`, false},
		{"create_deal", `{"dealname": "d", "properties": {"enact_idempotency_key": "x"}}`, false},
		{"create_deal", `{"dealname": "d", "contact_id": "1", "contact_email": "a@example.com"}`, false},
		{"update_deal", `{"id": "1001", "dealstage": "closedwon"}`, true},
		{"update_deal", `{"id": "1001"}`, false},
		{"update_deal", `{"id": "1001", "properties": {"dealstage": "closedwon"}}`, false},
		{"create_task", `{"subject": "s", "contact_email": "a@example.com", "due": "2026-03-01T09:00:00Z", "priority": "HIGH"}`, true},
		{"create_task", `{"subject": "s", "priority": "urgent"}`, false},
		{"create_task", `{"subject": "s", "email": "a@example.com"}`, false},
		{"count_tasks", `{"contact_id": "1001", "since": "2026-01-01T00:00:00Z", "until": "2026-01-08T00:00:00Z"}`, true},
		{"count_tasks", `{"since": "2026-01-01T00:00:00Z", "until": "2026-01-08T00:00:00Z"}`, false},
		{"count_tasks", `{"email": "a@example.com", "contact_id": 1, "since": "2026-01-01", "until": "2026-01-08"}`, false},
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.args))
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas[tc.action].Validate(v); (err == nil) != tc.ok {
			t.Errorf("%s %s: valid = %v, want %v (%v)", tc.action, tc.args, err == nil, tc.ok, err)
		}
	}
}
