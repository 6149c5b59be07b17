package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/receipts"
)

func (c *cli) recoverCommand() *cobra.Command {
	var (
		policyFile, receiptsDir, actor string
		resolve                        []string
		asJSON                         bool
	)
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Reconcile runs whose runner died mid-run, and seal their receipts",
		Long: `Reconcile the runs whose runner stopped (crash, kill -9, lost machine) before
it finished them. Every action such a run started without recording how it
ended is looked up in its system with the connector's check-before-act
lookup, which changes nothing, and closed as completed or not_performed, or
left ambiguous with the reason when the system cannot tell (unreachable, or
a connector that cannot check). A run whose actions are all known gets its
receipt, status "recovered", and its idempotency key is released: a retry
with the key runs again, and the actions' derived keys let the connectors
find the effects already made, so nothing is done twice. A run that sealed
its receipt and died before closing its key gets the key closed with the
receipt's outcome, so a retry replays it.

--resolve RUN_ID:SEQ=completed|not_performed settles an ambiguous action
after you have looked at the system yourself. Live runs are never touched;
several recoverers may run at once. Afterwards, idempotency keys older than
--key-retention and the journal of sealed runs as old are pruned.

serve and mcp recover at start and every minute. Exit code 0 when nothing is left ambiguous,
1 otherwise.`,
		Example: `  enact-run recover
  enact-run recover --json
  enact-run recover --resolve 5f0c…e1:2=completed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			all := map[string]bool{"postgres": true, "github": true, "hubspot": true}
			st, err := c.openState(ctx, stateOptions{policyFile: policyFile, receiptsDir: receiptsDir, withRuntime: true, connectors: all})
			if err != nil {
				return c.fail(exitInternal, err)
			}
			defer st.Close()
			if _, ok := st.store.(receipts.Ledger); !ok {
				return c.fail(exitUsage, fmt.Errorf("the receipts directory store keeps no journal; there is nothing to recover"))
			}
			client, err := st.client()
			if err != nil {
				return c.fail(exitInternal, err)
			}
			for _, r := range resolve {
				run, seq, state, err := parseResolve(r)
				if err != nil {
					return c.fail(exitUsage, err)
				}
				if err := client.Resolve(ctx, run, seq, state, c.actor(actor)); err != nil {
					return c.fail(exitFailed, err)
				}
			}
			runs, err := client.Recover(ctx)
			if err != nil {
				return c.fail(exitInternal, err)
			}
			pruned, err := client.Prune(ctx)
			if err != nil {
				return c.fail(exitInternal, err)
			}
			ambiguous := 0
			for _, r := range runs {
				if r.Outcome == enact.RecoveryAmbiguous {
					ambiguous++
				}
			}
			if asJSON {
				type out struct {
					enact.RecoveredRun
					ReceiptID string `json:"receipt_id,omitempty"`
				}
				list := []out{}
				for _, r := range runs {
					o := out{RecoveredRun: r}
					if r.Receipt != nil {
						o.ReceiptID = r.RunID
					}
					list = append(list, o)
				}
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(map[string]any{"runs": list, "ambiguous": ambiguous, "pruned": pruned})
			} else {
				if len(runs) == 0 {
					c.printf(c.stdout, "nothing to recover\n")
				}
				for _, r := range runs {
					key := ""
					if r.Key != "" {
						key = " (idempotency key " + strconv.Quote(r.Key) + ")"
					}
					c.printf(c.stdout, "run %s%s: %s\n", r.RunID, key, r.Outcome)
					for _, a := range r.Actions {
						c.printf(c.stdout, "  #%d %s: %s", a.Seq, a.Action, a.State)
						if a.Evidence != "" {
							c.printf(c.stdout, " — %s", a.Evidence)
						}
						c.printf(c.stdout, "\n")
					}
				}
				if pruned > 0 {
					c.printf(c.stderr, "pruned %d idempotency and journal records older than %s\n", pruned, client.KeyRetention())
				}
			}
			if ambiguous > 0 {
				return c.fail(exitFailed, fmt.Errorf("%d run(s) left ambiguous: look at the systems named above, then settle each action with --resolve RUN_ID:SEQ=completed|not_performed", ambiguous))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&policyFile, "policy", "", "policy file (its postgres.tables allowlist applies to the lookups)")
	fl.StringVar(&receiptsDir, "receipts-dir", "", "not supported: the directory store keeps no journal")
	fl.StringVar(&actor, "actor", "", "who resolves (default $ENACT_ACTOR, else local@localhost)")
	fl.StringArrayVar(&resolve, "resolve", nil, "RUN_ID:SEQ=completed|not_performed: settle an ambiguous action by hand (repeatable)")
	fl.BoolVar(&asJSON, "json", false, "print what was recovered as JSON")
	return cmd
}

// parseResolve reads RUN_ID:SEQ=STATE.
func parseResolve(s string) (run string, seq int64, state string, err error) {
	ref, state, ok := strings.Cut(s, "=")
	run, seqText, ok2 := strings.Cut(ref, ":")
	seq, perr := strconv.ParseInt(seqText, 10, 64)
	if !ok || !ok2 || perr != nil || run == "" || seq < 1 {
		return "", 0, "", fmt.Errorf("--resolve %q: want RUN_ID:SEQ=completed|not_performed", s)
	}
	return run, seq, state, nil
}
