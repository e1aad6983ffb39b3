package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestTenantExport_SchemaCovered fails when a table or an id column is
// added that the tenant export would not copy right: every table must be
// a tenant's (tenant_id), a child of one (a foreign key), or listed as
// global or skipped, and every id column of an exported table must be
// tenant_id, a foreign key or named in exportRefs.
func TestTenantExport_SchemaCovered(t *testing.T) {
	ctx := context.Background()
	db := NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	plan, err := exportPlan(ctx, db.read, "")
	if err != nil {
		t.Fatal(err)
	}
	if bad := uncoveredIDColumns(plan); len(bad) > 0 {
		t.Fatalf("id columns the tenant export cannot remap (declare a foreign key or add them to exportRefs): %v", bad)
	}
	in := map[string]bool{}
	for _, tb := range plan {
		in[tb.Name] = true
	}
	for _, must := range []string{"crm_people", "crm_contact_points", "workflow_versions", "wiki_attachment_data", "web_files", "run_steps"} {
		if !in[must] {
			t.Errorf("table %s is not in the export plan", must)
		}
	}
	for n := range exportSkipped {
		if in[n] {
			t.Errorf("skipped table %s is in the export plan", n)
		}
	}
	for key := range exportRefs {
		tb, col, _ := strings.Cut(key, ".")
		found := false
		for _, p := range plan {
			if p.Name == tb && p.has(col) {
				found = true
			}
		}
		if !found {
			t.Errorf("exportRefs names %s, which no exported table has", key)
		}
	}

	// The check itself: a new table of either kind is caught.
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE probe_kits (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, logo_file_id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	plan, err = exportPlan(ctx, db.read, "")
	if err != nil {
		t.Fatal(err)
	}
	if bad := uncoveredIDColumns(plan); len(bad) != 1 || bad[0] != "probe_kits.logo_file_id" {
		t.Fatalf("a new unmapped id column: got %v", bad)
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE loose_things (id INTEGER PRIMARY KEY, name TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := exportPlan(ctx, db.read, ""); err == nil || !strings.Contains(err.Error(), "loose_things is not classified") {
		t.Fatalf("an unclassified table: %v", err)
	}
}
