package main

import (
	"fmt"
	"slices"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/github"
	"github.com/enact-run/enact/hostfns/hubspot"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/hostfns/postgres"
	"github.com/enact-run/enact/policy"
)

// connectorSpecs are the actions of every connector built into this
// runner, by connector name, as a connector with default settings
// describes them (none needs to be configured).
func connectorSpecs() []connectorActions {
	return []connectorActions{
		{"kv", (&kv.Store{}).Actions()},
		{"postgres", postgres.Specs()},
		{"github", (&github.Connector{}).Actions()},
		{"hubspot", hubspot.Specs()},
	}
}

type connectorActions struct {
	name  string
	specs []hostfns.ActionSpec
}

// builtinActions are the ids of every action a connector built into this
// runner provides, configured here or not, sorted.
func builtinActions() []string {
	var ids []string
	for _, c := range connectorSpecs() {
		for _, a := range c.specs {
			ids = append(ids, c.name+"."+a.Name)
		}
	}
	slices.Sort(ids)
	return ids
}

// checkActions checks a capability's declared actions: each must be an
// action a connector of this runner provides (a typo gets a suggestion)
// and one the policy in effect allows (policyName says which that is).
func checkActions(c *capabilities.Capability, p *policy.Policy, policyName string) []string {
	declared, err := hostfns.Declared(c)
	if err != nil {
		return []string{err.Error()}
	}
	known := builtinActions()
	var problems []string
	for _, id := range declared {
		if _, found := slices.BinarySearch(known, id); !found {
			msg := fmt.Sprintf("x-enact.actions: %s is no action of this runner's connectors", id)
			if s := capabilities.Suggest(id, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			problems = append(problems, msg)
			continue
		}
		if !policy.Allowed(p, id) {
			problems = append(problems, fmt.Sprintf("x-enact.actions: %s is not allowed by the policy in effect (%s): a run would be blocked; add it to the policy's allow list", id, policyName))
		}
	}
	return problems
}
