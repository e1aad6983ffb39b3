package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
)

// TestBrowser_APIExplorer: on API & developer tools, the vendored Swagger
// UI loads the OpenAPI document, listed by module (tag), closed; with a
// key under Authorize, "Try it out" on GET /api/v1/me (module Account)
// sends the request to this server and shows the answer (200 and the
// key's tenant).
func TestBrowser_APIExplorer(t *testing.T) {
	// Swagger UI lays out the whole document (about 300 operations) in
	// the page; on the 2-core machine under CI's load that alone has taken
	// most of a minute.
	ctx := newBrowserFor(t, 3*time.Minute)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Explorer Plumbing"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "eve@plumbing.test")
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Eve", "api explorer password"); err != nil {
		t.Fatal(err)
	}
	key, _, err := sv.APIKeys.CreateTenantKey(app.NewContextWithTenant(bg, tn), "explorer", app.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", "eve@plumbing.test", "api explorer password"),
		chromedp.WaitVisible("aside.side", chromedp.ByQuery),
		chromedp.Navigate(base+"/developers"),
		chromedp.WaitVisible(`#swagger-ui h3.opblock-tag[data-tag="Knowledge wiki"]`, chromedp.ByQuery),
		chromedp.Click(`#swagger-ui h3.opblock-tag[data-tag="Account"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#swagger-ui .opblock-summary-path[data-path="/api/v1/me"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	// Authorize with the key, open the operation, Try it out, Execute.
	steps := []string{
		`window.ui.preauthorizeApiKey("bearer", "` + key + `"); true`,
		`(function(){ var p = document.querySelector('#swagger-ui .opblock-summary-path[data-path="/api/v1/me"]'); var blk = p.closest(".opblock"); if (blk.classList.contains("is-open")) return true; var b = blk.querySelector(".opblock-summary-control") || blk.querySelector(".opblock-summary"); b.click(); return false })()`,
		`(function(){ var b = document.querySelector('#swagger-ui .opblock.is-open .try-out__btn'); if (!b) return false; b.click(); return true })()`,
		`(function(){ var b = document.querySelector('#swagger-ui .opblock.is-open .execute'); if (!b) return false; b.click(); return true })()`,
	}
	for _, js := range steps {
		var ok bool
		for deadline := time.Now().Add(10 * time.Second); !ok; time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("step did not succeed: %s", js)
			}
			if err := chromedp.Run(ctx, chromedp.Evaluate(js, &ok)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var status, body string
	for deadline := time.Now().Add(15 * time.Second); status == ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no answer shown")
		}
		chromedp.Run(ctx, chromedp.Evaluate(`(function(){ var s = document.querySelector('#swagger-ui .live-responses-table tbody .response-col_status'); return s ? s.textContent.trim() : "" })()`, &status))
	}
	chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('#swagger-ui .live-responses-table tbody .response-col_description').textContent`, &body))
	screenshot(t, ctx, "api-explorer")
	if !strings.HasPrefix(status, "200") || !strings.Contains(body, tn.Slug) || !strings.Contains(body, "read") {
		t.Fatalf("explorer answer: %q %q", status, body)
	}
}
