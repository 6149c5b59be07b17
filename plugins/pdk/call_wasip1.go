//go:build wasip1

package pdk

import (
	"encoding/json"

	extism "github.com/extism/go-pdk"
)

//go:wasmimport extism:host/user enact_call
func enactCall(offset uint64) uint64

// Request sends one action request and returns the host's whole reply.
// The error is non-nil only when the request could not be made or the
// reply could not be read; a refusal is a Reply with OK false.
func Request(action string, args any) (Reply, error) {
	b, err := encodeRequest(action, args)
	if err != nil {
		return Reply{}, err
	}
	mem := extism.AllocateBytes(b)
	defer mem.Free()
	out := extism.FindMemory(enactCall(mem.Offset()))
	defer out.Free()
	return decodeReply(out.ReadBytes())
}

// Call sends one action request and returns its result, or an
// *ActionError when the host refused or the connector failed.
func Call(action string, args any) (json.RawMessage, error) {
	r, err := Request(action, args)
	if err != nil {
		return nil, err
	}
	if !r.OK {
		if r.Error == nil {
			r.Error = &ActionError{Code: "internal", Message: "refused without a reason"}
		}
		return nil, r.Error
	}
	return r.Result, nil
}
