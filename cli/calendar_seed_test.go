package cli

import (
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
	host := "localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	if resp, body := get(t, addr, host, "/services"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/book/free-audit"`) {
		t.Fatalf("services page (%d) has no link to the free audit:\n%.2000s", resp.StatusCode, body)
	}
	resp, body := get(t, addr, host, "/book/free-audit?tz=America/Chicago")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Free audit") || !strings.Contains(body, `name="start"`) || !strings.Contains(body, `name="company"`) {
		t.Fatalf("free audit page (%d):\n%.3000s", resp.StatusCode, body)
	}
}
