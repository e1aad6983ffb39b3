package ui_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"orengen/ui"
)

const metricsToken = "scrape-token-0123456789abcdef"

func newMetricsEnv(t *testing.T) *testEnv {
	t.Helper()
	w := newWired(t)
	// newWired opened the server with a default Metrics; a server with a
	// token is what serve builds.
	w.Server.Metrics.Token = metricsToken
	return &testEnv{t: t, Server: w.Server, DB: w.DB, KV: w.KV, Auth: w.Auth}
}

func TestMetrics_Access(t *testing.T) {
	e := newMetricsEnv(t)
	admin := e.signedIn("owner")
	// Traffic to count: a page, a route with a parameter and a 404.
	e.do(httptest.NewRequest("GET", "http://localhost/", nil))
	e.do(httptest.NewRequest("GET", "http://localhost/pricing", nil))
	e.do(httptest.NewRequest("GET", "http://localhost/no/such/page", nil))
	e.do(httptest.NewRequest("GET", "http://app.localhost/no/such/page", nil))
	e.do(httptest.NewRequest("GET", "http://scanner.example/wp-login.php", nil))

	get := func(auth string, cookies map[string]string) (*http.Response, string) {
		req := httptest.NewRequest("GET", "http://nexus.localhost/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		for k, v := range cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		return e.do(req)
	}
	for _, tc := range []struct {
		name    string
		auth    string
		cookies map[string]string
		want    int
	}{
		{"Anonymous", "", nil, http.StatusUnauthorized},
		{"WrongToken", "Bearer wrong-token", nil, http.StatusUnauthorized},
		{"TokenPrefix", "Bearer " + metricsToken[:10], nil, http.StatusUnauthorized},
		{"TokenWithoutBearer", metricsToken, nil, http.StatusUnauthorized},
		{"Token", "Bearer " + metricsToken, nil, http.StatusOK},
		{"AdminSession", "", admin.cookies, http.StatusOK},
		{"StaleSession", "", map[string]string{"orengen_session": "not-a-session"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(tc.auth, tc.cookies)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tc.want, body)
			}
			if tc.want != http.StatusOK {
				if strings.Contains(body, "orengen_http_requests_total") {
					t.Fatal("refused response holds metrics")
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q", ct)
			}
			for _, want := range []string{
				"orengen_http_requests_total{",
				`orengen_http_requests_total{code="2xx",host="site",method="GET",route="/"}`,
				`route="/:slug"`,
				`orengen_http_requests_total{code="4xx",host="site",method="GET",route="other"}`,
				`orengen_http_requests_total{code="3xx",host="portal",method="GET",route="other"}`,
				`orengen_http_requests_total{code="4xx",host="unknown",method="GET",route="other"} 1`,
				"orengen_http_request_duration_seconds_bucket{",
				"go_goroutines ",
				"process_resident_memory_bytes ",
				"orengen_leads ",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
			if strings.Contains(body, "/no/such/page") || strings.Contains(body, "pricing") || strings.Contains(body, "scanner") {
				t.Error("a raw path became a label")
			}
		})
	}
}

// The token compare refuses when no token is configured, even for an
// empty bearer.
func TestMetrics_NoTokenConfigured(t *testing.T) {
	e := newTestEnv(t)
	for _, auth := range []string{"Bearer ", "Bearer", "Basic x"} {
		req := httptest.NewRequest("GET", "http://nexus.localhost/metrics", nil)
		req.Header.Set("Authorization", auth)
		if resp, _ := e.do(req); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%q: status %d, want 401", auth, resp.StatusCode)
		}
	}
	for _, host := range []string{"localhost", "app.localhost"} {
		req := httptest.NewRequest("GET", "http://"+host+"/metrics", nil)
		if resp, body := e.do(req); resp.StatusCode == http.StatusOK || strings.Contains(body, "go_goroutines") {
			t.Errorf("/metrics on %s: status %d, want no metrics (nexus only)", host, resp.StatusCode)
		}
	}
}

// Collectors registered by the caller appear in the output.
func TestMetrics_Register(t *testing.T) {
	m := ui.NewMetrics()
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "orengen_test_value", Help: "t"}, func() float64 { return 42 })
	if err := m.Register(g); err != nil {
		t.Fatal(err)
	}
	if err := m.Register(g); err == nil {
		t.Fatal("registering twice: no error")
	}
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "orengen_test_value" && mf.GetMetric()[0].GetGauge().GetValue() == 42 {
			found = true
		}
	}
	if !found {
		t.Fatal("orengen_test_value not gathered")
	}
}
