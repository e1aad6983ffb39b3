package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"orengen/app"
	"orengen/store"
	"orengen/ui"
)

// newDomainService returns the custom-domain service, with DNS checks
// through --dns-resolver when set.
func (m *Main) newDomainService() *app.DomainService {
	cfg := m.Config
	r := net.DefaultResolver
	if cfg.DNSResolver != "" {
		r = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, cfg.DNSResolver)
		}}
	}
	return &app.DomainService{Store: store.NewDomainStore(m.DB), Resolver: r, Domain: cfg.Domain, PublicIPs: cfg.PublicIPs, Logger: m.Logger}
}

// acmeRoots returns the system roots plus the PEM file of --acme-ca-root.
func acmeRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--acme-ca-root: %w", err)
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("--acme-ca-root: %s holds no PEM certificate", file)
	}
	return pool, nil
}

// serveTLS runs --tls=auto: httpLn (port 80) answers ACME challenges and
// redirects to HTTPS; the server listens on --https-addr with certmagic's
// certificates; the built-in hosts' certificates are loaded or obtained in
// the background. Listener errors go to errc. The returned stop shuts the
// port-80 app and certmagic down (after the server's own Shutdown).
func (m *Main) serveTLS(ctx context.Context, httpLn net.Listener, errc chan<- error, stdout io.Writer) (stop func(context.Context) error, err error) {
	cfg := m.Config
	roots, err := acmeRoots(cfg.ACMECARoot)
	if err != nil {
		return nil, err
	}
	httpsLn, err := net.Listen("tcp", cfg.HTTPSAddr)
	if err != nil {
		return nil, fmt.Errorf("--https-addr %s: %w (is another program using the port?)", cfg.HTTPSAddr, err)
	}
	host, httpPort, _ := net.SplitHostPort(httpLn.Addr().String())
	_, httpsPort, _ := net.SplitHostPort(httpsLn.Addr().String())
	if h, _, _ := net.SplitHostPort(cfg.HTTPAddr); h == "" {
		host = ""
	}
	hp, _ := strconv.Atoi(httpPort)
	sp, _ := strconv.Atoi(httpsPort)
	m.Certs = &ui.CertManager{
		Domain: cfg.Domain, CA: cfg.ACMECA, CARoots: roots, Email: cfg.ACMEEmail,
		ListenHost: host, HTTPPort: hp, HTTPSPort: sp,
		Storage: store.NewCertStorage(m.DB), Domains: m.Domains, Logger: m.Logger, Server: m.Server,
	}
	if err := m.Certs.Open(); err != nil {
		httpsLn.Close()
		return nil, err
	}
	m.Server.Certs = m.Certs
	m.Server.Health = append(m.Server.Health, m.Certs.Health)
	if sp != 443 {
		m.Server.PublicPort = httpsPort
	}
	go func() { errc <- m.Certs.ServeHTTP(httpLn) }()
	go func() { errc <- m.Server.ServeTLS(httpsLn, m.Certs.TLSConfig()) }()
	if err := m.Certs.Manage(ctx); err != nil {
		return nil, errors.Join(err, m.Certs.Shutdown(context.Background()))
	}
	m.Logger.Info("tls on", "https", httpsLn.Addr().String(), "http", httpLn.Addr().String(), "acme_ca", cfg.ACMECA, "hosts", m.Certs.Hosts())
	fmt.Fprintf(stdout, "orengen HTTPS on %s (certificates for %v from %s)\n", httpsLn.Addr(), m.Certs.Hosts(), cfg.ACMECA)
	return m.Certs.Shutdown, nil
}
