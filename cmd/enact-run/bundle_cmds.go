package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/plugins/bundle"
	"github.com/enact-run/enact/plugins/registry"
)

func (c *cli) bundleCommands() []*cobra.Command {
	return []*cobra.Command{c.keygenCommand(), c.signCommand(), c.pushCommand(), c.pullCommand(), c.verifyCommand()}
}

func (c *cli) keygenCommand() *cobra.Command {
	var out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make an ECDSA P-256 key pair for signing capability bundles",
		Long: `Make a signing key pair: PREFIX.key (PKCS #8 PEM, private, mode 0600) and
PREFIX.pub (PKIX PEM, public, for operators' policy files, openssl and
cosign). Prints the key id operators name in their policy's trust section.
Existing files are never overwritten.`,
		Example: `  enact-run keygen --out acme-signing`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := bundle.GenerateKey()
			if err != nil {
				return c.fail(exitInternal, err)
			}
			priv, err := k.MarshalPEM()
			if err != nil {
				return c.fail(exitInternal, err)
			}
			if err := writeNew(out+".key", priv, 0o600); err != nil {
				return c.fail(exitUsage, err)
			}
			if err := writeNew(out+".pub", k.Public().MarshalPEM(), 0o644); err != nil {
				return c.fail(exitUsage, err)
			}
			if asJSON {
				return c.printJSON(map[string]string{"key_id": k.KeyID(), "private_key": out + ".key", "public_key": out + ".pub"})
			}
			c.printf(c.stdout, "%s\n", k.KeyID())
			c.printf(c.stderr, "wrote %s.key (private: keep it secret) and %s.pub\noperators trust it with, in their policy file:\n  trust:\n    signers:\n      - key_id: %s\n", out, out, k.KeyID())
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "enact-signing", "path prefix of the key files (PREFIX.key, PREFIX.pub)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"key_id", "private_key", "public_key"} (the files' paths)`)
	return cmd
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; keygen never overwrites a key (choose another --out)", path)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (c *cli) signCommand() *cobra.Command {
	var keyPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sign FILE --key KEY",
		Short: "Sign a capability bundle (the capability file and every file it references)",
		Long: `Compute the bundle digest of a capability file and the plugin files it
references (reading and hashing every one), sign it with KEY, and write the
signature file FILE.sig beside it (adding to the signatures already there
for the same digest). Prints the bundle digest.

Anyone can check the signature without enact-run:
  jq -j .manifest FILE.sig > manifest.txt
  jq -r '.signatures[0].signature' FILE.sig | base64 -d > sig.der
  openssl dgst -sha256 -verify KEY.pub -signature sig.der manifest.txt
and that manifest.txt lists the files' sha256 (sha256sum).`,
		Example: `  enact-run sign plugins/examples/textstats/textstats.yaml --key acme-signing.key`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyPath == "" {
				return c.fail(exitUsage, errors.New("--key is required (make one with `enact-run keygen`)"))
			}
			data, err := readLimited(keyPath, 64<<10)
			if err != nil {
				return c.fail(exitUsage, fmt.Errorf("--key: %w", err))
			}
			k, err := bundle.ParsePrivateKey(data)
			if err != nil {
				return c.fail(exitUsage, fmt.Errorf("--key %s: %w", keyPath, err))
			}
			b, err := bundle.Open(args[0], true)
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			var sf *bundle.SignatureFile
			if old, err := os.ReadFile(args[0] + ".sig"); err == nil {
				sf, _ = bundle.ParseSignatureFile(old)
			}
			sf, err = bundle.Sign(sf, b.Manifest, k)
			if err != nil {
				return c.fail(exitInternal, err)
			}
			if err := os.WriteFile(args[0]+".sig", sf.Marshal(), 0o644); err != nil {
				return c.fail(exitInternal, err)
			}
			if asJSON {
				return c.printJSON(map[string]any{"capability": b.Capability.ID, "bundle": b.Digest(), "key_id": k.KeyID(),
					"signature_file": args[0] + ".sig", "files": len(b.Manifest.Entries())})
			}
			c.printf(c.stdout, "%s\n", b.Digest())
			c.printf(c.stderr, "signed %s (%d files) with %s into %s.sig\n", b.Capability.ID, len(b.Manifest.Entries()), k.KeyID(), args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "private key file (PEM) from `enact-run keygen`")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"capability", "bundle", "key_id", "signature_file", "files"}`)
	return cmd
}

func (c *cli) pushCommand() *cobra.Command {
	var (
		plainHTTP, unsigned, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "push FILE oci://HOST/REPO:TAG",
		Short: "Publish a signed capability bundle to an OCI registry",
		Long: `Upload a capability file and every file it references as one OCI artifact
(artifact type application/vnd.enact.bundle.v1: the YAML and each plugin a
layer, plugins as application/wasm), tag it, and attach its signature file
FILE.sig as a referrer of the manifest (or under the sha256-<hex> referrers
tag on registries without the referrers API). Prints the manifest digest.

A bundle without FILE.sig, or whose FILE.sig signs other content, is
refused (--unsigned pushes without a signature: operators will refuse to
run it). Credentials come from the Docker config file ($DOCKER_CONFIG or
~/.docker/config.json, as docker login writes it) or from
$ENACT_REGISTRY_USERNAME and $ENACT_REGISTRY_PASSWORD (limited to the hosts
in $ENACT_REGISTRY_HOST when set); they are never written anywhere. Plain
HTTP is used for loopback hosts, and for others only with --plain-http.`,
		Example: `  enact-run push textstats.yaml oci://registry.acme.com/capabilities/textstats:1.0.0`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := registry.ParseReference(args[1])
			if err != nil {
				return c.fail(exitUsage, err)
			}
			if ref.Digest != "" {
				return c.fail(exitUsage, errors.New("push needs a tag, not a digest"))
			}
			b, err := bundle.Open(args[0], true)
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			var sf *bundle.SignatureFile
			data, err := os.ReadFile(args[0] + ".sig")
			switch {
			case err == nil:
				if sf, err = bundle.ParseSignatureFile(data); err == nil {
					_, err = sf.Verify(b.Digest())
				}
				if err != nil {
					return c.fail(exitInvalid, fmt.Errorf("%s.sig does not sign these files (bundle %s): %w; sign again with `enact-run sign %s --key KEY`", args[0], b.Digest(), err, args[0]))
				}
			case errors.Is(err, fs.ErrNotExist) && unsigned:
			case errors.Is(err, fs.ErrNotExist):
				return c.fail(exitInvalid, fmt.Errorf("%s is not signed (no %s.sig): sign it with `enact-run sign %s --key KEY`, or pass --unsigned", args[0], args[0], args[0]))
			default:
				return c.fail(exitInternal, err)
			}
			md, err := c.registryClient(plainHTTP).Push(cmd.Context(), ref, b, sf)
			if err != nil {
				return c.fail(exitInternal, err)
			}
			if asJSON {
				return c.printJSON(map[string]any{"capability": b.Capability.ID, "ref": args[1], "manifest": md, "bundle": b.Digest(),
					"signed": sf != nil, "files": len(b.Manifest.Entries())})
			}
			c.printf(c.stdout, "%s\n", md)
			c.printf(c.stderr, "pushed %s (bundle %s, %d files) to %s@%s\n", b.Capability.ID, b.Digest(), len(b.Manifest.Entries()), ref, md)
			return nil
		},
	}
	cmd.Flags().BoolVar(&plainHTTP, "plain-http", false, "speak plain HTTP to a registry that is not on loopback")
	cmd.Flags().BoolVar(&unsigned, "unsigned", false, "push without a signature file")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"capability", "ref", "manifest", "bundle", "signed", "files"}`)
	return cmd
}

func (c *cli) pullCommand() *cobra.Command {
	var (
		f          bundleFlags
		policyFile string
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "pull oci://HOST/REPO:TAG|@sha256:DIGEST",
		Short: "Fetch a capability bundle into the cache, verify it, and pin it in the lock file",
		Long: `Fetch a bundle into $ENACT_HOME/bundles (content-addressed by the registry
manifest's digest), checking every byte against its digest, the bundle
digest, the signatures and the policy's trust section, and pin the
reference in the lock file (--lock, else $ENACT_LOCK, else
$ENACT_HOME/enact.lock): tag → manifest digest → bundle digest → signer.

A tag that now points at another manifest than the lock pins, or a
bundle signed by another key than the pinned one, is refused and says
what changed; --update accepts the change and rewrites the pin.`,
		Example: `  enact-run pull oci://registry.acme.com/capabilities/textstats:1.0.0
  enact-run pull --update oci://registry.acme.com/capabilities/textstats:1.0.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			trust, err := c.trustFor(policyFile)
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			rep := verifyReport{Target: args[0], Files: []bundle.Entry{}, Signatures: []signatureReport{}}
			ref, err := registry.ParseReference(args[0])
			if err != nil {
				return c.fail(exitUsage, err)
			}
			lockPath, err := c.lockPath(f.lock)
			if err != nil {
				return c.fail(exitInternal, err)
			}
			lock, err := bundle.ReadLock(lockPath)
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			_, err = c.pull(cmd.Context(), ref, trust, lock, f, &rep)
			return c.printVerify(rep, err, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.lock, "lock", "", "lock file (default $ENACT_LOCK, else $ENACT_HOME/enact.lock)")
	fl.BoolVar(&f.plainHTTP, "plain-http", false, "speak plain HTTP to a registry that is not on loopback")
	fl.BoolVar(&f.update, "update", false, "accept a moved tag or a new signer and rewrite the lock file's pin")
	fl.StringVar(&policyFile, "policy", "", "policy file whose trust section names the trusted signers")
	fl.BoolVar(&asJSON, "json", false, "print what was checked as one JSON object")
	return cmd
}

func (c *cli) verifyCommand() *cobra.Command {
	var (
		f          bundleFlags
		policyFile string
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "verify oci://REF|FILE|DIR",
		Short: "Check a bundle's digest, signature and trust offline",
		Long: `Check, without contacting any registry: every file's sha256 and size
against the bundle manifest, the bundle digest, each signature, and whether
the policy's trust section trusts a signer for it; for a reference, also
the lock file's pin. A reference must have been pulled (it is read from
the cache); a FILE is a capability file with its FILE.sig; a DIR holds one
capability file (a directory of the cache, for one). Prints what it
checked; exit code 0 when everything holds, 4 otherwise.`,
		Example: `  enact-run verify oci://registry.acme.com/capabilities/textstats:1.0.0
  enact-run verify ./textstats/textstats.yaml --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			trust, err := c.trustFor(policyFile)
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			rep := verifyReport{Target: args[0], Files: []bundle.Entry{}, Signatures: []signatureReport{}}
			if registry.IsReference(args[0]) {
				f.hash, f.offline = true, true
				_, err = c.openRef(cmd.Context(), args[0], trust, f, &rep)
				return c.printVerify(rep, err, asJSON)
			}
			path, err := capabilityIn(args[0])
			if err != nil {
				return c.printVerify(rep, err, asJSON)
			}
			repo := ""
			if rec, err := readPullRecord(filepath.Dir(path)); err == nil {
				if r, err := registry.ParseReference(rec.Ref); err == nil {
					repo, rep.Manifest = r.Name(), rec.Manifest
				}
			}
			rep.Dir = filepath.Dir(path)
			_, _, err = verifyFile(path, true, trust, repo, true, &rep)
			return c.printVerify(rep, err, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.lock, "lock", "", "lock file (default $ENACT_LOCK, else $ENACT_HOME/enact.lock)")
	fl.StringVar(&policyFile, "policy", "", "policy file whose trust section names the trusted signers")
	fl.BoolVar(&asJSON, "json", false, "print what was checked as one JSON object")
	return cmd
}

// capabilityIn finds the capability file of a FILE or DIR argument: a
// pulled bundle's directory names it, else the directory must hold one
// .yaml or .yml file.
func capabilityIn(arg string) (string, error) {
	st, err := os.Stat(arg)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return arg, nil
	}
	if rec, err := readPullRecord(arg); err == nil {
		if err := bundle.CheckPath(rec.Capability); err != nil {
			return "", err
		}
		return filepath.Join(arg, filepath.FromSlash(rec.Capability)), nil
	}
	var found []string
	entries, err := os.ReadDir(arg)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%s holds %d capability files (%s); name the one to verify", arg, len(found), strings.Join(found, ", "))
	}
	return filepath.Join(arg, found[0]), nil
}

// trustFor loads the policy (--policy, $ENACT_POLICY, $ENACT_HOME/policy.yaml
// or the default) and returns its trust.
func (c *cli) trustFor(policyFile string) (bundle.Trust, error) {
	home, err := c.home()
	if err != nil {
		return bundle.Trust{}, err
	}
	p, _, err := c.loadPolicy(policyFile, home)
	if err != nil {
		return bundle.Trust{}, err
	}
	return trustOf(p)
}

// printVerify prints what verify or pull checked and sets the exit code.
func (c *cli) printVerify(rep verifyReport, err error, asJSON bool) error {
	if err != nil {
		var be *bundleError
		errors.As(classify(err), &be)
		rep.Code, rep.Error = be.code, err.Error()
		c.code = exitInvalid
		if be.code == "bundle_unavailable" {
			c.code = exitInternal
		}
	} else {
		rep.OK = true
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rep)
		return nil
	}
	w := c.stdout
	if rep.Dir != "" {
		c.printf(w, "bundle     %s\n", rep.Dir)
	}
	if rep.Manifest != "" {
		c.printf(w, "manifest   %s\n", rep.Manifest)
	}
	for _, e := range rep.Files {
		c.printf(w, "file       %s  sha256:%s  %d bytes  ok\n", e.Path, e.SHA256, e.Size)
	}
	if rep.Bundle != "" {
		c.printf(w, "digest     %s (%s)\n", rep.Bundle, rep.Capability)
	}
	for _, s := range rep.Signatures {
		state := "invalid"
		switch {
		case s.Trusted:
			state = "valid, trusted"
		case s.Valid:
			state = "valid, not trusted"
		}
		c.printf(w, "signature  %s  %s\n", s.KeyID, state)
	}
	if rep.Lock != nil {
		c.printf(w, "lock       %s  pinned\n", rep.Lock.Path)
	}
	if err != nil {
		return err
	}
	c.printf(w, "OK         signed by %s\n", rep.Signer)
	return nil
}

// printJSON prints v on standard output as one indented JSON object.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
