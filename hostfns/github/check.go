package github

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/enact-run/enact/hostfns"
)

// checkFunc makes a mutating action's check-before-act lookup, and only
// that: result is what the action answers when it finds its effect.
type checkFunc func(c *Connector, ctx context.Context, args json.RawMessage, key string) (result any, performed bool, evidence string, err error)

var checks = map[string]checkFunc{
	"create_branch": (*Connector).checkCreateBranch,
	"push_commit":   (*Connector).checkPushCommit,
	"create_pr":     (*Connector).checkCreatePR,
	"merge_pr":      (*Connector).checkMergePR,
	"delete_branch": (*Connector).checkDeleteBranch,
	"create_issue":  (*Connector).checkCreateIssue,
}

// Check implements hostfns.Checker. It makes the lookup of the action's
// check-before-act (see the package doc) with GET requests only, and
// finds the effect when a retry would answer already_existed.
func (c *Connector) Check(ctx context.Context, name string, args json.RawMessage, opts hostfns.CallOptions) (hostfns.CheckResult, error) {
	chk, ok := checks[name]
	if !ok {
		if _, ok := actions[name]; ok {
			return hostfns.CheckResult{}, invalidArgs("github.%s changes nothing: there is no effect to check", name)
		}
		return hostfns.CheckResult{}, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action github." + name}
	}
	res, performed, evidence, err := chk(c, ctx, args, opts.IdempotencyKey)
	if err != nil {
		return hostfns.CheckResult{}, c.connectorError(err)
	}
	out := hostfns.CheckResult{Performed: performed, Evidence: c.redact(evidence)}
	if performed {
		b, err := json.Marshal(res)
		if err != nil {
			return hostfns.CheckResult{}, &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: "encoding the result: " + err.Error()}
		}
		out.Result = json.RawMessage(c.redact(string(b)))
	}
	return out, nil
}

func (c *Connector) checkCreateBranch(ctx context.Context, raw json.RawMessage, _ string) (any, bool, string, error) {
	branch, from, err := c.planBranch(ctx, raw)
	if err != nil {
		return nil, false, "", err
	}
	cur, found, err := c.branchHead(ctx, branch)
	if err != nil || !found {
		return nil, false, "branch " + branch + " does not exist", err
	}
	ok, status, err := c.containsFrom(ctx, branch, cur, from)
	if err != nil {
		return nil, false, "", err
	}
	if !ok {
		return nil, false, fmt.Sprintf("branch %s is at %s, which does not contain %s (%s)", branch, cur, from, status), nil
	}
	return branchResult{Branch: branch, SHA: from}, true, fmt.Sprintf("branch %s is at %s, which contains %s (%s)", branch, cur, from, status), nil
}

func (c *Connector) checkPushCommit(ctx context.Context, raw json.RawMessage, key string) (any, bool, string, error) {
	p, err := parsePush(raw, key)
	if err != nil {
		return nil, false, "", err
	}
	head, found, err := c.branchHead(ctx, p.branch)
	if err != nil || !found {
		return nil, false, "branch " + p.branch + " does not exist", err
	}
	st, err := c.pushed(ctx, p, head)
	if err != nil {
		return nil, false, "", err
	}
	if st.done == "" {
		return nil, false, st.evidence, nil
	}
	return pushResult{SHA: st.done, Branch: p.branch, Files: p.paths}, true, st.evidence, nil
}

func (c *Connector) checkCreatePR(ctx context.Context, raw json.RawMessage, key string) (any, bool, string, error) {
	p, err := c.planPR(raw)
	if err != nil {
		return nil, false, "", err
	}
	mark := marker(key)
	pr, err := c.findPull(ctx, p.head, p.base, mark)
	if err != nil {
		return nil, false, "", err
	}
	if pr == nil {
		evidence := fmt.Sprintf("no open pull request for %s → %s", p.head, p.base)
		if mark != "" {
			evidence += ", and no closed one carrying the key's marker"
		}
		return nil, false, evidence, nil
	}
	return prResultOf(pr), true, fmt.Sprintf("pull request #%d for %s → %s is %s", pr.GetNumber(), p.head, p.base, pullState(pr)), nil
}

func (c *Connector) checkMergePR(ctx context.Context, raw json.RawMessage, _ string) (any, bool, string, error) {
	p, err := planMerge(raw)
	if err != nil {
		return nil, false, "", err
	}
	pr, err := c.getPull(ctx, p)
	if err != nil {
		return nil, false, "", err
	}
	into := pr.GetBase().GetRef()
	switch {
	case p.base != "" && into != p.base:
		return nil, false, fmt.Sprintf("%s merges into %s, not %s", p.what, into, p.base), nil
	case !pr.GetMerged():
		return nil, false, fmt.Sprintf("%s is %s, not merged", p.what, pr.GetState()), nil
	}
	return mergeResult{Merged: true, SHA: pr.GetMergeCommitSHA()}, true, fmt.Sprintf("%s is merged into %s as %s", p.what, into, pr.GetMergeCommitSHA()), nil
}

func (c *Connector) checkDeleteBranch(ctx context.Context, raw json.RawMessage, _ string) (any, bool, string, error) {
	branch, err := planBranchOnly(raw)
	if err != nil {
		return nil, false, "", err
	}
	cur, found, err := c.branchHead(ctx, branch)
	if err != nil {
		return nil, false, "", err
	}
	if found {
		return nil, false, fmt.Sprintf("branch %s exists, at %s", branch, cur), nil
	}
	return deleteResult(branch, false), true, "branch " + branch + " does not exist", nil
}

func (c *Connector) checkCreateIssue(ctx context.Context, raw json.RawMessage, key string) (any, bool, string, error) {
	p, err := planIssue(raw, key)
	if err != nil {
		return nil, false, "", err
	}
	if p.mark == "" {
		// create_issue deduplicates by the key alone.
		return nil, false, "", invalidArgs("create_issue cannot be checked without an idempotency key")
	}
	issue, err := c.findIssue(ctx, bodyMarker(p.mark))
	if err != nil {
		return nil, false, "", err
	}
	if issue == nil {
		return nil, false, fmt.Sprintf("none of the newest %d open issues carries the marker %s", maxPages*100, bodyMarker(p.mark)), nil
	}
	return issueResult(issue), true, fmt.Sprintf("open issue #%d carries the marker %s", issue.GetNumber(), bodyMarker(p.mark)), nil
}

var _ hostfns.Checker = (*Connector)(nil)
