package runtime

import (
	"context"
	"sync"

	"github.com/enact-run/enact/hostfns"
)

// boundedBuffer keeps the first limit bytes written to it and counts the
// rest. Writes never fail, so a guest that prints without end is neither
// blocked nor told anything: it simply stops being recorded.
type boundedBuffer struct {
	mu      sync.Mutex
	buf     []byte
	limit   int
	dropped int64
}

func newBoundedBuffer(limit int) *boundedBuffer { return &boundedBuffer{limit: limit} }

// Write implements io.Writer; it always reports the whole of p as written.
func (b *boundedBuffer) Write(p []byte) (int, error) {
	if b == nil {
		return len(p), nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.limit - len(b.buf)
	if room > len(p) {
		room = len(p)
	}
	if room > 0 {
		b.buf = append(b.buf, p[:room]...)
	}
	b.dropped += int64(len(p) - max(room, 0))
	return len(p), nil
}

// result returns the kept text and whether anything was dropped.
func (b *boundedBuffer) result() (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf), b.dropped > 0
}

// callState is what host functions need to know about the run they serve.
// It travels in the context of every guest call.
type callState struct {
	// output receives standard output and standard error, interleaved in
	// the order the guest wrote them.
	output *boundedBuffer
	// host answers the guest's action requests (never nil during a run).
	host hostfns.Handler
	// logs keeps what prebuilt plugins log (nil outside a run).
	logs *pluginLogs
	// kernel caches the Extism kernel functions of the prebuilt plugin
	// instance running now (see kernelFunc).
	kernel *kernelFuncs
}

type callStateKey struct{}

func withCallState(ctx context.Context, st *callState) context.Context {
	return context.WithValue(ctx, callStateKey{}, st)
}

func callStateFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	return st
}

// stdioFor returns the writer behind a WASI file descriptor and whether the
// descriptor is standard output or error. Output written outside any run
// (while a pooled instance initialises) goes to a nil buffer, which discards.
func stdioFor(ctx context.Context, fd uint32) (*boundedBuffer, bool) {
	if fd != 1 && fd != 2 {
		return nil, false
	}
	if st := callStateFrom(ctx); st != nil {
		return st.output, true
	}
	return nil, true
}

// hostCall sends a guest's request to the run's handler. Outside a run (a
// pooled instance initialising) there is nothing to act for.
func hostCall(ctx context.Context, request []byte) []byte {
	st := callStateFrom(ctx)
	if st == nil || st.host == nil {
		return hostfns.NoActions.Handle(ctx, request)
	}
	return st.host.Handle(ctx, request)
}
