package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"orengen/app/platform"
)

// TestEncode_ValidCycloneDX: the document validates against CycloneDX
// 1.6's own JSON schema (shipped in the cyclonedx-go module) and carries
// each component's purl, version and licence (an expression for a
// choice of licences).
func TestEncode_ValidCycloneDX(t *testing.T) {
	b := &platform.Bill{Name: "orengen", Version: "v1.2.3", GoVersion: "go1.26.8", Components: []platform.Component{
		{Name: "Go standard library", Version: "go1.26.8", Licence: "BSD-3-Clause", URL: "https://go.dev/LICENSE", Kind: "stdlib"},
		{Name: "github.com/gofiber/fiber/v2", Version: "v2.52.15", Licence: "MIT", URL: "https://pkg.go.dev/github.com/gofiber/fiber/v2@v2.52.15?tab=licenses", Kind: "module"},
		{Name: "github.com/modelcontextprotocol/go-sdk", Version: "v1.8.0", Licence: "Apache-2.0 OR MIT", Kind: "module"},
		{Name: "github.com/example/unrecorded", Version: "v0.1.0", Kind: "module"},
		{Name: "SQLite", Version: "bundled", Licence: "blessing", Kind: "c-library"},
	}}
	var buf bytes.Buffer
	if err := encode(&buf, b, time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	c := jsonschema.NewCompiler()
	for file, id := range map[string]string{"bom-1.6.schema.json": "bom-1.6.schema.json", "spdx.schema.json": "spdx.schema.json", "jsf-0.82.schemax.json": "jsf-0.82.schema.json"} {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+id, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("not valid CycloneDX 1.6: %v\n%s", err, buf.String())
	}
	var doc struct {
		BOMFormat, SpecVersion string
		Metadata               struct {
			Component struct{ Name, Version string }
		}
		Components []struct {
			Name, Version, Purl string
			Licenses            []struct {
				License    struct{ ID string }
				Expression string
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != "1.6" || doc.Metadata.Component.Name != "orengen" || doc.Metadata.Component.Version != "v1.2.3" {
		t.Errorf("header: %+v", doc)
	}
	if len(doc.Components) != 5 {
		t.Fatalf("components: %d", len(doc.Components))
	}
	fiber := doc.Components[1]
	if fiber.Purl != "pkg:golang/github.com/gofiber/fiber/v2@v2.52.15" || len(fiber.Licenses) != 1 || fiber.Licenses[0].License.ID != "MIT" {
		t.Errorf("fiber: %+v", fiber)
	}
	if l := doc.Components[2].Licenses; len(l) != 1 || l[0].Expression != "Apache-2.0 OR MIT" {
		t.Errorf("go-sdk licences: %+v", l)
	}
	if l := doc.Components[3].Licenses; len(l) != 0 {
		t.Errorf("an unrecorded licence is claimed: %+v", l)
	}
	if doc.Components[0].Purl != "pkg:golang/std@go1.26.8" {
		t.Errorf("stdlib purl: %q", doc.Components[0].Purl)
	}
}
