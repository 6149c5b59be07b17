package policy_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/policy"
)

const p256PEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEe4I/2jShGnVd+Rx6o3Y20mvwsp8x
HTxoP383yHs9xuw2bMzGmU7EhDebVZGnP17/ulD5IQlSLQUvcO8dQ4Szdg==
-----END PUBLIC KEY-----
`

func TestTrustSection(t *testing.T) {
	p, err := policy.Load([]byte(`version: 1
trust:
  require_signatures: true
  signers:
    - key_id: ecdsa-p256:0123456789abcdef
      repositories: [localhost:5000/acme/*]
      capabilities: [TextStats]
    - key: |
`+indent(p256PEM, "        ")), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := policy.Trust{RequireSignatures: true, Signers: []policy.TrustedSigner{
		{KeyID: "ecdsa-p256:0123456789abcdef", Repositories: []string{"localhost:5000/acme/*"}, Capabilities: []string{"TextStats"}},
		{Key: p256PEM},
	}}
	if diff := cmp.Diff(want, p.Trust()); diff != "" {
		t.Fatalf("Trust() (-want +got):\n%s", diff)
	}
}

func TestTrustSectionErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"trust: {signers: [{key_id: abc}]}", `p.yaml:2: trust.signers[0].key_id: "abc" is not a key id`},
		{"trust: {signers: [{}]}", "give exactly one of key"},
		{"trust: {signers: [{key: nope}]}", `trust.signers[0].key: want a PEM "PUBLIC KEY" block`},
		{"trust: {signers: [{key_id: ecdsa-p256:0123456789abcdef, repositories: [oci://x/y]}]}", "is not a HOST/REPOSITORY pattern"},
		{"trust: {require_signatures: yes please}", "trust.require_signatures must be true or false"},
		{"trust: {signer: []}", `unknown field "signer"`},
	} {
		_, err := policy.Load([]byte("version: 1\n"+tc.doc+"\n"), "p.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.doc, err, tc.want)
		}
	}
}

func indent(s, pre string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(pre + l)
		}
	}
	return b.String()
}
