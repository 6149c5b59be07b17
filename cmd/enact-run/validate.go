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

// builtinActions are the ids of every action a connector built into this
// runner provides, configured here or not.
func builtinActions() []string {
	var ids []string
	for _, c := range []hostfns.Connector{&kv.Store{}, &postgres.Connector{}, &github.Connector{}, &hubspot.Connector{}} {
		for _, a := range c.Actions() {
			ids = append(ids, c.Name()+"."+a.Name)
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
