package ui_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/ui"
)

// isoTenantImportRequest gives the isolation matrix's tenant-import API
// requests a real upload or import job.
func (e *tenantEnv) isoTenantImportRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/tenant-imports") {
		return
	}
	req.JSON = ""
	switch {
	case r.Path == "/api/v1/tenant-imports/uploads":
		req.Path = r.Path + "?name=x.sqlite&size=10"
	case strings.Contains(r.Path, ":upload"):
		// A real upload of 10 bytes (complete for the finish route).
		st, b, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/api/v1/tenant-imports/uploads?name=x.sqlite&size=10", Bearer: e.AdminKeyW})
		var u struct{ ID string }
		if st != 201 || json.Unmarshal([]byte(b), &u) != nil {
			e.t.Fatalf("iso upload: %d %s", st, b)
		}
		req.Path = strings.Replace(r.Path, ":upload", u.ID, 1)
		if strings.HasSuffix(r.Path, "/finish") {
			if st, b, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: req.Path[:len(req.Path)-len("/finish")] + "?offset=0", Bearer: e.AdminKeyW,
				Raw: "0123456789", ContentType: "application/octet-stream"}); st != 200 {
				e.t.Fatalf("iso chunk: %d %s", st, b)
			}
		} else {
			req.Path += "?offset=0"
			req.Raw, req.ContentType = "0123456789", "application/octet-stream"
		}
	case strings.HasSuffix(r.Path, "/run"):
		// A real export of a client without users, to import as a copy.
		ctx := context.Background()
		tn := &app.Tenant{Name: "Iso Import " + app.RandomToken(6)}
		if err := e.Server.Tenants.CreateTenant(ctx, tn, ""); err != nil {
			e.t.Fatal(err)
		}
		p := filepath.Join(e.t.TempDir(), "iso.sqlite")
		if _, err := e.Server.Transfer.Export(ctx, tn.Slug, p, nil); err != nil {
			e.t.Fatal(err)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		j := e.stageImport(e.t, raw)
		req.Path = strings.Replace(r.Path, ":id", j.ID, 1)
		req.JSON = `{"slug":"` + tn.Slug + `-copy"}`
	case strings.Contains(r.Path, ":id"):
		j := e.stageImport(e.t, []byte("not an export"))
		req.Path = strings.Replace(r.Path, ":id", j.ID, 1)
	}
}

func (e *tenantEnv) stageImport(t *testing.T, data []byte) *app.TenantImportJob {
	t.Helper()
	p := filepath.Join(t.TempDir(), "upload.sqlite")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := e.Server.Transfer.StageImport(context.Background(), p, "upload.sqlite", "test")
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestNexus_TenantImport exports a client, uploads the file to Nexus in
// chunks, sees the dry run (refused: the slug exists here; then the counts
// per table), imports it under a new slug with its progress followed to
// the end, and finds the copy's people; bad files are refused with the
// reason. Then the same through the admin API's chunked upload.
func TestNexus_TenantImport(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	admin := map[string]string{"orengen_session": e.AdminCookie}
	// A client without users (user emails are unique on an appliance).
	movers := &app.Tenant{Name: "Movers"}
	if err := e.Server.Tenants.CreateTenant(ctx, movers, ""); err != nil {
		t.Fatal(err)
	}
	mctx := app.NewContextWithUser(app.NewContextWithTenant(ctx, movers), &app.User{TenantID: movers.ID, Role: app.UserRoleOwner})
	for i := range 7 {
		if err := e.Server.CRM.CreatePerson(mctx, &app.Person{FirstName: "Mover " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	e.newForm(mctx, "Moving quote")
	file := filepath.Join(t.TempDir(), "movers.sqlite")
	if _, err := e.Server.Transfer.Export(ctx, "movers", file, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	// Chunked upload, as upload.js sends it.
	post := func(path, ctype string, body []byte) (int, string) {
		t.Helper()
		st, b, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: path, Cookies: admin, CSRF: true, Raw: string(body), ContentType: ctype,
			Header: map[string]string{"X-CSRF-Token": e.csrfToken()}})
		return st, b
	}
	upload := func(data []byte) string {
		t.Helper()
		st, b := post("/tenant-imports/upload", "application/x-www-form-urlencoded", []byte(url.Values{"name": {"movers.sqlite"}, "size": {strconv.Itoa(len(data))}}.Encode()))
		var u struct{ ID string }
		if st != 201 || json.Unmarshal([]byte(b), &u) != nil {
			t.Fatalf("upload create: %d %s", st, b)
		}
		for off := 0; off < len(data); off += 64 << 10 {
			end := min(off+64<<10, len(data))
			if st, b := post("/tenant-imports/upload/"+u.ID+"?offset="+strconv.Itoa(off), "application/octet-stream", data[off:end]); st != 200 {
				t.Fatalf("chunk at %d: %d %s", off, st, b)
			}
		}
		st, b = post("/tenant-imports/upload/"+u.ID+"/finish", "", nil)
		var done struct{ Location string }
		if st != 200 || json.Unmarshal([]byte(b), &done) != nil || !strings.HasPrefix(done.Location, "/tenant-imports/") {
			t.Fatalf("finish: %d %s", st, b)
		}
		return done.Location
	}
	page := func(path string) string {
		t.Helper()
		st, b, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: path, Cookies: admin})
		if st != 200 {
			t.Fatalf("GET %s: %d", path, st)
		}
		return b
	}
	tenants := e.countRows(t, `SELECT count(*) FROM tenants`)
	loc := upload(raw)
	if b := page(loc); !strings.Contains(b, `id="import-refused"`) || !strings.Contains(b, "slug") || !strings.Contains(b, "movers") {
		t.Fatalf("a file of a slug that exists: %.2000s", b)
	}
	st, b, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: loc + "/run", Cookies: admin, CSRF: true, Form: url.Values{"slug": {""}}})
	if st != 400 || !strings.Contains(b, "exists") {
		t.Fatalf("import under the existing slug: %d %.300s", st, b)
	}
	// Checked under a new slug: the counts per table.
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: loc + "/check", Cookies: admin, CSRF: true, Form: url.Values{"slug": {"movers-copy"}}}); st != http.StatusSeeOther {
		t.Fatalf("check: %d", st)
	}
	rowRE := regexp.MustCompile(`<td class="mono">crm_people</td><td>(\d+)</td>`)
	b = page(loc)
	if m := rowRE.FindStringSubmatch(b); m == nil || m[1] != "7" || !strings.Contains(b, `<td class="mono">forms</td><td>1</td>`) {
		t.Fatalf("dry run counts: %.3000s", b)
	}
	if n := e.countRows(t, `SELECT count(*) FROM tenants`); n != tenants {
		t.Fatalf("the dry runs wrote a tenant: %d -> %d", tenants, n)
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: loc + "/run", Cookies: admin, CSRF: true, Form: url.Values{"slug": {"movers-copy"}}}); st != http.StatusSeeOther {
		t.Fatalf("run: %d", st)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b = page(loc)
		if strings.Contains(b, `id="import-done"`) {
			break
		}
		if !strings.Contains(b, "<progress") || time.Now().After(deadline) {
			t.Fatalf("import neither running nor done: %.2000s", b)
		}
	}
	cp, err := e.Server.Tenants.TenantBySlug(ctx, "movers-copy")
	if err != nil {
		t.Fatal(err)
	}
	if n := e.countRows(t, `SELECT count(*) FROM crm_people WHERE tenant_id = ? AND first_name LIKE 'Mover %'`, cp.ID); n != 7 {
		t.Fatalf("imported people: %d", n)
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: loc + "/run", Cookies: admin, CSRF: true, Form: url.Values{"slug": {"movers-3"}}}); st != http.StatusConflict {
		t.Fatalf("a second run of an imported file: %d", st)
	}

	// Bad files, posted whole: refused with the reason, nothing written.
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.sqlite")
	os.WriteFile(newer, raw, 0o600)
	x, err := sql.Open("sqlite3", "file:"+newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Exec(`UPDATE orengen_export SET value = '9999_future.sql' WHERE key = 'schema_version'`); err != nil {
		t.Fatal(err)
	}
	x.Close()
	newerRaw, _ := os.ReadFile(newer)
	tenants = e.countRows(t, `SELECT count(*) FROM tenants`)
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"text":      {[]byte("hello, not a database"), "not an OrenGen tenant export"},
		"truncated": {raw[:len(raw)/2], "truncated"},
		"newer":     {newerRaw, "newer schema version"},
	} {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("_csrf", e.csrfToken())
		fw, _ := mw.CreateFormFile("file", name+".sqlite")
		fw.Write(tc.data)
		mw.Close()
		st, _, resp := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/tenant-imports", Cookies: admin, CSRF: true, Raw: buf.String(), ContentType: mw.FormDataContentType()})
		if st != http.StatusSeeOther {
			t.Fatalf("%s: %d", name, st)
		}
		if b := page(resp.Header.Get("Location")); !strings.Contains(b, tc.want) || !strings.Contains(b, `id="import-refused"`) || strings.Contains(b, `id="import-check"`) {
			t.Errorf("%s: the page does not say %q: %.1500s", name, tc.want, b)
		}
	}
	if n := e.countRows(t, `SELECT count(*) FROM tenants`); n != tenants {
		t.Fatalf("bad files wrote tenants: %d -> %d", tenants, n)
	}

	// The admin API: chunked upload, checked on finish, run, status.
	api := func(method, path, ctype string, body []byte, key string) (int, string) {
		t.Helper()
		st, b, _ := e.do(treq{Host: ui.HostNexus, Method: method, Path: path, Raw: string(body), ContentType: ctype, Bearer: key})
		return st, b
	}
	if st, _ := api("POST", "/api/v1/tenant-imports/uploads?name=m.sqlite&size="+strconv.Itoa(len(raw)), "", nil, e.AdminKeyRead); st != 403 {
		t.Fatalf("upload with a read key: %d", st)
	}
	st, b = api("POST", "/api/v1/tenant-imports/uploads?name=m.sqlite&size="+strconv.Itoa(len(raw)), "", nil, e.AdminKeyW)
	var u struct{ ID string }
	if st != 201 || json.Unmarshal([]byte(b), &u) != nil {
		t.Fatalf("API upload: %d %s", st, b)
	}
	if st, b := api("POST", "/api/v1/tenant-imports/uploads/"+u.ID+"?offset=0", "application/octet-stream", raw, e.AdminKeyW); st != 200 {
		t.Fatalf("API chunk: %d %s", st, b)
	}
	st, b = api("POST", "/api/v1/tenant-imports/uploads/"+u.ID+"/finish", "", nil, e.AdminKeyW)
	var job struct {
		Data struct {
			ID, Status, Refused string
			TenantID            int64 `json:"tenant_id"`
			Check               *struct{ Rows int64 }
		} `json:"data"`
	}
	if st != 200 || json.Unmarshal([]byte(b), &job) != nil || job.Data.Status != "refused" || !strings.Contains(job.Data.Refused, "slug") {
		t.Fatalf("API finish: %d %s", st, b)
	}
	if st, b := api("POST", "/api/v1/tenant-imports/"+job.Data.ID+"/run", "application/json", []byte(`{}`), e.AdminKeyW); st != 400 || !strings.Contains(b, `"field":"slug"`) {
		t.Fatalf("API run under the existing slug: %d %s", st, b)
	}
	if st, b := api("POST", "/api/v1/tenant-imports/"+job.Data.ID+"/run", "application/json", []byte(`{"slug":"movers-api"}`), e.AdminKeyW); st != 202 {
		t.Fatalf("API run: %d %s", st, b)
	}
	for deadline := time.Now().Add(20 * time.Second); job.Data.Status != "imported"; time.Sleep(20 * time.Millisecond) {
		st, b = api("GET", "/api/v1/tenant-imports/"+job.Data.ID, "", nil, e.AdminKeyRead)
		if st != 200 || json.Unmarshal([]byte(b), &job) != nil || job.Data.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("API status: %d %s", st, b)
		}
	}
	if job.Data.TenantID == 0 || job.Data.Check == nil || job.Data.Check.Rows == 0 {
		t.Fatalf("API imported: %s", b)
	}
	if n := e.countRows(t, `SELECT count(*) FROM crm_people WHERE tenant_id = ?`, job.Data.TenantID); n != 7 {
		t.Fatalf("API imported people: %d", n)
	}
}
