package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"orengen/app"
	"orengen/store"
)

func newVault(t *testing.T, db *store.DB, key byte) *app.VaultService {
	t.Helper()
	c, err := app.NewCipher(bytes.Repeat([]byte{key}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return app.NewVaultService(store.NewVaultStore(db), c)
}

// After a secret is stored, neither the database file nor its WAL holds
// it in plain text.
func TestVault_NoPlaintextOnDisk(t *testing.T) {
	db, dir := mustOpenTenantDB(t)
	v := newVault(t, db, 7)
	ctx := context.Background()
	secret := "sk_live_PLAINTEXT_MARKER_4f9a2c7e1b"
	if err := v.Put(ctx, app.GlobalScope, "stripe.secret_key", secret); err != nil {
		t.Fatal(err)
	}
	if err := v.Put(ctx, app.TenantScope(app.HouseTenantID), "twilio.auth_token", secret+"-tenant"); err != nil {
		t.Fatal(err)
	}
	got, err := v.Get(ctx, app.GlobalScope, "stripe.secret_key")
	if err != nil || got != secret {
		t.Fatalf("Get = %q, %v", got, err)
	}
	var checked int
	for _, f := range []string{"orengen.db", "orengen.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		checked += len(b)
		if bytes.Contains(b, []byte("PLAINTEXT_MARKER")) {
			t.Errorf("%s contains the secret in plain text", f)
		}
		if !bytes.Contains(b, []byte("stripe.secret_key")) && f == "orengen.db-wal" {
			t.Logf("%s does not hold the row (checkpointed)", f)
		}
	}
	if checked == 0 {
		t.Fatal("no database bytes read")
	}
}

func TestVault_ScopesAndErrors(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	v := newVault(t, db, 1)
	ctx := context.Background()
	a, b := mustCreateTenant(t, db, "Alpha"), mustCreateTenant(t, db, "Bravo")
	if err := v.Put(ctx, app.TenantScope(b.ID), "api.token", "bee-secret"); err != nil {
		t.Fatal(err)
	}
	// A tenant principal only sees its own scope.
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, a), &app.User{ID: 1, TenantID: a.ID})
	if _, err := v.Get(actx, app.TenantScope(b.ID), "api.token"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A reads B's secret: %v", err)
	}
	if _, err := v.Get(actx, app.GlobalScope, "api.token"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A reads global: %v", err)
	}
	for _, bad := range []string{"", "UPPER", "has space", "../x"} {
		if err := v.Put(ctx, app.GlobalScope, bad, "v"); app.ErrorField(err) != "name" {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	if err := v.Put(ctx, app.GlobalScope, "empty", ""); app.ErrorField(err) != "value" {
		t.Errorf("empty value: %v", err)
	}
	// A wrong master key is reported as such, never with the value.
	other := newVault(t, db, 2)
	_, err := other.Get(ctx, app.TenantScope(b.ID), "api.token")
	if err == nil || bytes.Contains([]byte(err.Error()), []byte("bee-secret")) {
		t.Errorf("wrong key: %v", err)
	}
	list, err := v.List(ctx, app.TenantScope(b.ID))
	if err != nil || len(list) != 1 || list[0].LastUsedAt != nil {
		t.Errorf("list: %+v %v", list, err)
	}
	if err := v.Delete(ctx, app.TenantScope(b.ID), "api.token"); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ctx, app.TenantScope(b.ID), "api.token"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
}

func TestVault_Rotate(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	ctx := context.Background()
	old := newVault(t, db, 3)
	tn := mustCreateTenant(t, db, "Rot")
	for i, name := range []string{"a.one", "b.two", "c.three"} {
		if err := old.Put(ctx, app.TenantScope(int64(i%2)*tn.ID), name, "value-"+name); err != nil {
			t.Fatal(err)
		}
	}
	// A two-factor secret is sealed with the same key and must move too.
	us := store.NewUserStore(db)
	u := &app.User{Email: "u@rot.test", Role: app.UserRoleOwner}
	if err := us.CreateTenantUser(app.NewContextWithTenant(ctx, tn), u); err != nil {
		t.Fatal(err)
	}
	sealed, _ := old.SealTOTP(app.TOTPAccount("user", u.ID), "JBSWY3DPEHPK3PXP")
	if err := us.SetUserTOTP(ctx, u.ID, sealed); err != nil {
		t.Fatal(err)
	}
	next := newVault(t, db, 4)
	// A rotation that fails half-way (wrong current key) changes nothing.
	wrong := newVault(t, db, 9)
	if _, err := wrong.Rotate(ctx, next.Cipher); err == nil {
		t.Fatal("rotation with the wrong current key succeeded")
	}
	if v, err := old.Get(ctx, app.GlobalScope, "a.one"); err != nil || v != "value-a.one" {
		t.Fatalf("after failed rotation: %q %v", v, err)
	}
	n, err := old.Rotate(ctx, next.Cipher)
	if err != nil || n != 4 {
		t.Fatalf("rotate: %d %v", n, err)
	}
	if v, err := next.Get(ctx, app.TenantScope(tn.ID), "b.two"); err != nil || v != "value-b.two" {
		t.Errorf("new key: %q %v", v, err)
	}
	if _, err := old.Get(ctx, app.GlobalScope, "a.one"); err == nil {
		t.Error("old key still opens the vault")
	}
	got, _ := us.FindUserByID(ctx, u.ID)
	if s, err := next.OpenTOTP(app.TOTPAccount("user", u.ID), got.TOTPSealed); err != nil || s != "JBSWY3DPEHPK3PXP" {
		t.Errorf("two-factor secret after rotation: %q %v", s, err)
	}
}
