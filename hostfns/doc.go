// Package hostfns is the gate between a sandboxed capability and the world:
// the guest ABI through which a plugin asks the host for a connector action,
// and the checks every such request passes (grant, argument schema, policy,
// journal, connector, receipt).
//
// The foundation release exposes no host functions to guests yet: a plugin
// that imports anything outside the Extism kernel and the permitted WASI
// subset is refused before it runs (see package plugins). The guest ABI is
// specified here when the gate lands.
package hostfns
