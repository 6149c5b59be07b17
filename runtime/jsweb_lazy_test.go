package runtime

import (
	"regexp"
	"slices"
	"testing"
)

// TestJSModulesLoadOnFirstUse forces the lazily built module table once:
// every module webapi.js loads by name is there, with its text.
func TestJSModulesLoadOnFirstUse(t *testing.T) {
	t.Parallel()
	mods := jsModules()
	want := []string{"base64", "clone", "crypto", "encoding", "events", "inspect", "intl", "url"}
	var got []string
	for name, src := range mods {
		got = append(got, name)
		if len(src) < 100 {
			t.Errorf("module %s has %d bytes of text", name, len(src))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("modules = %v, want %v", got, want)
	}
	for _, m := range regexp.MustCompile(`load\("([a-z0-9]+)"\)`).FindAllStringSubmatch(jsWebAPI, -1) {
		if _, ok := mods[m[1]]; !ok {
			t.Errorf("webapi.js loads %q, which is not an embedded module", m[1])
		}
	}
	if len(jsModules()) != len(mods) {
		t.Error("a second call built a different table")
	}
}
