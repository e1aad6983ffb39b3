package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// openApplianceDB opens a database in a data directory of its own (one
// appliance).
func openApplianceDB(tb testing.TB) *store.DB {
	tb.Helper()
	db := store.NewDB(filepath.Join(tb.TempDir(), "orengen.db"))
	db.Now = func() time.Time { return time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC) }
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// seedTransferTenant creates a tenant with people (through the CRM store,
// so the search index and timeline are real), a note, a user, a form, a
// workflow whose trigger names the form, a wiki page with an attachment,
// a site page with a form block and a site file, and a sheet with rows.
// Returns the tenant and the attachment's bytes.
func seedTransferTenant(tb testing.TB, db *store.DB, slug string, people int) (*app.Tenant, []byte) {
	tb.Helper()
	ctx := context.Background()
	t := &app.Tenant{Name: strings.ToUpper(slug[:1]) + slug[1:] + " Inc", Slug: slug}
	if err := store.NewTenantStore(db).CreateTenant(ctx, t); err != nil {
		tb.Fatal(err)
	}
	tctx := app.NewContextWithTenantID(ctx, t.ID)
	crm := store.NewCRMStores(db)
	var first int64
	for i := 0; i < people; i++ {
		p := &app.Person{FirstName: fmt.Sprintf("Zebulon%d", i), LastName: slug, Emails: []string{fmt.Sprintf("p%d@%s.example", i, slug)}}
		if err := crm.People.CreatePerson(tctx, p); err != nil {
			tb.Fatal(err)
		}
		if i == 0 {
			first = p.ID
		}
	}
	if err := crm.Notes.CreateNote(tctx, &app.Note{RecordType: app.RecordPerson, RecordID: first, Body: "Met at the " + slug + " fair", Author: "test"}); err != nil {
		tb.Fatal(err)
	}
	file := []byte("%PDF-1.4 brochure of " + slug + strings.Repeat("\x00\x01\x02", 1000))
	now := store.FormatTime(db.Now())
	var err error
	uerr := db.Update(ctx, func(tx *store.Tx) error {
		exec := func(q string, args ...any) int64 {
			if err != nil {
				return 0
			}
			var res sql.Result
			res, err = tx.ExecContext(ctx, q, args...)
			if err != nil {
				err = fmt.Errorf("%s: %w", q, err)
				return 0
			}
			id, _ := res.LastInsertId()
			return id
		}
		exec(`INSERT INTO tenant_users (tenant_id, email, name, role, created_at, updated_at) VALUES (?, ?, 'Owner', 'owner', ?, ?)`, t.ID, "owner@"+slug+".example", now, now)
		form := exec(`INSERT INTO forms (tenant_id, name, fields, created_at, updated_at) VALUES (?, 'Contact', '[]', ?, ?)`, t.ID, now, now)
		wf := exec(`INSERT INTO workflows (tenant_id, name, trigger, enabled, form_filter, created_at, updated_at) VALUES (?, 'On contact', 'form_submitted', 1, ?, ?, ?)`, t.ID, fmt.Sprintf("form-%d", form), now, now)
		v := exec(`INSERT INTO workflow_versions (workflow_id, version, definition, created_at) VALUES (?, 1, ?, ?)`, wf,
			fmt.Sprintf(`{"when":{"form":"form-%d"},"steps":[{"id":"s1","type":"tag","tag":"lead"}]}`, form), now)
		exec(`UPDATE workflows SET version_id = ? WHERE id = ?`, v, wf)
		space := exec(`INSERT INTO wiki_spaces (tenant_id, name, created_at, updated_at) VALUES (?, 'Wiki', ?, ?)`, t.ID, now, now)
		page := exec(`INSERT INTO wiki_pages (tenant_id, space_id, title, slug, body, created_at, updated_at) VALUES (?, ?, 'Home', 'home', 'Welcome', ?, ?)`, t.ID, space, now, now)
		att := exec(`INSERT INTO wiki_attachments (tenant_id, space_id, page_id, name, content_type, size, sha256, created_at) VALUES (?, ?, ?, 'brochure.pdf', 'application/pdf', ?, '', ?)`, t.ID, space, page, len(file), now)
		exec(`INSERT INTO wiki_attachment_data (attachment_id, data) VALUES (?, ?)`, att, file)
		site := exec(`INSERT INTO web_sites (tenant_id, name, salt, created_at, updated_at) VALUES (?, 'Site', 'salt', ?, ?)`, t.ID, now, now)
		exec(`INSERT INTO web_pages (tenant_id, site_id, slug, title, blocks, created_at, updated_at) VALUES (?, ?, 'home', 'Home', ?, ?, ?)`, t.ID, site,
			fmt.Sprintf(`[{"id":"b1","type":"form","form_id":%d}]`, form), now, now)
		exec(`INSERT INTO web_files (site_id, path, content_type, body) VALUES (?, 'img/logo.png', 'image/png', ?)`, site, []byte("\x89PNG"+slug))
		tbl := exec(`INSERT INTO sheet_tables (tenant_id, name, created_at, updated_at) VALUES (?, 'Prices', ?, ?)`, t.ID, now, now)
		exec(`INSERT INTO sheet_rows (tenant_id, table_id, created_at, updated_at, v1) VALUES (?, ?, ?, ?, 'a'), (?, ?, ?, ?, 'b')`, t.ID, tbl, now, now, t.ID, tbl, now, now)
		return err
	})
	if uerr != nil {
		tb.Fatal(uerr)
	}
	return t, file
}

// captureTransferLeads captures n leads through the tenant's form, which
// starts a run each.
func captureTransferLeads(tb testing.TB, db *store.DB, t *app.Tenant, n int) {
	tb.Helper()
	var formID int64
	if err := db.ReadDB().QueryRow(`SELECT id FROM forms WHERE tenant_id = ?`, t.ID).Scan(&formID); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		sub := &app.Submission{TenantID: t.ID, Form: fmt.Sprintf("form-%d", formID), Payload: map[string]string{"form_id": fmt.Sprintf("form-%d", formID)},
			Contact: app.ContactInput{FirstName: "Lead", Email: fmt.Sprintf("lead%d@%s.example", i, t.Slug), Source: "site"}}
		if err := sub.Contact.Validate(); err != nil {
			tb.Fatal(err)
		}
		if err := store.NewWorkflowStore(db).CaptureSubmission(context.Background(), sub); err != nil || len(sub.RunIDs) != 1 {
			tb.Fatalf("capture: %v, runs %v", err, sub.RunIDs)
		}
	}
}

// dashCounts is the tenant's daily counts of leads and runs (dash_daily)
// next to a direct count of its rows, by metric, day and key.
func dashCounts(tb testing.TB, db *store.DB, tenantID int64) (kept, direct map[string]int64) {
	tb.Helper()
	read := func(q string, args ...any) map[string]int64 {
		rows, err := db.ReadDB().Query(q, args...)
		if err != nil {
			tb.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int64{}
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				tb.Fatal(err)
			}
			if n != 0 {
				m[k] = n
			}
		}
		return m
	}
	kept = read(`SELECT metric || ' ' || day || ' ' || key, sum(n) FROM dash_daily WHERE tenant_id = ? AND metric IN ('leads', 'runs') GROUP BY 1`, tenantID)
	direct = read(`SELECT 'leads ' || substr(created_at, 1, 10) || ' ' || source, count(*) FROM leads WHERE tenant_id = ? GROUP BY 1
		UNION ALL SELECT 'runs ' || substr(created_at, 1, 10) || ' ' || status, count(*) FROM runs WHERE tenant_id = ? GROUP BY 1`, tenantID, tenantID)
	return kept, direct
}

// tenantCounts counts the tenant's rows in the tables a test compares.
func tenantCounts(tb testing.TB, db *store.DB, tenantID int64) map[string]int64 {
	tb.Helper()
	out := map[string]int64{}
	for _, q := range []string{
		"crm_people", "crm_notes", "crm_timeline", "crm_contact_points", "tenant_users", "forms", "workflows", "workflow_versions",
		"wiki_pages", "wiki_attachments", "wiki_attachment_data", "web_pages", "web_files", "sheet_rows",
	} {
		var sqlq string
		switch q {
		case "crm_contact_points":
			sqlq = `SELECT count(*) FROM crm_contact_points WHERE person_id IN (SELECT id FROM crm_people WHERE tenant_id = ?)`
		case "workflow_versions":
			sqlq = `SELECT count(*) FROM workflow_versions WHERE workflow_id IN (SELECT id FROM workflows WHERE tenant_id = ?)`
		case "wiki_attachment_data":
			sqlq = `SELECT count(*) FROM wiki_attachment_data WHERE attachment_id IN (SELECT id FROM wiki_attachments WHERE tenant_id = ?)`
		case "web_files":
			sqlq = `SELECT count(*) FROM web_files WHERE site_id IN (SELECT id FROM web_sites WHERE tenant_id = ?)`
		default:
			sqlq = `SELECT count(*) FROM ` + q + ` WHERE tenant_id = ?`
		}
		var n int64
		if err := db.ReadDB().QueryRow(sqlq, tenantID).Scan(&n); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
		out[q] = n
	}
	return out
}

func TestTenantTransfer_ExportImport(t *testing.T) {
	ctx := context.Background()
	a := openApplianceDB(t)
	other, _ := seedTransferTenant(t, a, "other", 3)
	acme, file := seedTransferTenant(t, a, "acme", 25)
	captureTransferLeads(t, a, acme, 3)
	want := tenantCounts(t, a, acme.ID)
	if want["crm_people"] != 28 || want["wiki_attachment_data"] != 1 {
		t.Fatalf("seed: %v", want)
	}

	out := filepath.Join(t.TempDir(), "acme.sqlite")
	var steps int
	sum, err := store.NewTenantTransferStore(a).ExportTenant(ctx, acme.ID, out, func(app.TransferProgress) { steps++ })
	if err != nil {
		t.Fatal(err)
	}
	if steps < 10 || sum.Rows == 0 || sum.Files != 2 {
		t.Fatalf("export summary %+v after %d progress calls", sum, steps)
	}

	// The file: readable with any SQLite, a README, and no row of another
	// tenant in any table that has a tenant_id.
	x, err := sql.Open("sqlite3", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var readme int
	if err := x.QueryRow(`SELECT count(*) FROM README WHERE text LIKE '%SQLite%'`).Scan(&readme); err != nil || readme == 0 {
		t.Fatalf("README: %d %v", readme, err)
	}
	rows, err := x.Query(`SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'tenant_id'`)
	if err != nil {
		t.Fatal(err)
	}
	var scoped []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		scoped = append(scoped, n)
	}
	rows.Close()
	if len(scoped) < 40 {
		t.Fatalf("only %d tenant tables in the export", len(scoped))
	}
	for _, n := range scoped {
		var foreign int
		if err := x.QueryRow(`SELECT count(*) FROM "`+n+`" WHERE tenant_id IS NOT ?`, acme.ID).Scan(&foreign); err != nil {
			t.Fatal(err)
		}
		if foreign != 0 {
			t.Errorf("table %s of the export holds %d rows of another tenant", n, foreign)
		}
	}
	var leaked int
	x.QueryRow(`SELECT count(*) FROM crm_contact_points WHERE value LIKE '%other.example'`).Scan(&leaked)
	var leakedFiles int
	x.QueryRow(`SELECT count(*) FROM web_files WHERE body LIKE '%other%'`).Scan(&leakedFiles)
	if leaked+leakedFiles != 0 {
		t.Fatalf("the export holds %d contact points and %d files of tenant %s", leaked, leakedFiles, other.Slug)
	}

	// A second appliance with a tenant of its own, so every id collides.
	b := openApplianceDB(t)
	seedTransferTenant(t, b, "resident", 7)
	seedTransferTenant(t, b, "neighbour", 40) // more ids in use than the exporter had
	tr := store.NewTenantTransferStore(b)
	dry, err := tr.ImportTenant(ctx, out, app.ImportOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewTenantStore(b).FindTenantBySlug(ctx, "acme"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("dry run left the tenant behind: %v", err)
	}
	imp, err := tr.ImportTenant(ctx, out, app.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if imp.Rows != dry.Rows || imp.Rows != sum.Rows+1 {
		t.Fatalf("imported %d rows, dry run %d, exported %d (+ the tenant)", imp.Rows, dry.Rows, sum.Rows)
	}
	nt, err := store.NewTenantStore(b).FindTenantBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if nt.ID == acme.ID || nt.Name != acme.Name {
		t.Fatalf("imported tenant %+v (exported id %d)", nt, acme.ID)
	}
	got := tenantCounts(t, b, nt.ID)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d rows after import, %d before export", k, got[k], v)
		}
	}
	// The dashboard counts the imported leads and runs.
	if kept, direct := dashCounts(t, b, nt.ID); len(direct) == 0 || !reflect.DeepEqual(kept, direct) {
		t.Errorf("imported tenant's daily counts %v, its rows %v", kept, direct)
	}

	// A sample of records, and the references between them.
	var pid int64
	var first string
	if err := b.ReadDB().QueryRow(`SELECT p.id, p.first_name FROM crm_people p JOIN crm_contact_points c ON c.person_id = p.id
		WHERE c.value = 'p0@acme.example' AND p.tenant_id = ?`, nt.ID).Scan(&pid, &first); err != nil || first != "Zebulon0" {
		t.Fatalf("person p0: %q %v", first, err)
	}
	var note string
	if err := b.ReadDB().QueryRow(`SELECT body FROM crm_notes WHERE record_type = 'person' AND record_id = ? AND tenant_id = ?`, pid, nt.ID).Scan(&note); err != nil || note != "Met at the acme fair" {
		t.Fatalf("note of p0: %q %v", note, err)
	}
	tctx := app.NewContextWithTenantID(ctx, nt.ID)
	found, _, err := store.NewCRMStores(b).People.FindPeople(tctx, app.PersonFilter{ListOptions: app.ListOptions{Q: "Zebulon7"}})
	if err != nil || len(found) != 1 || found[0].LastName != "acme" {
		t.Fatalf("search in the imported tenant: %v %v", found, err)
	}
	var formID int64
	var filter, def, blocks string
	if err := b.ReadDB().QueryRow(`SELECT f.id, w.form_filter, v.definition, p.blocks FROM forms f, workflows w, workflow_versions v, web_pages p
		WHERE f.tenant_id = ? AND w.tenant_id = f.tenant_id AND v.id = w.version_id AND v.workflow_id = w.id AND p.tenant_id = f.tenant_id`, nt.ID).
		Scan(&formID, &filter, &def, &blocks); err != nil {
		t.Fatal(err)
	}
	if filter != fmt.Sprintf("form-%d", formID) || !strings.Contains(def, fmt.Sprintf(`"form":"form-%d"`, formID)) || !strings.Contains(blocks, fmt.Sprintf(`"form_id":%d`, formID)) {
		t.Fatalf("form %d: workflow filter %q, definition %s, page blocks %s", formID, filter, def, blocks)
	}
	var data []byte
	if err := b.ReadDB().QueryRow(`SELECT d.data FROM wiki_attachment_data d JOIN wiki_attachments a ON a.id = d.attachment_id WHERE a.tenant_id = ?`, nt.ID).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(data) != sha256.Sum256(file) {
		t.Fatal("the wiki attachment changed on the way")
	}
	var rowsOK int
	b.ReadDB().QueryRow(`SELECT count(*) FROM sheet_rows r JOIN sheet_tables s ON s.id = r.table_id WHERE s.tenant_id = ? AND r.tenant_id = ?`, nt.ID, nt.ID).Scan(&rowsOK)
	if rowsOK != 2 {
		t.Fatalf("%d sheet rows point at the imported sheet, want 2", rowsOK)
	}
	// The imported history is not news: the webhook fan-out (like the
	// automations, through the same cursor read) sees the resident
	// tenants' pending entries and none of the imported ones.
	var pending, imported, max int64
	b.ReadDB().QueryRow(`SELECT count(*) FROM crm_timeline WHERE tenant_id <> ? AND id > (SELECT timeline_id FROM webhook_cursor)`, nt.ID).Scan(&pending)
	b.ReadDB().QueryRow(`SELECT count(*), max(id) FROM crm_timeline WHERE tenant_id = ?`, nt.ID).Scan(&imported, &max)
	if pending == 0 || imported == 0 {
		t.Fatalf("pending %d, imported %d timeline entries", pending, imported)
	}
	n, err := store.NewWebhookStore(b).FanOut(ctx, 1000, func(*app.TimelineEntry) (string, []byte) { return "x", nil })
	if err != nil || int64(n) != pending {
		t.Fatalf("webhook fan-out read %d entries (%v), want the %d pending ones and none of the %d imported", n, err, pending, imported)
	}
	if n, _ := store.NewWebhookStore(b).FanOut(ctx, 1000, func(*app.TimelineEntry) (string, []byte) { return "x", nil }); n != 0 {
		t.Fatalf("a second fan-out read %d entries", n)
	}
	var cursor int64
	b.ReadDB().QueryRow(`SELECT timeline_id FROM webhook_cursor`).Scan(&cursor)
	if cursor != max {
		t.Fatalf("webhook cursor at %d, the last imported entry is %d", cursor, max)
	}
	// The resident tenant is untouched.
	res, _ := store.NewTenantStore(b).FindTenantBySlug(ctx, "resident")
	if c := tenantCounts(t, b, res.ID); c["crm_people"] != 7 {
		t.Fatalf("resident tenant: %v", c)
	}
}

func TestTenantTransfer_ImportRefusals(t *testing.T) {
	ctx := context.Background()
	a := openApplianceDB(t)
	acme, _ := seedTransferTenant(t, a, "acme", 3)
	dir := t.TempDir()
	out := filepath.Join(dir, "acme.sqlite")
	if _, err := store.NewTenantTransferStore(a).ExportTenant(ctx, acme.ID, out, nil); err != nil {
		t.Fatal(err)
	}
	b := openApplianceDB(t)
	tr := store.NewTenantTransferStore(b)
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	edit := func(name, q string) string {
		p := write(name, raw)
		x, err := sql.Open("sqlite3", "file:"+p)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if _, err := x.Exec(q); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := openApplianceDB(t) // an SQLite file that is not an export
	for _, tc := range []struct {
		name, path, code, want string
		opt                    app.ImportOptions
	}{
		{"text file", write("notes.txt", []byte("hello, not a database")), app.EINVALID, "not an OrenGen tenant export", app.ImportOptions{}},
		{"other database", plain.Path, app.EINVALID, "no orengen_export table", app.ImportOptions{}},
		{"truncated", write("cut.sqlite", raw[:len(raw)/2]), app.EINVALID, "truncated", app.ImportOptions{}},
		{"newer schema", edit("newer.sqlite", `UPDATE orengen_export SET value = '9999_future.sql' WHERE key = 'schema_version'`), app.EINVALID, "newer schema version", app.ImportOptions{}},
		{"rows removed", edit("short.sqlite", `DELETE FROM crm_people WHERE id = (SELECT max(id) FROM crm_people)`), app.EINVALID, "table crm_people holds 2 rows, its manifest says 3", app.ImportOptions{}},
		{"bad slug", out, app.EINVALID, "Slug", app.ImportOptions{Slug: "Not A Slug!"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tr.ImportTenant(ctx, tc.path, tc.opt)
			if app.ErrorCode(err) != tc.code || !strings.Contains(app.ErrorMessage(err), tc.want) {
				t.Fatalf("got %v (%s), want %s containing %q", err, app.ErrorCode(err), tc.code, tc.want)
			}
		})
	}
	if _, err := tr.ImportTenant(ctx, out, app.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	before := tenantCount(t, b)
	// The slug exists now; under another slug its owner's email does.
	if _, err := tr.ImportTenant(ctx, out, app.ImportOptions{}); app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), `slug "acme" exists`) {
		t.Fatalf("same slug: %v", err)
	}
	if _, err := tr.ImportTenant(ctx, out, app.ImportOptions{Slug: "acme-two"}); app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), "owner@acme.example") {
		t.Fatalf("same user email: %v", err)
	}
	if n := tenantCount(t, b); n != before {
		t.Fatalf("refused imports left %d tenants, want %d", n, before)
	}
	var people int
	b.ReadDB().QueryRow(`SELECT count(*) FROM crm_people`).Scan(&people)
	if people != 3 {
		t.Fatalf("%d people after one import and refusals, want 3 (nothing half-written)", people)
	}
}

func tenantCount(tb testing.TB, db *store.DB) int {
	var n int
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM tenants`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestTenantTransfer_BilledClientMoves: a client the agency has invoiced
// moves to another appliance whose own invoices use the same numbers;
// the import succeeds, because invoices, plans and balances are the
// agency's records on the first appliance and stay there.
func TestTenantTransfer_BilledClientMoves(t *testing.T) {
	ctx := context.Background()
	invoice := func(db *store.DB, tenantID int64) {
		t.Helper()
		if err := db.Update(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(`INSERT INTO billing_invoices (tenant_id, number, kind, period_start, period_end, subtotal_micros, tax_micros, total_micros, status, issued_at)
				VALUES (?, 'INV-000001', 'invoice', '2026-11-01', '2026-12-01', 5000000, 0, 5000000, 'open', '2026-12-01T00:00:00Z')`, tenantID)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			_, err = tx.Exec(`INSERT INTO billing_invoice_lines (invoice_id, position, description, amount_micros) VALUES (?, 1, 'Plan', 5000000)`, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := openApplianceDB(t), openApplianceDB(t)
	acme, _ := seedTransferTenant(t, a, "acme", 2)
	invoice(a, acme.ID)
	here, _ := seedTransferTenant(t, b, "here", 2)
	invoice(b, here.ID)
	out := filepath.Join(t.TempDir(), "acme.sqlite")
	if _, err := store.NewTenantTransferStore(a).ExportTenant(ctx, acme.ID, out, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewTenantTransferStore(b).ImportTenant(ctx, out, app.ImportOptions{}); err != nil {
		t.Fatalf("import of a billed client: %v", err)
	}
	var mine, all int
	b.ReadDB().QueryRow(`SELECT count(*) FROM billing_invoices WHERE tenant_id = ?`, here.ID).Scan(&mine)
	b.ReadDB().QueryRow(`SELECT count(*) FROM billing_invoices`).Scan(&all)
	if mine != 1 || all != 1 {
		t.Errorf("invoices after the import: the appliance's own %d, all %d (want 1, 1)", mine, all)
	}
}
