package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A fresh install's marketing site books the free audit (issue #19): the
// seeded "Book a free audit" links to /book/free-audit, which the first
// start seeds on the house tenant's "Team" calendar, and that page offers
// times and asks for the company.
func TestServe_FreeAuditBookable(t *testing.T) {
	addr, _, _ := MustRunMain(t, t.TempDir())
	port := addr[strings.LastIndex(addr, ":")+1:]
	get := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+port+path, nil)
		req.Host = "localhost:" + port
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/services"); code != http.StatusOK || !strings.Contains(body, `href="/book/free-audit"`) {
		t.Fatalf("services page (%d) has no link to the free audit:\n%.2000s", code, body)
	}
	code, body := get("/book/free-audit?tz=America/Chicago")
	if code != http.StatusOK || !strings.Contains(body, "Free audit") || !strings.Contains(body, `name="start"`) || !strings.Contains(body, `name="company"`) {
		t.Fatalf("free audit page (%d):\n%.3000s", code, body)
	}
}
