package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/lazyre"
)

// object is a CRM record as HubSpot returns it.
type object struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
}

// pick returns the named properties of o (null when absent).
func (o *object) pick(names []string) map[string]*string {
	out := make(map[string]*string, len(names))
	for _, n := range names {
		out[n] = o.Properties[n]
	}
	return out
}

type searchFilter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value,omitempty"`
}

type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Properties   []string      `json:"properties,omitempty"`
	Limit        int           `json:"limit"`
	After        string        `json:"after,omitempty"`
}

type filterGroup struct {
	Filters []searchFilter `json:"filters"`
}

type searchPage struct {
	Total   int      `json:"total"`
	Results []object `json:"results"`
	Paging  *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

func (p *searchPage) next() string {
	if p.Paging == nil || p.Paging.Next == nil {
		return ""
	}
	return p.Paging.Next.After
}

// Association type ids HubSpot defines.
const (
	dealToContact = 3
	taskToContact = 204
)

type association struct {
	To struct {
		ID string `json:"id"`
	} `json:"to"`
	Types []associationType `json:"types"`
}

type associationType struct {
	Category string `json:"associationCategory"`
	TypeID   int    `json:"associationTypeId"`
}

func associateWith(contactID string, typeID int) []association {
	if contactID == "" {
		return nil
	}
	a := association{Types: []associationType{{Category: "HUBSPOT_DEFINED", TypeID: typeID}}}
	a.To.ID = contactID
	return []association{a}
}

type createRequest struct {
	Properties   map[string]string `json:"properties"`
	Associations []association     `json:"associations,omitempty"`
}

// getObject reads one record by id, or by a unique property when
// idProperty is set. A missing record is (nil, nil).
func (c *Connector) getObject(ctx context.Context, objectType, id, idProperty string, names []string) (*object, error) {
	q := url.Values{}
	if len(names) > 0 {
		q.Set("properties", strings.Join(names, ","))
	}
	if idProperty != "" {
		q.Set("idProperty", idProperty)
	}
	var o object
	err := c.do(ctx, http.MethodGet, c.objectsPath(objectType)+"/"+url.PathEscape(id), q, nil, retryRead, &o)
	if statusIs(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// --- contacts ---

// contactFields are the contact properties with their own arguments, and
// the ones every contact result carries.
var contactFields = []string{"email", "firstname", "lastname", "company", "phone"}

type contactArgs struct {
	Email      *string                    `json:"email"`
	Firstname  *string                    `json:"firstname"`
	Lastname   *string                    `json:"lastname"`
	Company    *string                    `json:"company"`
	Phone      *string                    `json:"phone"`
	Properties map[string]json.RawMessage `json:"properties"`
}

func contactResult(o *object, names []string) map[string]any {
	email := ""
	if e := o.Properties["email"]; e != nil {
		email = *e
	}
	return map[string]any{"id": o.ID, "email": email, "properties": o.pick(names)}
}

func (c *Connector) contactByEmail(ctx context.Context, email string, names []string) (*object, error) {
	return c.getObject(ctx, "contacts", email, "email", names)
}

// contactPlan is a checked create_contact: the normalised email, the
// properties to write and the ones the result shows.
type contactPlan struct {
	email string
	props propSet
	names []string
}

func planContact(raw json.RawMessage) (*contactPlan, error) {
	var a contactArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	props, err := properties(a.Properties, nil, false)
	if err != nil {
		return nil, err
	}
	if e, ok := props.vals["email"]; ok {
		n, err := normEmail("properties.email", e)
		if err != nil {
			return nil, err
		}
		props.vals["email"] = n
	}
	for i, v := range []*string{a.Email, a.Firstname, a.Lastname, a.Company, a.Phone} {
		if v == nil {
			continue
		}
		name, val := contactFields[i], *v
		if name == "email" {
			if val, err = normEmail("email", val); err != nil {
				return nil, err
			}
		}
		if old, ok := props.vals[name]; ok && old != val {
			return nil, invalid("%s and properties.%s differ (%q, %q); give one", name, name, val, old)
		}
		props.set(name, val, asString)
	}
	email := props.vals["email"]
	if email == "" {
		return nil, invalid("email (or properties.email) is required")
	}
	return &contactPlan{email: email, props: props, names: resultNames(contactFields, props)}, nil
}

func (c *Connector) createContact(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	p, err := planContact(raw)
	if err != nil {
		return nil, false, err
	}
	email, props, names := p.email, p.props, p.names

	existing, err := c.contactByEmail(ctx, email, names)
	if err != nil {
		return nil, false, err
	}
	if existing != nil {
		return contactResult(existing, names), true, nil
	}
	var created object
	err = c.do(ctx, http.MethodPost, c.objectsPath("contacts"), nil, createRequest{Properties: props.vals}, neverRetry, &created)
	if statusIs(err, http.StatusConflict) {
		// Created meanwhile by someone else: the contact HubSpot names is
		// the one this call wanted, if it has this email.
		o, rerr := c.conflictingContact(ctx, err, email, names)
		if rerr != nil {
			return nil, false, rerr
		}
		if o != nil {
			return contactResult(o, names), true, nil
		}
	}
	if err != nil {
		return nil, false, err
	}
	return contactResult(&created, names), false, nil
}

var existingID = lazyre.New(`Existing ID: ?([0-9]{1,20})`)

// conflictingContact finds the contact a 409 on create refers to, when its
// primary email is email; nil when the conflict is about something else.
func (c *Connector) conflictingContact(ctx context.Context, conflict error, email string, names []string) (*object, error) {
	var he *httpError
	errors.As(conflict, &he)
	var o *object
	var err error
	if m := existingID.FindStringSubmatch(he.Message); m != nil {
		o, err = c.getObject(ctx, "contacts", m[1], "", names)
	} else {
		o, err = c.contactByEmail(ctx, email, names)
	}
	if err != nil || o == nil {
		return nil, err
	}
	if e := o.Properties["email"]; e == nil || !strings.EqualFold(*e, email) {
		return nil, nil
	}
	return o, nil
}

// resultNames are the properties a result shows: fixed ones, then the
// others the call set, sorted.
func resultNames(fixed []string, p propSet) []string {
	names := slices.Clone(fixed)
	for _, n := range sortedKeys(p.vals) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

type getContactArgs struct {
	Email      string   `json:"email"`
	Properties []string `json:"properties"`
}

func (c *Connector) getContact(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	var a getContactArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, false, err
	}
	email, err := normEmail("email", a.Email)
	if err != nil {
		return nil, false, err
	}
	if len(a.Properties) > 100 {
		return nil, false, invalid("properties names %d properties; the limit is 100", len(a.Properties))
	}
	names := slices.Clone(contactFields)
	for _, n := range a.Properties {
		if !propNamePattern.MatchString(n) {
			return nil, false, invalid("properties: %q is not a HubSpot property name", n)
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	o, err := c.contactByEmail(ctx, email, names)
	if err != nil {
		return nil, false, err
	}
	if o == nil {
		return map[string]any{"found": false}, false, nil
	}
	res := contactResult(o, names)
	res["found"] = true
	return res, false, nil
}

// contactRef resolves the contact a deal or task is for: contact_id as
// given, contact_email looked up (not_found when no contact has it).
func (c *Connector) contactRef(ctx context.Context, id json.RawMessage, email *string) (string, error) {
	switch {
	case id != nil && email != nil:
		return "", invalid("give contact_id or contact_email, not both")
	case id != nil:
		return objectID("contact_id", id)
	case email != nil:
		e, err := normEmail("contact_email", *email)
		if err != nil {
			return "", err
		}
		o, err := c.contactByEmail(ctx, e, []string{"email"})
		if err != nil {
			return "", err
		}
		if o == nil {
			return "", &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no HubSpot contact has the email " + e}
		}
		return o.ID, nil
	}
	return "", nil
}

// --- idempotent creates (deals, tasks) ---

// createMarked creates a deal or task carrying the idempotency key, unless
// a record with that key exists already.
func (c *Connector) createMarked(ctx context.Context, objectType string, props propSet, assoc []association, key string, names []string) (*object, bool, error) {
	if key == "" {
		var created object
		if err := c.do(ctx, http.MethodPost, c.objectsPath(objectType), nil, createRequest{Properties: props.vals, Associations: assoc}, neverRetry, &created); err != nil {
			return nil, false, err
		}
		return &created, false, nil
	}
	k := keyValue(key)
	existing, err := c.findByKey(ctx, objectType, k, names)
	if err != nil || existing != nil {
		return existing, existing != nil, err
	}
	props.set(c.keyProp, k, asString)
	var created object
	err = c.do(ctx, http.MethodPost, c.objectsPath(objectType), nil, createRequest{Properties: props.vals, Associations: assoc}, neverRetry, &created)
	if statusIs(err, http.StatusConflict) {
		// A unique key property refused a second record: the first one
		// is this call's (its search had not seen it yet). Reading by
		// idProperty is consistent; search is the fallback where the
		// property is not unique. Neither finding it leaves the conflict.
		o, rerr := c.byKeyProperty(ctx, objectType, k, names)
		if rerr != nil || o == nil {
			o, _ = c.findByKey(ctx, objectType, k, names)
		}
		if o != nil {
			return o, true, nil
		}
	}
	if err != nil {
		return nil, false, c.setupError(objectType, err)
	}
	return &created, false, nil
}

// findByKey searches for the record carrying an idempotency key.
func (c *Connector) findByKey(ctx context.Context, objectType, k string, names []string) (*object, error) {
	req := searchRequest{
		FilterGroups: []filterGroup{{Filters: []searchFilter{{PropertyName: c.keyProp, Operator: "EQ", Value: k}}}},
		Properties:   names,
		Limit:        1,
	}
	var page searchPage
	if err := c.do(ctx, http.MethodPost, c.objectsPath(objectType)+"/search", nil, req, retryRead, &page); err != nil {
		return nil, c.setupError(objectType, err)
	}
	if len(page.Results) == 0 {
		return nil, nil
	}
	return &page.Results[0], nil
}

// byKeyProperty reads the record carrying an idempotency key by idProperty:
// a consistent read, unlike search, but one HubSpot allows only where the
// property is unique. It answers nil, with no error, where the property
// is not unique (HubSpot's 400) or no record has the key.
func (c *Connector) byKeyProperty(ctx context.Context, objectType, k string, names []string) (*object, error) {
	o, err := c.getObject(ctx, objectType, k, c.keyProp, names)
	if statusIs(err, http.StatusBadRequest) {
		return nil, nil
	}
	return o, err
}

// setupError explains a 400 that names the idempotency property: the
// portal lacks it.
func (c *Connector) setupError(objectType string, err error) error {
	var he *httpError
	if errors.As(err, &he) && he.Status == http.StatusBadRequest && strings.Contains(he.Message, c.keyProp) {
		return &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: fmt.Sprintf(
			"HubSpot refused the idempotency property %s on %s; create it in the portal (see the hubspot package documentation): %s",
			c.keyProp, objectType, he.Message)}
	}
	return err
}

// --- deals ---

// dealFields are the deal properties with their own arguments.
var dealFields = []string{"dealname", "amount", "pipeline", "dealstage", "closedate"}

type dealFieldArgs struct {
	Dealname   *string                    `json:"dealname"`
	Amount     json.RawMessage            `json:"amount"`
	Pipeline   *string                    `json:"pipeline"`
	Dealstage  *string                    `json:"dealstage"`
	Closedate  *string                    `json:"closedate"`
	Properties map[string]json.RawMessage `json:"properties"`
}

type createDealArgs struct {
	dealFieldArgs
	ContactID    json.RawMessage `json:"contact_id"`
	ContactEmail *string         `json:"contact_email"`
}

type updateDealArgs struct {
	ID json.RawMessage `json:"id"`
	dealFieldArgs
}

func (c *Connector) reservedDealProps() map[string]string {
	r := map[string]string{c.keyProp: "set by the connector from the call's idempotency key"}
	for _, f := range dealFields {
		r[f] = "give it as the top-level argument " + f + " (policies read it there)"
	}
	return r
}

// props collects the deal properties the arguments set.
func (a *dealFieldArgs) props(reserved map[string]string, update bool) (propSet, error) {
	p, err := properties(a.Properties, reserved, update)
	if err != nil {
		return p, err
	}
	for i, v := range []*string{a.Dealname, nil, a.Pipeline, a.Dealstage, nil} {
		if v != nil {
			p.set(dealFields[i], *v, asString)
		}
	}
	if a.Amount != nil {
		if string(a.Amount) == "null" && update {
			p.set("amount", "", asNumber)
		} else {
			s, err := number("amount", a.Amount)
			if err != nil {
				return p, err
			}
			p.set("amount", s, asNumber)
		}
	}
	if a.Closedate != nil {
		_, s, err := instant("closedate", *a.Closedate)
		if err != nil {
			return p, err
		}
		p.set("closedate", s, asInstant)
	}
	return p, nil
}

// markedPlan is a checked create_deal or create_task: the record's type
// and properties, the contact it is for ("" for none), and the properties
// the result shows.
type markedPlan struct {
	objectType string
	props      propSet
	contactID  string
	assocType  int
	names      []string
}

func (c *Connector) planDeal(ctx context.Context, raw json.RawMessage) (*markedPlan, error) {
	var a createDealArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.Dealname == nil || strings.TrimSpace(*a.Dealname) == "" {
		return nil, invalid("dealname is required")
	}
	props, err := a.props(c.reservedDealProps(), false)
	if err != nil {
		return nil, err
	}
	contactID, err := c.contactRef(ctx, a.ContactID, a.ContactEmail)
	if err != nil {
		return nil, err
	}
	return &markedPlan{objectType: "deals", props: props, contactID: contactID, assocType: dealToContact, names: resultNames(dealFields, props)}, nil
}

// createPlanned creates a planned deal or task (see createMarked).
func (c *Connector) createPlanned(ctx context.Context, p *markedPlan, key string) (any, bool, error) {
	o, existed, err := c.createMarked(ctx, p.objectType, p.props, associateWith(p.contactID, p.assocType), key, p.names)
	if err != nil {
		return nil, false, err
	}
	return recordResult(o, p.contactID, p.names), existed, nil
}

func (c *Connector) createDeal(ctx context.Context, raw json.RawMessage, key string) (any, bool, error) {
	p, err := c.planDeal(ctx, raw)
	if err != nil {
		return nil, false, err
	}
	return c.createPlanned(ctx, p, key)
}

func recordResult(o *object, contactID string, names []string) map[string]any {
	res := map[string]any{"id": o.ID, "properties": o.pick(names)}
	if contactID != "" {
		res["contact_id"] = contactID
	}
	return res
}

// dealUpdate is a checked update_deal.
type dealUpdate struct {
	id    string
	want  propSet
	names []string // the properties set, sorted
}

func (c *Connector) planUpdateDeal(raw json.RawMessage) (*dealUpdate, error) {
	var a updateDealArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.ID == nil {
		return nil, invalid("id is required")
	}
	id, err := objectID("id", a.ID)
	if err != nil {
		return nil, err
	}
	want, err := a.props(c.reservedDealProps(), true)
	if err != nil {
		return nil, err
	}
	if len(want.vals) == 0 {
		return nil, invalid("nothing to update: give dealname, amount, pipeline, dealstage, closedate or properties")
	}
	return &dealUpdate{id: id, want: want, names: sortedKeys(want.vals)}, nil
}

// lookUpdate is update_deal's check-before-act: the deal (nil when there
// is none) and the first property that does not hold the wanted value (""
// when all do).
func (c *Connector) lookUpdate(ctx context.Context, p *dealUpdate) (cur *object, differs string, err error) {
	cur, err = c.getObject(ctx, "deals", p.id, "", p.names)
	if err != nil || cur == nil {
		return nil, "", err
	}
	for _, n := range p.names {
		if !sameValue(cur.Properties[n], p.want.vals[n], p.want.kinds[n]) {
			return cur, n, nil
		}
	}
	return cur, "", nil
}

func (c *Connector) updateDeal(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	p, err := c.planUpdateDeal(raw)
	if err != nil {
		return nil, false, err
	}
	id, want, names := p.id, p.want, p.names
	cur, differs, err := c.lookUpdate(ctx, p)
	if err != nil {
		return nil, false, err
	}
	if cur == nil {
		return nil, false, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no HubSpot deal has the id " + id}
	}
	if differs == "" {
		return map[string]any{"id": id, "properties": cur.pick(names)}, true, nil
	}
	var updated object
	body := map[string]any{"properties": want.vals}
	if err := c.do(ctx, http.MethodPatch, c.objectsPath("deals")+"/"+id, nil, body, neverRetry, &updated); err != nil {
		if statusIs(err, http.StatusNotFound) {
			return nil, false, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no HubSpot deal has the id " + id}
		}
		return nil, false, err
	}
	props := updated.pick(names)
	for _, n := range names {
		if props[n] == nil && want.vals[n] != "" {
			v := want.vals[n]
			props[n] = &v
		}
	}
	return map[string]any{"id": id, "properties": props}, false, nil
}

// --- tasks ---

var taskFields = []string{"hs_task_subject", "hs_task_body", "hs_timestamp", "hs_task_priority", "hs_task_status"}

type createTaskArgs struct {
	Subject      *string         `json:"subject"`
	Body         *string         `json:"body"`
	ContactID    json.RawMessage `json:"contact_id"`
	ContactEmail *string         `json:"contact_email"`
	Due          *string         `json:"due"`
	Priority     *string         `json:"priority"`
}

func (c *Connector) planTask(ctx context.Context, raw json.RawMessage) (*markedPlan, error) {
	var a createTaskArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.Subject == nil || strings.TrimSpace(*a.Subject) == "" {
		return nil, invalid("subject is required")
	}
	props := newPropSet()
	props.set("hs_task_subject", *a.Subject, asString)
	if a.Body != nil {
		props.set("hs_task_body", *a.Body, asString)
	}
	due := hubspotTime(time.Now())
	if a.Due != nil {
		var err error
		if _, due, err = instant("due", *a.Due); err != nil {
			return nil, err
		}
	}
	props.set("hs_timestamp", due, asInstant)
	if a.Priority != nil {
		p := strings.ToUpper(strings.TrimSpace(*a.Priority))
		if p != "LOW" && p != "MEDIUM" && p != "HIGH" {
			return nil, invalid("priority must be LOW, MEDIUM or HIGH, not %q", *a.Priority)
		}
		props.set("hs_task_priority", p, asString)
	}
	props.set("hs_task_status", "NOT_STARTED", asString)
	contactID, err := c.contactRef(ctx, a.ContactID, a.ContactEmail)
	if err != nil {
		return nil, err
	}
	return &markedPlan{objectType: "tasks", props: props, contactID: contactID, assocType: taskToContact, names: taskFields}, nil
}

func (c *Connector) createTask(ctx context.Context, raw json.RawMessage, key string) (any, bool, error) {
	p, err := c.planTask(ctx, raw)
	if err != nil {
		return nil, false, err
	}
	return c.createPlanned(ctx, p, key)
}

type countTasksArgs struct {
	ContactID json.RawMessage `json:"contact_id"`
	Email     *string         `json:"email"`
	Since     string          `json:"since"`
	Until     string          `json:"until"`
}

// searchWindow is how far HubSpot's search pages: after 10,000 results it
// refuses to go on.
const searchWindow = 10000

func (c *Connector) countTasks(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	var a countTasksArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, false, err
	}
	if (a.ContactID == nil) == (a.Email == nil) {
		return nil, false, invalid("give contact_id or email (one of them)")
	}
	since, _, err := instant("since", a.Since)
	if err != nil {
		return nil, false, err
	}
	until, _, err := instant("until", a.Until)
	if err != nil {
		return nil, false, err
	}
	if until.Before(since) {
		return nil, false, invalid("until (%s) is before since (%s)", a.Until, a.Since)
	}
	var contactID string
	if a.ContactID != nil {
		if contactID, err = objectID("contact_id", a.ContactID); err != nil {
			return nil, false, err
		}
	} else {
		email, err := normEmail("email", *a.Email)
		if err != nil {
			return nil, false, err
		}
		o, err := c.contactByEmail(ctx, email, []string{"email"})
		if err != nil {
			return nil, false, err
		}
		if o == nil {
			return map[string]any{"count": 0}, false, nil
		}
		contactID = o.ID
	}
	req := searchRequest{
		FilterGroups: []filterGroup{{Filters: []searchFilter{
			{PropertyName: "associations.contact", Operator: "EQ", Value: contactID},
			{PropertyName: "hs_createdate", Operator: "GTE", Value: fmt.Sprint(since.UnixMilli())},
			{PropertyName: "hs_createdate", Operator: "LTE", Value: fmt.Sprint(until.UnixMilli())},
		}}},
		Properties: []string{"hs_createdate"},
		Limit:      200,
	}
	count := 0
	for {
		var page searchPage
		if err := c.do(ctx, http.MethodPost, c.objectsPath("tasks")+"/search", nil, req, retryRead, &page); err != nil {
			return nil, false, err
		}
		count += len(page.Results)
		next := page.next()
		if next == "" || len(page.Results) == 0 {
			break
		}
		if count+req.Limit > searchWindow {
			// HubSpot will not page further; its total is the count.
			count = max(count, page.Total)
			break
		}
		req.After = next
	}
	return map[string]any{"count": count, "contact_id": contactID}, false, nil
}
