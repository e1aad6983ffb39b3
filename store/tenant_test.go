package store_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"orengen/app"
	"orengen/store"
)

// mustOpenTenantDB opens a fresh orengen.db (all migrations) in a temp dir.
func mustOpenTenantDB(tb testing.TB) (*store.DB, string) {
	tb.Helper()
	dir := tb.TempDir()
	db := store.NewDB(filepath.Join(dir, "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, dir
}

func mustCreateTenant(tb testing.TB, db *store.DB, name string) *app.Tenant {
	tb.Helper()
	t := &app.Tenant{Name: name}
	if err := store.NewTenantStore(db).CreateTenant(context.Background(), t); err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestTenantStore_HouseTenantAndMigration(t *testing.T) {
	db, dir := mustOpenTenantDB(t)
	ctx := context.Background()
	h, err := store.NewTenantStore(db).FindTenantByID(ctx, app.HouseTenantID)
	if err != nil || !h.House || h.Slug != "house" {
		t.Fatalf("house tenant: %+v %v", h, err)
	}
	// Marketing-site leads (no tenant given) land in the house tenant.
	l := &app.Lead{FirstName: "Site", Email: "s@x.test"}
	if err := store.NewLeadStore(db).CreateLead(ctx, l); err != nil {
		t.Fatal(err)
	}
	got, err := store.NewTenantLeadStore(db).FindTenantLead(app.NewContextWithTenant(ctx, h), l.ID)
	if err != nil || got.TenantID != app.HouseTenantID {
		t.Fatalf("site lead: %+v %v", got, err)
	}
	// Reopening applies nothing twice.
	db.Close()
	db2 := store.NewDB(filepath.Join(dir, "orengen.db"))
	if err := db2.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if applied, err := db2.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("second migrate: %v %v", applied, err)
	}
}

func TestTenantStore_CreateUpdate(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	ctx := context.Background()
	s := store.NewTenantStore(db)
	t.Run("OK", func(t *testing.T) {
		tn := &app.Tenant{Name: "Acme Dental, Inc.", SupportEmail: "Help@Acme.test"}
		if err := s.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		if tn.Slug != "acme-dental-inc" || tn.SupportEmail != "help@acme.test" || tn.Status != app.TenantActive {
			t.Fatalf("got %+v", tn)
		}
		name := "Acme"
		got, err := s.UpdateTenant(ctx, tn.ID, app.TenantUpdate{Name: &name})
		if err != nil || got.Name != "Acme" || got.Slug != "acme-dental-inc" {
			t.Fatalf("update: %+v %v", got, err)
		}
	})
	t.Run("ErrSlugTaken", func(t *testing.T) {
		if err := s.CreateTenant(ctx, &app.Tenant{Name: "Acme Dental Inc"}); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrContrast", func(t *testing.T) {
		err := s.CreateTenant(ctx, &app.Tenant{Name: "Pale", PrimaryColor: "#7dd3fc"})
		if app.ErrorField(err) != "primary_color" || !strings.Contains(app.ErrorMessage(err), "4.5:1") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrTimezone", func(t *testing.T) {
		if err := s.CreateTenant(ctx, &app.Tenant{Name: "TZ", Timezone: "Mars/Base"}); app.ErrorField(err) != "timezone" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		name := "x"
		if _, err := s.UpdateTenant(ctx, 9999, app.TenantUpdate{Name: &name}); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("got %v", err)
		}
	})
}

func TestContrastRatio(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{{"#000000", "#ffffff", 21}, {"#ffffff", "#ffffff", 1}, {"#767676", "#ffffff", 4.54}} {
		got, err := app.ContrastRatio(c.a, c.b)
		if err != nil || got < c.want-0.01 || got > c.want+0.01 {
			t.Errorf("ContrastRatio(%s, %s) = %.2f, %v; want %.2f", c.a, c.b, got, err, c.want)
		}
	}
	if _, err := app.ContrastRatio("red", "#fff"); err == nil {
		t.Error("malformed colour accepted")
	}
}

func TestTenantLeadStore_Isolation(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	s := store.NewTenantLeadStore(db)
	a, b := mustCreateTenant(t, db, "Alpha"), mustCreateTenant(t, db, "Bravo")
	actx, bctx := app.NewContextWithTenant(context.Background(), a), app.NewContextWithTenant(context.Background(), b)
	lb := &app.Lead{FirstName: "Bee", Email: "b@b.test"}
	if err := s.CreateTenantLead(bctx, lb); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindTenantLead(actx, lb.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A reads B's lead: %v", err)
	}
	if err := s.DeleteTenantLead(actx, lb.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A deletes B's lead: %v", err)
	}
	if leads, n, err := s.FindTenantLeads(actx, 10); err != nil || n != 0 || len(leads) != 0 {
		t.Errorf("A lists: %d %v", n, err)
	}
	if _, err := s.FindTenantLead(bctx, lb.ID); err != nil {
		t.Errorf("B lost its lead: %v", err)
	}
	if _, _, err := s.FindTenantLeads(context.Background(), 10); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("no tenant: %v", err)
	}
}

func TestTenantStore_Logo(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	s := store.NewTenantStore(db)
	tn := mustCreateTenant(t, db, "Logo Co")
	ctx := context.Background()
	if _, err := s.FindTenantLogo(ctx, tn.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("no logo yet: %v", err)
	}
	l := &app.Logo{ContentType: "image/png", Data: []byte("png-bytes"), Hash: "abc"}
	if err := s.SetTenantLogo(ctx, tn.ID, l); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindTenantLogo(ctx, tn.ID)
	if err != nil || !bytes.Equal(got.Data, l.Data) || got.ContentType != "image/png" {
		t.Fatalf("logo: %+v %v", got, err)
	}
	if tt, _ := s.FindTenantByID(ctx, tn.ID); tt.LogoHash != "abc" {
		t.Errorf("LogoHash = %q", tt.LogoHash)
	}
	if err := s.SetTenantLogo(ctx, tn.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindTenantLogo(ctx, tn.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("after removal: %v", err)
	}
}

func TestNewLogo(t *testing.T) {
	for name, data := range map[string][]byte{
		"svg":   []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		"gif":   []byte("GIF89a...."),
		"empty": nil,
		"fake":  []byte("\x89PNG\r\n\x1a\nnope"),
	} {
		if _, err := app.NewLogo(data); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := app.NewLogo(make([]byte, app.MaxLogoBytes+1)); app.ErrorCode(err) != app.ETOOLARGE {
		t.Errorf("oversized: %v", err)
	}
}
