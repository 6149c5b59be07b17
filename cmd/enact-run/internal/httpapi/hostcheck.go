package httpapi

import "net/http"

// HostCheck wraps a handler served beside the API (the web console) in
// the API's DNS-rebinding guard: on a loopback address, a Host header
// that is not a loopback name is refused with 403 forbidden_host.
func HostCheck(next http.Handler) http.Handler { return hostCheck(next) }
