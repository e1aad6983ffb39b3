package store_test

import (
	"context"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/sheets"
	"orengen/store"
)

// The workflow steps on tables: a lead asks for a service; the workflow
// looks its price up in the price list, and when found adds a quote row
// with that price and marks the price-list row; an unknown service ends
// the run after the lookup.
func TestEngine_SheetSteps(t *testing.T) {
	ctx := context.Background()
	db, ws, cs, clk := openAutomation(t)
	svc := sheets.NewService(store.NewSheetStore(db).Stores())
	house := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	prices := &sheets.Table{Name: "Price list", Columns: []sheets.Column{{Name: "Service"}, {Name: "Price", Type: sheets.TypeCurrency},
		{Name: "Last quoted"}}}
	quotes := &sheets.Table{Name: "Quotes", Columns: []sheets.Column{{Name: "Customer", Required: true}, {Name: "Service"}, {Name: "Price", Type: sheets.TypeCurrency}}}
	for _, tb := range []*sheets.Table{prices, quotes} {
		if err := svc.CreateTable(house, tb); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []map[string]any{{"service": "Roof repair", "price": "1250.50"}, {"service": "Gutter cleaning", "price": "180"}} {
		if _, err := svc.CreateRow(house, prices, r); err != nil {
			t.Fatal(err)
		}
	}
	steps := []app.Step{
		{ID: "c", Type: app.StepContact},
		{ID: "find", Type: app.StepLookupRow, Table: "price list", Field: "Service", Value: "{{.Trigger.service}}"},
		{ID: "known", Type: app.StepIf, Field: "steps.find.found", Op: "eq", Value: "true", Else: "end"},
		{ID: "quote", Type: app.StepAddRow, Table: "Quotes", Set: map[string]string{"customer": "{{.Contact.Email}}", "service": "{{.Trigger.service}}", "price": "{{.Steps.find.price}}"}},
		{ID: "mark", Type: app.StepUpdateRow, Table: "Price list", Field: "service", Value: "{{.Trigger.service}}", Set: map[string]string{"last_quoted": "{{.Contact.Email}} (row {{.Steps.quote.row_id}})"}},
	}
	d := &app.Definition{Steps: steps}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	// Saving checks the tables and columns named by the steps.
	as := app.NewAutomationService(ws, store.NewAutomationRequestStore(db))
	as.Sheets = svc
	admin := app.NewContextWithAdmin(ctx, &app.Admin{ID: 1, Email: "root@agency.test", Role: app.RoleOwner})
	bad := `{"steps":[{"id":"find","type":"lookup_row","table":"Price list","field":"colour","value":"x"}]}`
	if _, err := as.SaveDefinition(admin, 0, "bad", app.TriggerFormSubmitted, []byte(bad), nil); app.ErrorField(err) != "definition" || !strings.Contains(app.ErrorMessage(err), `no column colour`) {
		t.Fatalf("unknown column: %v", err)
	}
	missing := `{"steps":[{"id":"x","type":"add_row","table":"Nope","set":{"a":"b"}}]}`
	if _, err := as.SaveDefinition(admin, 0, "bad", app.TriggerFormSubmitted, []byte(missing), nil); !strings.Contains(app.ErrorMessage(err), `No table named "Nope"`) {
		t.Fatalf("unknown table: %v", err)
	}
	w := &app.Workflow{TenantID: app.HouseTenantID, Name: "quote", Trigger: app.TriggerFormSubmitted, Enabled: true, Definition: d}
	if err := ws.SaveWorkflow(ctx, w); err != nil {
		t.Fatal(err)
	}
	e := newEngine(ws, cs, clk, &fakeTel{})
	e.Sheets = svc
	submit := func(email, service string) {
		sub := &app.Submission{TenantID: app.HouseTenantID, Form: "lead-capture", Contact: app.ContactInput{FirstName: "Ada", Email: email},
			Payload: map[string]string{"email": email, "service": service}}
		if err := sub.Contact.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := ws.CaptureSubmission(ctx, sub); err != nil {
			t.Fatal(err)
		}
		for {
			ran, err := e.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !ran {
				return
			}
		}
	}
	submit("ada@example.com", "roof repair")
	submit("bob@example.com", "Window washing")
	rows, _, _, err := svc.Rows(house, quotes, sheets.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d quotes, want 1", len(rows))
	}
	got := rows[0].Text(quotes)
	if got["customer"] != "ada@example.com" || got["service"] != "roof repair" || got["price"] != "1,250.50 USD" {
		t.Fatalf("quote: %v", got)
	}
	marked, _, _, _ := svc.Rows(house, prices, sheets.Filter{Where: []sheets.Condition{{Column: "last_quoted", Op: "not_empty"}}})
	if len(marked) != 1 || marked[0].Values["last_quoted"] != "ada@example.com (row "+itoa(rows[0].ID)+")" {
		t.Fatalf("marked rows: %+v", marked)
	}
	runs, err := ws.FindRuns(ctx, app.RunFilter{TenantID: app.HouseTenantID})
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs: %v %d", err, len(runs))
	}
	for _, r := range runs {
		if r.Status != app.RunSucceeded {
			t.Errorf("run %d: %s %s", r.ID, r.Status, r.Error)
		}
	}
	// Another tenant's table of the same name is never touched: a run of
	// tenant B finds no "Price list" of its own and fails permanently.
	tb := mustCreateTenant(t, db, "Bravo")
	wb := &app.Workflow{TenantID: tb.ID, Name: "b", Trigger: app.TriggerFormSubmitted, Enabled: true, Definition: &app.Definition{Steps: []app.Step{
		{ID: "find", Type: app.StepLookupRow, Table: "Price list", Field: "service", Value: "Roof repair"}}}}
	if err := ws.SaveWorkflow(ctx, wb); err != nil {
		t.Fatal(err)
	}
	sub := &app.Submission{TenantID: tb.ID, Form: "lead-capture", Contact: app.ContactInput{FirstName: "Cy", Email: "cy@b.test"}, Payload: map[string]string{}}
	sub.Contact.Validate()
	if err := ws.CaptureSubmission(ctx, sub); err != nil {
		t.Fatal(err)
	}
	for ran := true; ran; {
		if ran, err = e.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rb, _ := ws.FindRuns(ctx, app.RunFilter{TenantID: tb.ID})
	if len(rb) != 1 || rb[0].Status != app.RunFailed || !strings.Contains(rb[0].Error, `No table named "Price list"`) {
		t.Fatalf("B's run: %+v", rb[0])
	}
}
