package policy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/enact-run/enact/internal/lazyre"
)

// Trust is the policy file's trust section: who may sign the capability
// bundles this runner runs (see package plugins/bundle). Bundles from a
// registry always need a signature by a trusted signer; local files need
// one only with RequireSignatures.
//
//	trust:
//	  require_signatures: true          # local files too (default false)
//	  signers:
//	    - key_id: ecdsa-p256:3f5c2a1b9e0d7c44
//	      repositories: [registry.acme.com/capabilities/*]   # optional
//	      capabilities: [TextStats]                          # optional
//	    - key: |
//	        -----BEGIN PUBLIC KEY-----
//	        …
//	        -----END PUBLIC KEY-----
type Trust struct {
	RequireSignatures bool
	Signers           []TrustedSigner
}

// TrustedSigner is one entry of trust.signers: a key (PEM, PKIX, ECDSA
// P-256) or a key id, and optionally the repositories ("HOST/REPO"
// patterns, * within a segment) and capability ids it may sign for.
type TrustedSigner struct {
	Key          string
	KeyID        string
	Repositories []string
	Capabilities []string
}

var keyIDRE = lazyre.New(`^ecdsa-p256:[0-9a-f]{16}$`)

// Trust returns a copy of the trust section.
func (p *Policy) Trust() Trust {
	t := Trust{RequireSignatures: p.trust.RequireSignatures}
	for _, s := range p.trust.Signers {
		s.Repositories, s.Capabilities = slices.Clone(s.Repositories), slices.Clone(s.Capabilities)
		t.Signers = append(t.Signers, s)
	}
	return t
}

func (d *decoder) trustSection(n *yaml.Node) Trust {
	var t Trust
	fs, ok := d.fields(n, "trust", "require_signatures", "signers")
	if !ok {
		return t
	}
	if f, has := fs["require_signatures"]; has {
		t.RequireSignatures, _ = d.boolean(f.val, "trust.require_signatures")
	}
	f, has := fs["signers"]
	if !has {
		return t
	}
	items, ok := d.list(f.val, "trust.signers")
	if !ok {
		return t
	}
	for i, it := range items {
		what := fmt.Sprintf("trust.signers[%d]", i)
		sfs, ok := d.fields(it, what, "key", "key_id", "repositories", "capabilities")
		if !ok {
			continue
		}
		var s TrustedSigner
		k, hasKey := sfs["key"]
		id, hasID := sfs["key_id"]
		switch {
		case hasKey == hasID:
			d.failf(it, "%s: give exactly one of key (a PEM public key) and key_id (ecdsa-p256:<16 hex digits>)", what)
			continue
		case hasKey:
			pemText, ok := d.nonEmpty(k.val, what+".key")
			if !ok {
				continue
			}
			if err := checkP256PEM(pemText); err != nil {
				d.failf(k.val, "%s.key: %v", what, err)
				continue
			}
			s.Key = pemText
		default:
			v, ok := d.nonEmpty(id.val, what+".key_id")
			if !ok {
				continue
			}
			if !keyIDRE.MatchString(v) {
				d.failf(id.val, "%s.key_id: %q is not a key id (ecdsa-p256: and 16 lowercase hex digits, as `enact-run keygen` prints)", what, v)
				continue
			}
			s.KeyID = v
		}
		if r, has := sfs["repositories"]; has {
			s.Repositories, _ = d.strings(r.val, what+".repositories")
			for j, p := range s.Repositories {
				if _, err := path.Match(p, ""); err != nil || strings.Contains(p, "://") || !strings.Contains(p, "/") {
					d.failf(r.val, "%s.repositories[%d]: %q is not a HOST/REPOSITORY pattern", what, j, p)
				}
			}
		}
		if c, has := sfs["capabilities"]; has {
			s.Capabilities, _ = d.strings(c.val, what+".capabilities")
		}
		t.Signers = append(t.Signers, s)
	}
	return t
}

// checkP256PEM checks that text is one PEM PKIX ECDSA P-256 public key.
func checkP256PEM(text string) error {
	blk, rest := pem.Decode([]byte(text))
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return fmt.Errorf("want a PEM \"PUBLIC KEY\" block")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return fmt.Errorf("text after the PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return err
	}
	if ek, ok := k.(*ecdsa.PublicKey); !ok || ek.Curve != elliptic.P256() {
		return fmt.Errorf("not an ECDSA P-256 key")
	}
	return nil
}
