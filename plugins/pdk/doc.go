// Package pdk is the small Go library for authors of Enact plugins: Extism
// plugins built with GOOS=wasip1 GOARCH=wasm (see plugins/examples). It
// wraps the guest ABI of package hostfns, so a plugin asks the host for an
// action in one call:
//
//	res, err := pdk.Call("kv.put", map[string]any{"key": "greeting", "value": "hello"})
//	var ae *pdk.ActionError
//	if errors.As(err, &ae) && ae.Code == "denied" { ... }
//
// Call and Request exist only when building for wasip1; the types compile
// everywhere so host-side tests can share them.
package pdk

import (
	"encoding/json"
	"fmt"
)

// Reply is the host's answer to one request (the hostfns reply envelope).
type Reply struct {
	OK             bool            `json:"ok"`
	Result         json.RawMessage `json:"result,omitempty"`
	AlreadyExisted bool            `json:"already_existed,omitempty"`
	Error          *ActionError    `json:"error,omitempty"`
}

// ActionError is a refusal (not granted, invalid arguments, denied by
// policy) or a connector failure, with its stable code.
type ActionError struct {
	Code          string         `json:"code"`
	Message       string         `json:"message"`
	PolicyResults []PolicyResult `json:"policy_results,omitempty"`
}

// PolicyResult is one policy's verdict on the request.
type PolicyResult struct {
	Policy string `json:"policy"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
}

func (e *ActionError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// request is the envelope sent to the host.
type request struct {
	Action string `json:"action"`
	Args   any    `json:"args"`
}

// encodeRequest builds the request bytes for an action and its arguments
// (anything encoding/json turns into an object; nil means {}).
func encodeRequest(action string, args any) ([]byte, error) {
	if args == nil {
		args = map[string]any{}
	}
	return json.Marshal(request{Action: action, Args: args})
}

// decodeReply parses the host's reply bytes.
func decodeReply(b []byte) (Reply, error) {
	var r Reply
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("pdk: undecodable reply: %w", err)
	}
	return r, nil
}
