package web

import "testing"

func TestRouteMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/", "/", true},
		{"/", "/no/such/page", false},
		{"/leads", "/leads", true},
		{"/leads", "/leads/", true},
		{"/leads", "/LEADS", true},
		{"/leads/:id", "/leads/7", true},
		{"/leads/:id", "/leads", false},
		{"/leads/:id", "/leads/7/delete", false},
		{"/site/:slug?", "/site", true},
		{"/site/:slug?", "/site/about", true},
		{"/assets/*", "/assets/css/app.css", true},
		{"/api/v1", "/api/v1/leads", false},
		{"/:slug", "/pricing", true},
		{"/:slug", "/a/b", false},
	} {
		if got := routeMatches(tc.pattern, tc.path); got != tc.want {
			t.Errorf("routeMatches(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}

// BenchmarkMetrics_Middleware is the cost the metrics middleware adds to
// a request (route match, two label lookups, a counter and a histogram).
func BenchmarkMetrics_Middleware(b *testing.B) {
	m := NewMetrics()
	b.ReportAllocs()
	for b.Loop() {
		route := routeOther
		if routeMatches("/leads/:id", "/leads/42") {
			route = "/leads/:id"
		}
		m.requests.WithLabelValues(HostPortal, route, methodLabel("GET"), "2xx").Inc()
		m.latency.WithLabelValues(HostPortal, route, "GET").Observe(0.0012)
	}
}
