package enact

import (
	"context"
	"errors"
	"strings"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// StepKey is the idempotency key of a composite's step: the composite
// run's key and the step id. A retry of the composite with its key claims
// each step's key again, so the steps that passed replay and the others
// run.
func StepKey(runKey, step string) string { return runKey + "/" + step }

// runComposite runs a composite's flow, each step a child run of this
// client (its own grant, policies, receipt and derived key), and fills in
// the composite's result and receipt outcome.
func (c *Client) runComposite(ctx context.Context, req RunRequest, in map[string]any, run *hostfns.Run, res *Result, outcome *hostfns.RunOutcome) {
	fr, err := c.engine.RunFlow(ctx, req.Capability, in, func(ctx context.Context, s *capabilities.Step, sc *capabilities.Capability, inputs map[string]any) runtime.StepRun {
		child := RunRequest{Capability: sc, Inputs: inputs, Actor: req.Actor, DryRun: req.DryRun,
			parent: &receipts.Parent{RunID: run.ID(), Step: s.ID}, inherited: map[string]any{"composite": in}}
		if req.inherited != nil {
			child.inherited["outer"] = req.inherited
		}
		if req.IdempotencyKey != "" {
			child.IdempotencyKey = StepKey(req.IdempotencyKey, s.ID)
		}
		cr, err := c.Run(ctx, child)
		if err != nil {
			code := "internal"
			var re *runtime.Error
			var ie *IdempotencyError
			switch {
			case errors.As(err, &re):
				code = re.Code
			case errors.As(err, &ie):
				code = ie.Code
			}
			return runtime.StepRun{Err: &runtime.Error{Code: code, Task: s.ID, Message: err.Error()}, Detail: cr}
		}
		return runtime.StepRun{Passed: cr.Status == StatusPass, Outputs: cr.Outputs, Err: cr.Error, Blocked: cr.Status == StatusBlock, Detail: cr}
	})
	red := run.Redactor()
	res.Flow = redactFlow(red, fr)
	var printed strings.Builder
	for _, fs := range fr.Steps {
		imp := req.Capability.Imported(fs.Capability)
		st := receipts.Step{ID: fs.ID, Capability: receipts.Capability{ID: imp.ID, Version: imp.Version, Digest: imp.Digest}, Status: fs.Status}
		if cr, ok := fs.Detail.(*Result); ok && cr != nil {
			st.RunID, st.Replayed = cr.RunID, cr.Replayed
			if cr.Receipt != nil {
				st.Receipt = cr.Receipt.Hash
			}
			printed.WriteString(cr.Output)
		}
		if fs.Err != nil {
			st.Error = &receipts.Error{Code: fs.Err.Code, Message: red.String(fs.Err.Message)}
		}
		res.Steps = append(res.Steps, st)
	}
	outcome.Steps = res.Steps
	res.Output = printed.String()
	// A step a policy blocked fails the composite (its receipt says so,
	// with code denied); the composite itself was allowed.
	var outputs map[string]any
	if fr != nil {
		outputs = fr.Outputs
	}
	settle(res, outcome, outputs, err)
	// A step held for approval makes the composite PENDING: the retry of
	// its key replays the steps that passed and asks again at that step.
	for _, fs := range fr.Steps {
		cr, ok := fs.Detail.(*Result)
		if !ok || cr == nil || cr.Approval == nil {
			continue
		}
		if res.Approval == nil {
			res.Approval = cr.Approval
		}
		if cr.Status == StatusPending && res.Status != StatusPending {
			res.Approval = cr.Approval
			res.Status, outcome.Decision = StatusPending, receipts.DecisionPending
			msg := "step " + fs.ID + ": " + cr.Error.Message
			res.Error = &runtime.Error{Code: hostfns.CodeApprovalRequired, Task: fs.ID, Message: msg}
			outcome.Err = &receipts.Error{Code: hostfns.CodeApprovalRequired, Message: msg}
			res.Outputs, outcome.Outputs = nil, nil
		}
	}
}

// redactFlow returns a copy of a flow's account with what the steps
// returned and said redacted (each step's own result, in Detail, is
// redacted by its run).
func redactFlow(red *receipts.Redactor, fr *runtime.FlowResult) *runtime.FlowResult {
	cp := *fr
	cp.Outputs = red.Map(fr.Outputs)
	cp.Steps = make([]runtime.FlowStep, len(fr.Steps))
	for i, s := range fr.Steps {
		s.Outputs = red.Map(s.Outputs)
		if e := s.Err; e != nil {
			s.Err = &runtime.Error{Code: e.Code, Task: e.Task, Message: red.String(e.Message), Trace: red.String(e.Trace)}
		}
		cp.Steps[i] = s
	}
	return &cp
}
