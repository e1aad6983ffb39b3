package ui_test

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
	"orengen/ui"
)

// TestNexus_TenantExport starts an export of tenant B from its Nexus page,
// follows its progress to the end, downloads the file, and imports it into
// a second appliance: the download is the whole tenant and nothing of A.
func TestNexus_TenantExport(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	b := strconv.FormatInt(e.B.T.ID, 10)
	st, body, _ := e.do(treq{Host: ui.HostNexus, Method: http.MethodGet, Path: "/tenants/" + b, Cookies: admin})
	if st != http.StatusOK || !strings.Contains(body, `href="/tenants/`+b+`/export"`) {
		t.Fatalf("tenant page: %d, no export link", st)
	}
	st, _, resp := e.do(treq{Host: ui.HostNexus, Method: http.MethodPost, Path: "/tenants/" + b + "/export", Cookies: admin, CSRF: true})
	if st != http.StatusSeeOther || resp.Header.Get("Location") != "/tenants/"+b+"/export" {
		t.Fatalf("start export: %d %q", st, resp.Header.Get("Location"))
	}
	link := regexp.MustCompile(`href="(/tenants/` + b + `/export/[0-9a-f]+)"`)
	var dl string
	for deadline := time.Now().Add(20 * time.Second); dl == ""; {
		st, body, _ = e.do(treq{Host: ui.HostNexus, Method: http.MethodGet, Path: "/tenants/" + b + "/export", Cookies: admin})
		if st != http.StatusOK {
			t.Fatalf("exports page: %d", st)
		}
		if m := link.FindStringSubmatch(body); m != nil {
			dl = m[1]
		} else if strings.Contains(body, "failed") {
			t.Fatalf("export failed: %s", body)
		} else if time.Now().After(deadline) {
			t.Fatalf("export not done: %s", body)
		} else {
			if !strings.Contains(body, "<progress") {
				t.Fatalf("a running export shows no progress: %s", body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Another tenant's id in the path finds nothing.
	a := strconv.FormatInt(e.A.T.ID, 10)
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: http.MethodGet, Path: strings.Replace(dl, "/tenants/"+b+"/", "/tenants/"+a+"/", 1), Cookies: admin}); st != http.StatusNotFound {
		t.Fatalf("B's export under A's id: status %d, want 404", st)
	}
	st, file, resp := e.do(treq{Host: ui.HostNexus, Method: http.MethodGet, Path: dl, Cookies: admin})
	if st != http.StatusOK || !strings.HasPrefix(file, "SQLite format 3\x00") || !strings.Contains(resp.Header.Get("Content-Disposition"), e.B.T.Slug) {
		t.Fatalf("download: %d %q %.20q", st, resp.Header.Get("Content-Disposition"), file)
	}
	path := filepath.Join(t.TempDir(), "b.sqlite")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	x, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var foreign, leads int
	x.QueryRow(`SELECT count(*) FROM crm_people WHERE tenant_id <> ?`, e.B.T.ID).Scan(&foreign)
	x.QueryRow(`SELECT count(*) FROM leads WHERE tenant_id = ?`, e.B.T.ID).Scan(&leads)
	if foreign != 0 || leads == 0 {
		t.Fatalf("export of B: %d people of another tenant, %d leads of B", foreign, leads)
	}

	other := store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := other.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sum, err := store.NewTenantTransferStore(other).ImportTenant(context.Background(), path, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var people, want int
	other.ReadDB().QueryRow(`SELECT count(*) FROM crm_people WHERE tenant_id = ?`, sum.TenantID).Scan(&people)
	e.DB.ReadDB().QueryRow(`SELECT count(*) FROM crm_people WHERE tenant_id = ?`, e.B.T.ID).Scan(&want)
	if people != want || want == 0 {
		t.Fatalf("imported %d people of B, it has %d", people, want)
	}
}
