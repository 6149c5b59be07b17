package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
	"github.com/enact-run/enact/runtime"
)

// buildManifest is plugins.json: the map from tasks to artifacts.
type buildManifest struct {
	Capability string      `json:"capability"`
	Version    string      `json:"version,omitempty"`
	Digest     string      `json:"digest"`
	Tasks      []buildTask `json:"tasks"`
}

type buildTask struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Language string `json:"language,omitempty"`
	Artifact string `json:"artifact"`
	Digest   string `json:"digest"`
	Engine   string `json:"engine,omitempty"`
	Function string `json:"function,omitempty"`
}

func (c *cli) doBuild(ctx context.Context, file, out string, dirs []string, asJSON bool) error {
	capability, err := c.load(file, dirs...)
	if err == nil {
		capability, err = resolve(capability, dirs)
	}
	if err != nil {
		return c.fail(exitInvalid, err)
	}
	engine, release, err := c.engine(ctx)
	if err != nil {
		return c.fail(exitInternal, err)
	}
	defer release()
	ps, prefixes, err := preparePlugins(ctx, engine, capability)
	if err != nil {
		var re *runtime.Error
		if errors.As(err, &re) && re.Code != runtime.CodePluginError && re.Code != runtime.CodeUnsupported && re.Code != runtime.CodeInvalidInput {
			return c.fail(exitInternal, err)
		}
		return c.fail(exitInvalid, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return c.fail(exitInternal, err)
	}
	m := buildManifest{Capability: capability.ID, Version: capability.Version, Digest: capability.Digest, Tasks: []buildTask{}}
	for i, p := range ps {
		t := buildTask{ID: prefixes[i] + p.TaskID(), Kind: string(p.Kind()), Digest: p.Digest()}
		if p.Kind() == plugins.KindScript {
			wasm, err := p.Engine().Wasm()
			if err != nil {
				return c.fail(exitInternal, err)
			}
			engineFile, err := writeAddressed(out, wasm, ".wasm")
			if err != nil {
				return c.fail(exitInternal, err)
			}
			t.Language, t.Engine = p.Language(), engineFile
			t.Artifact, err = writeAddressed(out, p.Artifact(), ".plugin.json")
			if err != nil {
				return c.fail(exitInternal, err)
			}
		} else {
			t.Function = p.Function()
			if t.Artifact, err = writeAddressed(out, p.Artifact(), ".wasm"); err != nil {
				return c.fail(exitInternal, err)
			}
		}
		m.Tasks = append(m.Tasks, t)
		if !asJSON {
			c.printf(c.stdout, "%-20s %s\n", t.ID, filepath.Join(out, t.Artifact))
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return c.fail(exitInternal, err)
	}
	if err := os.WriteFile(filepath.Join(out, "plugins.json"), append(data, '\n'), 0o644); err != nil {
		return c.fail(exitInternal, err)
	}
	if asJSON {
		c.printf(c.stdout, "%s\n", data)
		return nil
	}
	c.printf(c.stdout, "%-20s %s\n", "manifest", filepath.Join(out, "plugins.json"))
	return nil
}

// preparePlugins prepares a capability's plugins; for a composite, those
// of every capability its steps run (each once), their task ids prefixed
// with the capability id and "/".
func preparePlugins(ctx context.Context, engine *runtime.Engine, c *capabilities.Capability) ([]*plugins.Plugin, []string, error) {
	if c.Type != "composite" {
		ps, err := engine.Prepare(ctx, c)
		return ps, make([]string, len(ps)), err
	}
	if err := engine.Check(c); err != nil {
		return nil, nil, err
	}
	var all []*plugins.Plugin
	var prefixes []string
	seen := map[string]bool{}
	var walk func(c *capabilities.Capability) error
	walk = func(c *capabilities.Capability) error {
		for _, im := range c.Imports {
			sub := c.Imported(im.ID)
			if seen[sub.Digest] {
				continue
			}
			seen[sub.Digest] = true
			if sub.Type == "composite" {
				if err := walk(sub); err != nil {
					return err
				}
				continue
			}
			ps, err := engine.Prepare(ctx, sub)
			if err != nil {
				return err
			}
			for _, p := range ps {
				all, prefixes = append(all, p), append(prefixes, sub.ID+"/")
			}
		}
		return nil
	}
	return all, prefixes, walk(c)
}

// writeAddressed writes data as sha256-<hex><ext> in dir, atomically, and
// returns the file name. An existing file of that name already holds the
// same bytes and is left alone.
func writeAddressed(dir string, data []byte, ext string) (string, error) {
	sum := sha256.Sum256(data)
	name := "sha256-" + hex.EncodeToString(sum[:]) + ext
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return name, nil
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return name, nil
}
