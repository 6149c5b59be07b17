package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// BenchmarkRunCachedBundle compares a run of TextStats (3 MB plugin) by
// reference, once pulled and pinned, with a run of the same capability
// from a local file. "resolve" is the step that differs per run (for a
// reference: the lock, the cached bundle's digest, its signature and
// trust; for a file: its bundle digest); "run" is the whole command.
func BenchmarkRunCachedBundle(b *testing.B) {
	w := newBundleWorld(b)
	w.src, w.input = textstats, `{"text": "a b a"}`
	file := w.capability(b, "bench.")
	w.publish(b, file, "bench", w.trusted)
	ref := w.ref("bench")
	home := b.TempDir()
	args := func(target string) []string {
		return []string{"run", target, "--input", w.input, "--policy", w.policy}
	}
	if code, _, errOut := w.cli(b, home, args(ref)...); code != exitPass {
		b.Fatalf("first run: %d %s", code, errOut)
	}
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: testEnv(home, w.env)}
	trust, err := c.trustFor(w.policy)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("resolve/reference", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.openRef(context.Background(), ref, trust, bundleFlags{}, &verifyReport{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resolve/local-file", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := c.openLocal(file, trust); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resolve/load-only", func(b *testing.B) { // what a file run did before bundles
		for b.Loop() {
			if _, err := c.load(file); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct{ name, target string }{{"run/reference", ref}, {"run/local-file", file}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if code, _, errOut := w.cli(b, home, args(tc.target)...); code != exitPass {
					b.Fatalf("%d %s", code, errOut)
				}
			}
		})
	}
}
