package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/enact-run/enact/policy"
)

// DefaultAddr is where Serve listens when given no address: loopback only.
const DefaultAddr = "127.0.0.1:8080"

// ShutdownTimeout bounds how long Serve waits for in-flight requests (runs)
// once its context is cancelled; runs are bounded by their own timeouts.
const ShutdownTimeout = 2 * time.Minute

// Serve listens on addr (DefaultAddr when "") and serves h until ctx is
// cancelled, then shuts down gracefully: it stops accepting connections and
// waits up to ShutdownTimeout for the requests in flight, runs included, to
// finish. It returns nil after a graceful shutdown.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, h, log)
}

// ServeListener is Serve on a listener it takes over (and closes).
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		// No WriteTimeout: a run takes as long as its capability's
		// timeout allows, and streamable MCP responses are long-lived.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("httpapi: listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("httpapi: shutting down, finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		_ = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// MCPAuth authenticates the MCP endpoint with the same bearer tokens as the
// API: mount mcpserver's HTTPHandler behind it, and the actor's email
// becomes the MCP calls' actor (TokenInfo.UserID). A request without a
// valid token is refused exactly as /v1 refuses it: 401, a JSON error body
// and a WWW-Authenticate header.
func MCPAuth(a Authenticator) func(http.Handler) http.Handler {
	verify := func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		actor, ok := a(token)
		if !ok || actor.Email == "" {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: actor.Email, Extra: map[string]any{"roles": actor.Roles}}, nil
	}
	sdk := auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})
	return func(next http.Handler) http.Handler {
		inner := sdk(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := bearer(r.Header.Get("Authorization"))
			if ok {
				var actor policy.Actor
				actor, ok = a(token)
				ok = ok && actor.Email != ""
			}
			if !ok {
				refuseUnauthenticated(w, token)
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
}
