package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"orengen/app"
	"orengen/store"
)

func newAuth(t *testing.T) *app.AuthService {
	t.Helper()
	dir := t.TempDir()
	db := store.NewDB(filepath.Join(dir, "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	kv := store.NewKV(filepath.Join(dir, "redka.db"))
	if err := kv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close(); db.Close() })
	return &app.AuthService{Admins: store.NewAdminStore(db), Sessions: store.NewSessionStore(kv), Limiter: store.NewRateLimiter(kv)}
}

func TestAuthService_SetupAndLogin(t *testing.T) {
	s := newAuth(t)
	ctx := app.NewContextWithRequest(context.Background(), app.RequestInfo{IP: "10.0.0.1"})
	tok, err := s.SetupToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemToken(ctx, tok, "boss@example.com", "Boss", "short"); app.ErrorField(err) != "password" {
		t.Fatalf("short password: %v", err)
	}
	a, err := s.RedeemToken(ctx, tok, "boss@example.com", "Boss", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if a.Role != app.RoleOwner {
		t.Fatalf("first admin role %q", a.Role)
	}
	if _, err := s.SetupToken(ctx); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("setup token after an admin exists: %v", err)
	}
	sess, got, err := s.Login(ctx, "Boss@Example.com", "a long enough password")
	if err != nil || got.ID != a.ID || sess.ID == "" {
		t.Fatalf("login = %v, %v", got, err)
	}
	if _, who, err := s.Authenticate(ctx, sess.ID); err != nil || who.ID != a.ID {
		t.Fatalf("authenticate = %v, %v", who, err)
	}
	// Wrong password and unknown account get the same message.
	_, _, e1 := s.Login(ctx, "boss@example.com", "wrong password!")
	_, _, e2 := s.Login(ctx, "nobody@example.com", "wrong password!")
	if app.ErrorCode(e1) != app.EUNAUTHORIZED || app.ErrorMessage(e1) != app.ErrorMessage(e2) {
		t.Fatalf("messages differ: %v / %v", e1, e2)
	}
	if err := s.Logout(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, sess.ID); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("after logout: %v", err)
	}
}

func TestAuthService_LoginRateLimit(t *testing.T) {
	s := newAuth(t)
	ctx := app.NewContextWithRequest(context.Background(), app.RequestInfo{IP: "10.0.0.2"})
	tok, _ := s.SetupToken(ctx)
	if _, err := s.RedeemToken(ctx, tok, "boss@example.com", "", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < app.LoginLimitPerEmail; i++ {
		if _, _, err := s.Login(ctx, "boss@example.com", "bad"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Even the right password is refused while the account is limited.
	_, _, err := s.Login(ctx, "boss@example.com", "a long enough password")
	var rl *app.RateLimitError
	if !errors.As(err, &rl) || app.ErrorCode(err) != app.ETOOMANY || rl.RetryAfter <= 0 {
		t.Fatalf("err = %v, want a rate limit with Retry-After", err)
	}
	// Another account from another IP is unaffected.
	other := app.NewContextWithRequest(context.Background(), app.RequestInfo{IP: "10.0.0.3"})
	if _, _, err := s.Login(other, "someone@example.com", "x"); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("other account: %v", err)
	}
	// Per IP: many accounts from one IP are limited too.
	ipCtx := app.NewContextWithRequest(context.Background(), app.RequestInfo{IP: "10.0.0.9"})
	var last error
	for i := 0; i <= app.LoginLimitPerIP; i++ {
		_, _, last = s.Login(ipCtx, "user"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.com", "x")
	}
	if app.ErrorCode(last) != app.ETOOMANY {
		t.Fatalf("after %d failures from one IP: %v", app.LoginLimitPerIP+1, last)
	}
}
