// Package bundle makes one signed unit of a capability and every file it
// references, so that a plugin author can publish it and an operator can
// check, offline, that what runs is what the author signed.
//
// (The word also appears in package plugins' FuzzBundle, which fuzzes a
// capability and its plugin file as they sit on disk: the same thing,
// before it has a digest.)
//
// # Contents
//
// A bundle is the capability YAML file plus every file it references: the
// module of each prebuilt task (plugin.path). Script tasks carry their
// source inside the YAML and their interpreter is pinned by the runner, so
// they add no file. Imported capabilities of composites will join through
// Files once package capabilities resolves them (the one place that lists
// what a capability references).
//
// # Manifest and digest
//
// The bundle's canonical manifest is UTF-8 text, every line ending in "\n":
//
//	enact-bundle/1
//	capability <path of the capability file>
//	<sha256 hex> <size in bytes> <path>      one line per file, the capability file included
//
// File lines are sorted by path (byte order), paths are relative, "/"
// separated, made of the characters A-Z a-z 0-9 . _ + - in segments that are
// neither "." nor "..", at most 255 bytes; sha256 is 64 lowercase hex digits,
// size is decimal without leading zeros. Parse accepts exactly this form and
// nothing else, so one bundle has one manifest.
//
// The bundle digest is "sha256:" and the hex SHA-256 of the manifest's
// bytes. It changes when any byte of any file, any file name or the set of
// files changes. A shell can recompute it:
//
//	(printf 'enact-bundle/1\ncapability textstats.yaml\n'
//	 for f in textstats.wasm textstats.yaml; do
//	   printf '%s %s %s\n' "$(sha256sum < $f | cut -c1-64)" "$(stat -c %s $f)" "$f"; done) | sha256sum
//
// # Signatures
//
// A signature is ECDSA over NIST P-256 of the manifest's bytes with
// SHA-256 (the digest is what is signed), ASN.1 DER encoded: the form
// `openssl dgst -sha256 -verify` and `cosign verify-blob --key` check.
// Keys are PEM files: the private key PKCS #8 ("PRIVATE KEY"), the public
// key PKIX ("PUBLIC KEY"). A key's id is "ecdsa-p256:" and the first 16 hex
// digits of the SHA-256 of the public key's PKIX DER encoding.
//
// Signatures travel in a signature file (JSON, media type
// application/vnd.enact.bundle.signature.v1+json), beside a local capability
// as <file>.sig and in a registry as a referrer of the bundle's manifest:
//
//	{
//	  "format": "enact-bundle-signature/1",
//	  "digest": "sha256:<bundle digest>",
//	  "manifest": "enact-bundle/1\ncapability textstats.yaml\n…",
//	  "signatures": [
//	    {"key_id": "ecdsa-p256:…", "public_key": "-----BEGIN PUBLIC KEY-----\n…", "signature": "<base64 DER>"}
//	  ]
//	}
//
// Verify checks, in this order: the manifest parses, its SHA-256 is the
// digest, the digest is the bundle's, each public key is P-256 and has the
// key id given, and each signature verifies. Trust (see Trust) then decides
// whether a valid signature's key may vouch for this bundle.
//
// # Lock
//
// The lock file (see Lock) pins, on first use, a registry reference to the
// manifest digest it resolved to, the bundle digest and the signer's key
// id; a later use that finds another digest or another signer is refused
// with a *LockError until the operator accepts it.
package bundle
