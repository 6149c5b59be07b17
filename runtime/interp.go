package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// interpreter is one script language: its compiled engine module and how to
// bring a fresh instance to the point where it can take a program.
type interpreter struct {
	language string
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	// live maps each instance's module to the instance, so host functions
	// can find the memoised exports of the guest calling them.
	live *sync.Map
	// mount, when set, is the read-only directory the engine's WASI serves
	// (instantiateWASI's wasiOptions.Mount); each instance's descriptors on
	// it are released when the instance closes.
	mount *wasiMount
	// minMemory is the engine's declared initial memory, in bytes; a run
	// with a smaller budget is refused before instantiation.
	minMemory uint64
	// init prepares a newly instantiated module (runs the interpreter's own
	// start-up) and returns its engine-specific handle.
	init func(ctx context.Context, m api.Module, memLimit uint64) (uint32, error)
	// startup, when set, runs on a started instance before it is
	// snapshotted: what every program would otherwise do first.
	startup func(ctx context.Context, inst *instance) error
	// snapshots, when set, hold started memories to restore instead of
	// running init again (see snapshot.go).
	snapshots *snapshots
	// [image] image asks for instances to start from a copy-on-write
	// image of a started memory (snapshot_image.go) where the platform
	// allows it, in place of snapshots. imageAnyLimit says init does not
	// depend on the memory limit, so one image serves every limit it
	// fits. images is set when the engine's module was compiled for
	// images (prepareImages); imageErr says why a module that asked has
	// none.
	image, imageAnyLimit bool
	// imageIdentity, when set, names what an image depends on beside the
	// module (the start-up code and its inputs): an anyLimit image is
	// then kept in the engine's cache directory across processes.
	imageIdentity string
	images        *imageSet
	imageErr      error
	// exec runs one program on a prepared instance and returns the JSON
	// envelope the program produced.
	exec func(ctx context.Context, inst *instance, program string) ([]byte, error)
}

// instance is a prepared interpreter instance. It serves exactly one run and
// is then closed: no state survives from one run to the next.
type instance struct {
	mod    api.Module
	budget *memoryBudget
	handle uint32
	// funcs memoises exported functions: each api.Function carries its
	// own call stack, which is costly to create.
	funcs map[string]api.Function
	live  *sync.Map
	mount *wasiMount
	// reply is an action's reply kept for the guest to fetch (the CPython
	// engine's enact.reply).
	reply []byte
}

// newInstance instantiates and prepares an interpreter under a memory
// budget.
func (e *Engine) newInstance(ctx context.Context, in *interpreter, memLimit uint64) (*instance, error) {
	if in.minMemory > memLimit {
		return nil, &Error{Code: CodeMemoryLimit, Message: fmt.Sprintf(
			"the %s engine needs %d MiB of memory to start; the limit is %d MiB",
			in.language, (in.minMemory+(1<<20)-1)>>20, memLimit>>20)}
	}
	// [image] Start from the memory image when there is one.
	var imageWanted bool
	if in.images != nil {
		inst, ok, wanted, err := e.startFromImage(ctx, in, memLimit)
		if ok {
			return inst, err
		}
		imageWanted = wanted
	}
	inst, err := e.instantiate(ctx, in, &memoryBudget{limit: memLimit})
	if err != nil {
		return nil, err
	}
	mod := inst.mod
	// [image] A module compiled for images writes no data itself.
	if in.images != nil {
		if err := in.images.writeData(mod); err != nil {
			inst.close(ctx)
			return nil, fmt.Errorf("runtime: start %s engine: %w", in.language, err)
		}
	}
	var fresh []byte // the memory before start-up, when a snapshot is to be taken
	if in.snapshots != nil {
		snap, wanted := in.snapshots.get(memLimit)
		if snap != nil {
			if err := snap.restore(mod); err != nil {
				inst.close(ctx)
				return nil, fmt.Errorf("runtime: start %s engine: %w", in.language, err)
			}
			inst.handle = snap.handle
			return inst, nil
		}
		if wanted {
			b, _ := mod.Memory().Read(0, mod.Memory().Size())
			fresh = bytes.Clone(b)
		}
	}
	if inst.handle, err = in.init(ctx, mod, memLimit); err == nil && in.startup != nil {
		err = in.startup(ctx, inst)
	}
	if err != nil {
		inst.close(ctx)
		return nil, fmt.Errorf("runtime: start %s engine: %w", in.language, err)
	}
	if imageWanted { // [image]
		in.images.capture(mod, memLimit, inst.handle)
	}
	if fresh != nil {
		if snap, err := takeSnapshot(mod, fresh, inst.handle); err == nil {
			in.snapshots.put(memLimit, snap)
		}
	}
	return inst, nil
}

// instantiate instantiates an interpreter's module under a budget (not
// started) and registers the instance.
func (e *Engine) instantiate(ctx context.Context, in *interpreter, budget *memoryBudget) (*instance, error) {
	ictx := experimental.WithMemoryAllocator(ctx, budget)
	mod, err := in.rt.InstantiateModule(ictx, in.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("runtime: instantiate %s engine: %w", in.language, err)
	}
	inst := &instance{mod: mod, budget: budget, funcs: map[string]api.Function{}, live: in.live, mount: in.mount}
	in.live.Store(mod, inst)
	return inst, nil
}

func (i *instance) close(ctx context.Context) {
	i.live.Delete(i.mod)
	i.mount.release(i.mod)
	_ = i.mod.Close(context.WithoutCancel(ctx))
}

// call invokes an export and returns its first result.
func (i *instance) call(ctx context.Context, name string, args ...uint64) (uint64, error) {
	f := i.funcs[name]
	if f == nil {
		if f = i.mod.ExportedFunction(name); f == nil {
			return 0, fmt.Errorf("runtime: engine has no export %q", name)
		}
		i.funcs[name] = f
	}
	res, err := f.Call(ctx, args...)
	if err != nil {
		return 0, err
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

// cStrings copies strings into guest memory, each NUL-terminated, with one
// call of the guest's malloc, followed by extra zeroed bytes. It returns the
// address of each string and then of the extra bytes.
func (i *instance) cStrings(ctx context.Context, extra uint32, strs ...string) ([]uint32, error) {
	size := uint64(extra)
	for _, s := range strs {
		size += uint64(len(s)) + 1
	}
	if size > 1<<31 {
		return nil, errGuestOutOfMemory
	}
	ptr, err := i.call(ctx, "malloc", size)
	if err != nil {
		return nil, err
	}
	if uint32(ptr) == 0 {
		return nil, errGuestOutOfMemory
	}
	mem := i.mod.Memory()
	buf, ok := mem.Read(uint32(ptr), uint32(size))
	if !ok {
		return nil, fmt.Errorf("runtime: guest malloc returned memory outside its memory")
	}
	addrs := make([]uint32, 0, len(strs)+1)
	off := 0
	for _, s := range strs {
		addrs = append(addrs, uint32(ptr)+uint32(off))
		off += copy(buf[off:], s)
		buf[off] = 0
		off++
	}
	clear(buf[off:])
	return append(addrs, uint32(ptr)+uint32(off)), nil
}

// read copies n bytes at ptr out of guest memory.
func (i *instance) read(ptr, n uint32) ([]byte, error) {
	b, ok := i.mod.Memory().Read(ptr, n)
	if !ok {
		return nil, fmt.Errorf("runtime: guest returned %d bytes at %#x, outside its memory", n, ptr)
	}
	return append([]byte(nil), b...), nil
}

func (i *instance) u32(ptr uint32) (uint32, error) {
	b, ok := i.mod.Memory().Read(ptr, 4)
	if !ok {
		return 0, fmt.Errorf("runtime: read outside guest memory at %#x", ptr)
	}
	return binary.LittleEndian.Uint32(b), nil
}

// instanceOf returns the live instance behind a guest module.
func instanceOf(live *sync.Map, m api.Module) *instance {
	v, ok := live.Load(m)
	if !ok {
		panic(fmt.Errorf("host call from an unknown instance"))
	}
	return v.(*instance)
}
