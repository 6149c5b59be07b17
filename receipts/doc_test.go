package receipts

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestDocExample checks the worked example of the package documentation: the
// envelope shown there, without its indentation, is the one ExampleSeal
// prints, and it verifies with the keys the documentation names.
func TestDocExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, example, ok := strings.Cut(string(doc), "\n// # Example\n")
	if !ok {
		t.Fatal("doc.go has no Example section")
	}
	var indented strings.Builder
	in := false
	for line := range strings.Lines(example) {
		code, isCode := strings.CutPrefix(line, "//\t")
		switch {
		case isCode && code == "{\n":
			in = true
		case !isCode:
			in = false
		}
		if in {
			indented.WriteString(code)
		}
	}
	var envelope bytes.Buffer
	if err := json.Compact(&envelope, []byte(indented.String())); err != nil {
		t.Fatalf("the example envelope is not JSON: %v", err)
	}

	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, append([]byte("\t// "), append(envelope.Bytes(), '\n')...)) {
		t.Errorf("doc.go's example envelope is not the one ExampleSeal prints:\n%s", envelope.Bytes())
	}

	pub, err := base64.StdEncoding.DecodeString("/sFChnP2r+iSZLOAc0SuiyadElpQOFUgJofbWnEoV58=")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte("(public key\n// /sFChnP2r+iSZLOAc0SuiyadElpQOFUgJofbWnEoV58=)")) {
		t.Error("doc.go does not name the public key this test uses")
	}
	ev, err := NewEd25519Verifier(ed25519.PublicKey(pub))
	if err != nil {
		t.Fatal(err)
	}
	hv, err := NewHMACVerifier(bytes.Repeat([]byte{'k'}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(envelope.Bytes(), []Verifier{hv, ev}); err != nil {
		t.Errorf("the example envelope does not verify: %v", err)
	}
}
