package hubspot

import (
	"context"
	"encoding/json"

	"github.com/enact-run/enact/hostfns"
)

// checkFunc makes a mutating action's check-before-act lookup, and only
// that: result is what the action answers when it finds its effect.
type checkFunc func(c *Connector, ctx context.Context, raw json.RawMessage, key string) (result any, performed bool, evidence string, err error)

var checks = map[string]checkFunc{
	"create_contact": (*Connector).checkCreateContact,
	"create_deal":    (*Connector).checkCreateDeal,
	"update_deal":    (*Connector).checkUpdateDeal,
	"create_task":    (*Connector).checkCreateTask,
}

// Check implements hostfns.Checker. It makes the lookup of the action's
// check-before-act (see the package doc), reading only, and finds the
// effect when a retry would answer already_existed.
func (c *Connector) Check(ctx context.Context, action string, raw json.RawMessage, opts hostfns.CallOptions) (hostfns.CheckResult, error) {
	chk, ok := checks[action]
	if !ok {
		if _, ok := handlers[action]; ok {
			return hostfns.CheckResult{}, invalid("hubspot.%s changes nothing: there is no effect to check", action)
		}
		return hostfns.CheckResult{}, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action hubspot." + action}
	}
	res, performed, evidence, err := chk(c, ctx, raw, opts.IdempotencyKey)
	if err != nil {
		return hostfns.CheckResult{}, c.connectorError(ctx, err)
	}
	out := hostfns.CheckResult{Performed: performed, Evidence: c.redact(evidence)}
	if performed {
		if out.Result, err = c.encode(res); err != nil {
			return hostfns.CheckResult{}, err
		}
	}
	return out, nil
}

func (c *Connector) checkCreateContact(ctx context.Context, raw json.RawMessage, _ string) (any, bool, string, error) {
	p, err := planContact(raw)
	if err != nil {
		return nil, false, "", err
	}
	o, err := c.contactByEmail(ctx, p.email, p.names)
	if err != nil {
		return nil, false, "", err
	}
	if o == nil {
		return nil, false, "no HubSpot contact has the email " + p.email, nil
	}
	return contactResult(o, p.names), true, "HubSpot contact " + o.ID + " has the email " + p.email, nil
}

func (c *Connector) checkCreateDeal(ctx context.Context, raw json.RawMessage, key string) (any, bool, string, error) {
	p, err := c.planDeal(ctx, raw)
	if err != nil {
		return nil, false, "", err
	}
	return c.checkMarked(ctx, p, key)
}

func (c *Connector) checkCreateTask(ctx context.Context, raw json.RawMessage, key string) (any, bool, string, error) {
	p, err := c.planTask(ctx, raw)
	if err != nil {
		return nil, false, "", err
	}
	return c.checkMarked(ctx, p, key)
}

// checkMarked looks for the deal or task carrying the key: by search, as
// createMarked does, then, where search finds nothing (its index trails
// writes), by a consistent read where the key property is unique.
func (c *Connector) checkMarked(ctx context.Context, p *markedPlan, key string) (any, bool, string, error) {
	what := p.objectType[:len(p.objectType)-1] // "deal", "task"
	if key == "" {
		// Without a key, create_deal and create_task deduplicate nothing.
		return nil, false, "", invalid("create_%s cannot be checked without an idempotency key", what)
	}
	k := keyValue(key)
	o, err := c.findByKey(ctx, p.objectType, k, p.names)
	if err == nil && o == nil {
		o, err = c.byKeyProperty(ctx, p.objectType, k, p.names)
	}
	if err != nil {
		return nil, false, "", c.setupError(p.objectType, err)
	}
	if o == nil {
		return nil, false, "no HubSpot " + what + " has " + c.keyProp + " " + k, nil
	}
	return recordResult(o, p.contactID, p.names), true, "HubSpot " + what + " " + o.ID + " has " + c.keyProp + " " + k, nil
}

func (c *Connector) checkUpdateDeal(ctx context.Context, raw json.RawMessage, _ string) (any, bool, string, error) {
	p, err := c.planUpdateDeal(raw)
	if err != nil {
		return nil, false, "", err
	}
	cur, differs, err := c.lookUpdate(ctx, p)
	switch {
	case err != nil:
		return nil, false, "", err
	case cur == nil:
		return nil, false, "no HubSpot deal has the id " + p.id, nil
	case differs != "":
		return nil, false, "HubSpot deal " + p.id + " does not hold the value of " + differs, nil
	}
	return map[string]any{"id": p.id, "properties": cur.pick(p.names)}, true, "HubSpot deal " + p.id + " holds every value", nil
}

var _ hostfns.Checker = (*Connector)(nil)
