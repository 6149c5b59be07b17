package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/cmd/enact-run/internal/console"
	"github.com/enact-run/enact/cmd/enact-run/internal/httpapi"
	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
	"github.com/enact-run/enact/policy"
)

func (c *cli) serveCommand() *cobra.Command {
	var addr, dir, policyFile, receiptsDir, anonymous string
	var noShipped bool
	var sessionIdle time.Duration
	var maxSessions int
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
			st, client, err := c.openServer(ctx, policyFile, receiptsDir)
			if err != nil {
				return err
			}
			defer st.Close()
			log := slog.New(slog.NewTextHandler(c.stderr, nil))
			var auth httpapi.Authenticator
			if anonymous == "" {
				auth = client.TokenActor
			}
			mcpSrv, err := mcpserver.New(mcpserver.Config{
				Dir: dir, Shipped: !noShipped, Actor: anonymous, Runner: client, Receipts: client,
				Mutating: func(id string) bool { return !policy.ReadOnly(id) }, Logger: log,
				HTTPSessionIdle: sessionIdle, MaxHTTPSessions: maxSessions,
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
	fl.BoolVar(&noShipped, "no-shipped", false, "do not serve the shipped examples and reference workflows")
	fl.StringVar(&policyFile, "policy", "", "policy file (default $ENACT_POLICY, $ENACT_HOME/policy.yaml, or the built-in default)")
	fl.StringVar(&receiptsDir, "receipts-dir", "", "store receipts as JSON files in this directory")
	fl.StringVar(&anonymous, "anonymous-actor", "", "let unauthenticated callers in, acting as this email (no tokens checked)")
	fl.DurationVar(&sessionIdle, "mcp-session-idle", mcpserver.DefaultHTTPSessionIdle, "close an MCP session after this long without a request (negative: never)")
	fl.IntVar(&maxSessions, "mcp-max-sessions", mcpserver.DefaultMaxHTTPSessions, "refuse a new MCP session (503) while this many are open (negative: no bound)")
	return cmd
}

func addrOrDefault(a string) string {
	if a == "" {
		return httpapi.DefaultAddr
	}
	return a
}
