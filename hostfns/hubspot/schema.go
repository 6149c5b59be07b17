package hubspot

import (
	"encoding/json"

	"github.com/enact-run/enact/hostfns"
)

// Schema building blocks (JSON Schema draft 2020-12).
type schema = map[string]any

func objSchema(props schema, required ...string) schema {
	s := schema{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func str(desc string, maxLen int) schema {
	return schema{"type": "string", "maxLength": maxLen, "description": desc}
}

func described(s schema, desc string) schema {
	out := schema{"description": desc}
	for k, v := range s {
		out[k] = v
	}
	return out
}

var (
	emailArg = schema{"type": "string", "minLength": 3, "maxLength": 254,
		"description": "Email address; trimmed and lower-cased before use."}
	idArg = schema{"oneOf": []any{
		schema{"type": "string", "pattern": "^[0-9]{1,20}$"},
		schema{"type": "integer", "minimum": 0},
	}}
	timeArg = schema{"type": "string", "minLength": 10, "maxLength": 40,
		"description": "RFC 3339 time (2026-03-01T09:00:00Z) or a date (2026-03-01, midnight UTC)."}
	amountArg = schema{"description": "Deal amount: a number or a numeric string.", "oneOf": []any{
		schema{"type": "number"},
		schema{"type": "string", "pattern": `^\s*[-+]?[0-9]+(\.[0-9]+)?\s*$`},
	}}
	propertyValue = schema{"type": []any{"string", "number", "boolean", "null"}}
	// resultProps are the properties of a record in a result: HubSpot
	// gives every value as a string, null when unset.
	resultProps = schema{"type": "object", "additionalProperties": schema{"type": []any{"string", "null"}}}
	recordID    = schema{"type": "string", "pattern": "^[0-9]+$"}
	// notBoth refuses contact_id with contact_email; a false schema names
	// the offending field in the gate's message.
	notBoth = schema{"contact_id": schema{"properties": schema{"contact_email": false}}}
)

// propsArg is a properties argument: HubSpot internal names to scalar
// values, none of the reserved names (false schemas, so a refusal names
// the property).
func propsArg(desc string, reserved []string) schema {
	s := schema{"type": "object", "description": desc, "maxProperties": 200,
		"propertyNames": schema{"pattern": "^[a-z][a-z0-9_]{0,99}$"}, "additionalProperties": propertyValue}
	if len(reserved) > 0 {
		forbidden := schema{}
		for _, r := range reserved {
			forbidden[r] = false
		}
		s["properties"] = forbidden
	}
	return s
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Actions implements hostfns.Connector.
func (c *Connector) Actions() []hostfns.ActionSpec {
	reservedDeal := append([]string{c.keyProp}, dealFields...)
	dealArgs := func() schema {
		return schema{
			"dealname":  str("Deal name.", 1000),
			"amount":    amountArg,
			"pipeline":  str("Pipeline id (\"default\" for the default pipeline).", 100),
			"dealstage": str("Deal stage id within the pipeline (e.g. \"appointmentscheduled\").", 100),
			"closedate": timeArg,
			"properties": propsArg("Other deal properties by internal name. dealname, amount, pipeline, dealstage, closedate and "+
				c.keyProp+" are not accepted here.", reservedDeal),
		}
	}
	contact := objSchema(schema{"id": recordID, "email": schema{"type": "string"}, "properties": resultProps}, "id", "email", "properties")
	record := func(required ...string) schema {
		return objSchema(schema{"id": recordID, "contact_id": recordID, "properties": resultProps}, required...)
	}

	createContactArgs := objSchema(schema{
		"email":      emailArg,
		"firstname":  str("First name.", 1000),
		"lastname":   str("Last name.", 1000),
		"company":    str("Company name.", 1000),
		"phone":      str("Phone number.", 100),
		"properties": propsArg("Other contact properties by internal name; a contact field given both here and as an argument must have the same value.", nil),
	})
	createContactArgs["anyOf"] = []any{
		schema{"required": []any{"email"}},
		schema{"required": []any{"properties"}, "properties": schema{"properties": schema{"required": []any{"email"}}}},
	}

	getContactResult := schema{
		"type": "object",
		"properties": schema{
			"found": schema{"type": "boolean"}, "id": recordID, "email": schema{"type": "string"}, "properties": resultProps,
		},
		"required": []any{"found"},
		"if":       schema{"properties": schema{"found": schema{"const": true}}},
		"then":     schema{"required": []any{"id", "email", "properties"}},
		"else":     schema{"maxProperties": 1},
	}

	createDeal := objSchema(dealArgs(), "dealname")
	createDeal["properties"].(schema)["contact_id"] = described(idArg, "Id of the contact to associate the deal with.")
	createDeal["properties"].(schema)["contact_email"] = described(emailArg, "Email of the contact to associate the deal with (it must exist).")
	createDeal["dependentSchemas"] = notBoth

	updateDeal := objSchema(dealArgs(), "id")
	updateDeal["properties"].(schema)["id"] = described(idArg, "Id of the deal.")
	updateDeal["minProperties"] = 2

	createTask := objSchema(schema{
		"subject":       str("Task subject (hs_task_subject).", 1000),
		"body":          str("Task notes (hs_task_body).", 65536),
		"contact_id":    described(idArg, "Id of the contact the task is for."),
		"contact_email": described(emailArg, "Email of the contact the task is for (it must exist)."),
		"due":           described(timeArg, "When the task is due (hs_timestamp); now when absent."),
		"priority":      schema{"enum": []any{"LOW", "MEDIUM", "HIGH"}},
	}, "subject")
	createTask["dependentSchemas"] = notBoth

	countTasks := objSchema(schema{
		"contact_id": described(idArg, "Id of the contact."),
		"email":      described(emailArg, "Email of the contact; no such contact counts 0."),
		"since":      described(timeArg, "Start of the window (inclusive)."),
		"until":      described(timeArg, "End of the window (inclusive)."),
	}, "since", "until")
	countTasks["anyOf"] = []any{schema{"required": []any{"contact_id"}}, schema{"required": []any{"email"}}}
	countTasks["dependentSchemas"] = schema{"contact_id": schema{"properties": schema{"email": false}}}

	return []hostfns.ActionSpec{
		{
			Name: "create_contact", Mutating: true,
			Description: "Create a contact. already_existed, with the existing contact, when a contact has the email.",
			Args:        mustJSON(createContactArgs), Result: mustJSON(contact),
		},
		{
			Name:        "get_contact",
			Description: "Read the contact with an email: the contact with found=true, or {found: false}. Policies use it as the fact hubspot.contact.",
			Args: mustJSON(objSchema(schema{
				"email":      emailArg,
				"properties": schema{"type": "array", "maxItems": 100, "items": schema{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,99}$"}, "description": "Properties to read besides email, firstname, lastname, company and phone."},
			}, "email")),
			Result: mustJSON(getContactResult),
		},
		{
			Name: "create_deal", Mutating: true,
			Description: "Create a deal, associated with a contact when one is named. already_existed when a deal carries this call's idempotency key.",
			Args:        mustJSON(createDeal), Result: mustJSON(record("id", "properties")),
		},
		{
			Name: "update_deal", Mutating: true,
			Description: "Set properties of a deal. already_existed when it already holds every value.",
			Args:        mustJSON(updateDeal), Result: mustJSON(record("id", "properties")),
		},
		{
			Name: "create_task", Mutating: true,
			Description: "Create a task, associated with a contact when one is named. already_existed when a task carries this call's idempotency key.",
			Args:        mustJSON(createTask), Result: mustJSON(record("id", "properties")),
		},
		{
			Name:        "count_tasks",
			Description: "Count a contact's tasks created in [since, until]. Policies use it for limit_tasks_per_contact.",
			Args:        mustJSON(countTasks),
			Result: mustJSON(objSchema(schema{
				"count": schema{"type": "integer", "minimum": 0}, "contact_id": recordID,
			}, "count")),
		},
	}
}
