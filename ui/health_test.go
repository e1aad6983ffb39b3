package ui_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealth_Details: /healthz tells anyone the status, and the details
// (version, uptime, the checks) only a signed-in Nexus admin, a scraper
// with the metrics token, or a client on loopback (install.sh, doctor).
func TestHealth_Details(t *testing.T) {
	e := newMetricsEnv(t)
	admin := e.signedIn("owner")
	get := func(host string, auth string, cookies map[string]string) string {
		req := httptest.NewRequest("GET", "http://"+host+"/healthz", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		for k, v := range cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		resp, body := e.do(req)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", host, resp.StatusCode)
		}
		return body
	}
	details := func(body string) bool {
		return strings.Contains(body, `"version":"test"`) && strings.Contains(body, `"database":"ok"`) && strings.Contains(body, `"uptime_seconds"`)
	}
	for _, host := range []string{"localhost", "app.localhost", "nexus.localhost"} {
		if body := get(host, "", nil); body != `{"status":"ok"}` {
			t.Errorf("anonymous on %s: %s", host, body)
		}
		if body := get(host, "Bearer wrong-token-0123456789", nil); details(body) {
			t.Errorf("wrong token on %s got details: %s", host, body)
		}
		if body := get(host, "Bearer "+metricsToken, nil); !details(body) {
			t.Errorf("metrics token on %s: %s", host, body)
		}
	}
	if body := get("nexus.localhost", "", admin.cookies); !details(body) {
		t.Errorf("signed-in admin: %s", body)
	}
	if body := get("nexus.localhost", "", map[string]string{"orengen_session": "not-a-session"}); details(body) {
		t.Errorf("stale session got details: %s", body)
	}

	// Over a real socket from 127.0.0.1: details (install.sh and doctor
	// probe this way).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	defer e.Server.Shutdown(context.Background())
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/healthz", nil)
	req.Host = "localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !details(string(b)) {
		t.Errorf("loopback: %s", b)
	}
}
