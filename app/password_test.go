package app_test

import (
	"context"
	"strings"
	"testing"

	"orengen/app"
)

func TestHashPassword(t *testing.T) {
	ctx := context.Background()
	h, err := app.HashPassword(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not use argon2id 19 MiB/2/1", h)
	}
	h2, _ := app.HashPassword(ctx, "correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterx": false, "": false} {
		if ok, err := app.VerifyPassword(ctx, h, pw); err != nil || ok != want {
			t.Errorf("verify %q = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "$bcrypt$x$y$z$w"} {
		if ok, _ := app.VerifyPassword(ctx, bad, "x"); ok {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
	if _, err := app.HashPassword(ctx, "short"); app.ErrorField(err) != "password" {
		t.Fatalf("short password: %v", err)
	}
}

func FuzzVerifyPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA", "pw")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		// Must never panic, and a hash that is not well formed never matches.
		ok, _ := app.VerifyPassword(context.Background(), hash, pw)
		if ok && !strings.HasPrefix(hash, "$argon2id$") {
			t.Fatalf("non-argon2id hash %q matched", hash)
		}
	})
}
