package enact

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// Receipt returns the sealed receipt of a run the actor may read: one of
// its own runs (the receipt's actor has the same email, compared without
// case), or any run when the client's policy gives the actor the auditor
// role (policy.RoleAuditor; roles the caller puts in actor.Roles do not
// count). Another actor's run answers receipts.ErrNotFound, exactly as an
// unknown id does, so a caller cannot learn which ids exist. The receipt
// is not verified here; receipts.Verify does that.
func (c *Client) Receipt(ctx context.Context, actor policy.Actor, runID string) (*receipts.Envelope, error) {
	env, err := c.gate.Receipt(ctx, runID)
	if err != nil {
		return nil, err
	}
	if c.MayReadAll(actor) {
		return env, nil
	}
	var body struct {
		Actor receipts.Actor `json:"actor"`
	}
	if err := json.Unmarshal(env.Body, &body); err != nil {
		return nil, fmt.Errorf("enact: the receipt of run %s: %w", runID, err)
	}
	if !sameActor(body.Actor.Email, actor.Email) {
		return nil, fmt.Errorf("%w: run %s", receipts.ErrNotFound, runID)
	}
	return env, nil
}

// MayReadAll reports whether the client's policy gives the actor the
// auditor role, which reads every actor's runs and receipts.
func (c *Client) MayReadAll(actor policy.Actor) bool {
	return c.gate.Policy().Auditor(actor.Email)
}

// sameActor compares two actor emails as the policy's actors section and
// RunKey do: trimmed, without case.
func sameActor(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
