package app_test

import (
	"strings"
	"testing"

	"orengen/app"
)

// FuzzParseAPIKey: no input panics, only well-formed keys pass, and the
// error never echoes the presented key.
func FuzzParseAPIKey(f *testing.F) {
	for _, s := range []string{"", "ogt_", "oga_" + strings.Repeat("A", 43), "ogt_" + app.RandomToken(32), "oga_" + app.RandomToken(32),
		"ogx_" + app.RandomToken(32), "ogt_" + strings.Repeat("=", 43), "Bearer ogt_abc", "ogt_" + strings.Repeat("\xff", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		admin, err := app.ParseAPIKey(raw)
		if err != nil {
			if app.ErrorCode(err) != app.EUNAUTHORIZED {
				t.Fatalf("code %s", app.ErrorCode(err))
			}
			if len(raw) > 6 && strings.Contains(err.Error(), raw) {
				t.Fatal("error echoes the key")
			}
			return
		}
		if len(raw) != app.APIKeyLen || admin != strings.HasPrefix(raw, "oga_") || !admin && !strings.HasPrefix(raw, "ogt_") {
			t.Fatalf("accepted %q (admin %v)", raw, admin)
		}
	})
}

// FuzzParseLinkToken: only base64url of 32 bytes passes; every other
// input gets the one "invalid, expired or already used" message.
func FuzzParseLinkToken(f *testing.F) {
	for _, s := range []string{"", app.RandomToken(32), app.RandomToken(31), strings.Repeat("_", 43), "%00", strings.Repeat("A", 44), app.RandomToken(32) + "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := app.ParseLinkToken(s)
		if err != nil {
			if app.ErrorCode(err) != app.ENOTFOUND || !strings.Contains(app.ErrorMessage(err), "invalid, expired or already used") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if got != s || len(s) != 43 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"", "Bearer x", "bearer  y ", "Basic abc", "Bearer", "Bearer "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := app.ParseBearer(h)
		if err == nil && (tok == "" || tok != strings.TrimSpace(tok)) {
			t.Fatalf("token %q from %q", tok, h)
		}
	})
}
