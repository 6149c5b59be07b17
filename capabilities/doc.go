// Package capabilities loads and validates capability documents written in
// the Enact Protocol 1.x, and validates the inputs and outputs of a run
// against the capability's JSON Schemas.
//
// Load (or LoadFile) turns the YAML bytes of a document into a
// *Capability, or fails with every problem found, each naming its line and
// JSON Pointer. A Capability is immutable once loaded and safe for
// concurrent use; ValidateInputs applies defaults and validates the inputs
// of a run, ValidateOutputs validates what it returned.
//
// # The document
//
// A document is one YAML mapping:
//
//	enact: 1.0.0                  # required; protocol version, any 1.x.y
//	id: TemperatureConverter      # required; letters, digits, _ - . and /
//	description: Converts ...     # required; non-empty
//	version: 1.0.0                # optional; semantic version
//	type: atomic                  # optional; atomic (default) or composite
//	authors:                      # optional
//	  - name: Jane Doe            # required in an author
//	    email: jane@example.com   # optional
//	    url: https://example.com  # optional
//	inputs:                       # optional; JSON Schema, root type: object
//	  type: object
//	  properties:
//	    celsius: {type: number}
//	  required: [celsius]
//	outputs:                      # optional; JSON Schema, root type: object
//	  type: object
//	tasks:                        # at least one for an atomic capability
//	  - id: convert               # required; unique among the tasks
//	    type: script              # required; script or wasm
//	    language: python          # script: python, javascript, py or js
//	    code: |                   # script: the source, non-empty
//	      return {"fahrenheit": celsius * 9/5 + 32}
//	    dependencies:             # optional
//	      version: ">=3.9,<4.0"
//	      packages:
//	        - name: numpy         # required in a package
//	          version: ">=1.24.0" # optional
//	env:                          # optional
//	  vars:                       # JSON Schema of the environment variables
//	    type: object
//	    properties:
//	      API_KEY: {type: string}
//	  resources:
//	    memory: 512MB
//	    timeout: 30s
//
// The id is made of segments of letters, digits, '_', '-' and '.' separated
// by '/', and no segment starts with '.'. Task ids use the same characters
// without '/'. The task languages py and js are read as python and
// javascript (Task.LanguageAlias keeps what was written). The protocol
// schema, ProtocolSchema, describes every field; Load validates against it.
//
// # Upstream 1.0 fields
//
// The upstream protocol's 1.0.0 JSON Schema has fields this package reads
// besides the ones above:
//
//	doc: |                        # Markdown documentation (Capability.Doc)
//	  # Greeter
//	dependencies:                 # inherited by script tasks without their own
//	  version: ">=3.9"
//	schema:
//	  defaults:
//	    entryPoint: main          # entry point of script tasks that name none
//	tasks:
//	  - id: greet
//	    type: script              # also request, agent, prompt, shell
//	    language: python
//	    entryPoint: greet         # a function of the code, called with the inputs
//	    code: |
//	      def greet(name):
//	        return {"greeting": "Hello " + name}
//
// Task types request, agent, prompt and shell load (with optional language,
// code, entryPoint and dependencies); the runtime refuses to run them,
// saying why (shell never runs in a sandbox; the others are not supported
// yet). A task's entry point is a function its code defines: once the
// script has run, the runner calls it with the inputs its parameters name
// and the function's return value is the task's outputs (a top-level
// return, when the script makes one, wins). Unlike upstream, no function
// is called unless an entry point is named: a script that calls its own
// main would otherwise run it twice.
//
// inputs and outputs may be given in the older map form, names to the
// JSON Schema of each, a member saying required: true being required:
//
//	inputs:
//	  name: {type: string, required: true}
//	  punctuation: {type: string, default: "!"}
//
// which loads as {type: object, properties: {...}, required: [name]}. A
// map form is recognised by its lacking a string type member; one with a
// member named properties or $schema is a JSON Schema missing its type and
// is refused. imports and flow belong to composite capabilities.
//
// # Wasm tasks
//
// A task of type wasm, an Enact extension, runs a prebuilt WebAssembly
// plugin (Extism ABI) instead of a script. It has no language, code or
// dependencies, and names its module:
//
//	tasks:
//	  - id: stats
//	    type: wasm
//	    plugin:
//	      path: plugins/stats.wasm # relative to the document's directory
//	      sha256: 9f86d0...        # 64 lowercase hex digits of the file
//	      function: run            # the export to call; default run
//
// The path uses '/' separators and must stay inside the document's
// directory (Capability.Dir for LoadFile). The function is a letter or '_'
// followed by letters, digits and '_'.
//
// # Composites
//
// A composite (type: composite) has imports and a flow instead of tasks:
//
//	type: composite
//	imports:                      # required; each pinned
//	  - {id: NormalizeEmail, version: 1.2.0}
//	  - {id: Enrich, version: 2.0.0, ref: "oci://…@sha256:…"}  # ref optional
//	flow:
//	  steps:
//	    - id: norm                # optional when the capability is in one step only
//	      capability: NormalizeEmail
//	      inputs: {email: "{{ inputs.email }}"}
//	    - id: enrich
//	      capability: Enrich
//	      dependsOn: [norm]       # or upstream's dependencies
//	      condition: steps.norm.outputs.valid   # CEL; skipped when false
//	      onError: continue       # fail (default) or continue; or handler: {onError: …}
//	      inputs: {email: "{{ steps.norm.outputs.email }}"}
//	outputs:
//	  type: object
//	  source: {email: "{{ steps.norm.outputs.email }}"}  # not a JSON Schema keyword: taken out
//
// Load checks the flow on its own: step ids unique, every step's capability
// imported, dependsOn naming steps, every template and condition a CEL
// expression that compiles (see Flow, Step and Scope for what it reads),
// steps.<id> and outputs.<id> written with literal ids, and no cycle among
// the steps (dependsOn plus the steps each template reads). A Resolver then
// finds the imports (Resolve), nested composites included, refusing
// unresolved imports, version mismatches, import cycles and chains of
// composites deeper than MaxCompositeDepth, each naming its step.
// Step.EvalInputs, Step.EvalCondition and Flow.EvalOutputs evaluate the
// templates; runtime.Engine.RunFlow runs a flow.
//
// # Strictness and extensions
//
// A field the protocol does not define is an error on every object of the
// document: the top level, authors, tasks, dependencies, packages, plugin,
// env and resources. Names that start with "x-" are allowed on all of them;
// the top-level ones are kept in Capability.Extensions and a task's in
// Task.Extensions, the others are accepted and ignored. Inside inputs,
// outputs and env.vars, which are JSON Schemas, any keyword is allowed and
// the JSON Schema compiler judges the schema.
//
// Beyond the protocol schema, Load checks that the protocol version is
// 1.x, that task ids are unique, that plugin paths stay in the directory,
// that memory and timeout parse, and that every JSON Schema compiles.
//
// # Environment
//
// env.vars declares the environment variables the capability needs, all
// of them secrets the operator supplies, in one of three forms:
//
//	vars:                          # a JSON Schema, root type object
//	  type: object
//	  properties:
//	    API_KEY: {type: string}
//	  required: [API_KEY]
//	vars:                          # a map of names to schemas (upstream 1.0):
//	  API_KEY: {type: string}      # required unless it has a default
//	  REGION: {type: string, default: eu}   # or says required: false
//	vars:                          # a list (upstream, earlier): required
//	  - name: API_KEY              # unless it says required: false
//	    description: the key
//	    required: true
//	    schema: {type: string}
//
// Each loads as the first form; Env.Vars holds it as JSON and Vars lists
// the variables. Names are environment variable names (a letter or '_',
// then letters, digits and '_'). The shape of the protocol document's own
// example is accepted too: env with type: object, the schema under
// properties.vars, resources, and required (naming vars or resources). The
// schema may be given one way, not both. ResolveVars turns the operator's
// values into a run's variables: defaults applied, validated, a required
// one missing reported as a *MissingVarsError, and no value ever quoted
// in an error.
//
// env.resources.memory is a number and a unit, case-insensitive: B, KB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024); a bare
// number is bytes ("1GB" is 1e9 bytes, "64MiB" 67108864). timeout is a Go
// duration with units ns, us, ms, s, m, h ("300s", "1.5s", "2m"). Both must
// be greater than zero; Resources holds 0 for a limit that is not set, and
// the runtime chooses its own defaults then. See ParseMemory and
// ParseTimeout.
//
// # YAML
//
// The bytes must hold exactly one YAML document. Keys must be strings
// (quote "1:" or "true:"), and a key may appear once per mapping. Merge
// keys (<<) and aliases are expanded. Values become JSON-compatible: nil,
// bool, string, json.Number, []any and map[string]any. Timestamps and
// !!binary values keep their text; NaN, infinities and tags other than the
// YAML core ones are refused.
//
// # Limits
//
// A document is at most MaxSize (1 MiB) bytes (ErrTooLarge, checked before
// parsing) and nests mappings and sequences at most MaxDepth (64) deep
// (ErrTooDeep). A document that uses aliases or merge keys may expand to at
// most MaxAliasNodes (100 000) nodes and 8 MiB of scalar text, and an alias
// may not refer to a node that contains it (ErrAliasExpansion). The
// expansion is measured without being built, so a "billion laughs"
// document fails at once.
//
// # JSON Schemas
//
// inputs, outputs and env.vars are JSON Schema draft 2020-12; a $schema
// keyword, when present, must name that draft. The schemas are compiled
// when the document loads. The format keyword is asserted for the formats
// the draft defines (email, date-time, uri, uuid, ipv4, ...): a capability
// author who writes "format: email" expects the gate to refuse anything
// else. Unknown formats, such as "binary", are annotations. A $ref may only
// point inside the same schema: the loader never reads files or the
// network.
//
// # Validation effort
//
// JSON Schema validation can take effort exponential in the depth of the
// value: a recursive schema that re-enters its recursion from two branches
// of an anyOf (or oneOf, allOf, not, if, dependentSchemas, or from two
// keywords such as properties and patternProperties naming the same
// member) validates each level twice as often as the one above it. Load
// refuses such a schema with a "schema" error at the pointer of the
// applicator where the ways into the recursion part:
//
//	c.yaml:7: /outputs/$defs/node/anyOf: schema: recursive schema: every level validates member "c" against the recursion 2 times, ...
//
// The analysis follows the compiled schema graph: the subschemas applied
// to one value location ($ref, $dynamicRef, allOf, anyOf, oneOf, not, if,
// then or else (counted once: they never both apply), dependentSchemas)
// and those applied to its members and items (properties by name,
// patternProperties, additionalProperties, items, prefixItems, contains,
// unevaluated*). A recursion in which some member or item of a value is
// validated against the recursion more than once is exponential. Ordinary
// recursive schemas load: a tree (children: items: $ref), a JSON value
// (anyOf of disjoint types: object members, array items), a linked list,
// a binary tree (left and right are different members), then/else.
// A schema that applies more than 10 000 subschemas to one value location
// is refused too.
//
// What the analysis cannot see (a fan-out without recursion, for one) is
// bounded when values are validated:
//
//   - A value nested deeper than MaxValueDepth (256) objects and arrays,
//     or larger than MaxValueBytes (16 MiB, measured as compact JSON), is
//     refused before validation with rule "depth" or "size".
//   - Validation stops after BaseValidationSteps (100 000) plus
//     StepsPerValueNode (32) for each node of the value schema
//     evaluations (rule "steps"). Working out the problems of a value
//     found invalid gets 50 000 evaluations more; past them the error says
//     the value does not match and leaves the details out.
//   - ValidateInputsContext and ValidateOutputsContext stop when their
//     context is done, with an error wrapping ctx.Err().
//
// Limit errors wrap ErrValidationLimit.
//
// # Defaults
//
// ValidateInputs works on a deep copy of the inputs. For each member of
// the schema's properties that the inputs lack and that has a default, it
// sets a deep copy of the default; then, for each member whose value is an
// object, it does the same with that member's schema, whether the object
// was given or came from a default. A present value is never replaced.
// Defaults under allOf, anyOf, oneOf, if/then or $ref are not applied.
// Then the result is validated; the inputs as given are never modified.
//
// # Errors
//
// Each problem is a *ValidationError with the document name, the line,
// the JSON Pointer, the rule and a message, and prints as
//
//	capability.yaml:12: /tasks/0/language: enum: must be one of python, javascript, py, js (got "ruby")
//
// Several problems come as ValidationErrors, sorted by line; errors.As
// finds a *ValidationError in either. Inputs and outputs problems are named
// "inputs" and "outputs" and have Line 0.
//
// # Digest
//
// Capability.Digest is "sha256:" followed by the hex SHA-256 of the exact
// document bytes, so any change, a comment included, changes it.
package capabilities
