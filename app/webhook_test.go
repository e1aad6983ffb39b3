package app_test

import (
	"strings"
	"testing"
	"time"

	"orengen/app"
)

// TestSignWebhook_KnownAnswer checks the signature against a vector worked
// out outside this code from the format in docs/CRM.md
// ("t=UNIX,v1=HEX(HMAC-SHA256(secret, UNIX + "." + body))"):
//
//	printf '%s' '1764806400.{"id":"evt_1",...}' | openssl dgst -sha256 -hmac 'whsec_4Jd9vQx2'
//
// gives 8fcf17d9...2d9c90, and Python's hmac.new(secret, b"1764806400." +
// body, hashlib.sha256).hexdigest() gives the same.
func TestSignWebhook_KnownAnswer(t *testing.T) {
	const (
		secret = "whsec_4Jd9vQx2"
		body   = `{"id":"evt_1","event":"person.created","created_at":"2025-12-04T00:00:00Z","data":{"record_type":"person","record_id":42}}`
		want   = "t=1764806400,v1=8fcf17d98fb4a0f2011b770576cebf6094e3e5a15a5bc59c53284383352d9c90"
	)
	at := time.Unix(1764806400, 0)
	if got := app.SignWebhook(secret, at, []byte(body)); got != want {
		t.Fatalf("SignWebhook = %s, want %s", got, want)
	}
	for _, tc := range []struct {
		name   string
		header string
		body   string
		now    time.Time
		ok     bool
	}{
		{"ok", want, body, at.Add(time.Minute), true},
		{"tampered body", want, body + " ", at, false},
		{"other secret", app.SignWebhook("whsec_other", at, []byte(body)), body, at, false},
		{"too old", want, body, at.Add(6 * time.Minute), false},
		{"from the future", want, body, at.Add(-6 * time.Minute), false},
		{"no v1", "t=1764806400", body, at, false},
		{"garbage", "v1=zz,t=x", body, at, false},
	} {
		if got := app.VerifyWebhook(secret, tc.header, []byte(tc.body), tc.now, 5*time.Minute); got != tc.ok {
			t.Errorf("%s: VerifyWebhook = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// TestWebhookExcerpt: the log keeps the start of an answer as text, with
// the subscription's secret and anything shaped like a credential
// redacted, and the rest of the answer as it was.
func TestWebhookExcerpt(t *testing.T) {
	secret := "whsec_0123456789abcdef"
	for _, tc := range []struct{ in, want string }{
		{`{"ok":true}`, `{"ok":true}`},
		{"echo " + secret + " end", "echo [redacted] end"},
		{"mysecretvalue appears: mysecretvalue", "[redacted] appears: [redacted]"},
		{"Authorization: Bearer abc.def-ghi", "Authorization: [redacted] [redacted]"},
		{`{"api_key":"k-123","name":"Ana"}`, `{"api_key":[redacted],"name":"Ana"}`},
		{"password=hunter2&user=ana", "password=[redacted]&user=ana"},
		{"key ogt_AAAAAAAAAAAAAAAA used", "key [redacted] used"},
		{"line1\nline2\x00\x1b[31m", "line1\nline2[31m"},
		{"caf\xc3", "caf"},
	} {
		s := secret
		if strings.HasPrefix(tc.in, "mysecret") {
			s = "mysecretvalue"
		}
		if got := app.WebhookExcerpt([]byte(tc.in), s); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("x", 5000)
	if got := app.WebhookExcerpt([]byte(long), secret); len(got) != app.WebhookResponseExcerpt {
		t.Errorf("excerpt of 5000 bytes: %d bytes", len(got))
	}
}
