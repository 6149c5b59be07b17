package runtime_test

import (
	"context"
	"fmt"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/runtime"
)

func ExampleEngine_Run() {
	c, err := capabilities.Load([]byte(`
enact: 1.0.0
id: Greeter
description: greets
inputs:
  type: object
  properties:
    name: {type: string, default: World}
tasks:
  - id: greet
    type: script
    language: javascript
    code: |
      console.log("greeting", name);
      return { greeting: "Hello, " + name + "!" };
`), "greeter.yaml")
	if err != nil {
		panic(err)
	}
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		panic(err)
	}
	defer e.Close(context.Background())
	res, err := e.Run(context.Background(), c, nil)
	if err != nil {
		panic(err)
	}
	fmt.Print(res.Output)
	fmt.Println(res.Outputs["greeting"])
	// Output:
	// greeting World
	// Hello, World!
}
