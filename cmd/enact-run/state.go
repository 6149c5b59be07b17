package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/cmd/enact-run/internal/notify"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/github"
	"github.com/enact-run/enact/hostfns/hubspot"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/hostfns/postgres"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

//go:embed default-policy.yaml
var defaultPolicy []byte

// state is everything a command that runs or inspects runs needs, opened
// from $ENACT_HOME and the flags. Close releases it.
type state struct {
	home   string
	keys   *receipts.Keyring
	store  receipts.Store
	policy *policy.Policy
	// policyPath is the file the policy came from ("" for the built-in
	// default).
	policyPath string
	engine     *runtime.Engine
	kv         *kv.Store
	// external are the connectors to outside systems configured through
	// the environment.
	external []hostfns.Connector
	closers  []func() error
	// retention is how long idempotency keys are remembered.
	retention time.Duration
	// current is the policy runs use now (a server reloads it); the
	// engine reads its plugin_config through it.
	current atomic.Pointer[policy.Policy]
	// envFile holds the --env-file's variables (nil without one), and
	// envFilePath its path.
	envFile     map[string]string
	envFilePath string
	getenv      func(string) string
	// notifiers announce new approval requests, one per notify section
	// in use (a reload can change it); warn reports a section that cannot
	// be used (once each).
	notifyMu  sync.Mutex
	notifiers map[policy.Notify]*notify.Notifier
	notifyLog *slog.Logger
	warn      func(string)
}

type stateOptions struct {
	policyFile  string            // --policy
	envFile     string            // --env-file
	envVars     map[string]string // its variables (readEnvFile)
	receiptsDir string            // --receipts-dir: one JSON file per receipt instead of SQLite
	withRuntime bool              // open the engine, the gate's connectors and the policy
	longLived   bool              // a server: keep prepared interpreter instances ready
	// connectors names the external connectors to open (from the
	// capability's declared actions): one that is configured but not
	// needed is not contacted, so a database that is down does not stop
	// runs that never use it.
	connectors map[string]bool
	// policy, when set, is the policy already loaded from policyPath
	// ("" for the default), used instead of loading it again.
	policy     *policy.Policy
	policyPath string
}

func (s *state) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		_ = s.closers[i]()
	}
}

// openState opens the keyring and the receipt store, and, for commands
// that run capabilities, the policy, the engine and the connectors.
func (c *cli) openState(ctx context.Context, opts stateOptions) (*state, error) {
	home, err := c.home()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("state directory %s is not writable: %w", home, err)
	}
	s := &state{home: home, getenv: c.getenv, notifyLog: c.log}
	if s.notifyLog == nil {
		// A one-shot command logs the webhook's failures, not its retries.
		s.notifyLog = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s.warn = func(msg string) { fmt.Fprintf(c.stderr, "WARNING: %s\n", msg) }
	s.envFile, s.envFilePath = opts.envVars, opts.envFile
	if s.keys, err = receipts.OpenKeyring(filepath.Join(home, "keys")); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if s.store, err = c.openStore(ctx, home, opts.receiptsDir, s.keys.Signers()); err != nil {
		return nil, err
	}
	if s.retention, err = c.retention(); err != nil {
		s.store.Close()
		return nil, err
	}
	s.closers = append(s.closers, s.store.Close)
	if !opts.withRuntime {
		return s, nil
	}
	if opts.policy != nil {
		s.policy, s.policyPath = opts.policy, opts.policyPath
	} else if s.policy, s.policyPath, err = c.loadPolicy(opts.policyFile, home); err != nil {
		s.Close()
		return nil, err
	}
	if s.kv, err = kv.Open(filepath.Join(home, "kv.db")); err != nil {
		s.Close()
		return nil, err
	}
	s.closers = append(s.closers, s.kv.Close)
	if err := c.openConnectors(ctx, s, opts.connectors); err != nil {
		s.Close()
		return nil, err
	}
	cache, err := c.cacheDir()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.current.Store(s.policy)
	cfg := runtime.Config{CacheDir: cache, PluginConfig: func(id string) map[string]string {
		if p := s.current.Load(); p != nil {
			return p.PluginConfig(id)
		}
		return nil
	}}
	if opts.longLived {
		cfg.PoolSize = 2
	} else {
		cfg.Preparing = c.preparingNotice(cache)
		if s.engine = c.sharedEngine(ctx, cache, s.policyPath); s.engine != nil {
			return s, nil // not closed with the state: see engineHook
		}
	}
	if s.engine, err = runtime.New(cfg); err != nil {
		s.Close()
		return nil, err
	}
	s.closers = append(s.closers, func() error { return s.engine.Close(context.Background()) })
	if opts.longLived {
		// Compile both engines and fill their pools in the background, so
		// the server answers (health checks, listings) at once and the
		// first runs find them ready. A failure here shows again, with its
		// reason, in the run that needs the engine.
		go func() { _ = s.engine.Warm(context.WithoutCancel(ctx), "python", "javascript") }()
	}
	return s, nil
}

// notifierFor returns the webhook notifier of p's notify section (nil
// when it names none or cannot be used: a warning says why, once). The
// notifiers are flushed (for at most NotifyFlushTimeout) and stopped when
// the state closes.
func (s *state) notifierFor(p *policy.Policy) *notify.Notifier {
	n := p.Notify()
	if n.WebhookURLEnv == "" {
		return nil
	}
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if nt, ok := s.notifiers[n]; ok {
		return nt
	}
	nt, err := notify.FromPolicy(n, s.getenv, s.notifyLog)
	if err != nil {
		s.warn(err.Error() + "; approval requests are not announced")
	}
	if s.notifiers == nil {
		s.notifiers = map[policy.Notify]*notify.Notifier{}
		s.closers = append(s.closers, s.closeNotifiers)
	}
	s.notifiers[n] = nt
	return nt
}

// NotifyFlushTimeout bounds how long a command waits, before it exits, for
// the approval requests it announced to reach the webhook.
const NotifyFlushTimeout = 10 * time.Second

func (s *state) closeNotifiers() error {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), NotifyFlushTimeout)
	defer cancel()
	for _, nt := range s.notifiers {
		_ = nt.Flush(ctx)
		nt.Close()
	}
	return nil
}

// client wires the gate for the state's policy and returns the Go API
// client.
func (s *state) client() (*enact.Client, error) { return s.clientFor(s.policy) }

// clientFor wires the gate for a policy over the state's connectors and
// receipt store.
func (s *state) clientFor(p *policy.Policy) (*enact.Client, error) {
	cfg := hostfns.Config{Policy: p, Connectors: append([]hostfns.Connector{s.kv.WithShared(kvShares(p))}, s.external...), Store: s.store}
	withNotify(&cfg, s.notifierFor(p))
	gate, err := hostfns.New(cfg)
	if err != nil {
		return nil, err
	}
	vars := cliVars{policy: p, getenv: s.getenv, file: s.envFile, fileArg: s.envFilePath}
	return enact.New(s.engine, gate, enact.WithKeyRetention(s.retention), enact.WithVars(vars)), nil
}

// kvShares are the policy's shared kv namespaces, for the kv connector.
func kvShares(p *policy.Policy) []kv.Share {
	var out []kv.Share
	for _, sh := range p.KVShared() {
		out = append(out, kv.Share{Namespace: sh.Namespace, Capabilities: sh.Capabilities})
	}
	return out
}

// openStore opens the receipt store: a directory of JSON files
// (--receipts-dir), a Postgres database (--store or $ENACT_STORE_URL with
// a postgres:// URL), an SQLite file named the same way, or by default
// $ENACT_HOME/receipts.db.
func (c *cli) openStore(ctx context.Context, home, dir string, signers []receipts.Signer) (receipts.Store, error) {
	if dir != "" {
		store, err := receipts.OpenDir(dir, signers)
		if err != nil {
			return nil, fmt.Errorf("receipts directory: %w", err)
		}
		return store, nil
	}
	url := c.storeURL
	if url == "" {
		url = c.getenv("ENACT_STORE_URL")
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		store, err := receipts.OpenPostgres(ctx, url, signers)
		if err != nil {
			return nil, fmt.Errorf("receipt store (postgres): %w", err)
		}
		return store, nil
	}
	path := strings.TrimPrefix(url, "sqlite:")
	if path == "" {
		path = filepath.Join(home, "receipts.db")
	}
	store, err := receipts.OpenSQLite(ctx, path, signers)
	if err != nil {
		return nil, fmt.Errorf("receipt store: %w", err)
	}
	return store, nil
}

// retention is --key-retention, else $ENACT_KEY_RETENTION, else the
// default.
func (c *cli) retention() (time.Duration, error) {
	if c.keyRetention != 0 {
		if c.keyRetention < 0 {
			return 0, fmt.Errorf("--key-retention %s: must be positive", c.keyRetention)
		}
		return c.keyRetention, nil
	}
	env := c.getenv("ENACT_KEY_RETENTION")
	if env == "" {
		return enact.KeyRetention, nil
	}
	d, err := time.ParseDuration(env)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("ENACT_KEY_RETENTION=%q: want a positive duration such as 24h or 90m", env)
	}
	return d, nil
}

// loadPolicy reads --policy, else $ENACT_POLICY, else
// $ENACT_HOME/policy.yaml when it exists, else the embedded default. It
// returns the file's path ("" for the default).
func (c *cli) loadPolicy(flag, home string) (*policy.Policy, string, error) {
	path := flag
	if path == "" {
		path = c.getenv("ENACT_POLICY")
	}
	if path == "" {
		candidate := filepath.Join(home, "policy.yaml")
		if _, err := os.Stat(candidate); err == nil {
			path = candidate
		}
	}
	if path == "" {
		p, err := policy.Load(defaultPolicy, "default-policy.yaml")
		return p, "", err
	}
	p, err := readPolicy(path)
	return p, path, err
}

func readPolicy(path string) (*policy.Policy, error) {
	data, err := readLimited(path, 4<<20)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	p, err := policy.Load(data, path)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("policy file %s is invalid", path), err)
	}
	return p, nil
}

// liveClient is what the long-lived commands (mcp, serve) run with: the
// client for the current policy, swapped when the policy file changes.
type liveClient struct {
	st     *state
	client atomic.Pointer[enact.Client]
	policy atomic.Pointer[policy.Policy]
	// bundles maps each served capability that came as a bundle to its
	// record for the receipt (bundleKey → *receipts.Bundle).
	bundles sync.Map
}

func (s *state) live() (*liveClient, error) {
	l := &liveClient{st: s}
	if err := l.use(s.policy); err != nil {
		return nil, err
	}
	return l, nil
}

// use builds a gate and client for a policy and makes them current.
func (l *liveClient) use(p *policy.Policy) error {
	client, err := l.st.clientFor(p)
	if err != nil {
		return err
	}
	l.client.Store(client)
	l.policy.Store(p)
	l.st.current.Store(p)
	return nil
}

// Run runs with the current policy, recording the bundle a served
// capability came in.
func (l *liveClient) Run(ctx context.Context, req enact.RunRequest) (*enact.Result, error) {
	if req.Bundle == nil {
		if b, ok := l.bundles.Load(bundleKey(req.Capability)); ok {
			req.Bundle = b.(*receipts.Bundle)
		}
	}
	return l.client.Load().Run(ctx, req)
}

// bundleKey identifies a loaded capability file: its name and digest (the
// digest pins the plugins' bytes, so the pair determines the bundle).
func bundleKey(c *capabilities.Capability) string {
	if c == nil {
		return ""
	}
	return c.Name + "\x00" + c.Digest
}

// served opens what a server serves besides the shipped capabilities:
// each registry reference (from the cache or pulled, verified and pinned;
// any failure stops the server from starting) and, through the returned
// loader, the files of --dir as bundles (signed or not, unless the policy
// requires signatures). The bundle of each is recorded for its receipts.
func (c *cli) served(ctx context.Context, l *liveClient, refs []string, f bundleFlags) ([]*capabilities.Capability, func(string) (*capabilities.Capability, error), error) {
	trust, err := trustOf(l.st.policy)
	if err != nil {
		return nil, nil, err
	}
	var extra []*capabilities.Capability
	for _, ref := range refs {
		r, err := c.openRef(ctx, ref, trust, f, &verifyReport{})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", ref, classify(err))
		}
		l.bundles.Store(bundleKey(r.b.Capability), r.rec)
		extra = append(extra, r.b.Capability)
	}
	load := func(path string) (*capabilities.Capability, error) {
		r, _, err := c.openLocal(path, trust)
		if err != nil {
			if trust.RequireSignatures {
				return nil, err
			}
			return capabilities.LoadFile(path)
		}
		l.bundles.Store(bundleKey(r.b.Capability), r.rec)
		return r.b.Capability, nil
	}
	return extra, load, nil
}

// Approval reads one approval request (enact.Client.Approval).
func (l *liveClient) Approval(ctx context.Context, id string) (receipts.ApprovalRequest, error) {
	return l.client.Load().Approval(ctx, id)
}

// Approvals lists approval requests (enact.Client.Approvals).
func (l *liveClient) Approvals(ctx context.Context, f receipts.ApprovalFilter) ([]receipts.ApprovalRequest, error) {
	return l.client.Load().Approvals(ctx, f)
}

// Decide votes on an approval request under the current policy
// (enact.Client.Decide).
func (l *liveClient) Decide(ctx context.Context, id string, approver policy.Actor, approve bool, reason string) (receipts.ApprovalRequest, error) {
	return l.client.Load().Decide(ctx, id, approver, approve, reason)
}

// Receipt reads a run's receipt for an actor under the current policy
// (enact.Client.Receipt: its own runs, or all for an auditor).
func (l *liveClient) Receipt(ctx context.Context, actor policy.Actor, runID string) (*receipts.Envelope, error) {
	return l.client.Load().Receipt(ctx, actor, runID)
}

// TokenActor authenticates with the current policy's api_tokens.
func (l *liveClient) TokenActor(token string) (policy.Actor, bool) {
	return l.policy.Load().TokenActor(token)
}

// watch polls the policy file and, when it changes and still loads, makes
// it current and calls changed; a file that no longer loads is logged and
// the running policy stays.
func (l *liveClient) watch(ctx context.Context, every time.Duration, log *slog.Logger, changed func()) {
	path := l.st.policyPath
	if path == "" {
		return
	}
	stamp := func() string {
		fi, err := os.Stat(path)
		if err != nil {
			return "missing"
		}
		return fmt.Sprint(fi.ModTime().UnixNano(), fi.Size())
	}
	last := stamp()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := stamp()
		if now == last {
			continue
		}
		last = now
		p, err := readPolicy(path)
		if err == nil {
			err = l.use(p)
		}
		if err != nil {
			log.Warn("policy file changed but does not load; keeping the running policy", "path", path, "err", err)
			continue
		}
		log.Info("policy reloaded", "path", path, "digest", p.Digest())
		if changed != nil {
			changed()
		}
	}
}

// openConnectors wires the connectors whose credentials the environment
// holds. Credentials stay here, on the host: the gate hands connectors
// arguments only, and no connector puts its credentials in a result or
// an error.
//
//	ENACT_POSTGRES_URL                      postgres.* (schemas and tables allowlisted by the policy's postgres
//	                                        section; never the receipt store's schema). A connector role with
//	                                        privileges on that schema is a loud warning on stderr, or a refusal
//	                                        to start with ENACT_POSTGRES_STRICT=1.
//	GITHUB_TOKEN, GITHUB_REPOSITORY=o/r     github.*   (GITHUB_API_URL for GitHub Enterprise)
//	HUBSPOT_TOKEN                           hubspot.*  (HUBSPOT_BASE_URL, HUBSPOT_API_VERSION)
func (c *cli) openConnectors(ctx context.Context, s *state, needed map[string]bool) error {
	if dsn := c.getenv("ENACT_POSTGRES_URL"); dsn != "" && needed["postgres"] {
		pg, err := postgres.New(ctx, postgres.Config{
			DSN:              dsn,
			Schemas:          s.policy.PostgresSchemas(),
			Tables:           s.policy.PostgresTables(),
			Reserved:         []string{receipts.PostgresSchema},
			StrictPrivileges: c.getenv("ENACT_POSTGRES_STRICT") == "1",
		})
		if err != nil {
			return fmt.Errorf("postgres connector: %w", err)
		}
		for _, w := range pg.Warnings() {
			fmt.Fprintf(c.stderr, "WARNING: postgres connector: %s (set ENACT_POSTGRES_STRICT=1 to refuse to start)\n", w)
		}
		s.closers = append(s.closers, func() error { pg.Close(); return nil })
		s.external = append(s.external, pg)
	}
	if token := c.getenv("GITHUB_TOKEN"); token != "" && needed["github"] {
		owner, repo, ok := strings.Cut(c.getenv("GITHUB_REPOSITORY"), "/")
		if !ok {
			return errors.New("github connector: set GITHUB_REPOSITORY to owner/repo")
		}
		gh, err := github.New(github.Config{Token: token, Owner: owner, Repo: repo, BaseURL: c.getenv("GITHUB_API_URL")})
		if err != nil {
			return fmt.Errorf("github connector: %w", err)
		}
		s.external = append(s.external, gh)
	}
	if token := c.getenv("HUBSPOT_TOKEN"); token != "" && needed["hubspot"] {
		hs, err := hubspot.New(hubspot.Config{Token: token, BaseURL: c.getenv("HUBSPOT_BASE_URL"), APIVersion: c.getenv("HUBSPOT_API_VERSION")})
		if err != nil {
			return fmt.Errorf("hubspot connector: %w", err)
		}
		s.external = append(s.external, hs)
	}
	return nil
}

// openServer opens what the long-lived commands (mcp, serve) run on: every
// configured connector (a reload can add capabilities that need any of
// them), prepared instances, and a client that follows the policy file.
// Its errors already carry the exit code.
func (c *cli) openServer(ctx context.Context, policyFile, receiptsDir, envFile string) (*state, *liveClient, error) {
	all := map[string]bool{"postgres": true, "github": true, "hubspot": true}
	var vars map[string]string
	if envFile != "" {
		var err error
		if vars, err = readEnvFile(envFile); err != nil {
			return nil, nil, c.fail(exitUsage, err)
		}
	}
	st, err := c.openState(ctx, stateOptions{policyFile: policyFile, receiptsDir: receiptsDir, envFile: envFile, envVars: vars, withRuntime: true, connectors: all, longLived: true})
	if err != nil {
		return nil, nil, c.fail(exitInternal, err)
	}
	client, err := st.live()
	if err != nil {
		st.Close()
		return nil, nil, c.fail(exitInternal, err)
	}
	// Housekeeping ends with the state: closing it stops the loop and
	// waits for it, so nothing is logged after the command returns.
	hctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		client.housekeep(hctx, time.Hour, c.serverLog())
	}()
	st.closers = append(st.closers, func() error { stop(); <-done; return nil })
	return st, client, nil
}

// housekeep recovers the runs dead runners left unfinished (and this
// runner's own runs it could not close, say while the store was down), at
// once and then every minute, and prunes expired idempotency keys and
// journals every pruneEvery, until ctx ends. Failures are logged: they
// never stop the server.
func (l *liveClient) housekeep(ctx context.Context, pruneEvery time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	var pruned time.Time
	for {
		client := l.client.Load()
		runs, err := client.Recover(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("recovery of unfinished runs failed; will retry, or run `enact-run recover`", "err", err)
		}
		for _, r := range runs {
			log.Info("recovered an unfinished run", "run_id", r.RunID, "outcome", r.Outcome, "actions", len(r.Actions))
		}
		if time.Since(pruned) >= pruneEvery {
			if n, err := client.Prune(ctx); err != nil && ctx.Err() == nil {
				log.Warn("pruning expired idempotency keys failed", "err", err)
			} else if err == nil {
				pruned = time.Now()
				if n > 0 {
					log.Info("pruned expired idempotency keys and journals", "records", n)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// actor is who a run acts for: the flag, else $ENACT_ACTOR, else
// local@localhost.
func (c *cli) actor(flag string) string {
	if flag != "" {
		return flag
	}
	if env := c.getenv("ENACT_ACTOR"); env != "" {
		return env
	}
	return "local@localhost"
}
