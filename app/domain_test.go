package app_test

import (
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// fakeResolver answers from maps; a missing name is NXDOMAIN.
type fakeResolver struct {
	ips   map[string][]string
	txt   map[string][]string
	calls int
}

func (r *fakeResolver) LookupIP(_ context.Context, _, host string) ([]net.IP, error) {
	r.calls++
	var out []net.IP
	for _, s := range r.ips[host] {
		out = append(out, net.ParseIP(s))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func (r *fakeResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	r.calls++
	if t, ok := r.txt[name]; ok {
		return t, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func newDomainService(t *testing.T) (*app.DomainService, *fakeResolver) {
	t.Helper()
	db := store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &fakeResolver{ips: map[string][]string{}, txt: map[string][]string{}}
	s := app.NewDomainService(store.NewDomainStore(db))
	s.Resolver, s.Domain = r, "agency.com"
	s.PublicIPs = []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("2001:db8::7")}
	return s, r
}

func TestNormalizeDomainName(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"Portal.Client.COM.", "portal.client.com", ""},
		{" xn--bcher-kva.example ", "xn--bcher-kva.example", ""},
		{"", "", "required"},
		{"203.0.113.7", "", "IP address"},
		{"[2001:db8::1]", "", "IP address"},
		{"*.client.com", "", "Wildcard"},
		{"client", "", "with a dot"},
		{"a..b.com", "", "empty label"},
		{"-a.com", "", "hyphen"},
		{"a_b.com", "", "only letters"},
		{"https://client.com/x", "", "without http"},
		{"client.com:443", "", "port"},
		{"büro.de", "", "punycode"},
		{"shop.localhost", "", "private name"},
		{strings.Repeat("a", 64) + ".com", "", "63"},
		{"1.2.3.999", "", "number"},
	} {
		got, err := app.NormalizeDomainName(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("NormalizeDomainName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || app.ErrorField(err) != "name" || !strings.Contains(app.ErrorMessage(err), tc.err) {
			t.Errorf("NormalizeDomainName(%q) err = %v; want field name, message containing %q", tc.in, err, tc.err)
		}
	}
}

func TestDomainService_AddVerifyDecide(t *testing.T) {
	ctx := context.Background()
	s, r := newDomainService(t)

	if err := s.AddDomain(ctx, &app.CustomDomain{Name: "app.agency.com"}); app.ErrorField(err) != "name" {
		t.Fatalf("adding a built-in host: %v", err)
	}
	d := &app.CustomDomain{Name: "Portal.Client.com"}
	if err := s.AddDomain(ctx, d); err != nil {
		t.Fatal(err)
	}
	if d.Name != "portal.client.com" || d.Status != app.DomainPending || len(d.VerifyToken) < 20 {
		t.Fatalf("added %+v", d)
	}
	if err := s.AddDomain(ctx, &app.CustomDomain{Name: "portal.client.com."}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("duplicate: %v, want conflict", err)
	}

	// Pending: no certificate, and no DNS lookup during the decision.
	calls := r.calls
	if err := s.Decide(ctx, "portal.client.com"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("Decide(pending) = %v", err)
	}
	if err := s.Decide(ctx, "unknown.example.com"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("Decide(unknown) = %v", err)
	}
	if err := s.Decide(ctx, "nexus.agency.com"); err != nil {
		t.Fatalf("Decide(built-in) = %v", err)
	}
	if r.calls != calls {
		t.Fatal("Decide made DNS lookups")
	}

	// DNS points elsewhere: stays pending, the error says where.
	r.ips["portal.client.com"] = []string{"198.51.100.1"}
	d, err := s.VerifyDomain(ctx, d.ID)
	if err != nil || d.DNSOK || d.Status != app.DomainPending || !strings.Contains(d.DNSError, "198.51.100.1") || d.DNSCheckedAt == nil {
		t.Fatalf("verify (points elsewhere) = %+v, %v", d, err)
	}
	// The TXT token verifies it.
	r.txt["_orengen-verify.portal.client.com"] = []string{"other", d.VerifyToken}
	if d, err = s.VerifyDomain(ctx, d.ID); err != nil || !d.DNSOK || d.Status != app.DomainActive {
		t.Fatalf("verify (TXT) = %+v, %v", d, err)
	}
	if err := s.Decide(ctx, "PORTAL.client.com."); err != nil {
		t.Fatalf("Decide(verified) = %v", err)
	}
	// A records only at our IPs verify too.
	r.txt = map[string][]string{}
	r.ips["portal.client.com"] = []string{"203.0.113.7", "2001:db8::7"}
	if d, err = s.VerifyDomain(ctx, d.ID); err != nil || !d.DNSOK {
		t.Fatalf("verify (A/AAAA) = %+v, %v", d, err)
	}

	if _, err := s.SetDomainEnabled(ctx, d.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, "portal.client.com"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("Decide(disabled) = %v", err)
	}
	if d, err = s.SetDomainEnabled(ctx, d.ID, true); err != nil || d.Status != app.DomainActive {
		t.Fatalf("enable = %+v, %v", d, err)
	}
	if _, err := s.RemoveDomain(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, "portal.client.com"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("Decide(removed) = %v", err)
	}
	if _, err := s.RemoveDomain(ctx, d.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("remove twice: %v", err)
	}
}

func TestDomainService_AllowIssuance(t *testing.T) {
	s, _ := newDomainService(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	s.IssueInterval, s.IssuePerHour = 10*time.Minute, 3
	if err := s.AllowIssuance("a.client.com"); err != nil {
		t.Fatal(err)
	}
	if err := s.AllowIssuance("a.client.com"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("second request for the same name: %v", err)
	}
	for _, n := range []string{"b.client.com", "c.client.com"} {
		if err := s.AllowIssuance(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AllowIssuance("d.client.com"); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("fourth name in an hour with a limit of 3: %v", err)
	}
	if err := s.AllowIssuance("agency.com"); err != nil {
		t.Fatalf("built-in hosts are not throttled: %v", err)
	}
	now = now.Add(61 * time.Minute)
	if err := s.AllowIssuance("a.client.com"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
