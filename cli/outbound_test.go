package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOutboundAllow: --outbound-allow reaches the wiring's guarded client
// (the workflow HTTP steps' sender): the listed internal target answers,
// another loopback port is refused with the fix named; a bad entry is a
// usage error naming the flag.
func TestOutboundAllow(t *testing.T) {
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer allowed.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	defer other.Close()
	a := openApp(t, t.TempDir(), "--outbound-allow", strings.TrimPrefix(allowed.URL, "http://"))
	defer a.Close()
	ctx := context.Background()
	if st, body, err := a.Engine.HTTP.SendHTTP(ctx, "GET", allowed.URL, nil, ""); err != nil || st != 200 || body != "ok" {
		t.Fatalf("allowed: %d %q %v", st, body, err)
	}
	_, body, err := a.Engine.HTTP.SendHTTP(ctx, "GET", other.URL, nil, "")
	if err == nil || body != "" || !strings.Contains(err.Error(), "a loopback address; an admin can allow it with --outbound-allow") {
		t.Fatalf("not allowed: %q %v", body, err)
	}
	if _, err := loadConfig(newFlagSet("t", "t", io.Discard), []string{"--outbound-allow", "10.0.0.0/8,not a cidr"}, envFrom(nil)); err == nil || !strings.Contains(err.Error(), "--outbound-allow") {
		t.Fatalf("bad entry: %v", err)
	}
}
