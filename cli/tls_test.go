package cli

import (
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestConfig_TLSSettings(t *testing.T) {
	load := func(args []string, env map[string]string) (*Config, error) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg, err := LoadConfig(fs, args, func(k string) string { return env[k] })
		if err != nil {
			return nil, err
		}
		return cfg, cfg.Validate()
	}
	cfg, err := load([]string{"--domain", "example.com", "--data-dir", t.TempDir(), "--acme-ca", "staging"},
		map[string]string{"ORENGEN_PUBLIC_IPS": "203.0.113.7, 2001:db8::7", "ORENGEN_DNS_RESOLVER": "127.0.0.1:5353"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("2001:db8::7")}
	if !slices.Equal(cfg.PublicIPs, want) || cfg.DNSResolver != "127.0.0.1:5353" || cfg.TLS != "auto" || cfg.ACMECA != LetsEncryptStage || cfg.HTTPAddr != ":80" {
		t.Fatalf("config = %+v", cfg)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--public-ips", "203.0.113.7 nope"}, "--public-ips"},
		{[]string{"--dns-resolver", "127.0.0.1"}, "--dns-resolver"},
		{[]string{"--acme-ca-root", "/does/not/exist.pem"}, "--acme-ca-root"},
		{[]string{"--tls", "on"}, "--tls"},
	} {
		_, err := load(append([]string{"--domain", "example.com", "--data-dir", t.TempDir()}, tc.args...), nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one naming %s", tc.args, err, tc.want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := acmeRoots(bad); err == nil || !strings.HasPrefix(err.Error(), "--acme-ca-root") {
		t.Errorf("acmeRoots(garbage) = %v", err)
	}
}
