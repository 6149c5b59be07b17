// Command enact-run runs Enact Protocol capabilities in a WebAssembly
// sandbox.
//
//	enact-run run FILE|ID [--input JSON|@file|@-] [--json]
//	enact-run validate FILE...
//	enact-run build FILE [-o DIR]
//	enact-run keygen [--out PREFIX]                 enact-run sign FILE --key KEY
//	enact-run push FILE oci://HOST/REPO:TAG         enact-run pull oci://REF [--update]
//	enact-run verify oci://REF|FILE|DIR [--json]     enact-run run oci://HOST/REPO:TAG|@sha256:…
//
// Exit codes: 0 the run passed (or every file validated, or the build was
// written); 1 the capability ran and failed (guest error, timeout, memory
// limit, outputs violating the schema); 2 the command line was wrong; 3 a
// policy blocked the run; 4 the
// capability or its inputs are invalid, so nothing ran; 5 the runner itself
// failed (state directory, cache); 6 the idempotency key is in use by
// another request, a run in flight, or a run that died mid-action; 7 the
// runner is not configured for the capability (a connector it declares has
// no credentials here); 8 an action was held for approval (status
// PENDING: approve the request, then retry with the same idempotency key). State lives under $ENACT_HOME (default
// ~/.enact): the on-disk compilation cache is $ENACT_HOME/cache/wazero, or $ENACT_CACHE_DIR.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first SIGINT or SIGTERM cancels the context: a run ends as
	// cancelled (its receipt recorded), serve stops accepting requests.
	// Then the signals get their default handling back, so a second one
	// ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitPass     = 0
	exitFailed   = 1
	exitUsage    = 2
	exitBlocked  = 3
	exitInvalid  = 4
	exitInternal = 5
	// exitIdempotency: the idempotency key belongs to another request,
	// to a run still in flight, or to a run that died mid-action.
	exitIdempotency = 6
	// exitConfig: the runner lacks configuration the run needs (a
	// connector's credentials): nothing ran, no key was taken.
	exitConfig = 7
	// exitPending: an action was held for a person's approval; the run
	// stopped there (status PENDING) and its idempotency key is free for
	// the retry once the request is approved.
	exitPending = 8
)

// run is the whole program, with its world passed in so tests can drive it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cli := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, code: exitPass}
	root := cli.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		if cli.code == exitPass {
			cli.code = exitUsage
		}
		cli.printf(stderr, "enact-run: %v\n", err)
	}
	return cli.code
}
