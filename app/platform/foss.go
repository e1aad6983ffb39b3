// Package platform is the developer platform's own domain: the open-source
// components the binary is built from (its FOSS registry, SBOM and licence
// notices), the agency's register of open-source tools it runs for
// clients, and the integrations hub.
package platform

import (
	"context"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

// Component is one open-source part of the binary: a Go module from its
// build info, or a part that is no Go module (the Go standard library,
// the SQLite amalgamation, vendored browser files).
type Component struct {
	// Name is the module path (or the part's name).
	Name    string
	Version string
	// Licence is an SPDX expression ("MIT", "Apache-2.0"); "" when the
	// licence table has no row for the module (a dependency added without
	// running the licence test's update).
	Licence string
	// URL is where the source and its licence text are read.
	URL string
	// Kind is "module" (Go module), "stdlib", "c-library" or "asset".
	Kind string
	// Replaced names the module that replaces it, if any.
	Replaced string
}

// PURL is the component's package URL (purl spec): pkg:golang/... for Go
// modules, "" for the other kinds.
func (c Component) PURL() string {
	if c.Kind != "module" && c.Kind != "stdlib" {
		return ""
	}
	name := c.Name
	if c.Kind == "stdlib" {
		name = "std"
	}
	return "pkg:golang/" + name + "@" + c.Version
}

// Bill is what an SBOM describes: the binary and its components.
type Bill struct {
	Name       string // the main module
	Version    string
	GoVersion  string
	Components []Component
}

// SBOMEncoder writes a bill of materials in a standard format (CycloneDX
// JSON: package sbom).
type SBOMEncoder func(w io.Writer, b *Bill) error

// nonModules are the open-source parts of the binary that build info does
// not list: compiled-in C and vendored browser files.
var nonModules = []Component{
	{Name: "SQLite", Version: "bundled with github.com/mattn/go-sqlite3", Licence: "blessing", URL: "https://sqlite.org/copyright.html", Kind: "c-library"},
	{Name: "swagger-ui-dist", Version: "5.35.0", Licence: "Apache-2.0", URL: "https://github.com/swagger-api/swagger-ui", Kind: "asset"},
}

// FOSS answers what the running binary is built from.
type FOSS struct {
	// BuildInfo returns the binary's build info (debug.ReadBuildInfo when
	// nil).
	BuildInfo func() (*debug.BuildInfo, bool)
	// Encode writes the SBOM (nil: no SBOM download).
	Encode SBOMEncoder
	// Version is the binary's version as the CLI reports it ("" : the
	// main module's).
	Version string
}

// Bill lists the binary's components, the Go standard library first,
// then the modules by path, then the parts that are no modules.
func (f *FOSS) Bill(ctx context.Context) *Bill {
	read := f.BuildInfo
	if read == nil {
		read = debug.ReadBuildInfo
	}
	b := &Bill{Name: "orengen", Version: f.Version}
	bi, ok := read()
	if ok {
		b.Name, b.GoVersion = bi.Main.Path, bi.GoVersion
		if b.Version == "" {
			b.Version = bi.Main.Version
		}
		b.Components = append(b.Components, Component{Name: "Go standard library", Version: bi.GoVersion, Licence: "BSD-3-Clause",
			URL: "https://go.dev/LICENSE", Kind: "stdlib"})
		var mods []Component
		for _, d := range bi.Deps {
			c := Component{Name: d.Path, Version: d.Version, Licence: ModuleLicence(d.Path), URL: moduleURL(d.Path, d.Version), Kind: "module"}
			if d.Replace != nil {
				c.Replaced = d.Replace.Path + " " + d.Replace.Version
			}
			mods = append(mods, c)
		}
		sort.Slice(mods, func(i, j int) bool { return mods[i].Name < mods[j].Name })
		b.Components = append(b.Components, mods...)
	}
	b.Components = append(b.Components, nonModules...)
	return b
}

// ModuleLicence is the SPDX expression recorded for a module path ("" if
// none is recorded).
func ModuleLicence(path string) string { return moduleLicences[path] }

// moduleURL is the module's page on pkg.go.dev, which shows its licence
// texts (the tab the link opens) and its source repository.
func moduleURL(path, version string) string {
	u := "https://pkg.go.dev/" + path
	if version != "" && version != "(devel)" {
		u += "@" + version
	}
	return u + "?tab=licenses"
}

// Notice is one licence and the components under it (the notices page).
type Notice struct {
	Licence    string
	Text       string // the licence's standard name
	Components []Component
}

// licenceNames are the SPDX identifiers' full names.
var licenceNames = map[string]string{
	"MIT": "MIT License", "Apache-2.0": "Apache License 2.0", "BSD-3-Clause": "BSD 3-Clause \"New\" or \"Revised\" License",
	"BSD-2-Clause": "BSD 2-Clause \"Simplified\" License", "ISC": "ISC License", "MPL-2.0": "Mozilla Public License 2.0",
	"CC0-1.0": "Creative Commons Zero v1.0 Universal", "blessing": "SQLite Blessing (public domain)",
	"Apache-2.0 OR MIT": "Apache License 2.0 or MIT License",
}

// Notices groups the components by licence, the licence with the most
// components first; components without a recorded licence come last
// under "unrecorded".
func Notices(b *Bill) []Notice {
	by := map[string][]Component{}
	for _, c := range b.Components {
		l := c.Licence
		if l == "" {
			l = "unrecorded"
		}
		by[l] = append(by[l], c)
	}
	var out []Notice
	for l, cs := range by {
		name := licenceNames[l]
		if name == "" {
			name = l
		}
		out = append(out, Notice{Licence: l, Text: name, Components: cs})
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Licence == "unrecorded") != (out[j].Licence == "unrecorded") {
			return out[j].Licence == "unrecorded"
		}
		if len(out[i].Components) != len(out[j].Components) {
			return len(out[i].Components) > len(out[j].Components)
		}
		return strings.Compare(out[i].Licence, out[j].Licence) < 0
	})
	return out
}
