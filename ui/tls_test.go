package ui

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/store"
)

// TestCertManager_UnreachableCA: with no ACME server listening, the
// failure is recorded for each host, shown on the Domains page, and
// /healthz says degraded; nothing crashes.
func TestCertManager_UnreachableCA(t *testing.T) {
	s, owner, _ := domainsTestServer(t)
	db := store.NewDB(filepath.Join(t.TempDir(), "certs.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	m := &CertManager{Domain: "agency.test", CA: "https://" + closed + "/dir", Storage: store.NewCertStorage(db), Domains: s.Domains,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HTTPPort: 1, HTTPSPort: 2}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Manage(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for m.Status("agency.test").LastError == "" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	st := m.Status("agency.test")
	if !strings.Contains(st.LastError, "connection refused") || st.NotAfter != nil {
		t.Fatalf("status with the CA down: %+v", st)
	}
	if h := m.Health(ctx); h.Status != "degraded" {
		t.Fatalf("health with no certificate: %+v", h)
	}
	s.Certs = m
	domainScenario{Name: "ShowsError", Method: "GET", URL: "/domains", Session: owner, WantStatus: 200,
		WantContains: []string{"connection refused"}, WantNotContains: []string{"TLS is off"}}.run(t, s)

	// Port 80: anything but a challenge is a 301 to HTTPS.
	req := httptest.NewRequest("GET", "/x?y=1", nil)
	req.Host = "www.agency.test"
	resp, err := m.httpApp.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://agency.test:2/x?y=1" {
		t.Fatalf("port 80: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	req = httptest.NewRequest("GET", "/", nil)
	req.Host = "bad host!"
	if resp, err = m.httpApp.Test(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad host: %v %v", resp.StatusCode, err)
	}
}
