package enact

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// VarSource supplies the operator's values of the environment variables a
// capability declares (env.vars). The values are secrets: a run sees them
// read-only, and they never appear in results, receipts or errors.
type VarSource interface {
	// Vars returns the values given for the named variables of the
	// capability with this id (any subset of names; others are ignored).
	Vars(capabilityID string, names []string) map[string]any
	// Where says where the operator may give a variable, for the error
	// of a required one without a value ("in the policy file's vars, …").
	Where(capabilityID, name string) string
}

// resolveVars gives a run the values of its capability's environment
// variables: the source's, with the schema's defaults, validated. A
// required variable without a value, or a value its schema refuses, is an
// invalid_input *runtime.Error naming the variable and never its value;
// nothing runs.
func (c *Client) resolveVars(ctx context.Context, capability *capabilities.Capability) (map[string]any, error) {
	declared := capability.Vars()
	if len(declared) == 0 {
		return nil, nil
	}
	names := make([]string, len(declared))
	for i, v := range declared {
		names[i] = v.Name
	}
	var given map[string]any
	if c.vars != nil {
		given = c.vars.Vars(capability.ID, names)
	}
	vars, err := capability.ResolveVars(ctx, given)
	if err == nil {
		return vars, nil
	}
	var missing *capabilities.MissingVarsError
	if errors.As(err, &missing) {
		var parts []string
		for _, name := range missing.Names {
			where := "the runner has no source of environment variables"
			if c.vars != nil {
				where = c.vars.Where(capability.ID, name)
			}
			parts = append(parts, fmt.Sprintf("%s (%s)", name, where))
		}
		return nil, &runtime.Error{Code: runtime.CodeInvalidInput, Message: fmt.Sprintf(
			"capability %s requires environment variables that were not given: %s", capability.ID, strings.Join(parts, "; "))}
	}
	// The messages never show a value; the redactor is a second guard.
	red := receipts.NewRedactorWith(nil, nil, given)
	return nil, &runtime.Error{Code: runtime.CodeInvalidInput, Message: red.String(err.Error())}
}
