package capabilities

import (
	"regexp"
	"strings"
	"testing"
)

// numberSyntax is jsonNumber's syntax written as a regular expression: the
// reference the scanner is checked against.
var numberSyntax = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,999})(\.[0-9]{1,1000})?([eE][+-]?[0-9]{1,4})?$`)

func numberCases() []string {
	return []string{
		"0", "-0", "1", "-1", "10", "01", "-01", "00", "1.5", "1.", ".5", "-", "", "+1", "1e5", "1E+5", "1e-5",
		"1e", "1e+", "1e12345", "1e1234", "1.5e3", "1.5e", "0.0", "0.", "--1", "1-", "1.2.3", "1e2e3", "NaN",
		"Infinity", " 1", "1 ", "0x10", "1_000", "١",
		strings.Repeat("9", 1000), strings.Repeat("9", 1001), "1." + strings.Repeat("0", 1000), "1." + strings.Repeat("0", 1001),
		"-" + strings.Repeat("1", 1000) + "." + strings.Repeat("2", 1000) + "e-9999",
	}
}

func TestJSONNumberMatchesTheSyntax(t *testing.T) {
	t.Parallel()
	for _, s := range numberCases() {
		if got, want := jsonNumber(s), numberSyntax.MatchString(s); got != want {
			t.Errorf("jsonNumber(%.40q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzJSONNumber(f *testing.F) {
	for _, s := range numberCases() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := jsonNumber(s), numberSyntax.MatchString(s); got != want {
			t.Fatalf("jsonNumber(%q) = %v, want %v", s, got, want)
		}
	})
}
