package main

import (
	"log/slog"
	"net/http"

	"github.com/enact-run/enact/cmd/enact-run/internal/console"
	"github.com/enact-run/enact/cmd/enact-run/internal/httpapi"
	"github.com/enact-run/enact/policy"
)

// consoleHandler is the web console serve mounts at /ui: the state's
// receipt store and keys, the API's bearer tokens (auth nil: everyone is
// the anonymous actor) and the API's per-actor scoping under the current
// policy, behind the API's DNS-rebinding guard.
func consoleHandler(st *state, client *liveClient, auth httpapi.Authenticator, anonymous string, log *slog.Logger) (http.Handler, error) {
	cfg := console.Config{
		Store: st.store, Keys: st.keys, AnonymousActor: anonymous, Logger: log,
		MayReadAll: func(a policy.Actor) bool { return client.client.Load().MayReadAll(a) },
	}
	if auth != nil {
		cfg.Auth = auth
	}
	h, err := console.New(cfg)
	if err != nil {
		return nil, err
	}
	return httpapi.HostCheck(h), nil
}
