package cli

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// TestForms_Serve: a house form through a real serve on the marketing
// host: the embeddable page, a too-fast post refused, a real post stored.
func TestForms_Serve(t *testing.T) {
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	db := store.NewDB(dir + "/orengen.db")
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := &app.Form{Name: "Contact us", Fields: []app.FormField{{Name: "email", Label: "Email", Type: app.FieldEmail, Required: true}}}
	if err := store.NewFormStore(db).SaveForm(app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID}), f); err != nil {
		t.Fatal(err)
	}
	db.Close()
	addr, _, stop := MustRunMain(t, dir)
	path := "http://" + addr + "/f/" + strconv.FormatInt(f.ID, 10)
	do := func(method, body string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, path, strings.NewReader(body))
		req.Host = "localhost"
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	st, page, h := do("GET", "")
	rendered := time.Now()
	if st != 200 || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Fatalf("hosted page: %d %q", st, h.Get("Content-Security-Policy"))
	}
	m := regexp.MustCompile(`name="_ts" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no stamp: %.1000s", page)
	}
	form := url.Values{"email": {"visitor@example.com"}, "_ts": {m[1]}}.Encode()
	if st, body, _ := do("POST", form); st != 400 || !strings.Contains(body, "too fast") {
		t.Fatalf("too fast: %d", st)
	}
	time.Sleep(time.Until(rendered.Add(3100 * time.Millisecond)))
	if st, body, _ := do("POST", form); st != 200 || !strings.Contains(body, "Thank you") {
		t.Fatalf("post: %d %.500s", st, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := openDataDB(t, dir).ReadDB().QueryRow(`SELECT COUNT(*) FROM leads WHERE tenant_id = 1 AND email = 'visitor@example.com'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("contact: %d %v", n, err)
	}
}
