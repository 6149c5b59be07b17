package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/cmd/enact-run/internal/receiptview"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// approvalsFlags are the flags every approvals subcommand shares.
type approvalsFlags struct {
	policy string
	asJSON bool
}

func (c *cli) approvalsCommand() *cobra.Command {
	var f approvalsFlags
	cmd := &cobra.Command{
		Use:   "approvals",
		Short: "List, show, approve and deny the actions held for a person's approval",
		Long: `A policy (require_approval, or a rule's require_approval_if) can hold an
action until a person approves it: the run stops there with status PENDING
(exit code 8) and an approval request apr_… that binds the exact action
(capability digest, action, argument digest, actor, run key). Once the
request is approved, retrying the run with the same idempotency key and
inputs performs the held action, exactly once.

Each vote is signed into the receipt chain as an approval record. The
approver is --actor (default $ENACT_ACTOR); their roles are those the
policy file gives them, and must include one the request accepts. The
requester cannot approve their own request unless the policy allows it.
Requests live in the SQLite or Postgres receipt store (--store,
$ENACT_STORE_URL); ids may be given by a unique prefix.

Exit codes: 0 done; 3 the vote was refused (not_an_approver,
self_approval, already_voted); 4 no such request, an ambiguous prefix, or
a request that can no longer be decided (not_pending, expired); 7 the
receipt store keeps no approvals (a --receipts-dir store).`,
	}
	cmd.PersistentFlags().StringVar(&f.policy, "policy", "", "policy file, for the approver's roles (default $ENACT_POLICY, else $ENACT_HOME/policy.yaml, else the built-in default)")

	var state, requester string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List approval requests, pending first, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch state {
			case "all":
				state = ""
			case "", receipts.ApprovalPending, receipts.ApprovalApproved, receipts.ApprovalDenied, receipts.ApprovalExpired:
			default:
				return c.fail(exitUsage, fmt.Errorf("--state %q: want pending, approved, denied, expired or all", state))
			}
			return c.withApprovals(cmd.Context(), f, func(client *enact.Client, _ *policy.Policy) error {
				reqs, err := client.Approvals(cmd.Context(), receipts.ApprovalFilter{State: state, Actor: strings.ToLower(strings.TrimSpace(requester)), Limit: limit, Now: time.Now()})
				if err != nil {
					return c.approvalFail(err, "")
				}
				receiptview.SortPendingFirst(reqs)
				if f.asJSON {
					if reqs == nil {
						reqs = []receipts.ApprovalRequest{}
					}
					return c.printJSON(reqs)
				}
				return receiptview.WriteApprovals(c.stdout, reqs)
			})
		},
	}
	list.Flags().StringVar(&state, "state", "pending", "pending, approved, denied, expired or all")
	list.Flags().StringVar(&requester, "actor", "", "only the requests of this requester (email)")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many requests")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one request: the exact action, its arguments (redacted), requirements, votes, state and expiry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApprovals(cmd.Context(), f, func(client *enact.Client, _ *policy.Policy) error {
				req, err := receiptview.ResolveApproval(cmd.Context(), client, args[0], nil)
				if err != nil {
					return c.approvalFail(err, args[0])
				}
				if f.asJSON {
					return c.printJSON(req)
				}
				return receiptview.WriteApproval(c.stdout, req)
			})
		},
	}

	vote := func(approve bool) *cobra.Command {
		var actor, reason string
		use, short := "approve ID", "Approve a request (as --actor): the retry with the same idempotency key then performs the action"
		if !approve {
			use, short = "deny ID", "Deny a request (as --actor, with --reason): the retry then ends denied (exit 3)"
		}
		v := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if !approve && strings.TrimSpace(reason) == "" {
					return c.fail(exitUsage, errors.New("deny needs --reason: the requester reads it"))
				}
				return c.withApprovals(cmd.Context(), f, func(client *enact.Client, _ *policy.Policy) error {
					req, err := receiptview.ResolveApproval(cmd.Context(), client, args[0], nil)
					if err != nil {
						return c.approvalFail(err, args[0])
					}
					who := c.actor(actor)
					req, err = client.Decide(cmd.Context(), req.ID, policy.Actor{Email: who}, approve, reason)
					if err != nil {
						return c.approvalFail(err, args[0])
					}
					if f.asJSON {
						return c.printJSON(req)
					}
					verb := "approved"
					if !approve {
						verb = "denied"
					}
					c.printf(c.stdout, "%s %s as %s; the request is now %s\n", verb, req.ID, who, req.State)
					switch req.State {
					case receipts.ApprovalApproved:
						c.printf(c.stdout, "the requester can now retry the run with the same idempotency key and inputs: the held action is performed once\n")
					case receipts.ApprovalPending:
						c.printf(c.stdout, "it needs more approvals: enact-run approvals show %s\n", req.ID)
					}
					return nil
				})
			},
		}
		v.Flags().StringVar(&actor, "actor", "", "email of the approver (default $ENACT_ACTOR, else local@localhost)")
		v.Flags().StringVar(&reason, "reason", "", "why (recorded in the signed approval record; required to deny)")
		return v
	}
	for _, sub := range []*cobra.Command{list, show, vote(true), vote(false)} {
		what := "the request as it now is"
		if sub == list {
			what = "the requests as a JSON array"
		} else if sub == show {
			what = "the request"
		}
		sub.Flags().BoolVar(&f.asJSON, "json", false, "print "+what+" as JSON")
		cmd.AddCommand(sub)
	}
	return cmd
}

// withApprovals opens the receipt store and the policy (for the
// approvers' roles) and gives f a client for them; no engine is started.
func (c *cli) withApprovals(ctx context.Context, f approvalsFlags, fn func(*enact.Client, *policy.Policy) error) error {
	home, err := c.home()
	if err != nil {
		return c.fail(exitInternal, err)
	}
	pol, _, err := c.loadPolicy(f.policy, home)
	if err != nil {
		return c.fail(exitInvalid, err)
	}
	st, err := c.openState(ctx, stateOptions{})
	if err != nil {
		return c.fail(exitInternal, err)
	}
	defer st.Close()
	gate, err := hostfns.New(hostfns.Config{Policy: pol, Store: st.store})
	if err != nil {
		return c.fail(exitInternal, err)
	}
	return fn(enact.New(nil, gate, enact.WithKeyRetention(st.retention)), pol)
}

// approvalFail maps an approvals error to its exit code and a message
// that says what to do.
func (c *cli) approvalFail(err error, ref string) error {
	var ae *receipts.ApprovalError
	switch {
	case errors.As(err, &ae):
		switch ae.Code {
		case "not_pending", "expired":
			return c.fail(exitInvalid, fmt.Errorf("request %s cannot be decided: %w", ref, err))
		default:
			return c.fail(exitBlocked, fmt.Errorf("vote refused: %w", err))
		}
	case errors.Is(err, receipts.ErrApprovalNotFound):
		return c.fail(exitInvalid, fmt.Errorf("no approval request %q (see enact-run approvals list --state all)", ref))
	case errors.Is(err, receiptview.ErrAmbiguousApproval):
		return c.fail(exitInvalid, fmt.Errorf("%w; give more of the id", err))
	case errors.Is(err, enact.ErrNoApprovals):
		return c.fail(exitConfig, fmt.Errorf("%w: use --store or $ENACT_STORE_URL (the default $ENACT_HOME/receipts.db keeps them)", err))
	}
	return c.fail(exitInternal, err)
}
