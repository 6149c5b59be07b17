//go:build !enact_crashpoints

package crashpoint

// Enabled reports whether this build has crash points.
const Enabled = false

// Hit does nothing in a normal build.
func Hit(string) {}
