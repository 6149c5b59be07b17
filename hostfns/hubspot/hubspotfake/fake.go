// Package hubspotfake is an in-process fake of the part of HubSpot's CRM
// objects API the hubspot connector uses, for tests. It runs an httptest
// server and models the real API's behaviour, not only its happy path:
//
//   - bearer-token auth (401 INVALID_AUTHENTICATION), missing scopes per
//     object type (403 MISSING_SCOPES);
//   - contacts, deals and tasks: create (201), read by id or by a unique
//     property (?idProperty=email), list with limit/after paging, PATCH
//     update, search;
//   - property validation as HubSpot does it: unknown properties, numbers,
//     datetimes (epoch milliseconds or ISO 8601), enumerations, emails and
//     read-only properties answer 400 VALIDATION_ERROR with HubSpot's
//     error JSON; tasks need hs_timestamp;
//   - uniqueness: a second contact with an email (compared ignoring case;
//     emails are stored lower-cased) answers 409 "Contact already exists.
//     Existing ID: N"; properties defined unique (by default
//     enact_idempotency_key on deals) answer 409 too;
//   - associations given on create ({to: {id}, types: [{associationCategory,
//     associationTypeId}]}), kept in both directions, searchable as
//     associations.contact and readable with ?associations=contacts;
//   - search: filterGroups (OR of ANDed filters, at most 5 groups of 6)
//     with EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY,
//     NOT_HAS_PROPERTY, CONTAINS_TOKEN; one sort; query; properties; limit
//     (at most 200) and after cursors, at most 10,000 results deep; an
//     optional index lag (SetSearchLag) during which new writes are not
//     yet searchable;
//   - rate limiting on demand: the next n requests answer 429 with
//     Retry-After and HubSpot's RATE_LIMIT body; other failures on demand;
//   - the API version in the path: /crm/v3/objects/… or, for a date
//     version, /crm/objects/2026-03/….
//
// State lives in memory for the life of the Fake, and a Fake is safe for
// concurrent use. Ids are assigned per object type from 1001 up, so tests
// can predict them.
package hubspotfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/enact-run/enact/internal/lazyre"
)

// DefaultToken is the token a Fake accepts when Config.Token is empty.
const DefaultToken = "fake-hubspot-token"

// Config configures a Fake; the zero value is usable.
type Config struct {
	// Token is the bearer token the fake accepts; DefaultToken when empty.
	Token string
	// APIVersion is the version in the paths served: "v3" (the default)
	// or a date version such as "2026-03".
	APIVersion string
	// Clock gives the time of creates and updates; time.Now when nil.
	Clock func() time.Time
}

// Object is a stored record, as the inspection methods return it (a copy).
type Object struct {
	ID         string
	Properties map[string]string
	// Associations maps an object type ("contacts") to the associated ids.
	Associations map[string][]string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Request is one request the fake answered.
type Request struct {
	Method string
	Path   string
	Query  string
	Body   string
	Status int
}

// Property describes a property of an object type.
type Property struct {
	// Type is "string", "number", "datetime" or "enumeration".
	Type     string
	Options  []string // for enumeration
	Unique   bool
	ReadOnly bool
}

type record struct {
	id      string
	props   map[string]string
	assoc   map[string]map[string]bool // type → ids
	created time.Time
	updated time.Time
}

// Fake is a running fake HubSpot API.
type Fake struct {
	srv     *httptest.Server
	token   string
	version string
	clock   func() time.Time

	mu          sync.Mutex
	objects     map[string]map[string]*record
	index       map[string]map[string]map[string]string // type → unique property → lower-cased value → id
	nextID      map[string]int
	schema      map[string]map[string]Property
	requests    []Request
	limited     int
	limitMatch  func(method, path string) bool
	retryAfter  string
	failing     int
	failStatus  int
	forbidden   map[string]bool
	lag         time.Duration
	hook        func(method, path string)
	correlation int
}

var objectTypes = []string{"contacts", "deals", "tasks"}

// New starts a fake HubSpot API. Close it when done.
func New(cfg Config) *Fake {
	f := &Fake{
		token:      cfg.Token,
		version:    cfg.APIVersion,
		clock:      cfg.Clock,
		objects:    map[string]map[string]*record{},
		index:      map[string]map[string]map[string]string{},
		nextID:     map[string]int{},
		schema:     defaultSchema(),
		retryAfter: "1",
		forbidden:  map[string]bool{},
	}
	if f.token == "" {
		f.token = DefaultToken
	}
	if f.version == "" {
		f.version = "v3"
	}
	if f.clock == nil {
		f.clock = time.Now
	}
	for _, t := range objectTypes {
		f.objects[t] = map[string]*record{}
		f.index[t] = map[string]map[string]string{}
		f.nextID[t] = 1001
	}
	f.srv = httptest.NewServer(f)
	return f
}

func defaultSchema() map[string]map[string]Property {
	s := func() Property { return Property{Type: "string"} }
	ro := func(t string) Property { return Property{Type: t, ReadOnly: true} }
	return map[string]map[string]Property{
		"contacts": {
			"email": s(), "firstname": s(), "lastname": s(), "company": s(), "phone": s(), "mobilephone": s(),
			"jobtitle": s(), "website": s(), "address": s(), "city": s(), "state": s(), "zip": s(), "country": s(),
			"lifecyclestage": s(), "hs_lead_status": s(), "hubspot_owner_id": s(),
			"createdate": ro("datetime"), "lastmodifieddate": ro("datetime"), "hs_object_id": ro("number"),
		},
		"deals": {
			"dealname": s(), "amount": {Type: "number"}, "pipeline": s(), "dealstage": s(), "closedate": {Type: "datetime"},
			"dealtype": s(), "description": s(), "hubspot_owner_id": s(),
			"createdate": ro("datetime"), "hs_lastmodifieddate": ro("datetime"), "hs_object_id": ro("number"),
			"enact_idempotency_key": {Type: "string", Unique: true},
		},
		"tasks": {
			"hs_task_subject": s(), "hs_task_body": s(), "hs_timestamp": {Type: "datetime"},
			"hs_task_status":   {Type: "enumeration", Options: []string{"NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"}},
			"hs_task_priority": {Type: "enumeration", Options: []string{"NONE", "LOW", "MEDIUM", "HIGH"}},
			"hs_task_type":     {Type: "enumeration", Options: []string{"TODO", "CALL", "EMAIL", "LINKED_IN"}},
			"hubspot_owner_id": s(),
			"hs_createdate":    ro("datetime"), "hs_lastmodifieddate": ro("datetime"), "hs_object_id": ro("number"),
			"enact_idempotency_key": s(),
		},
	}
}

// defaultProperties are the properties returned when a request names none.
var defaultProperties = map[string][]string{
	"contacts": {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"},
	"deals":    {"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"},
	"tasks":    {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"},
}

// createdProp and modifiedProp name the timestamps each type keeps.
var (
	createdProp  = map[string]string{"contacts": "createdate", "deals": "createdate", "tasks": "hs_createdate"}
	modifiedProp = map[string]string{"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate", "tasks": "hs_lastmodifieddate"}
)

// associationTypes maps HubSpot-defined association type ids, per source
// type, to the target type.
var associationTypes = map[string]map[int]string{
	"contacts": {4: "deals", 203: "tasks"},
	"deals":    {3: "contacts"},
	"tasks":    {204: "contacts", 216: "deals"},
}

// URL is the fake's base URL (for the connector's Config.BaseURL).
func (f *Fake) URL() string { return f.srv.URL }

// Token is the bearer token the fake accepts.
func (f *Fake) Token() string { return f.token }

// Client is an HTTP client for the fake's server.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

// Contacts returns the stored contacts, by id.
func (f *Fake) Contacts() []Object { return f.list("contacts") }

// Deals returns the stored deals, by id.
func (f *Fake) Deals() []Object { return f.list("deals") }

// Tasks returns the stored tasks, by id.
func (f *Fake) Tasks() []Object { return f.list("tasks") }

func (f *Fake) list(objectType string) []Object {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Object
	for _, r := range f.sorted(objectType) {
		o := Object{ID: r.id, Properties: map[string]string{}, Associations: map[string][]string{}, CreatedAt: r.created, UpdatedAt: r.updated}
		for k, v := range r.props {
			o.Properties[k] = v
		}
		for t, ids := range r.assoc {
			o.Associations[t] = sortedIDs(ids)
		}
		out = append(out, o)
	}
	return out
}

// Requests returns the requests answered so far, in order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// SetRateLimited makes the next n requests answer 429.
func (f *Fake) SetRateLimited(n int) { f.SetRateLimitedWhere(n, nil) }

// SetRateLimitedWhere makes the next n requests for which match reports
// true answer 429 (every request when match is nil).
func (f *Fake) SetRateLimitedWhere(n int, match func(method, path string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited, f.limitMatch = n, match
}

// SetRetryAfter sets the Retry-After header of 429 answers (seconds, as
// HubSpot sends it; "" leaves the header out). The default is "1".
func (f *Fake) SetRetryAfter(v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retryAfter = v
}

// FailNext makes the next n requests answer status (a 5xx) with HubSpot's
// error body.
func (f *Fake) FailNext(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing, f.failStatus = n, status
}

// SetForbidden makes requests about an object type answer 403
// MISSING_SCOPES, as for a token without that type's scopes.
func (f *Fake) SetForbidden(objectType string, forbidden bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forbidden[objectType] = forbidden
}

// SetSearchLag makes records written less than d ago (by the fake's
// clock) invisible to search, like HubSpot's index lag. Reads by id are
// not affected.
func (f *Fake) SetSearchLag(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lag = d
}

// SetHook sets a function called with each request's method and path
// before the fake answers it (outside the fake's lock, so it may call
// Add).
func (f *Fake) SetHook(fn func(method, path string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = fn
}

// DefineProperty adds or replaces a property of an object type.
func (f *Fake) DefineProperty(objectType, name string, p Property) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.schema[objectType] != nil {
		f.schema[objectType][name] = p
		f.reindex(objectType)
	}
}

// RemoveProperty deletes a property definition (e.g. to model a portal
// without enact_idempotency_key).
func (f *Fake) RemoveProperty(objectType, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.schema[objectType], name)
	f.reindex(objectType)
}

// unique reports whether a property's values are unique per object type
// (contact emails always are).
func (f *Fake) unique(objectType, name string) bool {
	return f.schema[objectType][name].Unique || (objectType == "contacts" && name == "email")
}

// reindex rebuilds an object type's index of unique values.
func (f *Fake) reindex(objectType string) {
	idx := map[string]map[string]string{}
	for _, r := range f.sorted(objectType) {
		for name, v := range r.props {
			if v != "" && f.unique(objectType, name) {
				if idx[name] == nil {
					idx[name] = map[string]string{}
				}
				if _, taken := idx[name][strings.ToLower(v)]; !taken {
					idx[name][strings.ToLower(v)] = r.id
				}
			}
		}
	}
	f.index[objectType] = idx
}

// setProp sets (or with "" clears) a property, keeping the index.
func (f *Fake) setProp(objectType string, r *record, name, v string) {
	idx := f.index[objectType]
	if old, ok := r.props[name]; ok && idx[name] != nil && idx[name][strings.ToLower(old)] == r.id {
		delete(idx[name], strings.ToLower(old))
	}
	if v == "" {
		delete(r.props, name)
		return
	}
	r.props[name] = v
	if f.unique(objectType, name) {
		if idx[name] == nil {
			idx[name] = map[string]string{}
		}
		idx[name][strings.ToLower(v)] = r.id
	}
}

// lookup finds the record whose unique property holds v (ignoring case).
func (f *Fake) lookup(objectType, name, v string) *record {
	if v == "" {
		return nil
	}
	return f.objects[objectType][f.index[objectType][name][strings.ToLower(v)]]
}

// Add stores a record directly, as if created earlier, and returns its id.
// Unlike the API it accepts read-only properties, so a test can set
// createdate or hs_createdate. associations maps an object type to ids.
func (f *Fake) Add(objectType string, props map[string]string, associations map[string][]string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.objects[objectType] == nil {
		return "", fmt.Errorf("hubspotfake: unknown object type %q", objectType)
	}
	clean, issues := f.validate(objectType, props, true)
	if len(issues) > 0 {
		return "", fmt.Errorf("hubspotfake: %s", issues[0].Message)
	}
	if existing := f.uniqueClash(objectType, "", clean); existing != "" {
		return "", fmt.Errorf("hubspotfake: a %s with these unique values exists: %s", objectType, existing)
	}
	var links []link
	for t, ids := range associations {
		for _, id := range ids {
			if f.objects[t] == nil || f.objects[t][id] == nil {
				return "", fmt.Errorf("hubspotfake: no %s %s to associate", t, id)
			}
			links = append(links, link{t, id})
		}
	}
	r := f.insert(objectType, clean)
	for _, l := range links {
		f.associate(objectType, r.id, l.typ, l.id)
	}
	if v, ok := clean[createdProp[objectType]]; ok {
		if t, err := parseTime(v); err == nil {
			r.created, r.updated = t, t
		}
	}
	return r.id, nil
}

type link struct{ typ, id string }

func (f *Fake) insert(objectType string, props map[string]string) *record {
	now := f.clock().UTC()
	id := strconv.Itoa(f.nextID[objectType])
	f.nextID[objectType]++
	r := &record{id: id, props: map[string]string{}, assoc: map[string]map[string]bool{}, created: now, updated: now}
	for k, v := range props {
		f.setProp(objectType, r, k, v)
	}
	if _, ok := props[createdProp[objectType]]; !ok {
		r.props[createdProp[objectType]] = isoTime(now)
	}
	r.props[modifiedProp[objectType]] = isoTime(now)
	r.props["hs_object_id"] = id
	f.objects[objectType][id] = r
	return r
}

func (f *Fake) associate(fromType, fromID, toType, toID string) {
	a, b := f.objects[fromType][fromID], f.objects[toType][toID]
	if a.assoc[toType] == nil {
		a.assoc[toType] = map[string]bool{}
	}
	if b.assoc[fromType] == nil {
		b.assoc[fromType] = map[string]bool{}
	}
	a.assoc[toType][toID] = true
	b.assoc[fromType][fromID] = true
}

func (f *Fake) sorted(objectType string) []*record {
	rs := make([]*record, 0, len(f.objects[objectType]))
	for _, r := range f.objects[objectType] {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *record) int { return cmpID(a.id, b.id) })
	return rs
}

func cmpID(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func sortedIDs(ids map[string]bool) []string {
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	slices.SortFunc(out, cmpID)
	return out
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// parseTime reads a datetime value as HubSpot accepts it: epoch
// milliseconds, RFC 3339, or a date.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, s)
}

// --- HTTP ---

// ServeHTTP answers one API request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook(r.Method, r.URL.Path)
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	f.mu.Lock()
	f.serve(rec, r, body)
	stored := string(body)
	if len(stored) > 64<<10 {
		stored = stored[:64<<10]
	}
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: stored, Status: rec.status})
	f.mu.Unlock()
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// serve answers a request; f.mu is held.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	if f.limited > 0 && (f.limitMatch == nil || f.limitMatch(r.Method, r.URL.Path)) {
		f.limited--
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		f.reply(w, http.StatusTooManyRequests, map[string]any{
			"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT",
			"correlationId": f.correlationID(), "policyName": "SECONDLY",
		})
		return
	}
	if f.failing > 0 {
		f.failing--
		f.fail(w, f.failStatus, "INTERNAL_ERROR", "Internal error")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		msg := "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			msg = "Authentication credentials are invalid or expired. Check the access token of your private app."
		}
		f.fail(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION", msg)
		return
	}
	objectType, rest, ok := f.route(r.URL.Path)
	if !ok {
		f.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Not Found: no route for "+r.URL.Path)
		return
	}
	if f.objects[objectType] == nil {
		f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+objectType)
		return
	}
	if f.forbidden[objectType] {
		f.fail(w, http.StatusForbidden, "MISSING_SCOPES",
			"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.")
		return
	}
	switch {
	case rest == "" && r.Method == http.MethodPost:
		f.create(w, objectType, body)
	case rest == "" && r.Method == http.MethodGet:
		f.listPage(w, r, objectType)
	case rest == "search" && r.Method == http.MethodPost:
		f.search(w, objectType, body)
	case rest != "" && !strings.Contains(rest, "/") && r.Method == http.MethodGet:
		f.get(w, r, objectType, rest)
	case rest != "" && !strings.Contains(rest, "/") && r.Method == http.MethodPatch:
		f.update(w, objectType, rest, body)
	default:
		w.Header().Set("Allow", "GET, POST, PATCH")
		f.fail(w, http.StatusMethodNotAllowed, "VALIDATION_ERROR", r.Method+" is not supported on "+r.URL.Path)
	}
}

var dateVersion = lazyre.New(`^[0-9]{4}-[0-9]{2}$`)

// route splits a path into object type and the rest: /crm/v3/objects/T[/rest]
// for v3, /crm/objects/YYYY-MM/T[/rest] for a date version.
func (f *Fake) route(path string) (objectType, rest string, ok bool) {
	var prefix string
	if dateVersion.MatchString(f.version) {
		prefix = "/crm/objects/" + f.version + "/"
	} else {
		prefix = "/crm/" + f.version + "/objects/"
	}
	tail, found := strings.CutPrefix(path, prefix)
	if !found || tail == "" {
		return "", "", false
	}
	objectType, rest, _ = strings.Cut(tail, "/")
	return objectType, rest, true
}

func (f *Fake) correlationID() string {
	f.correlation++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.correlation)
}

func (f *Fake) reply(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"status":"error","message":"fake: unencodable reply"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

func (f *Fake) fail(w http.ResponseWriter, status int, category, message string) {
	f.reply(w, status, map[string]any{"status": "error", "message": message, "correlationId": f.correlationID(), "category": category})
}

// issue is one entry of HubSpot's "Property values were not valid" list.
type issue struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

func (f *Fake) invalid(w http.ResponseWriter, issues []issue) {
	list, _ := json.Marshal(issues)
	f.reply(w, http.StatusBadRequest, map[string]any{
		"status": "error", "message": "Property values were not valid: " + string(list),
		"correlationId": f.correlationID(), "category": "VALIDATION_ERROR",
	})
}

var emailShape = lazyre.New(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// validate checks property values against the schema and returns them in
// stored form. "" means "no value" and is kept only for updates to clear.
func (f *Fake) validate(objectType string, props map[string]string, allowReadOnly bool) (map[string]string, []issue) {
	out := map[string]string{}
	var issues []issue
	bad := func(name, code, msg string) { issues = append(issues, issue{Message: msg, Error: code, Name: name}) }
	for _, name := range sortedKeys(props) {
		v := props[name]
		p, ok := f.schema[objectType][name]
		switch {
		case !ok:
			bad(name, "PROPERTY_DOESNT_EXIST", fmt.Sprintf("Property %q does not exist", name))
			continue
		case p.ReadOnly && !allowReadOnly:
			bad(name, "READ_ONLY_VALUE", fmt.Sprintf("%q is a read only property; its value cannot be set.", name))
			continue
		case v == "":
			out[name] = ""
			continue
		}
		switch p.Type {
		case "number":
			if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				bad(name, "INVALID_DECIMAL", fmt.Sprintf("%s was not a valid number.", v))
				continue
			}
		case "datetime":
			t, err := parseTime(v)
			if err != nil {
				bad(name, "INVALID_DATE", fmt.Sprintf("%s was not a valid date or datetime (epoch milliseconds or ISO 8601).", v))
				continue
			}
			v = isoTime(t)
		case "enumeration":
			if !slices.Contains(p.Options, v) {
				bad(name, "INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: %v", v, p.Options))
				continue
			}
		}
		if objectType == "contacts" && name == "email" {
			v = strings.ToLower(strings.TrimSpace(v))
			if !emailShape.MatchString(v) {
				bad(name, "INVALID_EMAIL", fmt.Sprintf("Email address %s is invalid", props[name]))
				continue
			}
		}
		out[name] = v
	}
	return out, issues
}

// uniqueClash returns the id of another record holding one of props'
// unique values (contact emails and unique properties), or "".
func (f *Fake) uniqueClash(objectType, selfID string, props map[string]string) string {
	for _, name := range sortedKeys(props) {
		if r := f.lookup(objectType, name, props[name]); r != nil && r.id != selfID && f.unique(objectType, name) {
			return r.id
		}
	}
	return ""
}

func (f *Fake) conflict(w http.ResponseWriter, objectType, existing string) {
	msg := "Contact already exists. Existing ID: " + existing
	if objectType != "contacts" {
		msg = fmt.Sprintf("A %s with a unique property value already exists. Existing ID: %s", strings.TrimSuffix(objectType, "s"), existing)
	}
	f.reply(w, http.StatusConflict, map[string]any{
		"status": "error", "message": msg, "correlationId": f.correlationID(), "category": "CONFLICT",
		"errors": []any{map[string]any{"message": msg, "in": "properties"}},
	})
}

// decodeBody decodes a JSON body, answering 400 when it is not.
func (f *Fake) decodeBody(w http.ResponseWriter, body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1: "+err.Error())
		return false
	}
	return true
}

type createBody struct {
	Properties   map[string]any `json:"properties"`
	Associations []struct {
		To struct {
			ID json.Number `json:"id"`
		} `json:"to"`
		Types []struct {
			Category string `json:"associationCategory"`
			TypeID   int    `json:"associationTypeId"`
		} `json:"types"`
	} `json:"associations"`
}

// stringProps turns property values into strings as HubSpot does (numbers
// and booleans are accepted); other JSON is an issue.
func stringProps(in map[string]any) (map[string]string, []issue) {
	out := map[string]string{}
	var issues []issue
	for k, v := range in {
		switch t := v.(type) {
		case string:
			out[k] = t
		case json.Number:
			out[k] = t.String()
		case bool:
			out[k] = strconv.FormatBool(t)
		case nil:
			out[k] = ""
		default:
			issues = append(issues, issue{Message: fmt.Sprintf("Property %q must be a string, number or boolean", k), Error: "INVALID_PROPERTY_VALUE", Name: k})
		}
	}
	return out, issues
}

func (f *Fake) create(w http.ResponseWriter, objectType string, body []byte) {
	var in createBody
	if !f.decodeBody(w, body, &in) {
		return
	}
	raw, issues := stringProps(in.Properties)
	if len(issues) > 0 {
		f.invalid(w, issues)
		return
	}
	props, issues := f.validate(objectType, raw, false)
	if objectType == "tasks" && props["hs_timestamp"] == "" && len(issues) == 0 {
		issues = append(issues, issue{Message: "hs_timestamp is required to create a task", Error: "REQUIRED_PROPERTY", Name: "hs_timestamp"})
	}
	if len(issues) > 0 {
		f.invalid(w, issues)
		return
	}
	for k, v := range props {
		if v == "" {
			delete(props, k)
		}
	}
	var links []link
	for _, a := range in.Associations {
		id := a.To.ID.String()
		if len(a.Types) == 0 {
			f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "An association needs at least one type")
			return
		}
		for _, t := range a.Types {
			toType, ok := associationTypes[objectType][t.TypeID]
			if !ok || t.Category != "HUBSPOT_DEFINED" {
				f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR",
					fmt.Sprintf("Association type %s/%d is not valid from %s", t.Category, t.TypeID, objectType))
				return
			}
			if f.objects[toType][id] == nil {
				f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR",
					fmt.Sprintf("One or more associations are invalid: %s %s does not exist", strings.TrimSuffix(toType, "s"), id))
				return
			}
			links = append(links, link{toType, id})
		}
	}
	if existing := f.uniqueClash(objectType, "", props); existing != "" {
		f.conflict(w, objectType, existing)
		return
	}
	r := f.insert(objectType, props)
	for _, l := range links {
		f.associate(objectType, r.id, l.typ, l.id)
	}
	names := sortedKeys(r.props)
	f.reply(w, http.StatusCreated, f.view(objectType, r, names, nil))
}

func (f *Fake) get(w http.ResponseWriter, r *http.Request, objectType, id string) {
	q := r.URL.Query()
	rec := f.objects[objectType][id]
	if idp := q.Get("idProperty"); idp != "" {
		if !f.unique(objectType, idp) {
			f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Property %q is not a unique identifier property of %s", idp, objectType))
			return
		}
		rec = f.lookup(objectType, idp, id)
	}
	if rec == nil {
		f.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "resource not found")
		return
	}
	f.reply(w, http.StatusOK, f.view(objectType, rec, f.requested(objectType, q["properties"]), q["associations"]))
}

// requested reads the properties query parameter (repeated or
// comma-separated); the type's defaults when absent.
func (f *Fake) requested(objectType string, params []string) []string {
	var names []string
	for _, p := range params {
		for _, n := range strings.Split(p, ",") {
			if n = strings.TrimSpace(n); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return defaultProperties[objectType]
	}
	return names
}

// view is a record as the API shows it. Requested properties that do not
// exist on the type are left out; unset ones are null.
func (f *Fake) view(objectType string, r *record, names, assocTypes []string) map[string]any {
	props := map[string]any{}
	for _, n := range names {
		if _, ok := f.schema[objectType][n]; !ok {
			continue
		}
		if v, ok := r.props[n]; ok && v != "" {
			props[n] = v
		} else {
			props[n] = nil
		}
	}
	v := map[string]any{
		"id": r.id, "properties": props, "archived": false,
		"createdAt": isoTime(r.created), "updatedAt": isoTime(r.updated),
	}
	if len(assocTypes) > 0 {
		as := map[string]any{}
		for _, p := range assocTypes {
			for _, t := range strings.Split(p, ",") {
				ids := r.assoc[strings.TrimSpace(t)]
				if len(ids) == 0 {
					continue
				}
				var results []any
				for _, id := range sortedIDs(ids) {
					results = append(results, map[string]any{"id": id, "type": strings.TrimSuffix(objectType, "s") + "_to_" + strings.TrimSuffix(t, "s")})
				}
				as[t] = map[string]any{"results": results}
			}
		}
		v["associations"] = as
	}
	return v
}

func (f *Fake) update(w http.ResponseWriter, objectType, id string, body []byte) {
	var in struct {
		Properties map[string]any `json:"properties"`
	}
	if !f.decodeBody(w, body, &in) {
		return
	}
	rec := f.objects[objectType][id]
	if rec == nil {
		f.fail(w, http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("resource not found: %s %s", objectType, id))
		return
	}
	raw, issues := stringProps(in.Properties)
	if len(issues) > 0 {
		f.invalid(w, issues)
		return
	}
	props, issues := f.validate(objectType, raw, false)
	if len(issues) > 0 {
		f.invalid(w, issues)
		return
	}
	if existing := f.uniqueClash(objectType, id, props); existing != "" {
		f.conflict(w, objectType, existing)
		return
	}
	now := f.clock().UTC()
	for k, v := range props {
		f.setProp(objectType, rec, k, v)
	}
	rec.updated = now
	rec.props[modifiedProp[objectType]] = isoTime(now)
	f.reply(w, http.StatusOK, f.view(objectType, rec, sortedKeys(rec.props), nil))
}

// listPage answers GET /objects/{type}?limit&after&properties.
func (f *Fake) listPage(w http.ResponseWriter, r *http.Request, objectType string) {
	q := r.URL.Query()
	limit, offset, ok := f.paging(w, q.Get("limit"), q.Get("after"), 10, 100)
	if !ok {
		return
	}
	all := f.sorted(objectType)
	f.replyPage(w, objectType, all, offset, limit, f.requested(objectType, q["properties"]), false)
}

// paging reads limit and after; after is an opaque cursor (here an offset).
func (f *Fake) paging(w http.ResponseWriter, limitS, after string, def, maxLimit int) (limit, offset int, ok bool) {
	limit = def
	if limitS != "" {
		n, err := strconv.Atoi(limitS)
		if err != nil || n < 0 || n > maxLimit {
			f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("limit must be between 0 and %d, not %s", maxLimit, limitS))
			return 0, 0, false
		}
		if n > 0 {
			limit = n
		}
	}
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("after %q is not a valid paging cursor", after))
			return 0, 0, false
		}
		offset = n
	}
	return limit, offset, true
}

func (f *Fake) replyPage(w http.ResponseWriter, objectType string, all []*record, offset, limit int, names []string, withTotal bool) {
	results := []any{}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		results = append(results, f.view(objectType, all[i], names, nil))
	}
	out := map[string]any{"results": results}
	if withTotal {
		out["total"] = len(all)
	}
	if offset+limit < len(all) {
		next := strconv.Itoa(offset + limit)
		out["paging"] = map[string]any{"next": map[string]any{"after": next, "link": "?after=" + next}}
	}
	f.reply(w, http.StatusOK, out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
