package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
)

// TestBrowser_TenantImport: a client exported on one appliance (people
// and 3 MiB of wiki files, above the body limit) is imported on another
// through Nexus > Tenants > Import: upload.js sends the file in pieces
// with a progress bar that reaches 100%, the dry run shows what the file
// creates per table, Import runs with its progress to the end, and the
// second appliance has the client's people and files byte for byte.
func TestBrowser_TenantImport(t *testing.T) {
	ctx := newBrowserFor(t, 2*time.Minute)
	bg := context.Background()
	one, two := t.TempDir(), t.TempDir()

	a := openApp(t, one)
	tn := &app.Tenant{Name: "Haulers"}
	if err := a.Tenants.CreateTenant(bg, tn, ""); err != nil {
		t.Fatal(err)
	}
	tctx := app.NewContextWithUser(app.NewContextWithTenant(bg, tn), &app.User{TenantID: tn.ID, Role: app.UserRoleOwner})
	const people = 40
	for i := range people {
		if err := a.CRM.People.CreatePerson(tctx, &app.Person{FirstName: fmt.Sprintf("Hauler%d", i), Emails: []string{fmt.Sprintf("h%d@haulers.test", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	sp, err := a.Wiki.Space(tctx)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := a.Wiki.CreatePage(tctx, sp.ID, 0, "Truck photos", "Photos.")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i := range 3 {
		data := make([]byte, 1<<20)
		for j := range data {
			data[j] = byte(j*7 + i*31 + j>>11)
		}
		copy(data, "\x89PNG\r\n\x1a\n")
		name := fmt.Sprintf("truck-%d.png", i)
		if _, err := a.Wiki.Attach(tctx, pg.ID, name, data); err != nil {
			t.Fatal(err)
		}
		want[name] = data
	}
	file := filepath.Join(t.TempDir(), "haulers.sqlite")
	if _, err := a.Transfer.Export(bg, tn.Slug, file, nil); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if st, err := os.Stat(file); err != nil || st.Size() < 3<<20 {
		t.Fatalf("export file: %v %v", st, err)
	}

	b := openApp(t, two)
	mustNexusOwner(t, b, "ops@example.com", "import browser password")
	b.Close()
	addr, _, _ := MustRunMain(t, two)
	nexus := "http://nexus.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "tenant-import-failed")
		}
	}()
	watch := `(function () {
		var s = document.getElementById("upload-status");
		new MutationObserver(function () { sessionStorage.setItem("upload", (sessionStorage.getItem("upload") || "") + "|" + s.textContent); })
			.observe(s, {childList: true, characterData: true, subtree: true});
		return true;
	})()`
	var ok bool
	var check, log string
	if err := chromedp.Run(ctx,
		loginTasks(nexus+"/login", "ops@example.com", "import browser password"),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(nexus+"/tenant-imports"),
		waitLoaded("#import_file", chromedp.ByID),
		chromedp.Evaluate(watch, &ok),
		chromedp.SetUploadFiles("#import_file", []string{file}, chromedp.ByID),
		chromedp.Click(`form[data-chunked] button[type=submit]`, chromedp.ByQuery),
		waitLoaded("#import-check", chromedp.ByID),
		chromedp.Text("#import-check", &check, chromedp.ByID),
		chromedp.Evaluate(`sessionStorage.getItem("upload") || ""`, &log),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, "(100%)") || strings.Count(log, "Uploaded") < 4 {
		t.Fatalf("progress did not reach 100%% in steps: %q", log)
	}
	for _, re := range []string{`crm_people\s+` + fmt.Sprint(people) + `\b`, `wiki_attachments\s+3\b`, `Client\s+haulers`} {
		if !regexp.MustCompile(re).MatchString(check) {
			t.Fatalf("dry run lacks %s: %q", re, check)
		}
	}
	var done string
	if err := chromedp.Run(ctx,
		chromedp.Click("#import-run", chromedp.ByID),
		waitLoaded("#import-done", chromedp.ByID),
		chromedp.Text("#import-done", &done, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(done, "haulers") || !strings.Contains(done, "3 files") {
		t.Fatalf("import done panel: %q", done)
	}

	c := openApp(t, two)
	defer c.Close()
	got, err := c.Tenants.TenantBySlug(bg, "haulers")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.DB.ReadDB().QueryRowContext(bg, `SELECT count(*) FROM crm_people WHERE tenant_id = ? AND first_name LIKE 'Hauler%'`, got.ID).Scan(&n); err != nil || n != people {
		t.Fatalf("imported people: %d %v", n, err)
	}
	rows, err := c.DB.ReadDB().QueryContext(bg, `SELECT a.name, d.data FROM wiki_attachments a JOIN wiki_attachment_data d ON d.attachment_id = a.id WHERE a.tenant_id = ?`, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var name string
		var data []byte
		if err := rows.Scan(&name, &data); err != nil {
			t.Fatal(err)
		}
		if w, ok := want[name]; !ok || string(w) != string(data) {
			t.Fatalf("file %s differs after the import (%d bytes)", name, len(data))
		}
		seen++
	}
	if seen != len(want) {
		t.Fatalf("imported %d files, want %d", seen, len(want))
	}
}
