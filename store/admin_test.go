package store_test

import (
	"context"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

func TestAdminStore_CreateAdmin(t *testing.T) {
	db := MustOpenDB(t)
	s := store.NewAdminStore(db)
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		a := &app.Admin{Email: "Owner@Example.com", Name: "Owner", Role: app.RoleOwner}
		if err := a.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAdmin(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || !a.CreatedAt.Equal(db.Now()) {
			t.Fatalf("got %+v", a)
		}
		got, err := s.FindAdminByEmail(ctx, "owner@example.com")
		if err != nil || got.ID != a.ID || got.Name != "Owner" {
			t.Fatalf("find = %+v, %v", got, err)
		}
	})
	t.Run("ErrDuplicateEmail", func(t *testing.T) {
		err := s.CreateAdmin(ctx, &app.Admin{Email: "owner@example.com", Role: app.RoleStaff})
		if app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("err = %v, want ECONFLICT", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.FindAdminByID(ctx, 999); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAdminStore_RedeemAdminToken(t *testing.T) {
	db := MustOpenDB(t)
	s := store.NewAdminStore(db)
	ctx := context.Background()
	setup := &app.AdminToken{Purpose: app.TokenSetup, ExpiresAt: db.Now().Add(time.Hour)}
	if err := s.CreateAdminToken(ctx, setup, app.HashToken("tok1")); err != nil {
		t.Fatal(err)
	}
	a, err := s.RedeemAdminToken(ctx, app.HashToken("tok1"), &app.Admin{Email: "first@example.com", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Role != app.RoleOwner || a.ID == 0 {
		t.Fatalf("first admin = %+v", a)
	}
	if _, err := s.RedeemAdminToken(ctx, app.HashToken("tok1"), &app.Admin{Email: "again@example.com"}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("second use: err = %v, want ENOTFOUND", err)
	}
	// A second setup token cannot create another owner once one exists.
	if err := s.CreateAdminToken(ctx, &app.AdminToken{Purpose: app.TokenSetup, ExpiresAt: db.Now().Add(time.Hour)}, app.HashToken("tok2")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemAdminToken(ctx, app.HashToken("tok2"), &app.Admin{Email: "x@example.com"}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("err = %v, want ECONFLICT", err)
	}
	if n, _ := s.CountAdmins(ctx); n != 1 {
		t.Fatalf("admins = %d, want 1 (nothing half-written)", n)
	}
	// Expired tokens are not found.
	if err := s.CreateAdminToken(ctx, &app.AdminToken{Purpose: app.TokenReset, AdminID: a.ID, ExpiresAt: db.Now().Add(-time.Second)}, app.HashToken("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindAdminToken(ctx, app.HashToken("old")); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("expired: err = %v", err)
	}
	// A reset token sets the password of its admin only.
	if err := s.CreateAdminToken(ctx, &app.AdminToken{Purpose: app.TokenReset, AdminID: a.ID, ExpiresAt: db.Now().Add(time.Hour)}, app.HashToken("reset")); err != nil {
		t.Fatal(err)
	}
	got, err := s.RedeemAdminToken(ctx, app.HashToken("reset"), &app.Admin{PasswordHash: "new"})
	if err != nil || got.ID != a.ID || got.PasswordHash != "new" || got.Email != "first@example.com" {
		t.Fatalf("reset = %+v, %v", got, err)
	}
}
