// Package hubspot is a connector for HubSpot's CRM: contacts, deals and
// tasks through the CRM objects API, over net/http (HubSpot has no Go
// SDK). The private app token stays in the host: it is sent only in the
// Authorization header and is scrubbed from every result and error.
//
// Actions (arguments and results are JSON Schemas in Actions):
//
//	hubspot.create_contact {email, firstname?, lastname?, company?, phone?, properties?}
//	                         → {id, email, properties}
//	hubspot.get_contact    {email, properties?}   → {found: true, id, email, properties} | {found: false}
//	hubspot.create_deal    {dealname, amount?, pipeline?, dealstage?, closedate?,
//	                          contact_id? | contact_email?, properties?}
//	                         → {id, contact_id?, properties}
//	hubspot.update_deal    {id, dealname?, amount?, pipeline?, dealstage?, closedate?, properties?}
//	                         → {id, properties}
//	hubspot.create_task    {subject, body?, contact_id? | contact_email?, due?, priority?}
//	                         → {id, contact_id?, properties}
//	hubspot.count_tasks    {contact_id | email, since, until} → {count, contact_id?}
//
// get_contact and count_tasks are read-only; the others are mutating.
// Policies read these arguments: the contact's email (args.email or
// args.properties.email) for no_duplicate_contacts; args.contact_id or
// args.contact_email for limit_tasks_per_contact, which looks the count up
// through count_tasks; args.amount for deal rules. So that a rule on
// args.amount cannot be sidestepped, the deal fields amount, dealname,
// pipeline, dealstage and closedate are top-level arguments only: a
// properties map naming them is refused (invalid_args). The same holds for
// the contact fields of create_contact, which may appear in properties only
// with the same value as the top-level argument. Emails are trimmed and
// lower-cased before use.
//
// # Check-before-act
//
// Every mutating action answers already_existed, and changes nothing, when
// its effect is already in place, so a retried run never duplicates:
//
//   - create_contact reads the contact by email (GET …/contacts/{email}?idProperty=email,
//     a consistent read, unlike search). If one exists it is the result. A
//     409 "Contact already exists. Existing ID: N" from a concurrent create
//     resolves to contact N, also already_existed.
//   - create_deal and create_task store the call's idempotency key (the gate
//     gives each action of a run its own) in a custom property,
//     enact_idempotency_key by default (Config.IdempotencyProperty), and
//     first search for a record carrying it. A call without a key is not
//     deduplicated.
//   - update_deal reads the deal first; when every property already holds
//     the requested value (numbers and instants compared by value) nothing
//     is written.
//
// Check (hostfns.Checker) makes these lookups without writing and finds
// the effect when a retry would answer already_existed. For deals and
// tasks it needs the key (invalid_args without one), and where search
// finds no record it also reads by the key property (idProperty), which
// sees a record at once where the property is unique.
//
// HubSpot's search index trails writes by a few seconds. For deals, make
// the property unique ("Require unique values"): a create racing a lagging
// search then gets a 409, which resolves to the deal that holds the key
// (read with idProperty, which is consistent). HubSpot has no unique
// properties for tasks, so a create_task retried within that lag can
// create a second task, and Check within it can miss the task.
//
// # Setting up a portal
//
// Create a private app with the scopes crm.objects.contacts.read,
// crm.objects.contacts.write, crm.objects.deals.read and
// crm.objects.deals.write (tasks use the contact scopes), and once, with
// crm.schemas.deals.write and crm.schemas.contacts.write, the two
// properties:
//
//	POST /crm/v3/properties/deals {"name": "enact_idempotency_key", "label": "Enact idempotency key",
//	  "type": "string", "fieldType": "text", "groupName": "dealinformation", "hasUniqueValue": true}
//	POST /crm/v3/properties/tasks {"name": "enact_idempotency_key", "label": "Enact idempotency key",
//	  "type": "string", "fieldType": "text", "groupName": GROUP}
//
// where GROUP is one of the tasks' property groups (GET
// /crm/v3/properties/tasks/groups lists them); the settings UI does the
// same.
//
// Without them create_deal and create_task fail with connector_error
// naming the missing property; they never create an unmarked record.
//
// # Counting tasks
//
// count_tasks counts the tasks associated with the contact whose creation
// time (hs_createdate) lies in [since, until], paging through search
// results. limit_tasks_per_contact asks about tasks created in a window
// ending now; hs_timestamp is a task's due date, which for a task due
// tomorrow lies outside that window, so it is not what is counted. An
// email that belongs to no contact counts 0.
//
// # Errors
//
// HubSpot's answers map to stable codes: 400 → invalid_args (with
// HubSpot's message), 401 and 403 → unauthorized, 404 → not_found, 409 →
// conflict (unless resolved as above), 429 → rate_limited, 5xx and network
// failures → unavailable, the context's end → timeout. On a 429, reads and
// searches are retried once after Retry-After when that wait fits the
// context's deadline (and is at most 10 s); creates and updates never are.
//
// # API versions
//
// Config.APIVersion is "v3" (paths /crm/v3/objects/{type}) or a date
// version such as "2026-03" (paths /crm/objects/2026-03/{type}); the
// connector sends the same bodies to both.
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/lazyre"
)

// DefaultBaseURL is HubSpot's API root.
const DefaultBaseURL = "https://api.hubapi.com"

// DefaultAPIVersion is the CRM objects API version used when Config leaves
// it empty.
const DefaultAPIVersion = "v3"

// DefaultIdempotencyProperty is the custom deal and task property that
// carries idempotency keys.
const DefaultIdempotencyProperty = "enact_idempotency_key"

// Config configures a Connector. Token is required; the rest have
// defaults.
type Config struct {
	// Token is a private app access token (or an OAuth access token).
	Token string
	// BaseURL is the API root, DefaultBaseURL when empty. It must be https
	// unless the host is a loopback address (tests, local proxies).
	BaseURL string
	// APIVersion is the CRM objects API version: "v3" (DefaultAPIVersion
	// when empty) or a date version "YYYY-MM".
	APIVersion string
	// HTTPClient sends the requests; when nil, a client with a 30 s
	// timeout. Each call's context bounds its requests too.
	HTTPClient *http.Client
	// IdempotencyProperty names the custom deal and task property holding
	// idempotency keys; DefaultIdempotencyProperty when empty.
	IdempotencyProperty string
}

// Connector is the HubSpot connector. It is safe for concurrent use.
type Connector struct {
	token   string
	base    string // scheme://host[/prefix], no trailing slash
	version string
	client  *http.Client
	keyProp string
}

var (
	versionPattern  = lazyre.New(`^(v[1-9][0-9]?|[0-9]{4}-(0[1-9]|1[0-2]))$`)
	propNamePattern = lazyre.New(`^[a-z][a-z0-9_]{0,99}$`)
)

// New validates cfg and returns a connector. It makes no request.
func New(cfg Config) (*Connector, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("hubspot: a token is required")
	}
	if strings.ContainsAny(cfg.Token, "\r\n") {
		return nil, errors.New("hubspot: the token contains a line break")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("hubspot: base URL %q must be scheme://host[/path] without query or credentials", base)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("hubspot: base URL %q must use https (http only for a loopback host): the token would travel in clear", base)
	}
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	if !versionPattern.MatchString(version) {
		return nil, fmt.Errorf("hubspot: API version %q must be like v3 or 2026-03", version)
	}
	keyProp := cfg.IdempotencyProperty
	if keyProp == "" {
		keyProp = DefaultIdempotencyProperty
	}
	if !propNamePattern.MatchString(keyProp) {
		return nil, fmt.Errorf("hubspot: idempotency property %q is not a property name (lower-case letters, digits, _)", keyProp)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Connector{
		token:   cfg.Token,
		base:    strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"),
		version: version,
		client:  client,
		keyProp: keyProp,
	}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Name implements hostfns.Connector.
func (c *Connector) Name() string { return "hubspot" }

type handler func(c *Connector, ctx context.Context, raw json.RawMessage, key string) (result any, existed bool, err error)

var handlers = map[string]handler{
	"create_contact": (*Connector).createContact,
	"get_contact":    (*Connector).getContact,
	"create_deal":    (*Connector).createDeal,
	"update_deal":    (*Connector).updateDeal,
	"create_task":    (*Connector).createTask,
	"count_tasks":    (*Connector).countTasks,
}

// Call implements hostfns.Connector.
func (c *Connector) Call(ctx context.Context, action string, raw json.RawMessage, opts hostfns.CallOptions) (hostfns.Outcome, error) {
	h, ok := handlers[action]
	if !ok {
		return hostfns.Outcome{}, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action hubspot." + action}
	}
	res, existed, err := h(c, ctx, raw, opts.IdempotencyKey)
	if err != nil {
		return hostfns.Outcome{}, c.connectorError(ctx, err)
	}
	b, err := c.encode(res)
	if err != nil {
		return hostfns.Outcome{}, err
	}
	return hostfns.Outcome{Result: b, AlreadyExisted: existed}, nil
}

// encode renders a result as JSON without the token: whatever HubSpot
// echoes, the token does not reach the guest.
func (c *Connector) encode(res any) (json.RawMessage, error) {
	b, err := json.Marshal(res)
	if err != nil {
		return nil, &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: "result not encodable: " + err.Error()}
	}
	if tok, _ := json.Marshal(c.token); bytes.Contains(b, tok[1:len(tok)-1]) {
		b = bytes.ReplaceAll(b, tok[1:len(tok)-1], []byte("[redacted]"))
	}
	return b, nil
}

// connectorError turns any failure into a *hostfns.ConnectorError with the
// token scrubbed from its message.
func (c *Connector) connectorError(ctx context.Context, err error) error {
	var ce *hostfns.ConnectorError
	var he *httpError
	switch {
	case errors.As(err, &ce):
		ce = &hostfns.ConnectorError{Code: ce.Code, Message: ce.Message}
	case errors.As(err, &he):
		ce = &hostfns.ConnectorError{Code: he.code(), Message: he.Error()}
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		ce = &hostfns.ConnectorError{Code: hostfns.CodeTimeout, Message: "HubSpot request did not finish: " + err.Error()}
	default:
		var ne net.Error
		var ue *url.Error
		if errors.As(err, &ne) || errors.As(err, &ue) {
			ce = &hostfns.ConnectorError{Code: hostfns.CodeUnavailable, Message: "HubSpot unreachable: " + err.Error()}
		} else {
			ce = &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: err.Error()}
		}
	}
	ce.Message = c.redact(ce.Message)
	return ce
}

// redact removes the token from s, should anything ever echo it.
func (c *Connector) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[redacted]")
}

func invalid(format string, a ...any) error {
	return &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: fmt.Sprintf(format, a...)}
}

// Specs are the connector's actions as a connector with the default
// idempotency property describes them, without an account: for
// documentation and for tools that check action ids.
func Specs() []hostfns.ActionSpec {
	return (&Connector{keyProp: DefaultIdempotencyProperty}).Actions()
}
