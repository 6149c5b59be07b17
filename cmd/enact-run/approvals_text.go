package main

import (
	"fmt"
	"strings"

	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/internal/lazyre"
)

// heldText is what `run` prints on stderr when an action was held for
// approval: which action, the request, and the exact commands to approve
// it and to retry the run.
func heldText(rep *report.Report, ref string, f runFlags) string {
	var b strings.Builder
	id, action := "", ""
	var reasons []string
	if rep.Approval != nil {
		id, action, reasons = rep.Approval.ID, rep.Approval.Action, rep.Approval.Reasons
	}
	if id == "" {
		id = "(unknown: see the receipt)"
	}
	fmt.Fprintf(&b, "PENDING: action %s is held for approval %s", orUnknown(action), id)
	if len(reasons) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(reasons, "; "))
	}
	b.WriteString("\nnothing after the held action ran; the idempotency key is free for the retry\n")
	if rep.Approval != nil && !rep.Approval.Expires.IsZero() {
		fmt.Fprintf(&b, "the request expires at %s\n", rep.Approval.Expires.UTC().Format("2006-01-02 15:04:05Z"))
	}
	if rep.Approval != nil && rep.Approval.URL != "" {
		fmt.Fprintf(&b, "review it at %s\n", rep.Approval.URL)
	}
	approve := "enact-run approvals approve " + id
	if f.policy != "" {
		approve += " --policy " + shellQuote(f.policy)
	}
	fmt.Fprintf(&b, "approve it (as an approver):  %s --actor APPROVER --reason '...'\n", approve)
	fmt.Fprintf(&b, "then retry:                   %s\n", retryCommand(ref, f))
	fmt.Fprintf(&b, "receipt %s\n", rep.RunID)
	return b.String()
}

// retryCommand is the `run` command line that retries a run: the same
// reference, inputs, actor, policy and idempotency key.
func retryCommand(ref string, f runFlags) string {
	args := []string{"enact-run", "run", ref}
	if f.input != "" {
		args = append(args, "--input", f.input)
	}
	if f.actor != "" {
		args = append(args, "--actor", f.actor)
	}
	if f.policy != "" {
		args = append(args, "--policy", f.policy)
	}
	for _, d := range f.dirs {
		args = append(args, "--dir", d)
	}
	if f.envFile != "" {
		args = append(args, "--env-file", f.envFile)
	}
	if f.receiptsDir != "" {
		args = append(args, "--receipts-dir", f.receiptsDir)
	}
	if f.idempotencyKey != "" {
		args = append(args, "--idempotency-key", f.idempotencyKey)
	}
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

var shellSafe = lazyre.New(`^[A-Za-z0-9@%+=:,./_-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
