package main

import (
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/cmd/enact-run/internal/console"
	"github.com/enact-run/enact/cmd/enact-run/internal/httpapi"
	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
	"github.com/enact-run/enact/policy"
)

func (c *cli) serveCommand() *cobra.Command {
	var addr, dir, policyFile, receiptsDir, anonymous, envFile string
	var noShipped bool
	var refs []string
	var bf bundleFlags
	var sessionIdle time.Duration
	var maxSessions int
	var logs logFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API and MCP (streamable HTTP at /mcp)",
		Long: `Serve capabilities over HTTP:
  GET  /healthz                liveness
  GET  /v1/capabilities        what can run
  GET  /v1/capabilities?invalid=true   what is not served, and why
  POST /v1/runs                {"capability": id, "inputs": {...}, "idempotency_key": "...", "dry_run": false}
  GET  /v1/runs/{id}           a run, from its receipt
  GET  /v1/receipts/{id}       the receipt, exactly as signed
  /mcp                         MCP over streamable HTTP
  /ui/                         the web console (log in with a token)
Callers authenticate with "Authorization: Bearer TOKEN"; the policy file's
api_tokens map each token's sha256 to the actor it acts for. Without
api_tokens nobody is let in, unless --anonymous-actor names who anonymous
callers act as. Listens on 127.0.0.1:8080 by default; SIGINT/SIGTERM stop
accepting requests and finish the runs in flight. An MCP session closes
after --mcp-session-idle without a request (clients that stay connected
should ping); past --mcp-max-sessions open sessions an initialize gets 503.`,
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
			log := c.serverLog()
			var auth httpapi.Authenticator
			if anonymous == "" {
				auth = client.TokenActor
				if client.policy.Load().TokenCount() == 0 {
					log.Warn("no api_tokens in the policy in effect: every request will be refused with 401; "+
						"add a token's sha256 under api_tokens (enact-run token create ACTOR prints one), or pass --anonymous-actor",
						"policy", policyNameOf(st.policyPath))
				}
			}
			mcpSrv, err := mcpserver.New(mcpserver.Config{
				Dir: dir, Shipped: !noShipped, Extra: extra, LoadFile: loadFile, Actor: anonymous, Runner: client, Receipts: client,
				Mutating: func(id string) bool { return !policy.ReadOnly(id) }, Logger: log,
				HTTPSessionIdle: sessionIdle, MaxHTTPSessions: maxSessions, ConsoleURL: st.policy.Notify().ConsoleURL,
				// A capability whose plugins are refused is not offered.
				Check: st.engine.Check,
			})
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			if dir != "" {
				go mcpSrv.Watch(ctx, 2*time.Second)
			}
			go client.watch(ctx, 2*time.Second, log, func() { _ = mcpSrv.Reload() })
			api, err := httpapi.New(httpapi.Config{
				Runner: client, Receipts: client, Capabilities: mcpSrv.Capabilities,
				Invalid: func() []httpapi.InvalidCapability {
					var out []httpapi.InvalidCapability
					for _, v := range mcpSrv.Invalid() {
						out = append(out, httpapi.InvalidCapability(v))
					}
					return out
				},
				Auth: auth, AnonymousActor: anonymous, Logger: log,
				Approvals: client, ConsoleURL: st.policy.Notify().ConsoleURL,
			})
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			mux := http.NewServeMux()
			var mcpHandler http.Handler = mcpSrv.HTTPHandler()
			if auth != nil {
				mcpHandler = httpapi.MCPAuth(auth)(mcpHandler)
			}
			mux.Handle("/mcp", mcpHandler)
			mux.Handle("/", api)
			ui, err := consoleHandler(st, client, auth, anonymous, log)
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			mux.Handle(console.Prefix+"/", ui)
			log.Info("serving", "addr", addrOrDefault(addr))
			if err := httpapi.Serve(ctx, addr, mux, log); err != nil {
				return c.fail(exitInternal, err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "", "address to listen on (default "+httpapi.DefaultAddr+")")
	fl.StringVar(&dir, "dir", "", "directory of capability files to serve, besides the shipped ones")
	fl.StringArrayVar(&refs, "ref", nil, "serve a capability bundle from a registry: oci://HOST/REPO:TAG or @sha256:DIGEST (repeatable; pulled, verified and pinned in the lock file at start)")
	fl.StringVar(&bf.lock, "lock", "", "lock file for --ref (default $ENACT_LOCK, else $ENACT_HOME/enact.lock)")
	fl.BoolVar(&bf.plainHTTP, "plain-http", false, "speak plain HTTP to a registry that is not on loopback")
	fl.BoolVar(&noShipped, "no-shipped", false, "do not serve the shipped examples and reference workflows")
	fl.StringVar(&policyFile, "policy", "", "policy file (default $ENACT_POLICY, $ENACT_HOME/policy.yaml, or the built-in default)")
	fl.StringVar(&receiptsDir, "receipts-dir", "", "store receipts as JSON files in this directory")
	fl.StringVar(&envFile, "env-file", "", envFileUsage)
	fl.StringVar(&anonymous, "anonymous-actor", "", "let unauthenticated callers in, acting as this email (no tokens checked)")
	fl.DurationVar(&sessionIdle, "mcp-session-idle", mcpserver.DefaultHTTPSessionIdle, "close an MCP session after this long without a request (negative: never)")
	logs.add(fl)
	fl.IntVar(&maxSessions, "mcp-max-sessions", mcpserver.DefaultMaxHTTPSessions, "refuse a new MCP session (503) while this many are open (negative: no bound)")
	return cmd
}

func addrOrDefault(a string) string {
	if a == "" {
		return httpapi.DefaultAddr
	}
	return a
}

// policyNameOf names the policy in effect for a log line.
func policyNameOf(path string) string {
	if path == "" {
		return "built-in default"
	}
	return path
}
