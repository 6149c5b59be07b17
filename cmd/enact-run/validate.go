package main

import (
	"fmt"
	"slices"
	"strings"

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
			if s := closest(id, known); s != "" {
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

// closest returns the candidate nearest to s by edit distance, when it is
// near enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+2
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
