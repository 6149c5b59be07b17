package capabilities

import (
	"strings"
	"testing"
)

// TestHostileSecretsValidationNeverEchoesSecretInputs feeds invalid secret
// inputs through every kind of problem that quotes the offending value and
// checks WithoutValues leaves none of it, while other problems keep theirs.
func TestHostileSecretsValidationNeverEchoesSecretInputs(t *testing.T) {
	t.Parallel()
	const canary = "canary-5f3b9c0e-secret"
	c, err := Load([]byte(`
enact: 1.0.0
id: Secretive
description: takes secrets
inputs:
  type: object
  properties:
    api_key: {type: string, pattern: "^sk-"}
    Creds:
      type: object
      properties:
        password: {type: string, enum: [a, b]}
        pin: {const: 1234}
    mode: {type: string, enum: [fast, slow]}
    n: {type: number}
tasks:
  - id: t
    type: script
    language: python
    code: "return {}"
`), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]map[string]any{
		"plain pattern": {"api_key": canary},
		"nested enum":   {"Creds": map[string]any{"password": "x-" + canary}},
		"nested const":  {"Creds": map[string]any{"pin": canary}},
		"long value":    {"api_key": strings.Repeat(canary, 10)},
		"wrong type":    {"api_key": map[string]any{"v": canary}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.ValidateInputs(in)
			if err == nil {
				t.Fatal("the inputs validated")
			}
			msg := WithoutValues(err, []string{"API_KEY", "creds"}).Error()
			if strings.Contains(msg, "canary") {
				t.Errorf("the message shows the secret: %s", msg)
			}
			if !strings.Contains(msg, "inputs: /") {
				t.Errorf("the message no longer names the input: %s", msg)
			}
		})
	}
	// A problem with another input keeps its value; a secret one in the same
	// error loses its.
	_, err = c.ValidateInputs(map[string]any{"mode": "medium", "api_key": canary})
	msg := WithoutValues(err, []string{"api_key"}).Error()
	if !strings.Contains(msg, `(got "medium")`) || strings.Contains(msg, canary) || !strings.Contains(msg, "/api_key: pattern: must match ^sk- (the value is not shown)") {
		t.Errorf("message: %s", msg)
	}
}

// TestLongValuesAreDescribedNotCut checks that a validation message never
// shows part of a long value, which a redactor of the whole would miss.
func TestLongValuesAreDescribedNotCut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("abcdefghij", 12)
	if got := display(long, true); strings.Contains(got, "abcde") || got != "(a string of 120 characters)" {
		t.Errorf("display = %s", got)
	}
	if got := display("short", true); got != `"short"` {
		t.Errorf("display = %s", got)
	}
}
