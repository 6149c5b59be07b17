package bundle_test

import (
	"fmt"
	"strings"

	"github.com/enact-run/enact/plugins/bundle"
)

// The manifest of a capability file and its plugin, and the bundle digest
// that is signed.
func ExampleNewManifest() {
	m, err := bundle.NewManifest("greet.yaml", []bundle.Entry{
		{Path: "greet.wasm", SHA256: "a7780e1e18f9a4e7f28a1f537315057afeead8380c15e27d62028b01def01e8b", Size: 6362},
		{Path: "greet.yaml", SHA256: strings.Repeat("0", 64), Size: 878},
	})
	if err != nil {
		panic(err)
	}
	fmt.Print(string(m.Text()))
	fmt.Println(m.Digest())
	// Output:
	// enact-bundle/1
	// capability greet.yaml
	// a7780e1e18f9a4e7f28a1f537315057afeead8380c15e27d62028b01def01e8b 6362 greet.wasm
	// 0000000000000000000000000000000000000000000000000000000000000000 878 greet.yaml
	// sha256:ef21cfeda5ea5d90400d52bcc9de9c35c8b08a6946439e83b1865521d88c4786
}
