package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"orengen/app"
	"orengen/app/sheets"
)

// xssPayloads each try to set window.__xss (or hide the page) if they ran.
var xssPayloads = []string{
	`<script>window.__xss=1</script>`,
	`<img src=x onerror="window.__xss=2">`,
	`[click me](javascript:window.__xss=3)`,
	`<svg onload="window.__xss=4"></svg>`,
	`<iframe srcdoc="<script>parent.__xss=5</script>"></iframe>`,
	`[[x" onmouseover="window.__xss=6]]`,
	`![pic](javascript:window.__xss=7)`,
	`<a href="javascript:window.__xss=8">a link</a>`,
	`<details open ontoggle="window.__xss=9"><summary>s</summary></details>`,
	"```\n</code></pre><script>window.__xss=10</script>\n```",
	`<style>body{display:none}</style>`,
	`<form action="javascript:window.__xss=11"><button>go</button></form>`,
	`<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=12">`,
}

// inertJS reports what of a page's rendered markdown could have run: the
// marker, script-capable elements, event handlers, javascript: URLs, a
// hidden body.
const inertJS = `(function () {
	var out = [];
	if (window.__xss !== undefined) out.push("window.__xss=" + window.__xss);
	var scope = document.querySelector(%q);
	if (!scope) return ["no " + %q];
	scope.querySelectorAll("script, iframe, svg, style, form, object, embed, math").forEach(function (el) { out.push("element " + el.tagName); });
	scope.querySelectorAll("*").forEach(function (el) {
		for (var i = 0; i < el.attributes.length; i++) {
			var a = el.attributes[i];
			if (/^on/i.test(a.name) || a.name === "style") out.push(el.tagName + " " + a.name);
			if ((a.name === "href" || a.name === "src") && /^\s*javascript:/i.test(a.value)) out.push(el.tagName + " " + a.name + "=" + a.value);
		}
	});
	if (getComputedStyle(document.body).display === "none") out.push("body hidden");
	return out;
})()`

func inert(selector string) string { return fmt.Sprintf(inertJS, selector, selector) }

// TestBrowser_WikiXSSInert: XSS payloads in a wiki page stay inert in a
// real browser, on the page, in the editor's live preview (rendered by
// the server as you type) and on the public share page.
func TestBrowser_WikiXSSInert(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Wiki Safety"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "wes@wiki.test")
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Wes", "wiki safety password"); err != nil {
		t.Fatal(err)
	}
	tctx := app.NewContextWithTenant(bg, tn)
	sp, err := sv.Wiki.Space(tctx)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := sv.Wiki.CreatePage(tctx, sp.ID, 0, "Payloads", "# Payloads\n\n"+strings.Join(xssPayloads, "\n\n")+"\n\nThe end.\n")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := sv.Wiki.Share(tctx, pg.ID)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	var found []string
	var text string
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", "wes@wiki.test", "wiki safety password"),
		chromedp.WaitVisible("aside.side", chromedp.ByQuery),
		chromedp.Navigate(base+"/knowledge/p/payloads"),
		chromedp.WaitVisible("article.md", chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond), // onerror and onload would have fired by now
		chromedp.Evaluate(inert("article.md"), &found),
		chromedp.Text("article.md", &text, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "wiki-xss")
	if len(found) > 0 {
		t.Fatalf("page: %v", found)
	}
	// The payloads are shown as text, not dropped silently.
	if !strings.Contains(text, "The end.") || !strings.Contains(text, "click me") {
		t.Fatalf("page text: %q", text)
	}
	// The live preview: typing a payload renders it (through the server)
	// without running it.
	var preview string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/knowledge/pages/"+itoa64(pg.ID)+"/edit"),
		chromedp.WaitVisible("#body", chromedp.ByID),
		chromedp.Evaluate(`document.getElementById("body").value = ""`, nil),
		chromedp.SendKeys("#body", "# Fresh\n\n<img src=x onerror=\"window.__xss=20\"> [go](javascript:window.__xss=21) [[Payloads]] preview done", chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	// The preview is replaced as each key arrives: poll for its last form.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(preview, "preview done"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("preview never showed the text: %q", preview)
		}
		chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector("#wiki-preview a.wikilink") ? document.getElementById("wiki-preview").textContent : ""`, &preview))
	}
	if err := chromedp.Run(ctx,
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(inert("#wiki-preview"), &found),
		// Leave without saving: the editor would ask first.
		chromedp.Evaluate(`document.getElementById("wiki-editor").dispatchEvent(new Event("submit"))`, nil),
	); err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Fatalf("preview: %v", found)
	}
	if !strings.Contains(preview, "Fresh") || !strings.Contains(preview, "preview done") {
		t.Fatalf("preview text: %q", preview)
	}
	// The public share page, as anyone would open it.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/share/"+sh.Token),
		chromedp.WaitVisible("article.md", chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(inert("article.md"), &found),
		chromedp.Text("article.md", &text, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Fatalf("share page: %v", found)
	}
	if !strings.Contains(text, "The end.") {
		t.Fatalf("share text: %q", text)
	}
}

// TestBrowser_SheetGridKeyboard: the grid is edited with the keyboard
// alone: arrows move, typing edits, Enter saves (the server's stored
// form comes back), a refused value says why and saves nothing.
func TestBrowser_SheetGridKeyboard(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Grid Co"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "gia@grid.test")
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Gia", "grid editor password"); err != nil {
		t.Fatal(err)
	}
	tctx := app.NewContextWithTenant(bg, tn)
	tb := &sheets.Table{Name: "Prices", Columns: []sheets.Column{{Name: "Service"}, {Name: "Price", Type: sheets.TypeCurrency}}}
	if err := sv.Sheets.CreateTable(tctx, tb); err != nil {
		t.Fatal(err)
	}
	row, err := sv.Sheets.CreateRow(tctx, tb, map[string]any{"service": "Roof", "price": "100"})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	var cellText, status string
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", "gia@grid.test", "grid editor password"),
		chromedp.WaitVisible("aside.side", chromedp.ByQuery),
		chromedp.Navigate(base+"/data/tables/"+itoa64(tb.ID)),
		chromedp.WaitVisible("table.grid td[data-col=service]", chromedp.ByQuery),
		chromedp.Focus("table.grid td[data-col=service]", chromedp.ByQuery),
		chromedp.KeyEvent(kb.ArrowRight), // to the price cell
		chromedp.KeyEvent("1"),           // typing starts the edit
		chromedp.KeyEvent("2"),
		chromedp.KeyEvent("5"),
		chromedp.KeyEvent("0"),
		chromedp.KeyEvent(kb.Enter), // Enter saves
		chromedp.WaitVisible(`//td[@data-col="price" and normalize-space(.)="1,250.00 USD"]`, chromedp.BySearch),
		chromedp.Text(`table.grid td[data-col=price]`, &cellText, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(cellText) != "1,250.00 USD" {
		t.Fatalf("cell: %q", cellText)
	}
	// A bad value: the cell says why; nothing is saved.
	if err := chromedp.Run(ctx,
		chromedp.Focus("table.grid td[data-col=price]", chromedp.ByQuery),
		chromedp.KeyEvent(kb.Enter), // Enter edits
		chromedp.KeyEvent("x"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`#grid-status.field-error`, chromedp.ByQuery),
		chromedp.Text("#grid-status", &status, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "sheet-grid")
	if !strings.Contains(status, `Column "Price"`) {
		t.Fatalf("status: %q", status)
	}
	a := openApp(t, dir)
	defer a.Close()
	r, err := a.Sheets.Row(tctx, tb, row.ID)
	if err != nil || r.Values["price"] != (sheets.Money{Minor: 125000, Currency: "USD"}) {
		t.Fatalf("stored: %v %+v", err, r)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
