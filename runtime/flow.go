package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/enact-run/enact/capabilities"
)

// MaxParallelSteps is how many steps of one flow run at once.
const MaxParallelSteps = 4

// StepRun is how one step's run ended, as a StepRunner reports it.
type StepRun struct {
	// Passed says the step's run passed; Outputs are then its outputs.
	Passed  bool
	Outputs map[string]any
	// Err says why it did not pass; Blocked that a policy refused it.
	Err     *Error
	Blocked bool
	// Detail is the runner's own record of the run (its receipt, say),
	// passed through to FlowStep.Detail.
	Detail any
}

// StepRunner runs one step: the capability its step imports, with the
// step's evaluated inputs, within ctx (the flow's deadline). It is called
// from several goroutines at once.
type StepRunner func(ctx context.Context, step *capabilities.Step, c *capabilities.Capability, inputs map[string]any) StepRun

// FlowStep is one step of a flow's run, in document order.
type FlowStep struct {
	ID, Capability string
	// Status is capabilities.StepPassed, StepFailed, StepSkipped or
	// StepNotRun.
	Status string
	// Outputs are the step's outputs when it passed.
	Outputs map[string]any
	// Err says why it failed; Blocked that a policy refused it.
	Err     *Error
	Blocked bool
	// Detail is what the StepRunner returned with the run; nil when the
	// step did not run.
	Detail   any
	Duration time.Duration
}

// FlowResult is what a flow's run produced. RunFlow returns it, with the
// steps so far, even when it also returns an error.
type FlowResult struct {
	Steps []FlowStep
	// Outputs are the composite's outputs, validated.
	Outputs map[string]any
	// Timeout bounded the whole flow.
	Timeout  time.Duration
	Duration time.Duration
}

// FlowTimeout is the bound of a composite's whole flow: its
// env.resources.timeout, else the engine's maximum timeout (each step is
// bounded by its own capability's limits as well).
func (e *Engine) FlowTimeout(c *capabilities.Capability) (time.Duration, error) {
	if t := c.Env.Resources.Timeout; t != 0 {
		if t > e.cfg.MaxTimeout {
			return 0, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf(
				"env.resources.timeout asks for %s; this runner allows at most %s", t, e.cfg.MaxTimeout)}
		}
		return t, nil
	}
	return e.cfg.MaxTimeout, nil
}

// checkComposite checks a composite as check does an atomic capability:
// its flow's bound, its imports resolved, and every imported capability.
func (e *Engine) checkComposite(c *capabilities.Capability) error {
	if _, err := e.FlowTimeout(c); err != nil {
		return err
	}
	if !c.Resolved() {
		return &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("composite %s: its imports are not resolved", c.ID), cause: capabilities.ErrUnresolved}
	}
	for _, im := range c.Imports {
		if err := e.Check(c.Imported(im.ID)); err != nil {
			var re *Error
			if errors.As(err, &re) {
				cp := *re
				cp.Message = fmt.Sprintf("import %s %s: %s", im.ID, im.Version, re.Message)
				return &cp
			}
			return fmt.Errorf("import %s %s: %w", im.ID, im.Version, err)
		}
	}
	return nil
}

// RunFlow runs a composite's flow with its (validated) inputs: each step
// once all the steps it needs have finished, at most MaxParallelSteps at a
// time, ready steps in document order, the whole within FlowTimeout. A
// step whose condition is false is skipped; a step that fails stops the
// flow (running steps finish, the others do not start) unless its onError
// is continue. The outputs come from outputs.source and are validated
// against the outputs schema. The error is an *Error: the failing step's
// (Task is the step id), a timeout, or invalid outputs.
func (e *Engine) RunFlow(ctx context.Context, c *capabilities.Capability, inputs map[string]any, run StepRunner) (*FlowResult, error) {
	start := time.Now()
	res := &FlowResult{}
	defer func() { res.Duration = time.Since(start) }()
	if c.Flow == nil {
		return res, &Error{Code: CodeUnsupported, Message: c.ID + " is not a composite capability"}
	}
	// Each step's runner checks its own capability; Check checks them all
	// ahead of a run.
	if !c.Resolved() {
		return res, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("composite %s: its imports are not resolved", c.ID), cause: capabilities.ErrUnresolved}
	}
	var err error
	if res.Timeout, err = e.FlowTimeout(c); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, res.Timeout)
	defer cancel()

	steps := c.Flow.Steps
	index := map[string]int{}
	res.Steps = make([]FlowStep, len(steps))
	for i, s := range steps {
		index[s.ID] = i
		res.Steps[i] = FlowStep{ID: s.ID, Capability: s.Capability, Status: capabilities.StepNotRun}
	}
	finished := make([]bool, len(steps))
	started := make([]bool, len(steps))
	type done struct {
		i   int
		run StepRun
		d   time.Duration
	}
	results := make(chan done, len(steps))
	running := 0
	var stop *Error // the failure that stopped the flow

	state := func(i int) capabilities.StepState {
		fs := res.Steps[i]
		return capabilities.StepState{Status: fs.Status, Outputs: fs.Outputs}
	}
	scopeOf := func(s *capabilities.Step) capabilities.Scope {
		sc := capabilities.Scope{Inputs: inputs, Steps: map[string]capabilities.StepState{}}
		for _, d := range s.Needs() {
			sc.Steps[d] = state(index[d])
		}
		return sc
	}
	fail := func(i int, err *Error) {
		fs := &res.Steps[i]
		fs.Status, fs.Err, fs.Outputs = capabilities.StepFailed, err, map[string]any{}
		if steps[i].OnError != "continue" && stop == nil {
			stop = stepError(fs)
		}
	}
	for {
		progress := true
		for progress {
			progress = false
			for i, s := range steps {
				if started[i] || stop != nil || running >= MaxParallelSteps {
					continue
				}
				if ctx.Err() != nil {
					break
				}
				ready := true
				for _, d := range s.Needs() {
					ready = ready && finished[index[d]]
				}
				if !ready {
					continue
				}
				started[i], progress = true, true
				sc := scopeOf(s)
				ok, err := s.EvalCondition(ctx, sc)
				if err != nil {
					fail(i, &Error{Code: CodeInvalidInput, Task: s.ID, Message: err.Error()})
					finished[i] = true
					continue
				}
				if !ok {
					res.Steps[i].Status, res.Steps[i].Outputs, finished[i] = capabilities.StepSkipped, map[string]any{}, true
					continue
				}
				in, err := s.EvalInputs(ctx, sc)
				if err != nil {
					fail(i, &Error{Code: CodeInvalidInput, Task: s.ID, Message: "inputs: " + err.Error()})
					finished[i] = true
					continue
				}
				running++
				go func(i int, s *capabilities.Step, in map[string]any) {
					t := time.Now()
					r := run(ctx, s, c.Imported(s.Capability), in)
					results <- done{i, r, time.Since(t)}
				}(i, s, in)
			}
		}
		if running == 0 {
			break
		}
		d := <-results
		running--
		finished[d.i] = true
		fs := &res.Steps[d.i]
		fs.Detail, fs.Duration, fs.Blocked = d.run.Detail, d.d, d.run.Blocked
		if d.run.Passed {
			fs.Status, fs.Outputs = capabilities.StepPassed, d.run.Outputs
			if fs.Outputs == nil {
				fs.Outputs = map[string]any{}
			}
			continue
		}
		err := d.run.Err
		if err == nil {
			err = &Error{Code: CodeGuestError, Message: "the step failed"}
		}
		fail(d.i, err)
	}
	if ctx.Err() != nil && stop == nil {
		for i := range steps {
			if !finished[i] {
				return res, &Error{Code: CodeTimeout, Task: steps[i].ID, Message: fmt.Sprintf("the flow exceeded its time limit of %s before step %q ran", res.Timeout, steps[i].ID)}
			}
		}
	}
	if stop != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			stop = &Error{Code: CodeTimeout, Task: stop.Task, Message: fmt.Sprintf("the flow exceeded its time limit of %s (%s)", res.Timeout, stop.Message)}
		}
		return res, stop
	}
	all := capabilities.Scope{Inputs: inputs, Steps: map[string]capabilities.StepState{}}
	for i, s := range steps {
		all.Steps[s.ID] = state(i)
	}
	out, err := c.Flow.EvalOutputs(ctx, all)
	if err != nil {
		return res, &Error{Code: CodeInvalidOutput, Message: "outputs.source: " + err.Error(), cause: err}
	}
	if err := c.ValidateOutputsContext(ctx, out); err != nil {
		if ctx.Err() != nil {
			return res, &Error{Code: CodeTimeout, Message: "the flow exceeded its time limit while its outputs were validated", cause: err}
		}
		return res, &Error{Code: CodeInvalidOutput, Message: err.Error(), cause: err}
	}
	res.Outputs = out
	return res, nil
}

// stepError is the flow's error for a step that stopped it.
func stepError(fs *FlowStep) *Error {
	verb := "failed"
	if fs.Blocked {
		verb = "was blocked"
	}
	return &Error{Code: fs.Err.Code, Task: fs.ID, Message: fmt.Sprintf("step %q (%s) %s: %s", fs.ID, fs.Capability, verb, fs.Err.Message), Trace: fs.Err.Trace}
}
