package cli

import (
	"context"
	"io"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/store"
)

type recordingSink struct{ got []federal.FederalAlert }

func (r *recordingSink) Alert(_ context.Context, a federal.FederalAlert) error {
	r.got = append(r.got, a)
	return nil
}

// TestFederalAlertSink: a federal alert starts a run of every enabled
// "federal_alert" workflow with the alert's fields as trigger fields; with
// no such workflow it goes to the fallback sink.
func TestFederalAlertSink(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadConfig(newFlagSet("t", "t", io.Discard), []string{"--data-dir", dir}, envFrom(nil), "data-dir")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(context.Background(), cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	ws := store.NewWorkflowStore(m.DB)
	fallback := &recordingSink{}
	// The production sink, with the log replaced by a recorder.
	sink := m.Federal.Service.Sink.(*federal.WorkflowSink)
	sink.Next = fallback
	alert := federal.FederalAlert{TenantID: app.HouseTenantID, Kind: "digest", Subject: "3 new opportunities", Body: "...", Link: "/federal/digest", Due: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}

	if err := sink.Alert(ctx, alert); err != nil || len(fallback.got) != 1 {
		t.Fatalf("no workflow: err %v, fallback got %d", err, len(fallback.got))
	}
	def, err := app.ParseDefinition([]byte(`{"steps":[{"id":"n","type":"notify","subject":"{{.Trigger.subject}}","body":"{{.Trigger.body}}"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	w := &app.Workflow{TenantID: app.HouseTenantID, Name: "Federal alerts by email", Trigger: app.TriggerFederalAlert, Definition: def}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := ws.SaveWorkflow(ctx, w); err != nil {
		t.Fatal(err)
	}
	// A disabled workflow does not run.
	if err := sink.Alert(ctx, alert); err != nil || len(fallback.got) != 2 {
		t.Fatalf("disabled workflow: err %v, fallback got %d", err, len(fallback.got))
	}
	if err := ws.SetWorkflowEnabled(ctx, w.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := sink.Alert(ctx, alert); err != nil || len(fallback.got) != 2 {
		t.Fatalf("enabled workflow: err %v, fallback got %d", err, len(fallback.got))
	}
	runs, err := ws.FindRuns(app.NewContextWithAdmin(ctx, &app.Admin{ID: 1, Role: app.RoleOwner}), app.RunFilter{WorkflowID: w.ID, Limit: 10})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	if p := runs[0].Payload; p["subject"] != "3 new opportunities" || p["kind"] != "digest" || p["due"] != "2026-12-01" {
		t.Fatalf("trigger fields %v", p)
	}
}
