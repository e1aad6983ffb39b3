// Package sbom writes the binary's bill of materials as CycloneDX JSON
// (github.com/CycloneDX/cyclonedx-go: the format's own Go library, so the
// document follows the specification's schema without a hand-written
// copy of it).
package sbom

import (
	"io"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"orengen/app/platform"
)

// Encode writes b as a CycloneDX 1.6 JSON document. It is a
// platform.SBOMEncoder.
func Encode(w io.Writer, b *platform.Bill) error {
	return encode(w, b, time.Now())
}

var _ platform.SBOMEncoder = Encode

func encode(w io.Writer, b *platform.Bill, now time.Time) error {
	mainRef := "pkg:golang/" + b.Name + "@" + b.Version
	bom := cdx.NewBOM()
	bom.SerialNumber = ""
	bom.Metadata = &cdx.Metadata{
		Timestamp:  now.UTC().Format(time.RFC3339),
		Component:  &cdx.Component{BOMRef: mainRef, Type: cdx.ComponentTypeApplication, Name: b.Name, Version: b.Version, PackageURL: mainRef},
		Properties: &[]cdx.Property{{Name: "go:version", Value: b.GoVersion}},
	}
	var comps []cdx.Component
	var refs []string
	for _, c := range b.Components {
		cc := cdx.Component{Type: cdx.ComponentTypeLibrary, Name: c.Name, Version: c.Version, PackageURL: c.PURL()}
		switch c.Kind {
		case "asset":
			cc.Type = cdx.ComponentTypeFramework
		case "stdlib", "c-library":
			cc.Type = cdx.ComponentTypeLibrary
		}
		cc.BOMRef = c.PURL()
		if cc.BOMRef == "" {
			cc.BOMRef = c.Kind + ":" + c.Name + "@" + c.Version
		}
		if c.Licence != "" {
			cc.Licenses = &cdx.Licenses{licenceChoice(c.Licence)}
		}
		if c.URL != "" {
			cc.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeWebsite, URL: c.URL}}
		}
		comps = append(comps, cc)
		refs = append(refs, cc.BOMRef)
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: mainRef, Dependencies: &refs}}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	return enc.Encode(bom)
}

// licenceChoice is an SPDX identifier as a licence, or an expression
// ("Apache-2.0 OR MIT") as one; "blessing" (SQLite's) is an SPDX
// identifier too.
func licenceChoice(l string) cdx.LicenseChoice {
	for i := 0; i < len(l); i++ {
		if l[i] == ' ' {
			return cdx.LicenseChoice{Expression: l}
		}
	}
	return cdx.LicenseChoice{License: &cdx.License{ID: l}}
}
