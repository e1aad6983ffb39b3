package httpx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"orengen/httpx"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"127.0.0.1", "a loopback address"},
		{"127.255.0.9", "a loopback address"},
		{"::1", "a loopback address"},
		{"0.0.0.0", "an unspecified address"},
		{"::", "an unspecified address"},
		{"10.1.2.3", "a private address (RFC 1918)"},
		{"172.16.0.1", "a private address (RFC 1918)"},
		{"172.31.255.255", "a private address (RFC 1918)"},
		{"192.168.1.1", "a private address (RFC 1918)"},
		{"100.64.0.1", "a carrier-grade NAT address (RFC 6598)"},
		{"100.127.255.254", "a carrier-grade NAT address (RFC 6598)"},
		{"169.254.169.254", "the cloud metadata address"},
		{"fd00:ec2::254", "the cloud metadata address"},
		{"169.254.1.1", "a link-local address"},
		{"fe80::1", "a link-local address"},
		{"febf::1", "a link-local address"},
		{"fc00::1", "a unique local address"},
		{"fd12:3456::1", "a unique local address"},
		{"224.0.0.1", "a multicast address"},
		{"ff02::1", "a multicast address"},
		{"255.255.255.255", "a reserved address"}, // inside 240.0.0.0/4
		// IPv4 carried in IPv6 forms is judged as IPv4.
		{"::ffff:127.0.0.1", "a loopback address"},
		{"::ffff:169.254.169.254", "the cloud metadata address"},
		{"::ffff:10.0.0.1", "a private address (RFC 1918)"},
		{"::127.0.0.1", "a loopback address (in IPv6 form)"},
		{"64:ff9b::7f00:1", "a loopback address (in IPv6 form)"},
		{"64:ff9b::a9fe:a9fe", "the cloud metadata address (in IPv6 form)"},
		{"64:ff9b::c0a8:101", "a private address (RFC 1918) (in IPv6 form)"},
		{"64:ff9b:1::1", "a local-use NAT64 address"},
		{"2002:7f00:1::1", "a loopback address (in IPv6 form)"},
		{"2002:a9fe:a9fe::1", "the cloud metadata address (in IPv6 form)"},
		// Public addresses pass, also in IPv6 forms.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::808:808", ""},
		{"::ffff:8.8.8.8", ""},
		{"2002:808:808::1", ""},
	} {
		if got := httpx.Classify(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("Classify(%s) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}

// target is a loopback server that counts its requests: a refused dial
// must never reach it.
type target struct {
	*httptest.Server
	hits atomic.Int64
}

func newTarget(t *testing.T, h http.HandlerFunc) *target {
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		io.WriteString(w, "internal secret")
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) port() string {
	_, p, _ := net.SplitHostPort(tg.Listener.Addr().String())
	return p
}

func get(c *http.Client, u string) (string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestGuard_RefusesPrivateTargets(t *testing.T) {
	tg := newTarget(t, nil)
	c := httpx.New(nil, httpx.Options{Timeout: 5 * time.Second})
	urls := []struct{ url, addr, reason string }{
		{"http://127.0.0.1:" + tg.port() + "/", "127.0.0.1:" + tg.port(), "a loopback address"},
		{"http://localhost:" + tg.port() + "/", "", "a loopback address"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254:80", "the cloud metadata address"},
		{"http://[::ffff:127.0.0.1]:" + tg.port() + "/", "127.0.0.1:" + tg.port(), "a loopback address"},
		{"http://10.0.0.1:9/", "10.0.0.1:9", "a private address (RFC 1918)"},
		{"http://0.0.0.0:" + tg.port() + "/", "0.0.0.0:" + tg.port(), "an unspecified address"},
	}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil { // IPv6 loopback, when the machine has it
		srv := &http.Server{Handler: tg.Config.Handler}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		_, p, _ := net.SplitHostPort(ln.Addr().String())
		urls = append(urls, struct{ url, addr, reason string }{"http://[::1]:" + p + "/", "[::1]:" + p, "a loopback address"})
	}
	for _, u := range urls {
		body, err := get(c, u.url)
		re := httpx.Refused(err)
		if re == nil {
			t.Errorf("%s: want a refusal, got body %q err %v", u.url, body, err)
			continue
		}
		if u.addr != "" && re.Addr != u.addr || re.Reason != u.reason {
			t.Errorf("%s: refused %s for %q, want %s for %q", u.url, re.Addr, re.Reason, u.addr, u.reason)
		}
		if strings.Contains(err.Error(), "internal secret") {
			t.Errorf("%s: the error shows the body: %v", u.url, err)
		}
	}
	if n := tg.hits.Load(); n != 0 {
		t.Fatalf("the private target was reached %d times", n)
	}
}

func TestRefusedError_SaysWhatToDo(t *testing.T) {
	err := httpx.New(nil, httpx.Options{}).Get
	_, e := err("http://127.0.0.1:8080/")
	want := "refused 127.0.0.1:8080: a loopback address; an admin can allow it with --outbound-allow"
	if got := httpx.Explain(e); got == nil || got.Error() != want {
		t.Fatalf("Explain = %v, want %q", got, want)
	}
	plain := errors.New("x")
	if httpx.Explain(plain) != plain {
		t.Fatal("Explain changed an error without a refusal")
	}
}

// dnsServer answers every A query with ip (a name an attacker controls,
// pointed at loopback).
func dnsServer(t *testing.T, ip string) *net.Resolver {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, q := range r.Question {
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0}, A: net.ParseIP(ip)})
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func TestGuard_NameResolvingToLoopbackRefused(t *testing.T) {
	tg := newTarget(t, nil)
	g, err := httpx.ParseAllow("")
	if err != nil {
		t.Fatal(err)
	}
	g.Resolver = dnsServer(t, "127.0.0.1")
	c := httpx.New(g, httpx.Options{Timeout: 5 * time.Second})
	_, err = get(c, "http://rebind.attacker.example:"+tg.port()+"/")
	if re := httpx.Refused(err); re == nil || re.Addr != "127.0.0.1:"+tg.port() {
		t.Fatalf("want a refusal of 127.0.0.1:%s, got %v", tg.port(), err)
	}
	if tg.hits.Load() != 0 {
		t.Fatal("reached")
	}
}

func TestGuard_AllowList(t *testing.T) {
	tg := newTarget(t, nil)
	other := newTarget(t, nil)
	for _, allow := range []string{"127.0.0.1:" + tg.port(), "127.0.0.0/8", "127.0.0.1", "localhost:" + tg.port() + ", 10.0.0.0/8"} {
		g, err := httpx.ParseAllow(allow)
		if err != nil {
			t.Fatal(err)
		}
		host := "127.0.0.1"
		if strings.HasPrefix(allow, "localhost") {
			host = "localhost"
		}
		body, err := get(httpx.New(g, httpx.Options{}), "http://"+host+":"+tg.port()+"/")
		if err != nil || body != "internal secret" {
			t.Fatalf("allow %q: %q %v", allow, body, err)
		}
	}
	// An entry with a port opens that port only.
	g, _ := httpx.ParseAllow("127.0.0.1:" + tg.port())
	if _, err := get(httpx.New(g, httpx.Options{}), other.URL); httpx.Refused(err) == nil {
		t.Fatalf("another port of an allowed ip:port: %v", err)
	}
	if other.hits.Load() != 0 {
		t.Fatal("reached")
	}
	for _, bad := range []string{"10.0.0.0/33", "nonsense", "host:", ":80", "[::1]"} {
		if _, err := httpx.ParseAllow(bad); err == nil || !strings.Contains(err.Error(), "--outbound-allow") {
			t.Errorf("ParseAllow(%q) = %v, want an error naming the flag", bad, err)
		}
	}
}

func TestGuard_RedirectToPrivateRefused(t *testing.T) {
	private := newTarget(t, nil)
	allowed := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, private.URL+"/steal", http.StatusFound)
	})
	g, _ := httpx.ParseAllow("127.0.0.1:" + allowed.port())
	_, err := get(httpx.New(g, httpx.Options{}), allowed.URL)
	if re := httpx.Refused(err); re == nil || re.Addr != "127.0.0.1:"+private.port() {
		t.Fatalf("want the redirect's target refused, got %v", err)
	}
	if allowed.hits.Load() != 1 || private.hits.Load() != 0 {
		t.Fatalf("hits: allowed %d private %d", allowed.hits.Load(), private.hits.Load())
	}
	// No redirects: the 3xx is the answer.
	resp, err := httpx.New(g, httpx.Options{MaxRedirects: -1}).Get(allowed.URL)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("MaxRedirects -1: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestGuard_URLHostAndAllowAll(t *testing.T) {
	tg := newTarget(t, nil)
	g, err := (&httpx.Guard{}).WithURLHost(tg.URL + "/v1")
	if err != nil {
		t.Fatal(err)
	}
	if body, err := get(httpx.New(g, httpx.Options{}), tg.URL); err != nil || body != "internal secret" {
		t.Fatalf("base URL's host: %q %v", body, err)
	}
	if body, err := get(httpx.New((&httpx.Guard{}).AllowAll(), httpx.Options{}), tg.URL); err != nil || body != "internal secret" {
		t.Fatalf("allow all: %q %v", body, err)
	}
	if !(&httpx.Guard{}).Empty() || g.Empty() {
		t.Fatal("Empty")
	}
}

func TestClient_BodyCap(t *testing.T) {
	big := strings.Repeat("x", 2048)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length
		} else {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		}
		io.WriteString(w, big)
	})
	g, _ := httpx.ParseAllow("127.0.0.1:" + tg.port())
	for _, q := range []string{"", "?chunked=1"} {
		_, err := get(httpx.New(g, httpx.Options{MaxBody: 1024}), tg.URL+q)
		if !errors.Is(err, httpx.ErrTooLarge) {
			t.Errorf("%q: want ErrTooLarge, got %v", q, err)
		}
		body, err := get(httpx.New(g, httpx.Options{MaxBody: 2048}), tg.URL+q)
		if err != nil || body != big {
			t.Errorf("%q: a body of exactly the cap: %d bytes, %v", q, len(body), err)
		}
	}
}
