package runtime

import (
	"context"
	"crypto/rand"
	"encoding/binary"
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

// instantiateWASI builds the sandbox's own wasi_snapshot_preview1 host
// module. It is deliberately not wazero's full WASI: there is no filesystem
// behind it at all. Standard output and error go to the bounded buffers of
// the current call (found through the call's context), standard input is
// empty, there are no arguments, no environment variables and no preopened
// directories, and every path or socket call answers ENOTCAPABLE.
func instantiateWASI(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(wasiModule)
	fn := func(name string, f api.GoModuleFunc, params, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).Export(name)
	}
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	ret := []api.ValueType{i32}

	zeroSizes := func(_ context.Context, m api.Module, s []uint64) {
		if !m.Memory().WriteUint32Le(uint32(s[0]), 0) || !m.Memory().WriteUint32Le(uint32(s[1]), 0) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}
	noop := func(_ context.Context, _ api.Module, s []uint64) { s[0] = errnoSuccess }
	fn("args_sizes_get", zeroSizes, []api.ValueType{i32, i32}, ret)
	fn("environ_sizes_get", zeroSizes, []api.ValueType{i32, i32}, ret)
	fn("args_get", noop, []api.ValueType{i32, i32}, ret)
	fn("environ_get", noop, []api.ValueType{i32, i32}, ret)

	fn("clock_res_get", func(_ context.Context, m api.Module, s []uint64) {
		if !m.Memory().WriteUint64Le(uint32(s[1]), 1000) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}, []api.ValueType{i32, i32}, ret)
	start := time.Now()
	fn("clock_time_get", func(_ context.Context, m api.Module, s []uint64) {
		var ns uint64
		switch uint32(s[0]) {
		case 0: // realtime
			ns = uint64(time.Now().UnixNano())
		case 1, 2, 3: // monotonic, process and thread CPU time
			ns = uint64(time.Since(start).Nanoseconds())
		default:
			s[0] = errnoInval
			return
		}
		if !m.Memory().WriteUint64Le(uint32(s[2]), ns) {
			s[0] = errnoFault
			return
		}
		s[0] = errnoSuccess
	}, []api.ValueType{i32, i64, i32}, ret)

	fn("random_get", func(_ context.Context, m api.Module, s []uint64) {
		buf, ok := m.Memory().Read(uint32(s[0]), uint32(s[1]))
		if !ok {
			s[0] = errnoFault
			return
		}
		_, _ = rand.Read(buf)
		s[0] = errnoSuccess
	}, []api.ValueType{i32, i32}, ret)

	fn("fd_write", func(ctx context.Context, m api.Module, s []uint64) {
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
	}, []api.ValueType{i32, i32, i32, i32}, ret)

	fn("fd_read", func(_ context.Context, m api.Module, s []uint64) {
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
	}, []api.ValueType{i32, i32, i32, i32}, ret)

	stdioOnly := func(ok uint64) api.GoModuleFunc {
		return func(_ context.Context, _ api.Module, s []uint64) {
			if uint32(s[0]) > 2 {
				s[0] = errnoBadf
				return
			}
			s[0] = ok
		}
	}
	fn("fd_close", stdioOnly(errnoSuccess), []api.ValueType{i32}, ret)
	fn("fd_sync", stdioOnly(errnoSuccess), []api.ValueType{i32}, ret)
	fn("fd_datasync", stdioOnly(errnoSuccess), []api.ValueType{i32}, ret)
	fn("fd_fdstat_set_flags", stdioOnly(errnoNotcapable), []api.ValueType{i32, i32}, ret)
	fn("fd_seek", stdioOnly(errnoSpipe), []api.ValueType{i32, i64, i32, i32}, ret)
	fn("fd_tell", stdioOnly(errnoSpipe), []api.ValueType{i32, i32}, ret)
	fn("fd_fdstat_get", func(_ context.Context, m api.Module, s []uint64) {
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
	}, []api.ValueType{i32, i32}, ret)

	// No preopened directories: the first probe answers EBADF, which ends
	// every libc's preopen scan.
	badf := func(_ context.Context, _ api.Module, s []uint64) { s[0] = errnoBadf }
	fn("fd_prestat_get", badf, []api.ValueType{i32, i32}, ret)
	fn("fd_prestat_dir_name", badf, []api.ValueType{i32, i32, i32}, ret)

	notcapable := func(_ context.Context, _ api.Module, s []uint64) { s[0] = errnoNotcapable }
	for name, params := range map[string][]api.ValueType{
		"fd_readdir":              {i32, i32, i32, i64, i32},
		"fd_filestat_get":         {i32, i32},
		"fd_pread":                {i32, i32, i32, i64, i32},
		"fd_pwrite":               {i32, i32, i32, i64, i32},
		"path_create_directory":   {i32, i32, i32},
		"path_filestat_get":       {i32, i32, i32, i32, i32},
		"path_filestat_set_times": {i32, i32, i32, i32, i64, i64, i32},
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
		fn(name, notcapable, params, ret)
	}

	fn("poll_oneoff", func(_ context.Context, _ api.Module, s []uint64) { s[0] = errnoNosys },
		[]api.ValueType{i32, i32, i32, i32}, ret)
	fn("sched_yield", noop, nil, ret)
	fn("proc_exit", func(ctx context.Context, m api.Module, s []uint64) {
		code := uint32(s[0])
		_ = m.CloseWithExitCode(ctx, code)
		panic(sys.NewExitError(code))
	}, []api.ValueType{i32}, nil)

	_, err := b.Instantiate(ctx)
	return err
}
