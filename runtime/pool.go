package runtime

import (
	"context"
	"sync"
)

// poolKey identifies instances that are interchangeable: same language,
// same memory limit.
type poolKey struct {
	language string
	memLimit uint64
}

// pool keeps a few prepared, never-used instances of one interpreter ready.
// A background goroutine refills it; taking from an empty pool falls back to
// instantiating on the spot.
type pool struct {
	ready  chan *instance
	done   chan struct{}
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// poolFor returns the pool for an interpreter and memory limit, starting it
// on first use. It returns nil when pooling is off or the engine is closed.
func (e *Engine) poolFor(in *interpreter, memLimit uint64) *pool {
	if e.cfg.PoolSize <= 0 {
		return nil
	}
	key := poolKey{in.language, memLimit}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	if p := e.pools[key]; p != nil {
		return p
	}
	// Pools for unusual memory limits are bounded in number; a capability
	// with a limit of its own beyond that simply instantiates on demand.
	if len(e.pools) >= 8 {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &pool{ready: make(chan *instance, e.cfg.PoolSize), done: make(chan struct{}), cancel: cancel}
	e.pools[key] = p
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			inst, err := e.newInstance(ctx, in, memLimit)
			if err != nil {
				return // the engine cannot start here; runs will report why
			}
			select {
			case p.ready <- inst:
			case <-p.done:
				inst.close(ctx)
				return
			}
		}
	}()
	return p
}

// take returns a prepared instance, or nil when none is ready.
func (p *pool) take() *instance {
	if p == nil {
		return nil
	}
	select {
	case inst := <-p.ready:
		return inst
	default:
		return nil
	}
}

func (p *pool) stop(ctx context.Context) {
	close(p.done)
	p.cancel()
	p.wg.Wait()
	for {
		select {
		case inst := <-p.ready:
			inst.close(ctx)
		default:
			return
		}
	}
}
