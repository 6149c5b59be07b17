package capabilities_test

import (
	"errors"
	"fmt"

	"github.com/enact-run/enact/capabilities"
)

func Example() {
	c, err := capabilities.Load(capabilities.Examples()["temperature-converter.yaml"], "temperature-converter.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.ID, c.Version, c.Type, c.Tasks[0].Language)
	fmt.Println(string(c.InputSchema()))

	if _, err := c.ValidateInputs(map[string]any{"celsius": "hot"}); err != nil {
		fmt.Println(err)
	}
	inputs, err := c.ValidateInputs(map[string]any{"celsius": 25.0})
	fmt.Println(inputs, err)
	// Output:
	// TemperatureConverter 1.0.0 atomic python
	// {"properties":{"celsius":{"description":"Temperature in Celsius","type":"number"}},"required":["celsius"],"type":"object"}
	// inputs: /celsius: type: must be number (got string)
	// map[celsius:25] <nil>
}

func ExampleLoad_errors() {
	doc := `enact: 1.0.0
id: Greeter
description: Greets
tasks:
  - id: greet
    type: script
    language: ruby
    code: puts "hi"
    retries: 3
`
	_, err := capabilities.Load([]byte(doc), "greeter.yaml")
	fmt.Println(err)

	var problem *capabilities.ValidationError
	if errors.As(err, &problem) {
		fmt.Println(problem.Line, problem.Pointer, problem.Rule)
	}
	// Output:
	// greeter.yaml:7: /tasks/0/language: enum: must be one of python, javascript, py, js (got "ruby")
	// greeter.yaml:9: /tasks/0/retries: additionalProperties: unknown field; besides the protocol's fields only names starting with x- are allowed
	// 7 /tasks/0/language enum
}

func ExampleCapability_ValidateInputs() {
	doc := `enact: 1.0.0
id: Chart
description: Draws a chart
inputs:
  type: object
  properties:
    data: {type: array, items: {type: number}}
    options:
      type: object
      default: {}
      properties:
        chart_type: {type: string, enum: [bar, line], default: line}
        width: {type: integer, default: 640}
  required: [data]
tasks:
  - {id: draw, type: script, language: python, code: "return {}"}
`
	c, err := capabilities.Load([]byte(doc), "chart.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	given := map[string]any{"data": []any{1.0, 2.0}, "options": map[string]any{"chart_type": "bar"}}
	inputs, err := c.ValidateInputs(given)
	fmt.Println(inputs, err)
	fmt.Println(given)
	// Output:
	// map[data:[1 2] options:map[chart_type:bar width:640]] <nil>
	// map[data:[1 2] options:map[chart_type:bar]]
}

func ExampleParseMemory() {
	for _, s := range []string{"1GB", "64MiB", "1048576", "12 parsecs"} {
		n, err := capabilities.ParseMemory(s)
		fmt.Println(n, err)
	}
	// Output:
	// 1000000000 <nil>
	// 67108864 <nil>
	// 1048576 <nil>
	// 0 invalid memory "12 parsecs": unknown unit; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB
}
