package store_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"

	"orengen/app"
	"orengen/store"
)

func countRows(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.ReadDB().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return n
}

func TestForms_TenantScopeAndSubmit(t *testing.T) {
	db, ws, _, _ := openAutomation(t)
	ctx := context.Background()
	tb := &app.Tenant{Name: "Bravo Co"}
	if err := store.NewTenantStore(db).CreateTenant(ctx, tb); err != nil {
		t.Fatal(err)
	}
	actx := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	bctx := app.NewContextWithTenant(ctx, tb)
	saveWorkflow(t, ws, app.Step{Type: app.StepContact})
	fs := store.NewFormStore(db)
	svc := app.NewFormService(fs)
	svc.Automations = app.NewAutomationService(ws, store.NewAutomationRequestStore(db))
	f := &app.Form{Name: "Quote", Notify: []string{"ops@example.com"}, Consent: "I agree.", Fields: []app.FormField{
		{Name: "name", Label: "Name", Type: app.FieldText, Required: true},
		{Name: "email", Label: "Email", Type: app.FieldEmail, Required: true},
		{Name: "size", Label: "Size", Type: app.FieldSelect, Options: []string{"S", "L"}},
	}}
	if err := svc.SaveForm(actx, f); err != nil {
		t.Fatal(err)
	}
	got, err := fs.FindForm(actx, f.ID)
	if err != nil || got.Name != "Quote" || len(got.Fields) != 3 || got.Fields[2].Options[1] != "L" || got.Notify[0] != "ops@example.com" {
		t.Fatalf("FindForm = %+v, %v", got, err)
	}
	// Tenant B sees nothing of A's form.
	if _, err := fs.FindForm(bctx, f.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B FindForm: %v", err)
	}
	if err := fs.SaveForm(bctx, &app.Form{ID: f.ID, Name: "stolen", Fields: f.Fields}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B SaveForm: %v", err)
	}
	if err := fs.DeleteForm(bctx, f.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B DeleteForm: %v", err)
	}
	if list, _ := fs.FindForms(bctx); len(list) != 0 {
		t.Fatalf("B FindForms = %d forms", len(list))
	}
	if _, err := fs.FindForms(ctx); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("FindForms without tenant: %v", err)
	}

	subs0 := countRows(t, db, `SELECT COUNT(*) FROM form_submissions`)
	leads0 := countRows(t, db, `SELECT COUNT(*) FROM leads`)
	runs0 := countRows(t, db, `SELECT COUNT(*) FROM runs`)
	vals := map[string]string{"name": "Ada", "email": "ADA@example.com", "size": "L", "consent": "1", "utm_source": "news"}
	get := func(k string) string { return vals[k] }
	for field, bad := range map[string]map[string]string{
		"size":    {"size": "XL"},
		"email":   {"email": "nope"},
		"name":    {"name": ""},
		"consent": {"consent": ""},
	} {
		b := map[string]string{}
		for k, v := range vals {
			b[k] = v
		}
		for k, v := range bad {
			b[k] = v
		}
		_, err := svc.Submit(ctx, got, func(k string) string { return b[k] })
		if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != field {
			t.Fatalf("bad %s: %v (field %q)", field, err, app.ErrorField(err))
		}
	}
	if countRows(t, db, `SELECT COUNT(*) FROM form_submissions`) != subs0 || countRows(t, db, `SELECT COUNT(*) FROM leads`) != leads0 {
		t.Fatal("a refused submission wrote rows")
	}
	sub, err := svc.Submit(ctx, got, get)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Form != "form-"+itoa(f.ID) || sub.ContactID == 0 || len(sub.RunIDs) != 1 || sub.Payload["utm_source"] != "news" || sub.Payload["form_id"] != itoa(f.ID) {
		t.Fatalf("submission = %+v", sub)
	}
	if countRows(t, db, `SELECT COUNT(*) FROM leads WHERE email = 'ada@example.com' AND tenant_id = 1 AND source = 'news'`) != 1 ||
		countRows(t, db, `SELECT COUNT(*) FROM runs`) != runs0+1 {
		t.Fatal("contact or run missing")
	}
	if n, err := fs.CountSubmissions(actx); err != nil || n[f.ID] != 1 {
		t.Fatalf("CountSubmissions = %v, %v", n, err)
	}
	if err := svc.DeleteForm(actx, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.FindPublicForm(ctx, f.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("deleted form: %v", err)
	}
}

func itoa(n int64) string { return fmtInt(n) }

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }
