package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

func TestUserStore_ScopedAndTokens(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	s := store.NewUserStore(db)
	a, b := mustCreateTenant(t, db, "Alpha"), mustCreateTenant(t, db, "Bravo")
	actx, bctx := app.NewContextWithTenant(context.Background(), a), app.NewContextWithTenant(context.Background(), b)
	ub := &app.User{Email: "Bee@B.test", Role: app.UserRoleOwner}
	if err := s.CreateTenantUser(bctx, ub); err != nil {
		t.Fatal(err)
	}
	if ub.TenantID != b.ID || ub.Email != "bee@b.test" {
		t.Fatalf("created %+v", ub)
	}
	t.Run("ErrEmailTaken", func(t *testing.T) {
		if err := s.CreateTenantUser(actx, &app.User{Email: "bee@b.test", Role: app.UserRoleMember}); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("OtherTenantIsNotFound", func(t *testing.T) {
		if _, err := s.FindTenantUser(actx, ub.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("find: %v", err)
		}
		if err := s.UpdateTenantUserRole(actx, ub.ID, app.UserRoleMember); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("role: %v", err)
		}
		if err := s.DeleteTenantUser(actx, ub.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("delete: %v", err)
		}
		if us, err := s.FindTenantUsers(actx); err != nil || len(us) != 0 {
			t.Errorf("list: %d %v", len(us), err)
		}
	})
	t.Run("TokenOnce", func(t *testing.T) {
		tok := &app.UserToken{Purpose: app.TokenInvite, UserID: ub.ID, TenantID: b.ID, ExpiresAt: time.Now().Add(time.Hour)}
		if err := s.CreateUserToken(context.Background(), tok, "hash1"); err != nil {
			t.Fatal(err)
		}
		u, err := s.RedeemUserToken(context.Background(), "hash1", "pwhash", "Bee")
		if err != nil || u.PasswordHash != "pwhash" || u.Name != "Bee" {
			t.Fatalf("redeem: %+v %v", u, err)
		}
		if _, err := s.RedeemUserToken(context.Background(), "hash1", "again", ""); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("second redeem: %v", err)
		}
	})
	t.Run("TokenExpired", func(t *testing.T) {
		tok := &app.UserToken{Purpose: app.TokenPwReset, UserID: ub.ID, TenantID: b.ID, ExpiresAt: time.Now().Add(-time.Second)}
		if err := s.CreateUserToken(context.Background(), tok, "hash2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindUserToken(context.Background(), "hash2"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("expired token: %v", err)
		}
	})
}

func TestPortalSessionStore(t *testing.T) {
	kv := store.NewKV(filepath.Join(t.TempDir(), "redka.db"))
	if err := kv.Open(); err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	s := store.NewPortalSessionStore(kv)
	ctx := context.Background()
	now := time.Now()
	mk := func(user int64) *app.PortalSession {
		ps := &app.PortalSession{ID: app.RandomToken(32), UserID: user, TenantID: 2, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreatePortalSession(ctx, ps); err != nil {
			t.Fatal(err)
		}
		return ps
	}
	s1, s2, other := mk(7), mk(7), mk(8)
	list, err := s.FindUserSessions(ctx, 7)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	for _, l := range list {
		if l.ID != "" {
			t.Error("a listed session carries its ID")
		}
	}
	if err := s.DeleteUserSession(ctx, 7, other.Key); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("revoking another user's session: %v", err)
	}
	if err := s.DeleteUserSession(ctx, 7, s1.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindPortalSession(ctx, s1.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("revoked session: %v", err)
	}
	if err := s.DeleteUserSessions(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindPortalSession(ctx, s2.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("after sign-out everywhere: %v", err)
	}
	if _, err := s.FindPortalSession(ctx, other.ID); err != nil {
		t.Errorf("other user's session: %v", err)
	}
}

func TestAPIKeyStore(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	ctx := context.Background()
	svc := app.NewAPIKeyService(store.NewAPIKeyStore(db))
	a, b := mustCreateTenant(t, db, "Alpha"), mustCreateTenant(t, db, "Bravo")
	actx, bctx := app.NewContextWithTenant(ctx, a), app.NewContextWithTenant(ctx, b)
	raw, k, err := svc.CreateTenantKey(bctx, "zap", app.ScopeWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.ParseAPIKey(raw); err != nil || k.Prefix != raw[:12] || k.CreatedBy != "cli" {
		t.Fatalf("key %+v: %v", k, err)
	}
	got, err := svc.Authenticate(ctx, raw)
	if err != nil || got.TenantID != b.ID || got.Scope != app.ScopeWrite {
		t.Fatalf("auth: %+v %v", got, err)
	}
	if err := svc.RevokeTenantKey(actx, k.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A revokes B's key: %v", err)
	}
	if keys, _ := svc.ListTenantKeys(actx); len(keys) != 0 {
		t.Errorf("A lists %d keys", len(keys))
	}
	if err := svc.RevokeTenantKey(bctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, raw); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("revoked key: %v", err)
	}
	if _, _, err := svc.CreateTenantKey(bctx, "x", "admin"); app.ErrorField(err) != "scope" {
		t.Errorf("bad scope: %v", err)
	}
	adm, ak, err := svc.CreateAdminKey(ctx, "ops", app.ScopeRead)
	if err != nil || !ak.Admin() || adm[:4] != "oga_" {
		t.Fatalf("admin key: %+v %v", ak, err)
	}
	// A member cannot create keys; only owners and admins.
	mctx := app.NewContextWithUser(actx, &app.User{ID: 1, TenantID: a.ID, Role: app.UserRoleMember})
	if _, _, err := svc.CreateTenantKey(mctx, "m", app.ScopeRead); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Errorf("member creates key: %v", err)
	}
}

func TestAuditStore_FilterAndPrune(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	ctx := context.Background()
	s := store.NewAuditStore(db)
	old := time.Now().Add(-400 * 24 * time.Hour)
	now := time.Now()
	svc := app.NewAuditService(s)
	svc.Now = func() time.Time { return old }
	svc.RecordAs(ctx, &app.AuditEntry{ActorKind: app.ActorAnonymous, Actor: "x@y.test", Action: "login.failed"})
	svc.Now = func() time.Time { return now }
	actx := app.NewContextWithAdmin(app.NewContextWithRequest(ctx, app.RequestInfo{IP: "192.0.2.9", UserAgent: "ua"}), &app.Admin{ID: 3, Email: "boss@agency.test"})
	svc.Record(actx, "login", "nexus", "")
	svc.Record(actx, "tenant.create", "tenant:acme", "")
	// The write after a year pruned the old entry (prune on write).
	all, n, err := svc.Find(actx, app.AuditFilter{})
	if err != nil || n != 2 {
		t.Fatalf("entries: %d %v", n, err)
	}
	if all[0].Action != "tenant.create" || all[1].IP != "192.0.2.9" || all[1].Actor != "boss@agency.test" || all[1].ActorKind != app.ActorAdmin {
		t.Errorf("entries: %+v %+v", all[0], all[1])
	}
	if _, n, _ := svc.Find(actx, app.AuditFilter{Action: "login"}); n != 1 {
		t.Errorf("action filter: %d", n)
	}
	if _, n, _ := svc.Find(actx, app.AuditFilter{Actor: "boss"}); n != 2 {
		t.Errorf("actor filter: %d", n)
	}
	if _, _, err := svc.Find(ctx, app.AuditFilter{}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Errorf("non-admin reads audit: %v", err)
	}
}

func TestLogMailer_OutboxWithoutLoggingBody(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	ob := store.NewOutboxStore(db)
	var logged tenantLogBuffer
	m := &app.LogMailer{Outbox: ob, Logger: logged.logger()}
	if err := m.Send(context.Background(), &app.Message{To: "a@b.test", Subject: "Hi", Text: "token=SECRET-LINK-TOKEN"}); err != nil {
		t.Fatal(err)
	}
	if s := logged.String(); !strings.Contains(s, "email to a@b.test: Hi") || strings.Contains(s, "SECRET-LINK-TOKEN") {
		t.Errorf("log: %q", s)
	}
	msgs, n, err := ob.FindOutboxMessages(context.Background(), 10)
	if err != nil || n != 1 || msgs[0].Body != "token=SECRET-LINK-TOKEN" {
		t.Fatalf("outbox: %+v %v", msgs, err)
	}
	if err := m.Send(context.Background(), &app.Message{To: "not an email", Subject: "x"}); app.ErrorField(err) != "to" {
		t.Errorf("bad address: %v", err)
	}
}
