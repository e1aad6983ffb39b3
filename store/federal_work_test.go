package store_test

import (
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/federal"
	"orengen/store"
)

// Tasks and notes link to pursuits (record_type pursuit / grant_pursuit)
// through the CRM store, within the tenant only.
func TestCRMStore_PursuitTasksNotes(t *testing.T) {
	e := newCRMEnv(t)
	fs := store.NewFederalStore(e.DB)
	notices := mustNotices(t, "sam_search_page1.json")
	if _, err := fs.UpsertNotices(e.A, notices, fedNow); err != nil {
		t.Fatal(err)
	}
	nid := notices[0].NoticeID
	if err := fs.SavePipelineEntry(e.A, &federal.PipelineEntry{TenantID: e.TA.ID, NoticeID: nid, Stage: federal.StageTriage}, fedNow); err != nil {
		t.Fatal(err)
	}
	p, err := fs.FindPipelineEntry(e.A, nid)
	if err != nil || p.ID == 0 {
		t.Fatalf("pipeline entry %+v %v, want an ID", p, err)
	}
	if _, err := fs.UpsertGrants(e.A, []federal.Grant{{ID: "361874", Number: "HHS-1", Title: "Rural"}}, fedNow); err != nil {
		t.Fatal(err)
	}
	if err := fs.SaveGrantPipelineEntry(e.A, &federal.GrantPipelineEntry{TenantID: e.TA.ID, GrantID: "361874", Stage: "triage"}); err != nil {
		t.Fatal(err)
	}
	g, err := fs.FindGrantPipelineEntry(e.A, "361874")
	if err != nil || g.ID == 0 {
		t.Fatalf("grant pipeline entry %+v %v, want an ID", g, err)
	}

	t.Run("OK", func(t *testing.T) {
		task := &app.Task{Title: "Ask the CO about page limits", RecordType: app.RecordPursuit, RecordID: p.ID}
		if err := e.S.Tasks.CreateTask(e.A, task); err != nil {
			t.Fatal(err)
		}
		if err := e.S.Notes.CreateNote(e.A, &app.Note{RecordType: app.RecordGrantPursuit, RecordID: g.ID, Body: "**Eligible**"}); err != nil {
			t.Fatal(err)
		}
		typ := app.RecordPursuit
		got, _, err := e.S.Tasks.FindTasks(e.A, app.TaskFilter{RecordType: &typ, RecordID: &p.ID})
		if err != nil || len(got) != 1 || got[0].ID != task.ID {
			t.Fatalf("pursuit tasks %v %v, want the task", got, err)
		}
		done := true
		if _, err := e.S.Tasks.UpdateTask(e.A, task.ID, app.TaskUpdate{Done: &done}); err != nil {
			t.Fatal(err)
		}
		// Tenant B sees neither.
		if got, _, _ := e.S.Tasks.FindTasks(e.B, app.TaskFilter{RecordType: &typ}); len(got) != 0 {
			t.Errorf("tenant B sees %d pursuit tasks", len(got))
		}
	})
	t.Run("ErrOtherTenantsPursuit", func(t *testing.T) {
		err := e.S.Tasks.CreateTask(e.B, &app.Task{Title: "x", RecordType: app.RecordPursuit, RecordID: p.ID})
		if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "Unknown pursuit") {
			t.Fatalf("task on another tenant's pursuit: %v, want Unknown pursuit", err)
		}
		err = e.S.Notes.CreateNote(e.B, &app.Note{Body: "x", RecordType: app.RecordGrantPursuit, RecordID: g.ID})
		if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "Unknown grant pursuit") {
			t.Fatalf("note on another tenant's grant pursuit: %v", err)
		}
		err = e.DB.Update(e.B, func(tx *store.Tx) error { return store.CheckRecordTx(e.B, tx, app.RecordPursuit, p.ID, e.TB.ID) })
		if app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("CheckRecordTx in tenant B: %v, want ENOTFOUND", err)
		}
		err = e.S.Tasks.CreateTask(e.A, &app.Task{Title: "x", RecordType: "proposal", RecordID: p.ID})
		if app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("unknown record type: %v, want EINVALID", err)
		}
	})
	t.Run("LegacyNotesMigrate", func(t *testing.T) {
		// A pursuit written before 0015 kept free text in notes; running
		// 0015 again (it is a rebuild, so repeatable) moves it to a note.
		if err := e.DB.Update(e.A, func(tx *store.Tx) error {
			_, err := tx.Exec(`UPDATE federal_pipeline SET notes = '  Call Jane re: teaming  ' WHERE id = ?`, p.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ms, err := store.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		var sql string
		for _, m := range ms {
			if m.Name == "0015_federal_tasks.sql" {
				sql = m.SQL
			}
		}
		// Skip the ALTER TABLE ... ADD COLUMN at its top, which cannot run twice.
		sql = sql[strings.Index(sql, "CREATE TABLE federal_pipeline_new"):]
		if err := e.DB.Update(e.A, func(tx *store.Tx) error { _, err := tx.Exec(sql); return err }); err != nil {
			t.Fatal(err)
		}
		typ := app.RecordPursuit
		ns, _, err := e.S.Notes.FindNotes(e.A, app.NoteFilter{RecordType: &typ, RecordID: &p.ID})
		if err != nil || len(ns) != 1 || ns[0].Body != "Call Jane re: teaming" || ns[0].Author != "system" {
			t.Fatalf("migrated notes %+v %v", ns, err)
		}
		if got, _ := fs.FindPipelineEntry(e.A, nid); got.Notes != "" || got.ID != p.ID {
			t.Errorf("after migration: notes %q id %d, want empty and %d", got.Notes, got.ID, p.ID)
		}
		// The note is searchable like any CRM note.
		if ns, _, err := e.S.Notes.FindNotes(e.A, app.NoteFilter{ListOptions: app.ListOptions{Q: "teaming"}}); err != nil || len(ns) != 1 {
			t.Errorf("search migrated note: %d %v", len(ns), err)
		}
		// The earlier tasks and notes survived the rebuild.
		if ts, _, _ := e.S.Tasks.FindTasks(e.A, app.TaskFilter{RecordType: &typ}); len(ts) != 1 || !ts[0].Done {
			t.Errorf("tasks after rebuild: %+v", ts)
		}
	})
}
