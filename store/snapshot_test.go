package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"orengen/app"
	"orengen/store"
)

func TestSnapshotStore_CaptureApply(t *testing.T) {
	ctx := context.Background()
	db := openApplianceDB(t)
	src, _ := seedTransferTenant(t, db, "acme", 5)
	ss := store.NewSnapshotStore(db)
	sn := &app.Snapshot{Name: "Acme setup"}
	if err := ss.CaptureSnapshot(ctx, src.ID, sn); err != nil {
		t.Fatal(err)
	}
	if sn.Version != 1 || sn.Items < 4 { // a form, a workflow, a site, a sheet
		t.Fatalf("captured %+v", sn)
	}
	dst := &app.Tenant{Name: "Blank Co"}
	if err := store.NewTenantStore(db).CreateTenant(ctx, dst); err != nil {
		t.Fatal(err)
	}
	pre, err := ss.ApplySnapshot(ctx, sn.ID, dst.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if pre.Applied || pre.Count(app.SnapshotCreate) != sn.Items {
		t.Fatalf("preview: %+v", pre)
	}
	var n int
	db.ReadDB().QueryRow(`SELECT count(*) FROM forms WHERE tenant_id = ?`, dst.ID).Scan(&n)
	if n != 0 {
		t.Fatal("the preview wrote a form")
	}
	got, err := ss.ApplySnapshot(ctx, sn.ID, dst.ID, false)
	if err != nil || !got.Applied {
		t.Fatalf("apply: %+v %v", got, err)
	}
	t.Logf("applied %d items in %s (preview %s)", len(got.Changes), got.Duration, pre.Duration)
	var form int64
	var filter, def, blocks, domain string
	var rowCount, files, rows, people int
	q := db.ReadDB().QueryRow
	q(`SELECT id FROM forms WHERE tenant_id = ?`, dst.ID).Scan(&form)
	q(`SELECT w.form_filter, v.definition FROM workflows w JOIN workflow_versions v ON v.id = w.version_id AND v.workflow_id = w.id WHERE w.tenant_id = ?`, dst.ID).Scan(&filter, &def)
	q(`SELECT p.blocks, s.domain FROM web_pages p JOIN web_sites s ON s.id = p.site_id WHERE p.tenant_id = ? AND s.tenant_id = ?`, dst.ID, dst.ID).Scan(&blocks, &domain)
	q(`SELECT row_count FROM sheet_tables WHERE tenant_id = ?`, dst.ID).Scan(&rowCount)
	q(`SELECT count(*) FROM web_files f JOIN web_sites s ON s.id = f.site_id WHERE s.tenant_id = ?`, dst.ID).Scan(&files)
	q(`SELECT count(*) FROM sheet_rows WHERE tenant_id = ?`, dst.ID).Scan(&rows)
	q(`SELECT count(*) FROM crm_people WHERE tenant_id = ?`, dst.ID).Scan(&people)
	want := fmt.Sprintf("form-%d", form)
	if form == 0 || filter != want || !strings.Contains(def, `"form":"`+want+`"`) || !strings.Contains(blocks, fmt.Sprintf(`"form_id":%d`, form)) {
		t.Fatalf("form %d: filter %q, definition %s, blocks %s", form, filter, def, blocks)
	}
	if files != 1 || rowCount != 0 || rows != 0 || people != 0 || domain != "" {
		t.Fatalf("files %d, sheet row_count %d, rows %d, people %d, domain %q", files, rowCount, rows, people, domain)
	}
	// Again: everything is there already and kept.
	again, err := ss.ApplySnapshot(ctx, sn.ID, dst.ID, false)
	if err != nil || again.Count(app.SnapshotCreate) != 0 || again.Count(app.SnapshotExists) != sn.Items {
		t.Fatalf("second apply: %+v %v", again, err)
	}
	// A snapshot from a newer schema is refused, and nothing is written.
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tenant_snapshots SET data = json_set(data, '$.schema_version', '9999_future.sql') WHERE id = ?`, sn.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	other := &app.Tenant{Name: "Other Co"}
	store.NewTenantStore(db).CreateTenant(ctx, other)
	if _, err := ss.ApplySnapshot(ctx, sn.ID, other.ID, false); app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "newer schema") {
		t.Fatalf("newer schema: %v", err)
	}
	q(`SELECT count(*) FROM forms WHERE tenant_id = ?`, other.ID).Scan(&n)
	if n != 0 {
		t.Fatal("a refused snapshot wrote a form")
	}
	if _, err := ss.ApplySnapshot(ctx, 9999, other.ID, false); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("unknown snapshot: %v", err)
	}
}
