package runtime

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// WASI errno values used by the sandbox's WASI subset.
const (
	errnoSuccess     = 0
	errnoBadf        = 8
	errnoFault       = 21
	errnoInval       = 28
	errnoNosys       = 52
	errnoSpipe       = 70
	errnoNotcapable  = 76
	wasiFiletypeChar = 2
)

// wasiModule is the name guests import WASI preview 1 from.
const wasiModule = "wasi_snapshot_preview1"

// wasiOptions configures the sandbox's WASI host module. The zero value is
// the sandbox without any file.
type wasiOptions struct {
	// Mount, when set, is the one read-only directory the guests see, as
	// the preopened fd 3 (see wasifs.go). Whoever closes an instance must
	// call Mount.release with its module.
	Mount *wasiMount
}

// wasiGuest is what the sandbox's WASI functions need of the module
// calling them: its memory, and a way to end it. An api.Module is one; a
// prebuilt plugin's calls come through the go-sdk, which gives the
// plugin's memory only (see extismWASIFunctions).
type wasiGuest interface {
	Memory() api.Memory
	CloseWithExitCode(ctx context.Context, exitCode uint32) error
}

// wasiFunc is one function of the sandbox's WASI: its parameters and
// results are on the stack, as for api.GoModuleFunc.
type wasiFunc func(ctx context.Context, g wasiGuest, s []uint64)

// wasiDef is one function of the sandbox's WASI with its signature.
type wasiDef struct {
	fn              wasiFunc
	params, results []api.ValueType
}

// instantiateWASI builds the sandbox's own wasi_snapshot_preview1 host
// module (see wasiFunctions) in a runtime.
func instantiateWASI(ctx context.Context, r wazero.Runtime, opts ...wasiOptions) error {
	var opt wasiOptions
	for _, o := range opts {
		if o.Mount != nil {
			opt.Mount = o.Mount
		}
	}
	defs := wasiFunctions(opt.Mount)
	fns := make(map[string]api.GoModuleFunc, len(defs))
	for name, d := range defs {
		fns[name] = func(ctx context.Context, m api.Module, s []uint64) { d.fn(ctx, m, s) }
	}
	if opt.Mount != nil {
		for name, f := range opt.Mount.exports(fns) {
			fns[name] = f
		}
	}
	b := r.NewHostModuleBuilder(wasiModule)
	for _, name := range slices.Sorted(maps.Keys(fns)) {
		b.NewFunctionBuilder().WithGoModuleFunction(fns[name], defs[name].params, defs[name].results).Export(name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// wasiFunctions are the functions of the sandbox's own WASI preview 1. It
// is deliberately not wazero's full WASI. Standard output and error go to
// the bounded buffers of the current call (found through the call's
// context), standard input is empty, there are no arguments, no
// environment variables and no sockets. Without a mount there is no
// filesystem behind it at all: no preopened directory, and every path call
// answers ENOTCAPABLE. With one, the guest reads that tree and nothing else
// (see wasifs.go, whose functions instantiateWASI puts in place of these;
// a mount's guests are api.Modules). poll_oneoff sleeps for a clock
// subscription, never past the end of the calling context.
func wasiFunctions(mount *wasiMount) map[string]wasiDef {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	defs := map[string]wasiDef{}
	ret := []api.ValueType{i32}
	fn := func(name string, f wasiFunc, params ...api.ValueType) {
		defs[name] = wasiDef{fn: f, params: params, results: ret}
	}

	zeroSizes := func(_ context.Context, m wasiGuest, s []uint64) {
		if !m.Memory().WriteUint32Le(uint32(s[0]), 0) || !m.Memory().WriteUint32Le(uint32(s[1]), 0) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}
	noop := func(_ context.Context, _ wasiGuest, s []uint64) { s[0] = errnoSuccess }
	fn("args_sizes_get", zeroSizes, i32, i32)
	fn("environ_sizes_get", zeroSizes, i32, i32)
	fn("args_get", noop, i32, i32)
	fn("environ_get", noop, i32, i32)

	fn("clock_res_get", func(_ context.Context, m wasiGuest, s []uint64) {
		if !m.Memory().WriteUint64Le(uint32(s[1]), 1000) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}, i32, i32)
	clock := wasiClock{start: time.Now()}
	fn("clock_time_get", func(_ context.Context, m wasiGuest, s []uint64) {
		ns, ok := clock.now(uint32(s[0]))
		if !ok {
			s[0] = errnoInval
			return
		}
		if !m.Memory().WriteUint64Le(uint32(s[2]), ns) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}, i32, i64, i32)

	fn("random_get", func(_ context.Context, m wasiGuest, s []uint64) {
		buf, ok := m.Memory().Read(uint32(s[0]), uint32(s[1]))
		if !ok {
			s[0] = errnoFault
			return
		}
		_, _ = rand.Read(buf)
		s[0] = errnoSuccess
	}, i32, i32)

	fn("fd_write", func(ctx context.Context, m wasiGuest, s []uint64) {
		fd, iovs, iovsLen, resultPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
		out, ok := stdioFor(ctx, fd)
		if !ok {
			s[0] = errnoBadf
			return
		}
		mem := m.Memory()
		var total uint32
		for i := uint32(0); i < iovsLen; i++ {
			iov, ok := mem.Read(iovs+i*8, 8)
			if !ok {
				s[0] = errnoFault
				return
			}
			buf, ok := mem.Read(binary.LittleEndian.Uint32(iov), binary.LittleEndian.Uint32(iov[4:]))
			if !ok {
				s[0] = errnoFault
				return
			}
			_, _ = out.Write(buf)
			total += uint32(len(buf))
		}
		if !mem.WriteUint32Le(resultPtr, total) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}, i32, i32, i32, i32)

	fn("fd_read", func(_ context.Context, m wasiGuest, s []uint64) {
		if uint32(s[0]) != 0 {
			s[0] = errnoBadf
			return
		}
		// Standard input is always empty.
		if !m.Memory().WriteUint32Le(uint32(s[3]), 0) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}, i32, i32, i32, i32)

	stdioOnly := func(ok uint64) wasiFunc {
		return func(_ context.Context, _ wasiGuest, s []uint64) {
			if uint32(s[0]) > 2 {
				s[0] = errnoBadf
				return
			}
			s[0] = ok
		}
	}
	fn("fd_close", stdioOnly(errnoSuccess), i32)
	fn("fd_sync", stdioOnly(errnoSuccess), i32)
	fn("fd_datasync", stdioOnly(errnoSuccess), i32)
	fn("fd_fdstat_set_flags", stdioOnly(errnoNotcapable), i32, i32)
	fn("fd_seek", stdioOnly(errnoSpipe), i32, i64, i32, i32)
	fn("fd_tell", stdioOnly(errnoSpipe), i32, i32)
	fn("fd_fdstat_get", func(_ context.Context, m wasiGuest, s []uint64) {
		fd, ptr := uint32(s[0]), uint32(s[1])
		if fd > 2 {
			s[0] = errnoBadf
			return
		}
		var st [24]byte
		st[0] = wasiFiletypeChar
		// Rights: fd_read for stdin, fd_write for stdout and stderr.
		rights := uint64(1 << 6) // fd_write
		if fd == 0 {
			rights = 1 << 1 // fd_read
		}
		binary.LittleEndian.PutUint64(st[8:], rights)
		if !m.Memory().Write(ptr, st[:]) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}, i32, i32)

	// No preopened directories: the first probe answers EBADF, which ends
	// every libc's preopen scan.
	badf := func(_ context.Context, _ wasiGuest, s []uint64) { s[0] = errnoBadf }
	fn("fd_prestat_get", badf, i32, i32)
	fn("fd_prestat_dir_name", badf, i32, i32, i32)

	notcapable := func(_ context.Context, _ wasiGuest, s []uint64) { s[0] = errnoNotcapable }
	for name, params := range map[string][]api.ValueType{
		"fd_advise":               {i32, i64, i64, i32},
		"fd_allocate":             {i32, i64, i64},
		"fd_fdstat_set_rights":    {i32, i64, i64},
		"fd_filestat_get":         {i32, i32},
		"fd_filestat_set_size":    {i32, i64},
		"fd_filestat_set_times":   {i32, i64, i64, i32},
		"fd_pread":                {i32, i32, i32, i64, i32},
		"fd_pwrite":               {i32, i32, i32, i64, i32},
		"fd_readdir":              {i32, i32, i32, i64, i32},
		"fd_renumber":             {i32, i32},
		"path_create_directory":   {i32, i32, i32},
		"path_filestat_get":       {i32, i32, i32, i32, i32},
		"path_filestat_set_times": {i32, i32, i32, i32, i64, i64, i32},
		"path_link":               {i32, i32, i32, i32, i32, i32, i32},
		"path_open":               {i32, i32, i32, i32, i32, i64, i64, i32, i32},
		"path_readlink":           {i32, i32, i32, i32, i32, i32},
		"path_remove_directory":   {i32, i32, i32},
		"path_rename":             {i32, i32, i32, i32, i32, i32},
		"path_symlink":            {i32, i32, i32, i32, i32},
		"path_unlink_file":        {i32, i32, i32},
		"sock_accept":             {i32, i32, i32},
		"sock_recv":               {i32, i32, i32, i32, i32, i32},
		"sock_send":               {i32, i32, i32, i32, i32},
		"sock_shutdown":           {i32, i32},
	} {
		fn(name, notcapable, params...)
	}

	fn("poll_oneoff", func(ctx context.Context, m wasiGuest, s []uint64) {
		s[0] = uint64(pollOneoff(ctx, m, clock, mount, uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])))
	}, i32, i32, i32, i32)
	fn("sched_yield", noop)
	fn("proc_raise", func(_ context.Context, _ wasiGuest, s []uint64) { s[0] = errnoNosys }, i32)

	defs["proc_exit"] = wasiDef{fn: func(ctx context.Context, m wasiGuest, s []uint64) {
		code := uint32(s[0])
		_ = m.CloseWithExitCode(ctx, code)
		panic(sys.NewExitError(code))
	}, params: []api.ValueType{i32}}
	return defs
}

// wasiClock is the guests' clocks: wall time, and monotonic time (also
// standing for process and thread CPU time) counted from start.
type wasiClock struct{ start time.Time }

// now returns a clock's time in nanoseconds, or false for an unknown clock.
func (c wasiClock) now(id uint32) (uint64, bool) {
	switch id {
	case 0: // realtime
		return uint64(time.Now().UnixNano()), true
	case 1, 2, 3: // monotonic, process and thread CPU time
		return uint64(time.Since(c.start).Nanoseconds()), true
	}
	return 0, false
}

// WASI poll_oneoff layouts: a subscription is 48 bytes (userdata, then
// the tag at 8 and its content at 16), an event 32 bytes.
const (
	subscriptionSize  = 48
	eventSize         = 32
	eventtypeClock    = 0
	eventtypeFdRead   = 1
	eventtypeFdWrite  = 2
	subclockAbstime   = 1
	eventRWFlagHangup = 1
	maxPollWait       = time.Duration(math.MaxInt64)
)

// pollOneoff implements WASI's poll_oneoff without ever blocking on a
// descriptor: standard input is empty and so always readable (at its end),
// standard output and error always writable, an open file of the mount
// always readable; any other descriptor subscription gets an EBADF event.
// When no descriptor subscription is there to answer at once, the call
// sleeps until the earliest clock subscription (relative or absolute) or
// until ctx ends, whichever comes first, and reports the clocks due then.
// A sleep cut short by the end of ctx ends the guest instead, with the exit
// code wazero gives a guest whose context ended (deadline or cancelled).
func pollOneoff(ctx context.Context, m wasiGuest, clock wasiClock, mount *wasiMount, in, out, n, resultPtr uint32) uint32 {
	if n == 0 {
		return errnoInval
	}
	if n > math.MaxUint32/subscriptionSize {
		return errnoFault
	}
	mem := m.Memory()
	subs, ok := mem.Read(in, n*subscriptionSize)
	if !ok {
		return errnoFault
	}
	if _, ok := mem.Read(out, n*eventSize); !ok {
		return errnoFault
	}
	// The time each clock subscription waits is reckoned from one instant,
	// so that both passes below agree.
	nowReal, nowMono := uint64(time.Now().UnixNano()), uint64(time.Since(clock.start).Nanoseconds())
	wait := func(sub []byte) (time.Duration, uint32) {
		id, timeout := binary.LittleEndian.Uint32(sub[16:]), binary.LittleEndian.Uint64(sub[24:])
		flags := binary.LittleEndian.Uint16(sub[40:])
		var now uint64
		switch id {
		case 0:
			now = nowReal
		case 1, 2, 3:
			now = nowMono
		default:
			return 0, errnoInval
		}
		if flags&subclockAbstime != 0 {
			if timeout <= now {
				return 0, errnoSuccess
			}
			timeout -= now
		}
		if timeout > math.MaxInt64 {
			return maxPollWait, errnoSuccess
		}
		return time.Duration(timeout), errnoSuccess
	}
	// First pass: is anything due at once, and when is the earliest clock?
	immediate, earliest := false, maxPollWait
	for i := uint32(0); i < n; i++ {
		sub := subs[i*subscriptionSize : (i+1)*subscriptionSize]
		if sub[8] != eventtypeClock {
			immediate = true
			continue
		}
		d, errno := wait(sub)
		if errno != errnoSuccess || d <= 0 {
			immediate = true
		}
		earliest = min(earliest, d)
	}
	if !immediate {
		t := time.NewTimer(earliest)
		select {
		case <-t.C:
		case <-ctx.Done():
			// The run is over: end the guest now, as wazero does when
			// it sees the context done, rather than let it go on as if
			// it had slept.
			t.Stop()
			code := sys.ExitCodeContextCanceled
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				code = sys.ExitCodeDeadlineExceeded
			}
			_ = m.CloseWithExitCode(ctx, code)
			panic(sys.NewExitError(code))
		}
		t.Stop()
	} else {
		earliest = 0
	}
	// Second pass: the events.
	var count uint32
	for i := uint32(0); i < n; i++ {
		sub := subs[i*subscriptionSize : (i+1)*subscriptionSize]
		var ev [eventSize]byte
		copy(ev[0:8], sub[0:8])
		ev[10] = sub[8]
		var errno uint32
		switch sub[8] {
		case eventtypeClock:
			d, e := wait(sub)
			if e == errnoSuccess && d > earliest {
				continue // not due
			}
			errno = e
		case eventtypeFdRead, eventtypeFdWrite:
			fd, writing := binary.LittleEndian.Uint32(sub[16:]), sub[8] == eventtypeFdWrite
			var nbytes uint64
			switch {
			case fd == 0 && !writing:
				binary.LittleEndian.PutUint16(ev[24:], eventRWFlagHangup)
			case (fd == 1 || fd == 2) && writing:
			case fd > 2 && mount != nil:
				// A mount is only ever served to api.Modules.
				nbytes, errno = mount.ready(m.(api.Module), fd, writing)
			default:
				errno = errnoBadf
			}
			binary.LittleEndian.PutUint64(ev[16:], nbytes)
		default:
			errno = errnoInval
		}
		binary.LittleEndian.PutUint16(ev[8:], uint16(errno))
		mem.Write(out+count*eventSize, ev[:])
		count++
	}
	if !mem.WriteUint32Le(resultPtr, count) {
		return errnoFault
	}
	return errnoSuccess
}
