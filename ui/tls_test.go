package ui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"orengen/app"
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

// TestCertManager_EvictAndStatus: a custom domain's certificate loaded
// from storage shows in Status and Health; Evict (on removal) drops it
// from memory at once.
func TestCertManager_EvictAndStatus(t *testing.T) {
	ctx := context.Background()
	s, _, _ := domainsTestServer(t)
	db := store.NewDB(filepath.Join(t.TempDir(), "certs.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cs := store.NewCertStorage(db)
	m := &CertManager{Domain: "agency.test", CA: "https://127.0.0.1:9/dir", Storage: cs, Domains: s.Domains,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HTTPPort: 1, HTTPSPort: 2}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(ctx)

	// A certificate for shop.client.com in storage, as certmagic saves it.
	const name = "shop.client.com"
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	notAfter := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		Issuer: pkix.Name{CommonName: "Test CA"}, Subject: pkix.Name{CommonName: "Test CA"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	ik := m.onDemand.Issuers[0].IssuerKey()
	for k, v := range map[string][]byte{
		certmagic.StorageKeys.SiteCert(ik, name):       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		certmagic.StorageKeys.SitePrivateKey(ik, name): pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
		certmagic.StorageKeys.SiteMeta(ik, name):       []byte(`{"sans":["` + name + `"]}`),
	} {
		if err := cs.Store(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.onDemand.CacheManagedCertificate(ctx, name); err != nil {
		t.Fatal(err)
	}
	st := m.Status(name)
	if st.NotAfter == nil || !st.NotAfter.Equal(notAfter) || st.Issuer != "Test CA" {
		t.Fatalf("Status = %+v", st)
	}
	d := &app.CustomDomain{Name: name}
	if err := s.Domains.AddDomain(ctx, d); err != nil {
		t.Fatal(err)
	}
	if d, err = s.Domains.VerifyDomain(ctx, d.ID); err != nil || !d.Servable() {
		t.Fatalf("verify: %+v %v", d, err)
	}
	h := m.Health(ctx)
	v, _ := h.Value.(map[string]any)
	if h.Status != "degraded" || v["nearest_expiry_name"] != name || v["days_left"] != 9 {
		t.Fatalf("Health with a certificate 10 days from expiry = %+v", h)
	}
	m.Evict(name)
	if st := m.Status(name); st.NotAfter != nil {
		t.Fatalf("after Evict: %+v", st)
	}
}
