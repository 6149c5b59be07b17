package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
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

	var limit int
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List receipts, oldest first",
		Args:  cobra.NoArgs,
		RunE: c.withState(&dir, func(cmd *cobra.Command, _ []string, st *state) error {
			envs, err := st.store.List(cmd.Context(), receipts.ListOptions{Limit: limit})
			if err != nil {
				return c.fail(exitInternal, err)
			}
			if asJSON {
				return json.NewEncoder(c.stdout).Encode(envs)
			}
			w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SEQ\tRUN ID\tTIME\tCAPABILITY\tACTOR\tDECISION\tACTIONS")
			for _, env := range envs {
				r, err := bodyOf(env)
				if err != nil {
					fmt.Fprintf(w, "?\t?\t?\t?\t?\tunreadable: %v\t\n", err)
					continue
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", r.Seq, r.RunID, r.Timestamp.Format("2006-01-02 15:04:05"), r.Capability.ID, r.Actor.Email, r.Decision, len(r.Actions))
			}
			return w.Flush()
		}),
	}
	list.Flags().IntVar(&limit, "limit", 0, "at most this many")
	list.Flags().BoolVar(&asJSON, "json", false, "print the envelopes as JSON")

	show := &cobra.Command{
		Use:   "show RUN_ID",
		Short: "Print one receipt's envelope, exactly as signed, after verifying it",
		Args:  cobra.ExactArgs(1),
		RunE: c.withState(&dir, func(cmd *cobra.Command, args []string, st *state) error {
			env, err := st.store.Get(cmd.Context(), args[0])
			if errors.Is(err, receipts.ErrNotFound) {
				return c.fail(exitInvalid, err)
			} else if err != nil {
				return c.fail(exitInternal, err)
			}
			// The envelope is printed byte for byte, so the output itself
			// verifies (receipts.Open, or any JCS + Ed25519 tool).
			data, err := env.MarshalJSON()
			if err != nil {
				return c.fail(exitInternal, err)
			}
			if _, err := receipts.Open(data, st.keys.Verifiers()); err != nil {
				c.printf(c.stderr, "enact-run: receipt %s does NOT verify: %v\n", args[0], err)
				c.code = exitFailed
			}
			_, err = c.stdout.Write(append(data, '\n'))
			return err
		}),
	}

	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify every signature and the whole hash chain",
		Long: `Walk the chain from the first receipt, checking each body's hash, its
signatures, the sequence numbers (a deleted receipt leaves a gap) and the link
to the previous receipt (a reordered or replaced one breaks it). Reports the
first broken link and exits 1, or exits 0 when everything verifies.`,
		Args: cobra.NoArgs,
		RunE: c.withState(&dir, func(cmd *cobra.Command, _ []string, st *state) error {
			rep, err := st.store.Verify(cmd.Context(), st.keys.Verifiers())
			if err != nil {
				c.printf(c.stdout, "BROKEN after %d good receipts: %v\n", rep.Verified, err)
				c.code = exitFailed
				return nil
			}
			c.printf(c.stdout, "ok: %d receipts verify; head seq %d %s\n", rep.Verified, rep.HeadSeq, rep.HeadHash)
			return nil
		}),
	}

	keys := &cobra.Command{
		Use:   "keys",
		Short: "Print the public keys that verify receipts (for third parties)",
		Args:  cobra.NoArgs,
		RunE: c.withState(&dir, func(cmd *cobra.Command, _ []string, st *state) error {
			pub := st.keys.PublicKeys()
			ids := make([]string, 0, len(pub))
			for id := range pub {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				c.printf(c.stdout, "%s %s\n", id, pub[id])
			}
			return nil
		}),
	}

	rotate := &cobra.Command{
		Use:   "rotate-keys",
		Short: "Make new signing keys; old ones keep verifying old receipts",
		Args:  cobra.NoArgs,
		RunE: c.withState(&dir, func(cmd *cobra.Command, _ []string, st *state) error {
			if err := st.keys.Rotate(); err != nil {
				return c.fail(exitInternal, err)
			}
			c.printf(c.stdout, "rotated; new receipts are signed with the new keys\n")
			return nil
		}),
	}
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

// bodyOf decodes an envelope's body without verifying it (for listing).
func bodyOf(env *receipts.Envelope) (*receipts.Receipt, error) {
	var r receipts.Receipt
	if err := json.Unmarshal(env.Body, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (c *cli) policyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check and test policy files",
	}
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
			c.printf(c.stdout, "%s", rep.String())
			if !rep.OK() {
				c.code = exitFailed
			}
			return nil
		},
	}
	cmd.AddCommand(test)
	return cmd
}
