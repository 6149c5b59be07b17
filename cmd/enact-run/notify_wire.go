package main

import (
	"github.com/enact-run/enact/cmd/enact-run/internal/notify"
	"github.com/enact-run/enact/hostfns"
)

// withNotify makes the gate announce its new approval requests through nt
// (nil announces nothing).
func withNotify(cfg *hostfns.Config, nt *notify.Notifier) {
	if nt == nil {
		return
	}
	cfg.Notify = nt.Notify
}
