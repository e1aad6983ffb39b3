package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/letsencrypt/challtestsrv"
	"github.com/letsencrypt/pebble/v2/ca"
	pebbledb "github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"

	"orengen/app"
	"orengen/store"
)

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type pebble struct {
	srv    *httptest.Server
	ca     *ca.CAImpl
	orders atomic.Int64 // POSTs to new-order
}

// startPebble runs pebble's ACME server in process; its validation
// authority resolves names with dnsAddr and validates HTTP-01 on httpPort
// and TLS-ALPN-01 on tlsPort.
func startPebble(t *testing.T, dnsAddr string, httpPort, tlsPort int, plog *log.Logger) *pebble {
	t.Helper()
	pst := pebbledb.NewMemoryStore()
	p := &pebble{ca: ca.New(plog, pst, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})}
	vaImpl := va.New(plog, httpPort, tlsPort, false, dnsAddr, pst)
	wfeImpl := wfe.New(plog, pst, vaImpl, p.ca, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	h := wfeImpl.Handler()
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/order-plz" {
			p.orders.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// startServe runs `orengen serve` with args until the returned stop.
func startServe(t *testing.T, args []string) (stop func(), logs *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, args, io.Discard, logs, func(string) string { return "" }) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}, logs
}

// waitVerifiedTLS polls until addr serves host a certificate that
// verifies against roots.
func waitVerifiedTLS(t *testing.T, addr, host string, roots *x509.CertPool) *tls.ConnectionState {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{ServerName: host, RootCAs: roots, NextProtos: []string{"h2", "http/1.1"}})
		if err == nil {
			st := conn.ConnectionState()
			conn.Close()
			return &st
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no verified certificate for %s: %v", host, last)
	return nil
}

// TestServeTLS_Pebble runs `orengen serve --tls=auto` against pebble (a
// real ACME server, in process) with challtestsrv as DNS, all on loopback,
// and checks issuance, redirects, HSTS, on-demand custom domains, that an
// unknown name never reaches the CA, and that a restart reuses the
// certificates stored in SQLite.
func TestServeTLS_Pebble(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end ACME test")
	}
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	plog := log.New(io.Discard, "", 0)
	if os.Getenv("PEBBLE_LOG") == "1" {
		plog = log.New(os.Stderr, "pebble ", log.LstdFlags)
	}

	dnsAddr := "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
	cts, err := challtestsrv.New(challtestsrv.Config{DNSAddrs: []string{dnsAddr}, Log: plog})
	if err != nil {
		t.Fatal(err)
	}
	cts.SetDefaultDNSIPv4("127.0.0.1")
	cts.SetDefaultDNSIPv6("")
	cts.AddDNSARecord("pending.tenant.test", []string{"192.0.2.1"}) // points elsewhere
	go cts.Run()
	defer cts.Shutdown()

	httpPort, httpsPort := freeTCPPort(t), freeTCPPort(t)
	pb := startPebble(t, dnsAddr, httpPort, httpsPort, plog)
	acmeSrv, caImpl, orders := pb.srv, pb.ca, &pb.orders

	dir := t.TempDir()
	rootFile := filepath.Join(dir, "acme-root.pem")
	if err := os.WriteFile(rootFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: acmeSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	issued := x509.NewCertPool()
	issued.AddCert(caImpl.GetRootCert(0).Cert)

	dataDir := filepath.Join(dir, "data")
	// A tenant's domain, registered and verified before the server starts
	// (as Nexus would), and one that is registered but not verified.
	func() {
		db := store.NewDB(filepath.Join(dataDir, "orengen.db"))
		if err := db.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		svc := newDomainService(&Config{Domain: "example.test", DNSResolver: dnsAddr, PublicIPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}, db, nil)
		for _, n := range []string{"shop.tenant.test", "pending.tenant.test"} {
			d := &app.CustomDomain{Name: n}
			if err := svc.AddDomain(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			if d, err = svc.VerifyDomain(context.Background(), d.ID); err != nil {
				t.Fatal(err)
			}
			if want := n == "shop.tenant.test"; d.Servable() != want {
				t.Fatalf("%s servable = %v (%s), want %v", n, d.Servable(), d.DNSError, want)
			}
		}
	}()

	args := []string{"serve", "--data-dir", dataDir, "--backup-dir", "", "--domain", "example.test",
		"--http-addr", "127.0.0.1:" + strconv.Itoa(httpPort), "--https-addr", "127.0.0.1:" + strconv.Itoa(httpsPort),
		"--acme-ca", acmeSrv.URL + wfe.DirectoryPath, "--acme-ca-root", rootFile, "--acme-email", "ops@example.test",
		"--dns-resolver", dnsAddr, "--public-ips", "127.0.0.1", "--log-level", "debug"}
	httpsAddr := "127.0.0.1:" + strconv.Itoa(httpsPort)
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, httpsAddr)
	}
	client := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: issued, NextProtos: []string{"h2", "http/1.1"}}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	hosts := []string{"example.test", "www.example.test", "app.example.test", "nexus.example.test"}

	start := func() (func(), *syncBuffer) { return startServe(t, args) }
	waitTLS := func(host string) *tls.ConnectionState { return waitVerifiedTLS(t, httpsAddr, host, issued) }

	t0 := time.Now()
	stop, logs := start()
	// The built-in hosts are obtained at start, before any visitor.
	for deadline := time.Now().Add(20 * time.Second); orders.Load() < 4 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	for _, h := range hosts {
		st := waitTLS(h)
		if st.NegotiatedProtocol != "http/1.1" {
			t.Errorf("%s: ALPN %q, want http/1.1", h, st.NegotiatedProtocol)
		}
		if leaf := st.PeerCertificates[0]; leaf.VerifyHostname(h) != nil {
			t.Errorf("%s: certificate names %v", h, leaf.DNSNames)
		}
	}
	// No server name (an old client, a scan of the IP): the apex's certificate.
	if conn, err := tls.Dial("tcp", httpsAddr, &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Errorf("handshake without a server name: %v", err)
	} else {
		if leaf := conn.ConnectionState().PeerCertificates[0]; leaf.VerifyHostname("example.test") != nil {
			t.Errorf("certificate without a server name is for %v", leaf.DNSNames)
		}
		conn.Close()
	}
	if n := orders.Load(); n != 4 {
		t.Errorf("orders after the built-in hosts = %d, want 4", n)
	}
	t.Logf("four certificates in %s", time.Since(t0))

	get := func(url string) *http.Response {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	httpsBase := ":" + strconv.Itoa(httpsPort)
	// Port 80: everything but challenges goes to HTTPS, path and query kept.
	for _, tc := range []struct{ url, want string }{
		{"http://example.test:" + strconv.Itoa(httpPort) + "/pricing?plan=pro&x=1", "https://example.test" + httpsBase + "/pricing?plan=pro&x=1"},
		{"http://www.example.test:" + strconv.Itoa(httpPort) + "/a?b=c", "https://example.test" + httpsBase + "/a?b=c"},
		{"http://nexus.example.test:" + strconv.Itoa(httpPort) + "/login", "https://nexus.example.test" + httpsBase + "/login"},
	} {
		req, _ := http.NewRequest("GET", tc.url, nil)
		req.URL.Host = "127.0.0.1:" + strconv.Itoa(httpPort)
		req.Host = strings.TrimPrefix(strings.SplitN(tc.url, "/", 4)[2], "")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != tc.want {
			t.Errorf("GET %s = %d %q, want 301 %q", tc.url, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
	// Port 80 answers /healthz itself (install.sh checks it before any
	// certificate exists), for the appliance's hosts only.
	for host, want := range map[string]int{"example.test": 200, "unknown.test": 404} {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+strconv.Itoa(httpPort)+"/healthz", nil)
		req.Host = host
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("port 80 /healthz for %s = %d, want %d", host, resp.StatusCode, want)
		}
	}
	// HTTPS: HSTS, www to the apex.
	resp := get("https://example.test" + httpsBase + "/")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("GET https://example.test/ = %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	resp = get("https://www.example.test" + httpsBase + "/about?ref=x")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://example.test"+httpsBase+"/about?ref=x" {
		t.Errorf("GET https://www.example.test/about = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("www redirect has no HSTS")
	}

	// A registered, verified tenant domain: a certificate at first handshake.
	waitTLS("shop.tenant.test")
	if n := orders.Load(); n != 5 {
		t.Errorf("orders after the tenant domain = %d, want 5", n)
	}
	// Unknown and unverified names: the handshake fails fast, no order.
	for _, h := range []string{"evil.test", "unknown.example.test", "pending.tenant.test"} {
		t1 := time.Now()
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", httpsAddr, &tls.Config{ServerName: h, InsecureSkipVerify: true})
		if err == nil {
			conn.Close()
			t.Errorf("handshake for %s succeeded", h)
		}
		if d := time.Since(t1); d > time.Second {
			t.Errorf("refusing %s took %s", h, d)
		}
	}
	if n := orders.Load(); n != 5 {
		t.Errorf("orders after unknown names = %d, want 5 (no order for names that are not allowed)", n)
	}
	if l := logs.String(); !strings.Contains(l, `level=DEBUG msg="tls: no certificate for this server name" server_name=evil.test`) {
		t.Error("refused server name not logged at debug")
	}
	// /healthz on nexus reports the nearest expiry.
	hresp, err := client.Get("https://nexus.example.test" + httpsBase + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]any
	json.NewDecoder(hresp.Body).Decode(&health)
	hresp.Body.Close()
	certs, _ := health["certificates"].(map[string]any)
	if health["status"] != "ok" || certs == nil || certs["nearest_expiry"] == nil || certs["status"] != "ok" {
		t.Errorf("healthz = %v", health)
	}
	stop()
	if t.Failed() || os.Getenv("E2E_LOG") == "1" {
		t.Logf("serve log:\n%s", logs.String())
	}
	if t.Failed() {
		t.FailNow()
	}

	// Restart on the same database: certificates come from SQLite.
	stop, logs = start()
	for _, h := range append(hosts, "shop.tenant.test") {
		waitTLS(h)
	}
	if n := orders.Load(); n != 5 {
		t.Errorf("orders after restart = %d, want 5 (certificates should load from storage)", n)
	}
	stop()
	if t.Failed() {
		t.Logf("serve log:\n%s", logs.String())
		t.FailNow()
	}

	// The ACME server goes away: a restart still serves every certificate
	// from storage.
	acmeSrv.Close()
	stop, logs = start()
	for _, h := range append(hosts, "shop.tenant.test") {
		waitTLS(h)
	}
	stop()
	if t.Failed() {
		t.Logf("serve log:\n%s", logs.String())
	}
	t.Logf("e2e in %s", time.Since(t0))
}

// TestServeTLS_HTTP01 makes TLS-ALPN-01 impossible (pebble validates it on
// a port that drops connections), so the certificates can only come
// through HTTP-01 answered by serve's port-80 app.
func TestServeTLS_HTTP01(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end ACME test")
	}
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	plog := log.New(io.Discard, "", 0)
	dnsAddr := "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
	cts, err := challtestsrv.New(challtestsrv.Config{DNSAddrs: []string{dnsAddr}, Log: plog})
	if err != nil {
		t.Fatal(err)
	}
	cts.SetDefaultDNSIPv4("127.0.0.1")
	cts.SetDefaultDNSIPv6("")
	go cts.Run()
	defer cts.Shutdown()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	go func() {
		for {
			c, err := dead.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	httpPort, httpsPort := freeTCPPort(t), freeTCPPort(t)
	pb := startPebble(t, dnsAddr, httpPort, dead.Addr().(*net.TCPAddr).Port, plog)
	dir := t.TempDir()
	rootFile := filepath.Join(dir, "acme-root.pem")
	if err := os.WriteFile(rootFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pb.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	issued := x509.NewCertPool()
	issued.AddCert(pb.ca.GetRootCert(0).Cert)
	httpsAddr := "127.0.0.1:" + strconv.Itoa(httpsPort)
	stop, logs := startServe(t, []string{"serve", "--data-dir", filepath.Join(dir, "data"), "--backup-dir", "", "--domain", "example.test",
		"--http-addr", "127.0.0.1:" + strconv.Itoa(httpPort), "--https-addr", httpsAddr,
		"--acme-ca", pb.srv.URL + wfe.DirectoryPath, "--acme-ca-root", rootFile,
		"--dns-resolver", dnsAddr, "--public-ips", "127.0.0.1", "--log-level", "debug"})
	for _, h := range []string{"example.test", "www.example.test", "app.example.test", "nexus.example.test"} {
		waitVerifiedTLS(t, httpsAddr, h, issued)
	}
	stop()
	if got := strings.Count(logs.String(), "challenge=http-01"); got == 0 {
		t.Errorf("no HTTP-01 challenge was answered; log:\n%s", logs.String())
	}
}
