package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
)

// Runner runs a capability; *enact.Client is one.
type Runner interface {
	Run(ctx context.Context, req enact.RunRequest) (*enact.Result, error)
}

// Config configures a Server. Runner is required.
type Config struct {
	// Dir is the directory of capabilities to serve (*.yaml and *.yml, not
	// *.policy.yaml, not recursive); "" serves none from disk.
	Dir string
	// Shipped also serves the shipped examples and reference workflows.
	Shipped bool
	// Extra are further capabilities to serve (bundles pulled from a
	// registry, say); they replace shipped ones of the same id, and files
	// in Dir replace them.
	Extra []*capabilities.Capability
	// LoadFile loads a capability file of Dir; capabilities.LoadFile when
	// nil. The runner's own checks (a bundle's signature, say) go here: a
	// file it refuses is logged and skipped.
	LoadFile func(path string) (*capabilities.Capability, error)
	// Actor is the acting identity of every call that does not carry a
	// verified bearer token (all calls over stdio).
	Actor string
	// Runner runs the capabilities.
	Runner Runner
	// Receipts, when set, serves each run's receipt as the resource
	// enact://receipts/{run_id}, to the run's own actor (or an auditor).
	Receipts ReceiptReader
	// Mutating reports whether an action changes anything, for the
	// annotations; nil counts every declared action as mutating.
	Mutating func(actionID string) bool
	// Check reports why a capability that loads cannot run here (a plugin
	// refused by its imports, sha256 or exports; limits beyond the
	// runner's), or nil; such a capability is not served as a tool but
	// logged once and listed by Invalid. Nil serves every capability that
	// loads. (*runtime.Engine).Check is one.
	Check func(*capabilities.Capability) error
	// ConsoleURL is the console's base URL (the policy's
	// notify.console_url), for the link to an approval request in a held
	// call's result; "" for none.
	ConsoleURL string
	// Logger receives the files skipped and the reloads; nil discards.
	Logger *slog.Logger
	// Version is the server version announced to clients; "" is "dev".
	Version string

	// MaxMessageBytes bounds one message from a client (a line over
	// stdio, a request body over HTTP); 0 is DefaultMaxMessageBytes.
	MaxMessageBytes int
	// MaxDepth bounds how deep a message nests (arrays and objects);
	// 0 is jsonguard.DefaultMaxDepth.
	MaxDepth int
	// HTTPSessionIdle closes an HTTP session that received no request for
	// that long; 0 is DefaultHTTPSessionIdle, negative never closes one.
	HTTPSessionIdle time.Duration
	// MaxHTTPSessions bounds the HTTP sessions open at once: an initialize
	// over the bound is refused with 503; 0 is DefaultMaxHTTPSessions,
	// negative is no bound.
	MaxHTTPSessions int
}

// Server serves capabilities as MCP tools. It is safe for concurrent use;
// one Server can serve stdio and HTTP sessions at the same time.
type Server struct {
	cfg Config
	log *slog.Logger
	mcp *mcp.Server

	mu    sync.Mutex       // serialises Reload
	tools map[string]*tool // by tool name, as served
	// files is the listing of Dir the last Reload read, for Watch.
	files []fileInfo
	// shipped are the shipped capabilities, loaded once.
	shipped []*capabilities.Capability
	// invalid are the capabilities Check refused at the last Reload, by
	// id; reported holds the digests already logged.
	invalid  []Invalid
	reported map[string]bool
}

// Invalid is a capability that loads but is not served because it cannot
// run here.
type Invalid struct {
	// File is the capability's file (its name in Dir, or "shipped/…").
	File string `json:"file"`
	// ID is the capability id.
	ID string `json:"id"`
	// Reason is what Check said.
	Reason string `json:"reason"`
}

// Invalid returns the capabilities the last Reload did not serve because
// Check refused them, sorted by id.
func (s *Server) Invalid() []Invalid {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Invalid(nil), s.invalid...)
}

// New loads the capabilities and returns a server offering them as tools.
// It fails when Dir cannot be read or Runner is nil; a capability file that
// does not load is logged and skipped.
func New(cfg Config) (*Server, error) {
	if cfg.Runner == nil {
		return nil, errors.New("mcpserver: no runner")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, tools: map[string]*tool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	version := cfg.Version
	if version == "" {
		version = "dev"
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "enact-run", Title: "Enact", Version: version}, &mcp.ServerOptions{
		Instructions: "Each tool runs an Enact capability in a sandbox behind a policy gate and returns its outputs and the id of the signed receipt of the run. Pass " + IdempotencyKeyArgument + " to make a retry safe.",
		Logger:       s.log,
		// Advertise tools (with list changes) even while none load, so
		// that clients listen for the ones a reload adds.
		Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{ListChanged: true}},
	})
	if cfg.Receipts != nil {
		s.addReceipts()
	}
	if cfg.Shipped {
		for _, set := range []map[string][]byte{capabilities.Examples(), capabilities.Workflows()} {
			for _, name := range sortedKeys(set) {
				if strings.HasSuffix(name, ".policy.yaml") {
					continue
				}
				c, err := capabilities.Load(set[name], "shipped/"+name)
				if err != nil {
					s.log.Warn("mcpserver: skipping shipped capability", "file", name, "error", err)
					continue
				}
				s.shipped = append(s.shipped, c)
			}
		}
	}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// MCP returns the underlying go-sdk server.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// Tools returns the names of the tools served, sorted.
func (s *Server) Tools() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.tools)
}

// Reload re-reads Dir and updates the tools: connected clients receive
// notifications/tools/list_changed when the list changed. A file that does
// not load is logged and skipped. When Dir cannot be read the tools are
// left as they were and the error is returned.
func (s *Server) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	caps, files, dups, err := s.load()
	if err != nil {
		return err
	}
	s.files = files
	s.invalid = dups
	if s.reported == nil {
		s.reported = map[string]bool{}
	}
	for _, d := range dups {
		if key := "dup\x00" + d.File + "\x00" + d.Reason; !s.reported[key] {
			s.reported[key] = true
			s.log.Error("mcpserver: not serving capability: its id is not unique", "file", d.File, "id", d.ID, "error", d.Reason)
		}
	}
	if s.cfg.Check != nil {
		for _, id := range sortedKeys(caps) {
			c := caps[id]
			err := s.cfg.Check(c)
			if err == nil {
				continue
			}
			delete(caps, id)
			s.invalid = append(s.invalid, Invalid{File: c.Name, ID: c.ID, Reason: err.Error()})
			if key := c.Digest + "\x00" + c.Name; !s.reported[key] {
				s.reported[key] = true
				s.log.Warn("mcpserver: not serving capability: it cannot run here", "file", c.Name, "id", c.ID, "error", err)
			}
		}
	}
	ids := make([]string, 0, len(caps))
	for id := range caps {
		ids = append(ids, id)
	}
	names, errs := toolNames(ids)
	for _, err := range errs {
		s.log.Warn("mcpserver: skipping capability", "error", err)
	}
	next := make(map[string]*tool, len(names))
	for id, name := range names {
		c := caps[id]
		t, err := newTool(c, name, s.cfg.Mutating)
		if err != nil {
			s.log.Warn("mcpserver: skipping capability", "file", c.Name, "id", c.ID, "error", err)
			continue
		}
		next[name] = t
	}
	var gone []string
	for name := range s.tools {
		if _, ok := next[name]; !ok {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	if len(gone) > 0 {
		s.mcp.RemoveTools(gone...)
	}
	for _, name := range sortedKeys(next) {
		t := next[name]
		if old, ok := s.tools[name]; ok && old.fingerprint == t.fingerprint {
			next[name] = old
			continue
		}
		s.mcp.AddTool(t.def, s.handler(t))
	}
	if len(gone) > 0 || !sameKeys(s.tools, next) {
		s.log.Info("mcpserver: tools loaded", "count", len(next), "removed", len(gone))
	}
	s.tools = next
	return nil
}

// load returns the capabilities to serve by id: the shipped ones, replaced
// by those in Dir with the same id. Two files of Dir with the same id are
// an error: neither is served, and both are returned as invalid, each
// naming the other, for the operator to rename one.
func (s *Server) load() (map[string]*capabilities.Capability, []fileInfo, []Invalid, error) {
	caps := map[string]*capabilities.Capability{}
	for _, c := range s.shipped {
		caps[c.ID] = c
	}
	for _, c := range s.cfg.Extra {
		caps[c.ID] = c
	}
	if s.cfg.Dir == "" {
		return caps, nil, nil, nil
	}
	files, err := capabilityFiles(s.cfg.Dir)
	if err != nil {
		return nil, nil, nil, err
	}
	byID := map[string][]*capabilities.Capability{}
	var ids []string
	resolver := &capabilities.Resolver{}
	loadFile := s.cfg.LoadFile
	if loadFile == nil {
		loadFile = capabilities.LoadFile
	}
	for _, f := range files {
		c, err := loadFile(filepath.Join(s.cfg.Dir, f.name))
		if err == nil {
			// A composite is served with its imports, found in Dir and
			// the shipped set; its tool's annotations cover every step.
			c, err = resolver.Resolve(c)
		}
		if err != nil {
			s.log.Warn("mcpserver: skipping capability file", "file", f.name, "error", err)
			continue
		}
		if len(byID[c.ID]) == 0 {
			ids = append(ids, c.ID)
		}
		byID[c.ID] = append(byID[c.ID], c)
	}
	var dups []Invalid
	for _, id := range ids {
		same := byID[id]
		if len(same) == 1 {
			caps[id] = same[0]
			continue
		}
		delete(caps, id) // not the shipped one either: the operator meant to replace it
		for _, c := range same {
			var others []string
			for _, o := range same {
				if o != c {
					others = append(others, filepath.Base(o.Name))
				}
			}
			dups = append(dups, Invalid{File: c.Name, ID: id, Reason: fmt.Sprintf(
				"capability id %q is also defined in %s; ids must be unique in the directory, so neither is served", id, strings.Join(others, ", "))})
		}
	}
	return caps, files, dups, nil
}

type fileInfo struct {
	name  string
	size  int64
	mtime time.Time
}

// capabilityFiles lists the capability files of dir, sorted by name.
func capabilityFiles(dir string) ([]fileInfo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mcpserver: capabilities directory: %w", err)
	}
	var files []fileInfo
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".policy.yaml") || strings.HasSuffix(n, ".policy.yml") ||
			!(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		fi := fileInfo{name: n}
		if info, err := e.Info(); err == nil {
			fi.size, fi.mtime = info.Size(), info.ModTime()
		}
		files = append(files, fi)
	}
	return files, nil // ReadDir sorts by name
}

// Watch polls Dir every interval (names, sizes and modification times of
// the capability files), and reloads when they differ from what the last
// Reload read, until ctx is done. A failed reload is logged; the tools
// served stay as they were. every <= 0 polls every 2 seconds.
func (s *Server) Watch(ctx context.Context, every time.Duration) {
	if s.cfg.Dir == "" {
		return
	}
	if every <= 0 {
		every = 2 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now, err := capabilityFiles(s.cfg.Dir)
		if err != nil {
			s.log.Warn("mcpserver: watching", "error", err)
			continue
		}
		s.mu.Lock()
		same := slices.Equal(now, s.files)
		s.mu.Unlock()
		if same {
			continue
		}
		if err := s.Reload(); err != nil {
			s.log.Warn("mcpserver: reload", "error", err)
		}
	}
}

// ServeStdio serves one session over in and out (newline-delimited
// JSON-RPC) until the input ends or ctx is done. A message that is too
// long, too deep or malformed is answered with a JSON-RPC error (or, when
// it is a notification or a response, dropped and logged) and the session
// goes on.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	err := s.mcp.Run(ctx, &stdioTransport{in: in, out: out, guard: newGuard(s.cfg), log: s.log})
	if ctx.Err() != nil || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sameKeys(a, b map[string]*tool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Capabilities returns the capabilities currently served, by id: the same
// set the tools come from, so the HTTP API lists what MCP lists, reloads
// included.
func (s *Server) Capabilities() map[string]*capabilities.Capability {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*capabilities.Capability, len(s.tools))
	for _, t := range s.tools {
		out[t.cap.ID] = t.cap
	}
	return out
}
