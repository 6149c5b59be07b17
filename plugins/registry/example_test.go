package registry_test

import (
	"fmt"

	"github.com/enact-run/enact/plugins/registry"
)

// A reference by tag and the key a lock file pins it under.
func ExampleParseReference() {
	ref, err := registry.ParseReference("oci://registry.acme.com/capabilities/textstats:1.0.0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ref.Registry, ref.Repository, ref.Tag)
	fmt.Println(ref.Key())
	// Output:
	// registry.acme.com capabilities/textstats 1.0.0
	// registry.acme.com/capabilities/textstats:1.0.0
}
