package realtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Mailpit is the SMTP server the tests run against, pinned.
const Mailpit = "github.com/axllent/mailpit@v1.33.1"

// SMTP TLS modes of StartSMTP.
const (
	STARTTLS = "starttls" // plain connection, STARTTLS required before AUTH and MAIL
	SMTPS    = "smtps"    // implicit TLS from the first byte (port 465 style)
	// Plain takes mail without TLS or AUTH (smtp://...?tls=none): for
	// end-to-end tests of a serve process that cannot be told to trust a
	// test certificate. AUTH and the TLS modes are tested in integrations.
	Plain = "plain"
)

// SMTPServer is a running Mailpit on loopback that requires TLS and
// authentication.
type SMTPServer struct {
	Host     string // 127.0.0.1
	Port     int
	Username string
	Password string
	// TLS trusts the server's self-signed certificate (and only it).
	TLS *tls.Config
	api string
}

// StartSMTP starts Mailpit with a self-signed certificate for 127.0.0.1,
// an auth file with one user, the given TLS mode, and its API on another
// loopback port; it stops when the test ends.
func StartSMTP(tb testing.TB, mode string) *SMTPServer {
	tb.Helper()
	exe := GoTool(tb, "mailpit", Mailpit)
	dir := tb.TempDir()
	certFile, keyFile, pool := selfSigned(tb, dir)
	s := &SMTPServer{Host: "127.0.0.1", Port: FreePort(tb), Username: "orengen-bot", Password: "s3cret-Pa55-word",
		TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	auth := filepath.Join(dir, "smtp.passwd")
	if err := os.WriteFile(auth, []byte(s.Username+":"+s.Password+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	apiPort := FreePort(tb)
	args := []string{"--smtp", Addr(s.Port), "--listen", Addr(apiPort), "--database", filepath.Join(dir, "mailpit.db"), "--smtp-disable-rdns"}
	secure := []string{"--smtp-auth-file", auth, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile}
	switch mode {
	case STARTTLS:
		args = append(append(args, secure...), "--smtp-require-starttls")
	case SMTPS:
		args = append(append(args, secure...), "--smtp-require-tls")
	case Plain:
		s.Username, s.Password = "", ""
	default:
		tb.Fatalf("StartSMTP: unknown mode %q", mode)
	}
	Start(tb, "mailpit", exec.Command(exe, args...))
	WaitTCP(tb, Addr(s.Port), 15*time.Second)
	WaitTCP(tb, Addr(apiPort), 15*time.Second)
	s.api = "http://" + Addr(apiPort)
	return s
}

// Message is a message Mailpit received, as its API lists it.
type Message struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	From    struct {
		Name    string `json:"Name"`
		Address string `json:"Address"`
	} `json:"From"`
	To []struct {
		Address string `json:"Address"`
	} `json:"To"`
	Snippet string `json:"Snippet"`
}

// Messages lists what the server received, newest first.
func (s *SMTPServer) Messages(tb testing.TB) []Message {
	tb.Helper()
	resp, err := http.Get(s.api + "/api/v1/messages")
	if err != nil {
		tb.Fatalf("mailpit API: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []Message `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		tb.Fatalf("mailpit API: %d %v", resp.StatusCode, err)
	}
	return out.Messages
}

// URL returns the smtp:// URL (with ?tls=none) of a Plain server.
func (s *SMTPServer) URL(from string) string {
	return fmt.Sprintf("smtp://%s:%d?from=%s&tls=none", s.Host, s.Port, from)
}

// Raw returns the source of every message received, oldest first.
func (s *SMTPServer) Raw(tb testing.TB) []string {
	tb.Helper()
	msgs := s.Messages(tb)
	out := make([]string, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- {
		resp, err := http.Get(s.api + "/api/v1/message/" + msgs[i].ID + "/raw")
		if err != nil {
			tb.Fatalf("mailpit API: %v", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			tb.Fatalf("mailpit API raw: %d %v", resp.StatusCode, err)
		}
		out = append(out, string(b))
	}
	return out
}

// Text returns the plain-text body of message id.
func (s *SMTPServer) Text(tb testing.TB, id string) string {
	tb.Helper()
	resp, err := http.Get(s.api + "/api/v1/message/" + id)
	if err != nil {
		tb.Fatalf("mailpit API: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Text string `json:"Text"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatalf("mailpit API: %v", err)
	}
	return out.Text
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and localhost
// and returns the files and a pool that trusts it.
func selfSigned(tb testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "orengen test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// String describes the server for logs.
func (s *SMTPServer) String() string { return fmt.Sprintf("mailpit on %s:%d", s.Host, s.Port) }
