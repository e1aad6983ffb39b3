// Package httpx owns the one outbound HTTP client for every address a
// user, a tenant or an admin setting can point somewhere: outgoing
// webhooks, workflow HTTP request steps, the model endpoints of Agent
// Studio and RFP extraction, the Twilio, SAM.gov and Grants.gov base URLs.
//
// The client checks the address it actually dials (net.Dialer.Control on
// the resolved IP), so a name that resolves to a private address, a DNS
// answer that changes between check and use, and a redirect to a private
// address are all refused. Loopback, RFC 1918, carrier-grade NAT,
// link-local (with the cloud metadata address), unique local, unspecified,
// multicast and reserved addresses are refused, also in their IPv4-mapped,
// IPv4-compatible, NAT64 and 6to4 IPv6 forms. An admin allow-list
// (--outbound-allow) opens internal targets on purpose.
//
// httpx imports only the standard library.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Defaults of New.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBody      = 10 << 20
	DefaultMaxRedirects = 5
)

// AllowFlag names the setting that opens internal targets, for messages.
const AllowFlag = "--outbound-allow"

// RefusedError is a connection the guard refused: the address dialled and
// why. Its text says how an admin can allow it.
type RefusedError struct {
	Addr   string // ip:port actually dialled
	Reason string // "a loopback address", ...
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused %s: %s; an admin can allow it with %s", e.Addr, e.Reason, AllowFlag)
}

// OutboundRefused marks the error as a refusal for packages that cannot
// import httpx (app): errors.As with an interface holding this method.
func (e *RefusedError) OutboundRefused() {}

// Refused returns the guard's refusal in err's chain, or nil.
func Refused(err error) *RefusedError {
	var re *RefusedError
	if errors.As(err, &re) {
		return re
	}
	return nil
}

// Explain returns the refusal alone when err holds one (its text names the
// address and the fix, without the URL and dial noise around it), else err.
func Explain(err error) error {
	if re := Refused(err); re != nil {
		return re
	}
	return err
}

// ErrTooLarge is returned by a response body read past Options.MaxBody.
var ErrTooLarge = errors.New("the response is larger than this client accepts")

// Guard decides which addresses may be dialled. The zero Guard refuses
// every non-public address; its allow-list opens some. A Guard is not
// changed after it is in use.
type Guard struct {
	prefixes  []netip.Prefix
	addrPorts []netip.AddrPort
	hostPorts map[string]bool // lower-case name:port, matched before resolution
	// Resolver resolves names before dialling (nil: net.DefaultResolver);
	// tests give one that answers from a table.
	Resolver *net.Resolver
}

// ParseAllow parses an allow-list: entries separated by commas or spaces,
// each a CIDR (10.0.0.0/8), an IP (10.0.0.5), ip:port (127.0.0.1:8080,
// [::1]:8080) or host:port (crm.internal:443; the name's addresses are all
// allowed on that port). "" is an empty list.
func ParseAllow(s string) (*Guard, error) {
	g := &Guard{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if err := g.add(f); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *Guard) add(entry string) error {
	if p, err := netip.ParsePrefix(entry); err == nil {
		g.prefixes = append(g.prefixes, p.Masked())
		return nil
	}
	if a, err := netip.ParseAddr(entry); err == nil {
		g.prefixes = append(g.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		return nil
	}
	if ap, err := netip.ParseAddrPort(entry); err == nil {
		g.addrPorts = append(g.addrPorts, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		return nil
	}
	host, port, err := net.SplitHostPort(entry)
	if err != nil || host == "" || port == "" || strings.ContainsAny(host, "/[]") {
		return fmt.Errorf("%s: %q is not a CIDR (10.0.0.0/8), an IP, ip:port or host:port", AllowFlag, entry)
	}
	if g.hostPorts == nil {
		g.hostPorts = map[string]bool{}
	}
	g.hostPorts[strings.ToLower(host)+":"+port] = true
	return nil
}

// With returns a copy of g that also allows the given entries (as
// ParseAllow reads them), like the host:port of a base URL an admin set.
func (g *Guard) With(entries ...string) (*Guard, error) {
	c := g.clone()
	for _, e := range entries {
		if err := c.add(e); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// WithURLHost returns a copy of g that allows the host:port of rawURL (the
// scheme's port when it has none): an admin's --sam-api-url or
// --twilio-api-url is the admin's choice, while redirects elsewhere stay
// guarded.
func (g *Guard) WithURLHost(rawURL string) (*Guard, error) {
	r, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil || r.URL.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", rawURL)
	}
	host, port := r.URL.Hostname(), r.URL.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[r.URL.Scheme]
	}
	return g.With(net.JoinHostPort(host, port))
}

// AllowAll returns a copy of g that allows every address (the old
// --webhook-allow-private).
func (g *Guard) AllowAll() *Guard {
	c := g.clone()
	c.prefixes = append(c.prefixes, netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0"))
	return c
}

func (g *Guard) clone() *Guard {
	if g == nil {
		return &Guard{}
	}
	c := &Guard{Resolver: g.Resolver, prefixes: append([]netip.Prefix(nil), g.prefixes...), addrPorts: append([]netip.AddrPort(nil), g.addrPorts...)}
	if len(g.hostPorts) > 0 {
		c.hostPorts = make(map[string]bool, len(g.hostPorts))
		for k := range g.hostPorts {
			c.hostPorts[k] = true
		}
	}
	return c
}

// Empty reports whether the allow-list is empty.
func (g *Guard) Empty() bool {
	return g == nil || len(g.prefixes)+len(g.addrPorts)+len(g.hostPorts) == 0
}

// Check returns nil when ip:port may be dialled, else a *RefusedError.
func (g *Guard) Check(addr netip.AddrPort) error {
	ip := addr.Addr().Unmap()
	reason := Classify(ip)
	if reason == "" {
		return nil
	}
	if g != nil {
		for _, p := range g.prefixes {
			if p.Contains(ip) {
				return nil
			}
		}
		for _, ap := range g.addrPorts {
			if ap.Addr() == ip && ap.Port() == addr.Port() {
				return nil
			}
		}
	}
	return &RefusedError{Addr: netip.AddrPortFrom(ip, addr.Port()).String(), Reason: reason}
}

// control is the dialer's Control: it runs on the address about to be
// connected, after resolution.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("outbound dial to %q: %w", address, err)
	}
	return g.Check(ap)
}

// hostAllowed reports whether the unresolved name:port is on the list.
func (g *Guard) hostAllowed(address string) bool {
	if g == nil || len(g.hostPorts) == 0 {
		return false
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	return g.hostPorts[strings.ToLower(strings.TrimSuffix(host, "."))+":"+port]
}

var special = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified address"},
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address (RFC 6598)"},
	{netip.MustParsePrefix("169.254.169.254/32"), "the cloud metadata address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "the cloud metadata address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fc00::/7"), "a unique local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "a reserved address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a reserved address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a reserved address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a reserved address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a reserved address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a reserved address"},
	{netip.MustParsePrefix("100::/64"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	compat = netip.MustParsePrefix("::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// Classify returns why ip may not be dialled ("a loopback address", ...)
// or "" for a public address. IPv6 forms that carry an IPv4 address
// (mapped, compatible, NAT64 64:ff9b::/96, 6to4) are judged by that IPv4
// address.
func Classify(ip netip.Addr) string {
	if !ip.IsValid() {
		return "an invalid address"
	}
	if ip.Is6() && !ip.Is4In6() {
		b := ip.As16()
		var v4 netip.Addr
		switch {
		case nat64.Contains(ip), compat.Contains(ip) && !ip.IsUnspecified() && ip != netip.IPv6Loopback():
			v4 = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		case sixTo4.Contains(ip):
			v4 = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		}
		if v4.IsValid() {
			if r := Classify(v4); r != "" {
				return r + " (in IPv6 form)"
			}
			return ""
		}
	}
	ip = ip.Unmap()
	for _, s := range special {
		if s.prefix.Contains(ip) {
			return s.reason
		}
	}
	return ""
}

// Options tune a client from New.
type Options struct {
	Timeout      time.Duration // whole request, headers and body (0: DefaultTimeout; <0: none, bounded by the context)
	MaxBody      int64         // response body cap (0: DefaultMaxBody)
	MaxRedirects int           // 0: DefaultMaxRedirects; <0: none followed (the 3xx is the answer)
	UserAgent    string        // set when the request has none
}

// New returns an *http.Client that dials only what g allows (a nil g
// allows only public addresses), ignores proxy settings from the
// environment (a proxy would hide the target from the check), caps
// response bodies and follows a few redirects, each dialled, so checked,
// again.
func New(g *Guard, o Options) *http.Client {
	if g == nil {
		g = &Guard{}
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Timeout < 0 {
		o.Timeout = 0
	}
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	guarded := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control, Resolver: g.Resolver}
	open := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Resolver: g.Resolver}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			if g.hostAllowed(address) {
				return open.DialContext(ctx, network, address)
			}
			return guarded.DialContext(ctx, network, address)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c := &http.Client{Timeout: o.Timeout, Transport: &capped{next: tr, max: o.MaxBody, ua: o.UserAgent}}
	max := o.MaxRedirects
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if max < 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > max {
			return fmt.Errorf("stopped after %d redirects", max)
		}
		return nil
	}
	return c
}

// capped caps response bodies and sets the User-Agent.
type capped struct {
	next http.RoundTripper
	max  int64
	ua   string
}

func (c *capped) RoundTrip(req *http.Request) (*http.Response, error) {
	if c.ua != "" && req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", c.ua)
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > c.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w (%d bytes, at most %d)", ErrTooLarge, resp.ContentLength, c.max)
	}
	resp.Body = &limitBody{rc: resp.Body, left: c.max}
	return resp, nil
}

type limitBody struct {
	rc   io.ReadCloser
	left int64
}

func (l *limitBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a body of exactly the cap from a longer one.
		var one [1]byte
		n, err := l.rc.Read(one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitBody) Close() error { return l.rc.Close() }

// DialContext dials a TCP address a tenant configured (an IMAP server)
// with the HTTP client's refusal of private, loopback and metadata
// addresses (the allow-list applies).
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if g == nil {
		g = &Guard{}
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Resolver: g.Resolver}
	if !g.hostAllowed(address) {
		d.Control = g.control
	}
	return d.DialContext(ctx, network, address)
}
