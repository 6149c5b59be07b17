package main

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/plugins"
	"github.com/enact-run/enact/receipts"
)

// versionInfo is what `enact-run version --json` prints.
type versionInfo struct {
	Module string `json:"module"`
	// Version is the module version the binary was built at: a tag for
	// `go install …@vX.Y.Z`, "(devel)" for a build in a checkout.
	Version string `json:"version"`
	// Revision, RevisionTime and Modified come from the VCS stamp of a
	// build in a checkout; empty when it was built without one
	// (-buildvcs=false, or not from a repository).
	Revision      string       `json:"revision"`
	RevisionTime  string       `json:"revision_time"`
	Modified      bool         `json:"modified"`
	Go            string       `json:"go"`
	Platform      string       `json:"platform"`
	Protocol      string       `json:"protocol"`
	ReceiptFormat string       `json:"receipt_format"`
	Engines       []engineInfo `json:"engines"`
}

// engineInfo is one pinned interpreter engine, or an archive it needs.
type engineInfo struct {
	Language string `json:"language"`
	Name     string `json:"name"`
	Package  string `json:"package"`
	Version  string `json:"version"`
	SHA256   string `json:"sha256"`
}

// buildInfo reads the binary's build information and the pinned engines.
func buildInfo() versionInfo {
	v := versionInfo{
		Module: "github.com/enact-run/enact", Version: "(unknown)", Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Protocol: "Enact 1.x", ReceiptFormat: receipts.FormatVersion,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path != "" {
			v.Module = bi.Main.Path
		}
		if bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.RevisionTime = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	for _, e := range []*plugins.Engine{plugins.Python(), plugins.JavaScript()} {
		v.Engines = append(v.Engines, engineInfo{Language: e.Language(), Name: e.Name(), Package: e.Package(), Version: e.Version(), SHA256: e.SHA256()})
		if e == plugins.Python() {
			v.Engines = append(v.Engines, engineInfo{Language: "python", Name: "python-stdlib.zip", Package: e.Package(), Version: e.Version(), SHA256: plugins.PythonStdlibSHA256()})
		}
	}
	return v
}

func (c *cli) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the source revision and the pinned engines",
		Long: `Print what this binary is: the module version, the VCS revision it was built
from (when the build recorded one), the Go toolchain, the protocol and receipt
format versions, and each interpreter engine embedded in it with the registry
package it comes from, its version and the sha256 its bytes are checked
against before first use.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := buildInfo()
			if asJSON {
				return json.NewEncoder(c.stdout).Encode(v)
			}
			rev := v.Revision
			if rev == "" {
				rev = "unknown (built without VCS information)"
			} else {
				if t, err := time.Parse(time.RFC3339, v.RevisionTime); err == nil {
					rev += " (" + t.UTC().Format("2006-01-02 15:04 UTC") + ")"
				}
				if v.Modified {
					rev += ", with uncommitted changes"
				}
			}
			w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			c.printf(w, "enact-run\t%s %s\n", v.Module, v.Version)
			c.printf(w, "revision\t%s\n", rev)
			c.printf(w, "go\t%s %s\n", v.Go, v.Platform)
			c.printf(w, "protocol\t%s\n", v.Protocol)
			c.printf(w, "receipts\t%s\n", v.ReceiptFormat)
			c.printf(w, "engines\t\n")
			for _, e := range v.Engines {
				c.printf(w, "  %s\t%s  %s %s  sha256:%s\n", e.Language, e.Name, e.Package, e.Version, e.SHA256)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the same as one JSON object")
	return cmd
}
