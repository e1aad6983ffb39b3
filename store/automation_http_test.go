package store_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"orengen/app"
	"orengen/httpx"
)

// runHTTPStep runs a one-step workflow (an HTTP request step to url)
// through the engine with the guarded outbound client on allow, and
// returns the run with its log.
func runHTTPStep(t *testing.T, url, allow string) *app.Run {
	t.Helper()
	ctx := context.Background()
	_, ws, cs, clk := openAutomation(t)
	saveWorkflow(t, ws, app.Step{ID: "call", Type: app.StepHTTP, Method: "GET", URL: url})
	sub := capture(t, ws, "ada@example.com", "")
	g, err := httpx.ParseAllow(allow)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(ws, cs, clk, &fakeTel{sent: map[string]int{}})
	e.HTTP = &httpx.Sender{Client: httpx.New(g, httpx.Options{})}
	if ran, err := e.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("run: %v %v", ran, err)
	}
	r, err := ws.FindRun(ctx, sub.RunIDs[0])
	if err != nil || len(r.Steps) == 0 {
		t.Fatalf("run %v: %+v", err, r)
	}
	return r
}

// secretServer is an internal service on loopback whose answer must never
// show in a run log unless an admin allowed it.
func secretServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64, string) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		io.WriteString(w, "internal-secret-42")
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return srv, &hits, port
}

// TestEngine_HTTPStepRefusesPrivateTargets: a workflow HTTP step to
// 127.0.0.1, [::1], localhost or the metadata address is refused at dial
// time; the run log shows the refusal and how to allow it, never a body.
func TestEngine_HTTPStepRefusesPrivateTargets(t *testing.T) {
	_, hits, port := secretServer(t, nil)
	for _, tc := range []struct{ url, want string }{
		{"http://127.0.0.1:" + port + "/admin", "refused 127.0.0.1:" + port + ": a loopback address; an admin can allow it with --outbound-allow"},
		{"http://[::1]:" + port + "/admin", "refused [::1]:" + port + ": a loopback address; an admin can allow it with --outbound-allow"},
		{"http://localhost:" + port + "/admin", ": a loopback address; an admin can allow it with --outbound-allow"},
		{"http://169.254.169.254/latest/meta-data/iam/", "refused 169.254.169.254:80: the cloud metadata address; an admin can allow it with --outbound-allow"},
	} {
		r := runHTTPStep(t, tc.url, "")
		st := r.Steps[0]
		if !strings.Contains(st.Error, tc.want) || !strings.Contains(r.Error, tc.want) {
			t.Errorf("%s: step error %q, run error %q; want %q", tc.url, st.Error, r.Error, tc.want)
		}
		if strings.Contains(st.Output+st.Error+r.Error, "internal-secret-42") {
			t.Errorf("%s: the run log shows the target's body", tc.url)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback service was reached %d times", n)
	}
}

// TestEngine_HTTPStepAllowListAndRedirect: an allow-listed internal target
// answers; a redirect from it to another private address is refused.
func TestEngine_HTTPStepAllowListAndRedirect(t *testing.T) {
	_, privHits, privPort := secretServer(t, nil)
	srv, _, port := secretServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://127.0.0.1:"+privPort+"/admin", http.StatusFound)
			return
		}
		io.WriteString(w, "allowed-answer")
	})
	r := runHTTPStep(t, srv.URL+"/ok", "127.0.0.1:"+port)
	if r.Status != app.RunSucceeded || !strings.Contains(r.Steps[0].Output, "allowed-answer") {
		t.Fatalf("allow-listed target: %s %q %q", r.Status, r.Steps[0].Output, r.Error)
	}
	r = runHTTPStep(t, srv.URL+"/redirect", "127.0.0.1:"+port)
	want := "refused 127.0.0.1:" + privPort + ": a loopback address"
	if !strings.Contains(r.Steps[0].Error, want) || strings.Contains(r.Steps[0].Output+r.Steps[0].Error, "internal-secret-42") {
		t.Fatalf("redirect to a private target: %q %q, want %q", r.Steps[0].Output, r.Steps[0].Error, want)
	}
	if privHits.Load() != 0 {
		t.Fatal("the redirect reached the private target")
	}
}
