package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"orengen/app"
)

// DefaultLatencyBuckets are the request latency histogram's buckets in
// seconds: a cached page answers in well under a millisecond, a sign-in
// (argon2) takes tens of milliseconds, a slow disk or lock wait seconds.
var DefaultLatencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

// routeOther labels requests answered before any route matched: 404s and
// redirects or refusals by group middleware (sign-in required). Raw paths
// never become labels, so the number of series stays bounded.
const routeOther = "other"

// Metrics is the Prometheus registry behind GET /metrics on the nexus host:
// HTTP requests and latency per host kind, route pattern, method and status
// class, the Go runtime and process, and whatever collectors the caller
// registers (database pools, replication). Leads and certificate expiry are
// added by Server.Open.
type Metrics struct {
	// Token lets a scraper read /metrics with "Authorization: Bearer
	// <Token>" instead of an admin session; empty means sessions only.
	Token string

	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	server   bool // the Server's own collector is registered
}

// NewMetrics returns a registry with the HTTP, Go runtime and process
// collectors.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orengen_http_requests_total",
		Help: "HTTP requests answered, by host kind (site, portal, nexus; unknown for hosts not served), route pattern, method and status class.",
	}, []string{"host", "route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "orengen_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by host kind, route pattern and method.",
		Buckets: DefaultLatencyBuckets,
	}, []string{"host", "route", "method"})
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds collectors to the registry. It fails if a metric of the
// same name and labels is already registered.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Gatherer returns the registry, for tests and other exporters.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// methodLabel keeps the method label to the standard methods.
// It returns constants, never m itself: c.Method() points into fasthttp's
// reused buffers and the registry keeps label values.
func methodLabel(m string) string {
	for _, k := range []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions} {
		if m == k {
			return k
		}
	}
	return "OTHER"
}

// routeMatches reports whether a registered pattern (with :param,
// :param? and *) matches the whole path. c.Route() after the chain is the
// last route that ran, which may be a middleware layer (a group's sign-in
// check, mounted on a prefix) rather than the route the path was meant
// for; only a full match is reported as the route.
func routeMatches(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if ps[0] == "" {
		ps = nil
	}
	if xs[0] == "" {
		xs = nil
	}
	for i, p := range ps {
		if p == "*" || strings.HasSuffix(p, "*") && strings.HasPrefix(p, ":") {
			return true
		}
		if i >= len(xs) {
			return i == len(ps)-1 && strings.HasPrefix(p, ":") && strings.HasSuffix(p, "?")
		}
		if strings.HasPrefix(p, ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(p, xs[i]) {
			return false
		}
	}
	return len(xs) == len(ps)
}

// statusOf is the status the error handler will answer err with (the same
// mapping as errorHandler), or the response's status when err is nil.
func statusOf(c *fiber.Ctx, err error) int {
	if err == nil {
		return c.Response().StatusCode()
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return ErrorStatus(app.ErrorCode(err))
}

// middleware counts and times every request on a host's app. It runs
// first, outside the recoverer, so panics count as the 500s they become.
// Middleware counts and times the requests of a host's app.
func (m *Metrics) Middleware(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t0 := time.Now()
		err := c.Next()
		d := time.Since(t0)
		route := routeOther
		if r := c.Route(); r != nil && r.Path != "" && routeMatches(r.Path, c.Path()) {
			route = r.Path // the pattern as registered, like /leads/:id
		}
		method := methodLabel(c.Method())
		code := strconv.Itoa(statusOf(c, err)/100) + "xx"
		m.requests.WithLabelValues(host, route, method, code).Inc()
		m.latency.WithLabelValues(host, route, method).Observe(d.Seconds())
		return err
	}
}

// countUnknownHost counts a request for a host this server does not
// serve (scanners, stale DNS), answered 404 before any host app.
// CountUnknownHost counts a request for a host no app serves.
func (m *Metrics) CountUnknownHost(method string) {
	m.requests.WithLabelValues("unknown", routeOther, methodLabel(method), "4xx").Inc()
}

// TokenOK compares a bearer token with Token in constant time (over
// hashes, so not even the length leaks).
func (m *Metrics) TokenOK(auth string) bool {
	if m.Token == "" {
		return false
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return false
	}
	a := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	b := sha256.Sum256([]byte(m.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// RegisterServer registers the server's own collector, once per Metrics
// (a Metrics may outlive one Open).
func (m *Metrics) RegisterServer(c prometheus.Collector) error {
	if m.server {
		return nil
	}
	if err := m.Register(c); err != nil {
		return err
	}
	m.server = true
	return nil
}

// Handler serves the registry in Prometheus text format.
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
}
