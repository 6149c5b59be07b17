//go:build race

package enact_test

// raceBuild says the tests run under the race detector, where every
// request through a store costs several times what it costs otherwise.
const raceBuild = true
