package mcpserver

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToolNames(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 70)
	tests := []struct {
		ids  []string
		want map[string]string
	}{
		{[]string{"TemperatureConverter", "acme/crm.sync"}, map[string]string{"TemperatureConverter": "TemperatureConverter", "acme/crm.sync": "acme_crm_sync"}},
		// The id that already is the name keeps it; the other is hashed.
		{[]string{"a.b", "a_b"}, map[string]string{"a_b": "a_b", "a.b": "a_b_" + hash8("a.b")}},
		{[]string{"a.b", "a/b"}, map[string]string{"a.b": "a_b_" + hash8("a.b"), "a/b": "a_b_" + hash8("a/b")}},
		{[]string{long}, map[string]string{long: long[:64]}},
		{[]string{long, long + "y"}, map[string]string{long: long[:55] + "_" + hash8(long), long + "y": long[:55] + "_" + hash8(long+"y")}},
		{[]string{"é"}, map[string]string{"é": "_"}},
	}
	valid := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	for _, tt := range tests {
		got, errs := toolNames(tt.ids)
		if diff := cmp.Diff(tt.want, got); diff != "" || errs != nil {
			t.Errorf("%q (-want +got):\n%s%v", tt.ids, diff, errs)
		}
		// The order of the ids does not matter.
		rev := slices.Clone(tt.ids)
		slices.Reverse(rev)
		if again, _ := toolNames(rev); !cmp.Equal(got, again) {
			t.Errorf("%q: depends on the order: %v", tt.ids, again)
		}
		for _, n := range got {
			if !valid.MatchString(n) {
				t.Errorf("%q: invalid name %q", tt.ids, n)
			}
		}
	}
}

func hash8(id string) string {
	n := hashedName("", id)
	return n[len(n)-8:]
}
