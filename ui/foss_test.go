package ui_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"orengen/ui"
)

// TestFOSSRegistry: Nexus > FOSS registry lists the modules the binary is
// built from (its build info) with their licences and links, groups them
// by licence on the notices page, and downloads a CycloneDX SBOM naming
// the same modules; the admin API answers the same, and the portal has
// none of it (white label: the agency's build is not the client's).
func TestFOSSRegistry(t *testing.T) {
	e := newTenantEnv(t)
	// A test binary's build info lists no modules: give the registry the
	// modules the orengen binary links, as go list reads them.
	e.Server.FOSS.BuildInfo = binaryBuildInfo(t)
	st, body, _ := e.admin("GET", "/foss", nil)
	for _, want := range []string{"github.com/gofiber/fiber/v2", "MIT", "github.com/mattn/go-sqlite3", "Go standard library", runtime.Version(),
		"https://pkg.go.dev/github.com/gofiber/fiber/v2@", `href="/foss/sbom.json"`, `href="/foss/notices"`, `href="/foss"`} {
		if st != 200 || !strings.Contains(body, want) {
			t.Errorf("registry (%d): no %q", st, want)
		}
	}
	st, body, _ = e.admin("GET", "/foss/notices", nil)
	if st != 200 || !strings.Contains(body, "Apache License 2.0") || !strings.Contains(body, "github.com/aws/aws-sdk-go-v2") || !strings.Contains(body, "SQLite Blessing") {
		t.Errorf("notices: %d", st)
	}
	st, body, resp := e.admin("GET", "/foss/sbom.json", nil)
	if st != 200 || resp.Header.Get("Content-Type") != "application/vnd.cyclonedx+json" || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("sbom: %d %v", st, resp.Header)
	}
	var bom struct {
		BOMFormat, SpecVersion string
		Components             []struct {
			Name, Version, Purl string
			Licenses            []struct{ License struct{ ID string } }
		}
	}
	if err := json.Unmarshal([]byte(body), &bom); err != nil || bom.BOMFormat != "CycloneDX" {
		t.Fatalf("sbom: %v %.200s", err, body)
	}
	found := false
	for _, c := range bom.Components {
		if c.Name == "github.com/gofiber/fiber/v2" {
			found = strings.HasPrefix(c.Purl, "pkg:golang/github.com/gofiber/fiber/v2@v2.") && len(c.Licenses) == 1 && c.Licenses[0].License.ID == "MIT"
		}
	}
	if !found {
		t.Errorf("the SBOM has no fiber with its purl and licence")
	}
	// The API: the same list, admin keys only.
	st, m := e.adminAPI("GET", "/api/v1/foss/components", "")
	data, _ := m["data"].([]any)
	if st != 200 || len(data) != len(bom.Components) {
		t.Errorf("api components: %d, %d components, SBOM %d", st, len(data), len(bom.Components))
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/foss/components", Bearer: e.A.KeyRead}); st != http.StatusForbidden {
		t.Errorf("portal api: %d %s", st, body)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/foss", Cookies: map[string]string{"psid": e.A.Cookie}}); st != http.StatusNotFound {
		t.Errorf("portal /foss: %d", st)
	}
}

// binaryBuildInfo is the build info the orengen binary would carry: its
// main module and the modules it links (go list -deps).
func binaryBuildInfo(t *testing.T) func() (*debug.BuildInfo, bool) {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-tags", "sqlite_fts5", "-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}}{{end}}{{end}}", "orengen")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	bi := &debug.BuildInfo{GoVersion: runtime.Version(), Path: "orengen", Main: debug.Module{Path: "orengen", Version: "(devel)"}}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, version, _ := strings.Cut(line, " ")
		if path != "" && !seen[path] {
			seen[path] = true
			bi.Deps = append(bi.Deps, &debug.Module{Path: path, Version: version})
		}
	}
	return func() (*debug.BuildInfo, bool) { return bi, true }
}
