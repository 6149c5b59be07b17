package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/enact-run/enact/cmd/enact-run/internal/console"
	"github.com/enact-run/enact/cmd/enact-run/internal/httpapi"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// consoleHandler is the web console serve mounts at /ui: the state's
// receipt store and keys, the API's bearer tokens (auth nil: everyone is
// the anonymous actor) and the API's per-actor scoping under the current
// policy, behind the API's DNS-rebinding guard.
func consoleHandler(st *state, client *liveClient, auth httpapi.Authenticator, anonymous string, log *slog.Logger) (http.Handler, error) {
	cfg := console.Config{
		Store: st.store, Keys: st.keys, AnonymousActor: anonymous, Logger: log,
		MayReadAll: func(a policy.Actor) bool { return client.client.Load().MayReadAll(a) },
		Children:   compositeSteps(st.store),
		Approvals:  client,
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

// compositeSteps lists the child runs of a composite run: the run ids its
// receipt's steps record (a step that did not start has none).
func compositeSteps(store receipts.Store) func(context.Context, string) ([]string, error) {
	return func(ctx context.Context, runID string) ([]string, error) {
		env, err := store.Get(ctx, runID)
		if err != nil {
			return nil, err
		}
		var r receipts.Receipt
		if err := json.Unmarshal(env.Body, &r); err != nil {
			return nil, err
		}
		var ids []string
		for _, s := range r.Steps {
			if s.RunID != "" {
				ids = append(ids, s.RunID)
			}
		}
		return ids, nil
	}
}
