package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

func MustOpenKV(tb testing.TB) *store.KV {
	tb.Helper()
	kv := store.NewKV(filepath.Join(tb.TempDir(), "redka.db"))
	if err := kv.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { kv.Close() })
	return kv
}

func TestSessionStore(t *testing.T) {
	kv := MustOpenKV(t)
	s := store.NewSessionStore(kv)
	ctx := context.Background()
	now := time.Now()
	sess := &app.Session{ID: "abc", AdminID: 7, CreatedAt: now, ExpiresAt: now.Add(time.Hour), IP: "127.0.0.1"}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindSession(ctx, "abc")
	if err != nil || got.AdminID != 7 || got.IP != "127.0.0.1" {
		t.Fatalf("find = %+v, %v", got, err)
	}
	if _, err := s.FindSession(ctx, "nope"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("unknown: %v", err)
	}
	// The raw session ID is not a key in redka.db (only its hash is).
	if ok, _ := kv.Redka().Key().Exists("session:abc"); ok {
		t.Fatal("session stored under its raw ID")
	}
	if err := s.DeleteSession(ctx, "abc"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindSession(ctx, "abc"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	// Expired sessions are gone.
	kv.Now = func() time.Time { return now }
	if err := s.CreateSession(ctx, &app.Session{ID: "short", ExpiresAt: now.Add(50 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(80 * time.Millisecond)
	if _, err := s.FindSession(ctx, "short"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("expired: %v", err)
	}
}

func TestRateLimiter_Window(t *testing.T) {
	l := store.NewRateLimiter(MustOpenKV(t))
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		n, reset, err := l.Hit(ctx, "k", 150*time.Millisecond)
		if err != nil || n != i {
			t.Fatalf("hit %d: n=%d err=%v", i, n, err)
		}
		if reset.IsZero() {
			t.Fatalf("hit %d: no reset time", i)
		}
	}
	if n, _, _ := l.Count(ctx, "k"); n != 3 {
		t.Fatalf("count = %d, want 3", n)
	}
	time.Sleep(200 * time.Millisecond)
	if n, _, _ := l.Count(ctx, "k"); n != 0 {
		t.Fatalf("count after the window = %d, want 0", n)
	}
	if n, _, _ := l.Hit(ctx, "k", time.Minute); n != 1 {
		t.Fatalf("new window starts at %d, want 1", n)
	}
	if err := l.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := l.Count(ctx, "k"); n != 0 {
		t.Fatalf("after reset = %d", n)
	}
}
