package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/policy"
)

func (c *cli) receiptsCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "receipts",
		Short: "List, show and verify the signed receipts of past runs",
		Long: `Every run, passed, blocked or failed, leaves a receipt: a canonical JSON body
signed with HMAC-SHA256 and Ed25519 and chained to the previous receipt by its
hash. Receipts live in $ENACT_HOME/receipts.db (or --receipts-dir); the
signing keys in $ENACT_HOME/keys.

These commands are the local operator's, who holds the store and the keys:
they list and show every actor's runs. The HTTP API and MCP show an actor
its own runs only, unless the policy gives it the auditor role.`,
	}
	cmd.PersistentFlags().StringVar(&dir, "receipts-dir", "", "read receipts from this directory of JSON files instead of $ENACT_HOME/receipts.db")

	list := c.receiptsListCommand(&dir)
	show := c.receiptsShowCommand(&dir)
	verify := c.receiptsVerifyCommand(&dir)
	keys := c.receiptsKeysCommand(&dir)

	var rotateJSON bool
	rotate := &cobra.Command{
		Use:   "rotate-keys",
		Short: "Make new signing keys; old ones keep verifying old receipts",
		Args:  cobra.NoArgs,
		RunE: c.withState(&dir, func(cmd *cobra.Command, _ []string, st *state) error {
			if err := st.keys.Rotate(); err != nil {
				return c.fail(exitInternal, err)
			}
			if rotateJSON {
				var ids []string
				for _, s := range st.keys.Signers() {
					ids = append(ids, s.KeyID())
				}
				return c.printJSON(map[string]any{"rotated": true, "signing_key_ids": ids})
			}
			c.printf(c.stdout, "rotated; new receipts are signed with the new keys\n")
			return nil
		}),
	}
	rotate.Flags().BoolVar(&rotateJSON, "json", false, `print {"rotated", "signing_key_ids"}: the key ids new receipts are signed with`)
	cmd.AddCommand(list, show, verify, keys, rotate)
	return cmd
}

// withState opens the keyring and the receipt store (from --receipts-dir
// or $ENACT_HOME) around a receipts subcommand.
func (c *cli) withState(dir *string, f func(*cobra.Command, []string, *state) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		st, err := c.openState(cmd.Context(), stateOptions{receiptsDir: *dir})
		if err != nil {
			return c.fail(exitInternal, err)
		}
		defer st.Close()
		return f(cmd, args, st)
	}
}

func (c *cli) policyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check and test policy files",
	}
	var asJSON bool
	test := &cobra.Command{
		Use:   "test POLICY CASES.yaml",
		Short: "Run policy test cases: each input against its expected decision",
		Long: `Load a policy file and run every case of CASES.yaml through the policy
engine; print each case's outcome and exit 1 when any decision differs from
what the case expects. CASES.yaml is a list of
  - name: …
    input: {time, actor: {email, roles}, capability, inputs, action: {id, args}, facts}
    expect: {allowed: true|false, results: [{policy, passed}]}`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readLimited(args[0], 4<<20)
			if err != nil {
				return c.fail(exitUsage, err)
			}
			p, err := policy.Load(data, args[0])
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			cases, err := os.ReadFile(args[1])
			if err != nil {
				return c.fail(exitUsage, err)
			}
			rep, err := policy.RunCases(p, cases, args[1])
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			if !rep.OK() {
				c.code = exitFailed
			}
			if asJSON {
				type caseJSON struct {
					Name     string          `json:"name"`
					Line     int             `json:"line"`
					Passed   bool            `json:"passed"`
					Diff     string          `json:"diff,omitempty"`
					Decision policy.Decision `json:"decision"`
				}
				out := struct {
					File   string     `json:"file"`
					OK     bool       `json:"ok"`
					Passed int        `json:"passed"`
					Failed int        `json:"failed"`
					Cases  []caseJSON `json:"cases"`
				}{File: rep.Name, OK: rep.OK(), Cases: []caseJSON{}}
				for _, cr := range rep.Cases {
					out.Cases = append(out.Cases, caseJSON{Name: cr.Name, Line: cr.Line, Passed: cr.Passed, Diff: cr.Diff, Decision: cr.Decision})
					if cr.Passed {
						out.Passed++
					} else {
						out.Failed++
					}
				}
				return c.printJSON(out)
			}
			c.printf(c.stdout, "%s", rep.String())
			return nil
		},
	}
	test.Flags().BoolVar(&asJSON, "json", false, `print {"file", "ok", "passed", "failed", "cases": [{"name", "line", "passed", "diff", "decision"}]}`)
	cmd.AddCommand(test)
	return cmd
}
