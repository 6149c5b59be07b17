package main

import (
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/cmd/enact-run/internal/receiptview"
	"github.com/enact-run/enact/receipts"
)

// listedRun is one run of `receipts list --json`: its summary and its
// envelope, exactly as signed.
type listedRun struct {
	receiptview.Summary
	Receipt *receipts.Envelope `json:"receipt"`
}

// listJSON is what `receipts list --json` prints.
type listJSON struct {
	Runs []listedRun `json:"runs"`
	// More is set when older runs match too; Next is then the --before
	// that lists them.
	More bool  `json:"more"`
	Next int64 `json:"next,omitempty"`
}

func (c *cli) receiptsListCommand(dir *string) *cobra.Command {
	var (
		last                 int
		before               int64
		actor, capability    string
		status, since, until string
		asJSON               bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List runs, newest first, with their status, reason and action counts",
		Long: `List runs from their receipts, newest first: sequence number, time, run id,
capability, actor, status, the counts of actions allowed, denied and failed,
and why a run did not pass cleanly. A run that passed although one of its
actions was denied reads "PASS, 1 denied", never a bare PASS.

  --status PASS|BLOCK|FAILED   the run's decision
  --status DENIED              a policy refused the run or one of its actions
  --status ATTENTION           anything but a clean PASS
  --since, --until             RFC 3339, a UTC date and time (2026-03-14T15:09),
                               a date, or an age (90m, 24h, 7d)

Receipts are listed as stored; "receipts verify" checks the signatures and
the chain, "receipts show" one run in full.`,
		Args: cobra.NoArgs,
		RunE: c.withState(dir, func(cmd *cobra.Command, _ []string, st *state) error {
			f := receiptview.Filter{Actor: actor, Capability: capability, Before: before, Limit: last}
			var err error
			if f.Status, err = receiptview.ParseStatus(status); err != nil {
				return c.fail(exitUsage, errors.New("--"+err.Error()))
			}
			now := time.Now()
			if f.Since, err = receiptview.ParseTime(since, now); err != nil {
				return c.fail(exitUsage, errors.New("--since: "+err.Error()))
			}
			if f.Until, err = receiptview.ParseTime(until, now); err != nil {
				return c.fail(exitUsage, errors.New("--until: "+err.Error()))
			}
			if last < 0 {
				return c.fail(exitUsage, errors.New("--last: want 0 (all) or more"))
			}
			page, err := receiptview.List(cmd.Context(), st.store, f)
			if err != nil {
				return c.fail(exitInternal, err)
			}
			if asJSON {
				out := listJSON{Runs: []listedRun{}, More: page.More, Next: page.Next}
				for _, it := range page.Items {
					out.Runs = append(out.Runs, listedRun{Summary: it.Summary, Receipt: it.Envelope})
				}
				return json.NewEncoder(c.stdout).Encode(out)
			}
			return receiptview.WriteSummaries(c.stdout, page.Items, page.More)
		}),
	}
	fl := cmd.Flags()
	fl.IntVar(&last, "last", 20, "the newest N runs that match (0: all)")
	fl.IntVar(&last, "limit", 20, "the same as --last")
	_ = fl.MarkHidden("limit")
	fl.Int64Var(&before, "before", 0, "only runs with a sequence number below this (the next page)")
	fl.StringVar(&actor, "actor", "", "only this actor's runs")
	fl.StringVar(&capability, "capability", "", "only runs of this capability id")
	fl.StringVar(&status, "status", "", "only runs with this status: PASS, BLOCK, FAILED, DENIED or ATTENTION")
	fl.StringVar(&since, "since", "", "only runs sealed at or after this time")
	fl.StringVar(&until, "until", "", "only runs sealed before this time")
	fl.BoolVar(&asJSON, "json", false, `print {"runs": [...], "more", "next"}, each run's summary with its envelope`)
	return cmd
}

func (c *cli) receiptsShowCommand(dir *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show RUN_ID",
		Short: "Show one run: who, what, when, the decision and why, every action, the signatures",
		Long: `Show one run from its receipt, after checking its hash and signatures: who
asked, what ran and when, the decision and why, every action with its decision,
the policies' reasons, the facts they used and what it changed, the outputs,
the signers' key ids and the receipt's place in the chain. RUN_ID may be any
prefix that only one run id starts with.

--json prints the envelope exactly as signed instead, so that the output
itself verifies (receipts.Open, or any JCS + Ed25519 tool). A receipt that
does not verify is shown all the same, says so, and exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: c.withState(dir, func(cmd *cobra.Command, args []string, st *state) error {
			env, err := receiptview.Resolve(cmd.Context(), st.store, args[0], "")
			switch {
			case errors.Is(err, receipts.ErrNotFound), errors.Is(err, receiptview.ErrAmbiguous):
				return c.fail(exitInvalid, err)
			case err != nil:
				return c.fail(exitInternal, err)
			}
			if asJSON {
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
			}
			v, err := receiptview.Build(env, st.keys.Verifiers())
			if err != nil {
				return c.fail(exitFailed, err)
			}
			if !v.Verified {
				c.code = exitFailed
			}
			return receiptview.WriteView(c.stdout, v)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the envelope exactly as signed")
	return cmd
}

// verifyJSON is what `receipts verify --json` prints.
type verifyJSON struct {
	OK       bool       `json:"ok"`
	Verified int64      `json:"verified"`
	HeadSeq  int64      `json:"head_seq"`
	HeadHash string     `json:"head_hash"`
	HeadTime *time.Time `json:"head_time"`
	Break    *chainJSON `json:"break"`
}

// chainJSON is the first broken link of a chain.
type chainJSON struct {
	Seq    int64  `json:"seq"`
	RunID  string `json:"run_id"`
	Reason string `json:"reason"`
}

func (c *cli) receiptsVerifyCommand(dir *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify every signature and the whole hash chain",
		Long: `Walk the chain from the first receipt, checking each body's hash, its
signatures, the sequence numbers (a deleted receipt leaves a gap) and the link
to the previous receipt (a reordered or replaced one breaks it). Reports the
first broken link and exits 1, or exits 0 when everything verifies; exits 5
when the store cannot be read at all.

--json prints {"ok", "verified", "head_seq", "head_hash", "head_time",
"break": null or {"seq", "run_id", "reason"}}. Record head_seq and head_hash
elsewhere: a later walk that no longer reaches them shows a chain cut short.`,
		Args: cobra.NoArgs,
		RunE: c.withState(dir, func(cmd *cobra.Command, _ []string, st *state) error {
			rep, err := st.store.Verify(cmd.Context(), st.keys.Verifiers())
			var ce *receipts.ChainError
			if err != nil && !errors.As(err, &ce) {
				return c.fail(exitInternal, err)
			}
			if ce != nil {
				c.code = exitFailed
			}
			if asJSON {
				out := verifyJSON{OK: ce == nil, Verified: rep.Verified, HeadSeq: rep.HeadSeq, HeadHash: rep.HeadHash}
				if !rep.Head.IsZero() {
					h := rep.Head.UTC()
					out.HeadTime = &h
				}
				if ce != nil {
					out.Break = &chainJSON{Seq: ce.Seq, RunID: ce.ID, Reason: ce.Reason}
				}
				return json.NewEncoder(c.stdout).Encode(out)
			}
			if ce != nil {
				c.printf(c.stdout, "BROKEN after %d good receipts: %s\n", rep.Verified, receiptview.Clean(err.Error(), false))
				return nil
			}
			c.printf(c.stdout, "ok: %d receipts verify; head seq %d %s\n", rep.Verified, rep.HeadSeq, rep.HeadHash)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// keyJSON is one key of `receipts keys --json`.
type keyJSON struct {
	KeyID string `json:"key_id"`
	Alg   string `json:"alg"`
	// PublicKey is the base64 Ed25519 public key; "" for an HMAC key,
	// whose secret never leaves the keyring.
	PublicKey string `json:"public_key"`
	// Current is set for the keys that sign new receipts.
	Current bool `json:"current"`
}

// keyList lists a keyring's keys, current and retired, by key id.
func keyList(k *receipts.Keyring) []keyJSON {
	pub := k.PublicKeys()
	current := map[string]bool{}
	for _, s := range k.Signers() {
		current[s.KeyID()] = true
	}
	var out []keyJSON
	for _, v := range k.Verifiers() {
		out = append(out, keyJSON{KeyID: v.KeyID(), Alg: v.Alg(), PublicKey: pub[v.KeyID()], Current: current[v.KeyID()]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KeyID < out[j].KeyID })
	return out
}

func (c *cli) receiptsKeysCommand(dir *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Print the public keys that verify receipts (for third parties)",
		Long: `Print each Ed25519 public key, current and retired, as "KEY_ID BASE64":
what a third party needs to verify receipts. --json lists every key, the
HMAC ones too (their key ids only: the secret never leaves the keyring),
as [{"key_id", "alg", "public_key", "current"}].`,
		Args: cobra.NoArgs,
		RunE: c.withState(dir, func(cmd *cobra.Command, _ []string, st *state) error {
			keys := keyList(st.keys)
			if asJSON {
				return json.NewEncoder(c.stdout).Encode(keys)
			}
			for _, k := range keys {
				if k.PublicKey != "" {
					c.printf(c.stdout, "%s %s\n", k.KeyID, k.PublicKey)
				}
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print every key as JSON")
	return cmd
}
