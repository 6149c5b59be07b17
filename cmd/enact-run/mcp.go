package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
	"github.com/enact-run/enact/policy"
)

func (c *cli) mcpCommand() *cobra.Command {
	var dir, actor, policyFile, receiptsDir, envFile string
	var noShipped bool
	var logs logFlags
	var refs []string
	var bf bundleFlags
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve capabilities as MCP tools over standard input and output",
		Long: `Serve every capability in --dir (and the shipped examples and reference
workflows, unless --no-shipped) as a Model Context Protocol tool over stdio.
A tool call runs the capability exactly like "enact-run run": validation,
sandbox, gate, receipt. Tool names are the capability ids with characters
outside [a-zA-Z0-9_-] replaced by "_"; the optional tool argument
_enact_idempotency_key (or _meta "enact/idempotency_key") is the run's
idempotency key. Changes to --dir are picked up without a restart.

Add it to an MCP client's configuration, for example:
  {"mcpServers": {"enact": {"command": "enact-run",
     "args": ["mcp", "--dir", "/path/to/capabilities", "--actor", "agent@acme.com", "--policy", "/path/to/policy.yaml"]}}}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := c.setupLog(logs); err != nil {
				return err
			}
			st, client, err := c.openServer(ctx, policyFile, receiptsDir, envFile)
			if err != nil {
				return err
			}
			defer st.Close()
			extra, loadFile, err := c.served(ctx, client, refs, bf)
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			actor = c.actor(actor)
			srv, err := mcpserver.New(mcpserver.Config{
				Dir: dir, Shipped: !noShipped, Extra: extra, LoadFile: loadFile, Actor: actor, Runner: client, Receipts: client,
				Mutating:   func(id string) bool { return !policy.ReadOnly(id) },
				ConsoleURL: st.policy.Notify().ConsoleURL,
				// A capability whose plugins are refused is not offered.
				Check: st.engine.Check,
				// Standard output is the protocol: logs go to standard error.
				Logger: c.serverLog(),
			})
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			if dir != "" {
				go srv.Watch(ctx, 2*time.Second)
			}
			go client.watch(ctx, 2*time.Second, c.serverLog(), func() { _ = srv.Reload() })
			if err := srv.ServeStdio(ctx, c.stdin, c.stdout); err != nil {
				return c.fail(exitInternal, err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "dir", "", "directory of capability files to serve")
	fl.StringArrayVar(&refs, "ref", nil, "serve a capability bundle from a registry: oci://HOST/REPO:TAG or @sha256:DIGEST (repeatable; pulled, verified and pinned in the lock file at start)")
	fl.StringVar(&bf.lock, "lock", "", "lock file for --ref (default $ENACT_LOCK, else $ENACT_HOME/enact.lock)")
	fl.BoolVar(&bf.plainHTTP, "plain-http", false, "speak plain HTTP to a registry that is not on loopback")
	fl.BoolVar(&noShipped, "no-shipped", false, "do not serve the shipped examples and reference workflows")
	fl.StringVar(&actor, "actor", "", "email the runs act for (default $ENACT_ACTOR, else local@localhost)")
	fl.StringVar(&policyFile, "policy", "", "policy file (default $ENACT_POLICY, $ENACT_HOME/policy.yaml, or the built-in default)")
	fl.StringVar(&receiptsDir, "receipts-dir", "", "store receipts as JSON files in this directory")
	logs.add(fl)
	fl.StringVar(&envFile, "env-file", "", envFileUsage)
	return cmd
}
