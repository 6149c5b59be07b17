package plugins_test

import (
	"fmt"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
)

func ExampleBuild() {
	c, err := capabilities.Load([]byte(`
enact: 1.0.0
id: Missing
description: declares a package the sandbox lacks
tasks:
  - id: analyse
    type: script
    language: python
    dependencies:
      packages:
        - name: numpy
    code: return {}
`), "missing.yaml")
	if err != nil {
		panic(err)
	}
	_, err = plugins.Build(c)
	fmt.Println(err != nil)
	// Output: true
}
