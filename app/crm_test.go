package app_test

import (
	"context"
	"testing"

	"orengen/app"
)

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"(512) 555-0100":    "+15125550100",
		"512.555.0100":      "+15125550100",
		"+1 512 555 0100":   "+15125550100",
		"+44 20 7946 0958":  "+442079460958",
		"+33 1 42 68 53 00": "+33142685300",
	} {
		if got, err := app.NormalizePhone("phone", in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"12", "555-0100", "+1 000 000 0000", "call me", "+999 1234"} {
		if _, err := app.NormalizePhone("phone", in); app.ErrorField(err) != "phone" {
			t.Errorf("%q: %v, want a phone error", in, err)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "0": 0, "12": 1200, "12.5": 1250, "1,234.56": 123456, ".5": 50} {
		if got, err := app.ParseAmount("amount", in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"abc", "1.234", "-5", "+5", "1e3", "."} {
		if _, err := app.ParseAmount("amount", in); app.ErrorField(err) != "amount" {
			t.Errorf("%q: %v, want an amount error", in, err)
		}
	}
	if s := app.FormatAmount(123456, "USD"); s != "1,234.56 USD" {
		t.Errorf("format: %s", s)
	}
}

func TestListOptions_Normalize(t *testing.T) {
	o := app.ListOptions{}
	if err := o.Normalize(); err != nil || o.Limit != app.DefaultPageSize || o.Sort != "-created_at" {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	c := app.Cursor{Sort: "name", Key: "ann", ID: 7}.Encode()
	if err := (&app.ListOptions{Sort: "name", Cursor: c}).Normalize(); err != nil {
		t.Errorf("good cursor: %v", err)
	}
	for field, o := range map[string]app.ListOptions{"limit": {Limit: 201}, "sort": {Sort: "email"}, "cursor": {Sort: "-created_at", Cursor: c}} {
		if err := o.Normalize(); app.ErrorField(err) != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestCRMReadScope(t *testing.T) {
	ctx := context.Background()
	if _, err := app.CRMReadScope(ctx); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("empty: %v", err)
	}
	if _, err := app.CRMReadScope(app.NewContextAcrossTenants(ctx)); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("across without admin: %v", err)
	}
	// A tenant key cannot read across tenants.
	k := app.NewContextWithAPIKey(app.NewContextAcrossTenants(ctx), &app.APIKey{TenantID: 3})
	if _, err := app.CRMReadScope(k); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("tenant key across: %v", err)
	}
	if tid, err := app.CRMReadScope(app.NewContextWithAdmin(app.NewContextAcrossTenants(ctx), &app.Admin{})); err != nil || tid != 0 {
		t.Errorf("admin across: %d %v", tid, err)
	}
	if tid, err := app.CRMReadScope(app.NewContextWithTenant(ctx, &app.Tenant{ID: 4})); err != nil || tid != 4 {
		t.Errorf("tenant: %d %v", tid, err)
	}
}
