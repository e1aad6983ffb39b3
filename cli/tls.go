package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"orengen/store"
	"orengen/ui"
)

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
func (a *App) serveTLS(ctx context.Context, httpLn net.Listener, errc chan<- error, stdout io.Writer) (stop func(context.Context) error, err error) {
	cfg := a.Config
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
	a.Certs = &ui.CertManager{
		Domain: cfg.Domain, CA: cfg.ACMECA, CARoots: roots, Email: cfg.ACMEEmail,
		ListenHost: host, HTTPPort: hp, HTTPSPort: sp,
		Storage: store.NewCertStorage(a.DB), Domains: a.Domains, Logger: a.Logger, Server: a.Server,
	}
	if err := a.Certs.Open(); err != nil {
		httpsLn.Close()
		return nil, err
	}
	a.Server.Certs = a.Certs
	a.Server.AddHealth(a.Certs.Health) // the server is open already
	if sp != 443 {
		a.Server.SetPublicPort(httpsPort) // the server is open already
	}
	go func() { errc <- a.Certs.ServeHTTP(httpLn) }()
	go func() { errc <- a.Server.ServeTLS(httpsLn, a.Certs.TLSConfig()) }()
	if err := a.Certs.Manage(ctx); err != nil {
		return nil, errors.Join(err, a.Certs.Shutdown(context.Background()))
	}
	a.Logger.Info("tls on", "https", httpsLn.Addr().String(), "http", httpLn.Addr().String(), "acme_ca", cfg.ACMECA, "hosts", a.Certs.Hosts())
	fmt.Fprintf(stdout, "orengen HTTPS on %s (certificates for %v from %s)\n", httpsLn.Addr(), a.Certs.Hosts(), cfg.ACMECA)
	return a.Certs.Shutdown, nil
}
