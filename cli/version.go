package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"
)

// Build information, set by package main from its -ldflags -X values
// (the Makefile sets all three). Empty values are read from the binary's
// embedded build information (VCS revision and time) where Go recorded
// them.
var (
	Version   = "" // release version or git describe, e.g. v1.4.0-3-gabc1234
	Commit    = "" // full commit hash
	BuildDate = "" // RFC 3339, UTC
)

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified"` // built from a tree with uncommitted changes
	BuildDate string `json:"build_date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// ReadBuildInfo returns the ldflags values, completed from the embedded
// build information.
func ReadBuildInfo() BuildInfo {
	b := BuildInfo{Version: Version, Commit: Commit, BuildDate: BuildDate, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.BuildDate == "" {
					b.BuildDate = s.Value // the commit's time: the best a plain go build records
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
		if b.Commit != "" {
			b.Version += "-" + b.Commit[:min(12, len(b.Commit))]
			if b.Modified {
				b.Version += "-dirty"
			}
		}
	}
	return b
}

func buildVersion() string { return ReadBuildInfo().Version }

// runVersion is `orengen version [--json]`.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer, _ func(string) string) error {
	fs := newFlagSet("version", "version [--json]", stderr)
	asJSON := fs.Bool("json", false, "print the build information as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usageError{fmt.Errorf("version: unexpected argument %q", fs.Arg(0))}
	}
	b := ReadBuildInfo()
	if *asJSON {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		return e.Encode(b)
	}
	commit, date := b.Commit, b.BuildDate
	if commit == "" {
		commit = "unknown"
	} else if b.Modified {
		commit += " (modified)"
	}
	if date == "" {
		date = "unknown"
	} else if t, err := time.Parse(time.RFC3339, date); err == nil {
		date = t.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "orengen %s\ncommit:     %s\nbuilt:      %s\ngo version: %s %s\n", b.Version, commit, date, b.GoVersion, b.Platform)
	return nil
}
