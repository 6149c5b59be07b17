package bundle

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Signer is a key the operator trusts, optionally only for some
// repositories or capabilities.
type Signer struct {
	// Key is the trusted public key; nil when only KeyID names it (the
	// key then comes with the signature and must have that id).
	Key *PublicKey
	// KeyID names the key; set from Key when Key is given.
	KeyID string
	// Repositories, when not empty, limits the key to bundles pulled from
	// these repositories: "HOST/REPO" patterns where * matches within one
	// path segment (path.Match). A repository-limited key never vouches
	// for a local file.
	Repositories []string
	// Capabilities, when not empty, limits the key to capabilities with
	// these ids.
	Capabilities []string
}

// Trust is the operator's trust: which keys may vouch for which bundles.
// The zero value trusts no key and does not require signatures of local
// files.
type Trust struct {
	Signers []Signer
	// RequireSignatures makes local capability files need a trusted
	// signature too (bundles from a registry always do).
	RequireSignatures bool
}

// Subject is what a trust decision is about.
type Subject struct {
	// Repository is "HOST/REPO" for a bundle from a registry, "" for a
	// local file.
	Repository string
	// Capability is the capability's id.
	Capability string
}

func (s Subject) String() string {
	if s.Repository == "" {
		return "capability " + s.Capability
	}
	return s.Repository + " (capability " + s.Capability + ")"
}

// Trusted returns the id of the first verified key the trust accepts for
// the subject, or an ErrUntrusted error naming the keys that signed and
// the trusted ones.
func (t Trust) Trusted(verified []Verified, subj Subject) (string, error) {
	for _, v := range verified {
		for _, s := range t.Signers {
			if s.matches(v) && s.covers(subj) {
				return v.KeyID, nil
			}
		}
	}
	var signed, trusted []string
	for _, v := range verified {
		signed = append(signed, v.KeyID)
	}
	for _, s := range t.Signers {
		trusted = append(trusted, s.describe())
	}
	if len(trusted) == 0 {
		return "", fmt.Errorf("%w: %s is signed by %s, and the policy's trust section names no signer (add `trust: {signers: [{key_id: %s}]}` to trust it)", ErrUntrusted, subj, strings.Join(signed, ", "), signed[0])
	}
	return "", fmt.Errorf("%w: %s is signed by %s; the policy trusts %s", ErrUntrusted, subj, strings.Join(signed, ", "), strings.Join(trusted, "; "))
}

func (s Signer) id() string {
	if s.Key != nil {
		return s.Key.KeyID()
	}
	return s.KeyID
}

func (s Signer) matches(v Verified) bool {
	if s.Key != nil {
		return s.Key.Equal(v.Key)
	}
	return s.KeyID == v.KeyID
}

func (s Signer) covers(subj Subject) bool {
	if len(s.Repositories) > 0 {
		if subj.Repository == "" || !slices.ContainsFunc(s.Repositories, func(p string) bool {
			ok, err := path.Match(p, subj.Repository)
			return err == nil && ok
		}) {
			return false
		}
	}
	return len(s.Capabilities) == 0 || slices.Contains(s.Capabilities, subj.Capability)
}

func (s Signer) describe() string {
	d := s.id()
	if len(s.Repositories) > 0 {
		d += " for repositories " + strings.Join(s.Repositories, ", ")
	}
	if len(s.Capabilities) > 0 {
		d += " for capabilities " + strings.Join(s.Capabilities, ", ")
	}
	return d
}
