package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/enact-run/enact/runtime"
)

// TestEngineHook checks that the one-shot commands run on the engine the
// hook gives and leave it open for the next: a run, a validate, a build
// and a second run all pass through one engine, each having asked the
// hook once. A command that closed the engine would fail the ones after
// it.
func TestEngineHook(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	var asked atomic.Int32
	hook := engineHook(func(cache, policyPath string) *runtime.Engine {
		asked.Add(1)
		return shareEngine(cache, policyPath)
	})
	ctx := context.WithValue(context.Background(), engineHookKey{}, hook)
	for _, args := range [][]string{
		{"run", "TemperatureConverter", "--input", `{"celsius": 100}`},
		{"validate", examples + "hello-world.yaml"},
		{"build", examples + "hello-world.yaml", "-o", filepath.Join(t.TempDir(), "out")},
		{"run", "TemperatureConverter", "--input", `{"celsius": 0}`},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(ctx, args, strings.NewReader(""), &stdout, &stderr, testEnv(home, nil)); code != exitPass {
			t.Fatalf("%s: exit code %d\nstdout: %s\nstderr: %s", args[0], code, stdout.String(), stderr.String())
		}
	}
	if n := asked.Load(); n != 4 {
		t.Errorf("the hook was asked %d times, want 4 (once per command)", n)
	}
}

// TestShareEngineDeclines checks the tests' hook: it shares the engine for
// the tests' cache with the built-in policy or a policy file, and declines
// another cache and a policy with plugin_config, whose engine answers
// differently.
func TestShareEngineDeclines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := writeTB(t, dir, "plain.yaml", "version: 1\nallow: [\"kv.*\"]\n")
	configured := writeTB(t, dir, "configured.yaml", "version: 1\nplugin_config:\n  Greet:\n    greeting: Bonjour\n")
	for _, tc := range []struct {
		name, cache, policy string
		shared              bool
	}{
		{"built-in policy", testCacheDir, "", true},
		{"policy file", testCacheDir, plain, true},
		{"policy with plugin_config", testCacheDir, configured, false},
		{"another cache", filepath.Join(dir, "cache"), "", false},
	} {
		if got := shareEngine(tc.cache, tc.policy) != nil; got != tc.shared {
			t.Errorf("%s: shared %v, want %v", tc.name, got, tc.shared)
		}
	}
}
