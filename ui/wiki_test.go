package ui_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
)

// postFile posts a multipart form with one file as a portal or Nexus
// session (cookie name by host).
func (e *tenantEnv) postFile(host, cookie, path string, fields map[string]string, name string, data []byte) (int, string, *http.Response) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", e.csrfToken())
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	h := tenantHostName(host)
	req, _ := http.NewRequest("POST", "http://"+h+path, &buf)
	req.Host = h
	req.Header.Set("Content-Type", mw.FormDataContentType())
	cname := "psid"
	if host == "nexus" {
		cname = "orengen_session"
	}
	req.AddCookie(&http.Cookie{Name: cname, Value: cookie})
	req.AddCookie(&http.Cookie{Name: "csrf", Value: tenantCSRFNonce})
	resp, err := e.Server.Handler().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

// flash returns the flash message a redirect set (the next page shows it).
func (e *tenantEnv) follow(resp *http.Response, host, cookie string) string {
	e.t.Helper()
	r := treq{Host: host, Method: "GET", Path: resp.Header.Get("Location"), Cookies: map[string]string{"psid": cookie}}
	for _, c := range resp.Cookies() {
		r.Cookies[c.Name] = c.Value
	}
	_, body, _ := e.do(r)
	return body
}

func TestWikiPortal_EditHistoryConflictRestore(t *testing.T) {
	e := newTenantEnv(t)
	ann := map[string]string{"psid": e.A.Cookie}
	// Create from a template.
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/knowledge/new?template=sop", Cookies: ann})
	if st != 200 || !strings.Contains(body, "## Purpose") || !strings.Contains(body, `data-preview-url="/knowledge/preview"`) {
		t.Fatalf("new from template: %d %.300s", st, body)
	}
	st, body, resp := e.do(treq{Host: "portal", Method: "POST", Path: "/knowledge/pages", CSRF: true, Cookies: ann,
		Form: url.Values{"title": {"Refund SOP"}, "body": {"Refunds within 14 days.\r\nSee [[Price list]].\r\n"}}})
	if st != http.StatusSeeOther || resp.Header.Get("Location") != "/knowledge/p/refund-sop" {
		t.Fatalf("create: %d %s %.300s", st, resp.Header.Get("Location"), body)
	}
	sp, _ := e.App.Wiki.Space(app.NewContextWithTenant(context.Background(), e.A.T))
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	pg, err := e.App.Wiki.PageBySlug(ctx, sp.ID, "refund-sop")
	if err != nil || pg.Body != "Refunds within 14 days.\nSee [[Price list]].\n" {
		t.Fatalf("stored: %v %q", err, pg.Body)
	}
	// The page: rendered, the missing link offers to create the page.
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/knowledge/p/refund-sop", Cookies: ann})
	if st != 200 || !strings.Contains(body, "<p>Refunds within 14 days.") || !strings.Contains(body, `href="/knowledge/new?title=Price+list"`) {
		t.Fatalf("view: %d %.2000s", st, body)
	}
	// Two editors start from revision 1; the first saves.
	save := func(text string, base int) (int, string, *http.Response) {
		return e.do(treq{Host: "portal", Method: "POST", Path: "/knowledge/pages/" + strconv.FormatInt(pg.ID, 10), CSRF: true, Cookies: ann,
			Form: url.Values{"title": {"Refund SOP"}, "body": {text}, "base_revision": {strconv.Itoa(base)}}})
	}
	if st, body, _ := save("Refunds within 30 days.\n", 1); st != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", st, body)
	}
	st, body, _ = save("Refunds within 7 days.\n", 1)
	if st != http.StatusConflict || !strings.Contains(body, "Nothing was overwritten") || !strings.Contains(body, "Refunds within 30 days.") ||
		!strings.Contains(body, "Refunds within 7 days.") || !strings.Contains(body, `name="base_revision" value="2"`) {
		t.Fatalf("conflict: %d %.3000s", st, body)
	}
	if now, _ := e.App.Wiki.Page(ctx, pg.ID); now.Body != "Refunds within 30 days.\n" || now.Revision != 2 {
		t.Fatalf("after the conflict: %+v", now)
	}
	// History and diff.
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("/knowledge/pages/%d/history", pg.ID), Cookies: ann})
	if st != 200 || !strings.Contains(body, `name="from" value="1"`) || !strings.Contains(body, "user:owner@") {
		t.Fatalf("history: %d %.300s", st, body)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("/knowledge/pages/%d/diff?from=1&to=2", pg.ID), Cookies: ann})
	if st != 200 || !strings.Contains(body, `<tr class="del">`) || !strings.Contains(body, "<code>Refunds within 14 days.</code>") ||
		!strings.Contains(body, `<tr class="add">`) || !strings.Contains(body, "<code>Refunds within 30 days.</code>") {
		t.Fatalf("diff: %d %.3000s", st, body)
	}
	// Restore revision 1 from a stale view: refused; from the current one: revision 3.
	restore := func(base string) *http.Response {
		_, _, r := e.do(treq{Host: "portal", Method: "POST", Path: fmt.Sprintf("/knowledge/pages/%d/restore", pg.ID), CSRF: true, Cookies: ann,
			Form: url.Values{"n": {"1"}, "base_revision": {base}}})
		return r
	}
	if r := restore("1"); !strings.Contains(r.Header.Get("Location"), "/history") {
		t.Fatalf("stale restore went to %s", r.Header.Get("Location"))
	}
	if r := restore("2"); r.Header.Get("Location") != "/knowledge/p/refund-sop" {
		t.Fatalf("restore went to %s", r.Header.Get("Location"))
	}
	if now, _ := e.App.Wiki.Page(ctx, pg.ID); now.Body != pg.Body || now.Revision != 3 {
		t.Fatalf("after restore: %+v", now)
	}
	// Another tenant's user: every one of these is 404.
	bob := map[string]string{"psid": e.B.Cookie}
	for _, p := range []string{"/knowledge/p/refund-sop", fmt.Sprintf("/knowledge/pages/%d/history", pg.ID), fmt.Sprintf("/knowledge/pages/%d/edit", pg.ID)} {
		if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: p, Cookies: bob}); st != 404 {
			t.Errorf("B on %s: %d", p, st)
		}
	}
	// The live preview renders the editor's text safely.
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/knowledge/preview", CSRF: true, Cookies: ann,
		Form: url.Values{"body": {"# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [[Refund SOP]]"}}})
	if st != 200 || !strings.Contains(body, `<h1 id="hi">Hi</h1>`) || strings.Contains(body, "<script") || strings.Contains(body, "javascript:") ||
		!strings.Contains(body, `href="/knowledge/p/refund-sop"`) {
		t.Fatalf("preview: %d %s", st, body)
	}
	// Validation names the field.
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/knowledge/pages", CSRF: true, Cookies: ann, Form: url.Values{"title": {""}, "body": {"x"}}})
	if st != 400 || !strings.Contains(body, `id="title-error">Title required.`) {
		t.Fatalf("no title: %d %.300s", st, body)
	}
}

func TestWikiPortal_FilesSearchShareExportImport(t *testing.T) {
	e := newTenantEnv(t)
	ann := map[string]string{"psid": e.A.Cookie}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	sp, _ := e.App.Wiki.Space(ctx)
	pg, err := e.App.Wiki.CreatePage(ctx, sp.ID, 0, "Onboarding", "Welcome aboard. See the contract.")
	if err != nil {
		t.Fatal(err)
	}
	filesURL := fmt.Sprintf("/knowledge/pages/%d/files", pg.ID)
	// A text file is accepted and searchable; a disguised HTML file is refused with the reason.
	st, _, resp := e.postFile("portal", e.A.Cookie, filesURL, nil, "terms.txt", []byte("Cancellation needs thirty days notice."))
	if st != http.StatusSeeOther {
		t.Fatalf("attach: %d", st)
	}
	if body := e.follow(resp, "portal", e.A.Cookie); !strings.Contains(body, "Attached terms.txt") {
		t.Fatalf("attach flash: %.500s", body)
	}
	_, _, resp = e.postFile("portal", e.A.Cookie, filesURL, nil, "evil.pdf", []byte("<html><script>alert(1)</script></html>"))
	if body := e.follow(resp, "portal", e.A.Cookie); !strings.Contains(body, "evil.pdf is named .pdf but its content is HTML or XML") {
		t.Fatalf("refusal flash: %.3000s", body)
	}
	atts, _ := e.App.Wiki.Attachments(ctx, pg.ID)
	if len(atts) != 1 {
		t.Fatalf("attachments: %+v", atts)
	}
	// Served inert: its type, nosniff, a sandbox CSP, a download.
	st, body, resp := e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("/knowledge/files/%d", atts[0].ID), Cookies: ann})
	if st != 200 || body != "Cancellation needs thirty days notice." || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("file: %d %q %v", st, body, resp.Header)
	}
	// Search finds the page and the file's text, highlighted.
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/knowledge/search?q=thirty+notice", Cookies: ann})
	if st != 200 || !strings.Contains(body, "Onboarding › terms.txt") || !strings.Contains(body, "<mark>thirty</mark>") {
		t.Fatalf("search: %d %.3000s", st, body)
	}
	// A public link: the page in the tenant's brand, then revoked.
	_, _, resp = e.do(treq{Host: "portal", Method: "POST", Path: fmt.Sprintf("/knowledge/pages/%d/share", pg.ID), CSRF: true, Cookies: ann})
	shares, _ := e.App.Wiki.Shares(ctx, pg.ID)
	if len(shares) != 1 {
		t.Fatalf("shares: %+v", shares)
	}
	st, body, resp = e.do(treq{Host: "portal", Method: "GET", Path: "/share/" + shares[0].Token})
	if st != 200 || !strings.Contains(body, "Welcome aboard.") || !strings.Contains(body, e.A.T.Name) || !strings.Contains(body, "/brand.css?v=") ||
		resp.Header.Get("Referrer-Policy") != "no-referrer" || strings.Contains(body, e.B.T.Name) {
		t.Fatalf("share: %d %.2000s", st, body)
	}
	if st, css, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/share/" + shares[0].Token + "/brand.css"}); st != 200 || !strings.Contains(css, e.A.T.PrimaryColor) {
		t.Fatalf("share css: %d %s", st, css)
	}
	// Not through B's share route, not on a tenant's domain it is not.
	e.addDomain("help.bravo.test", e.B.T.ID)
	if st, _, _ := e.do(treq{Host: "help.bravo.test", Method: "GET", Path: "/share/" + shares[0].Token}); st != 404 {
		t.Fatalf("A's share on B's domain: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: fmt.Sprintf("/knowledge/shares/%d/revoke", shares[0].ID), CSRF: true, Cookies: map[string]string{"psid": e.B.Cookie}}); st != 404 {
		t.Fatalf("B revoking: %d", st)
	}
	e.do(treq{Host: "portal", Method: "POST", Path: fmt.Sprintf("/knowledge/shares/%d/revoke", shares[0].ID), CSRF: true, Cookies: ann})
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/share/" + shares[0].Token}); st != 404 {
		t.Fatalf("revoked share: %d", st)
	}
	// Export, then import the zip into tenant B's space over HTTP.
	st, zipBody, resp := e.do(treq{Host: "portal", Method: "GET", Path: "/knowledge/export.zip", Cookies: ann})
	if st != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %v", st, resp.Header)
	}
	tree, _ := e.App.Wiki.Tree(ctx, sp.ID)
	files := 0
	for _, p := range tree {
		as, _ := e.App.Wiki.Attachments(ctx, p.ID)
		files += len(as)
	}
	zr, err := zip.NewReader(strings.NewReader(zipBody), int64(len(zipBody)))
	// The page's file and the fixtures' (newTenantEnv attaches one to A's
	// SOP and one to its spare page).
	if err != nil || len(zr.File) != len(tree)+files || files != 3 {
		t.Fatalf("export zip: %v %d files for %d pages and %d files", err, len(zr.File), len(tree), files)
	}
	st, body, _ = e.postFile("portal", e.B.Cookie, "/knowledge/import", nil, "a.zip", []byte(zipBody))
	if st != 200 || !strings.Contains(body, fmt.Sprintf("Imported %d pages and %d files.", len(tree), files)) {
		t.Fatalf("import: %d %.2000s", st, body)
	}
	bctx := app.NewContextWithTenant(context.Background(), e.B.T)
	bsp, _ := e.App.Wiki.Space(bctx)
	if got, err := e.App.Wiki.PageBySlug(bctx, bsp.ID, "onboarding"); err != nil || got.Body != pg.Body {
		t.Fatalf("imported page: %v %+v", err, got)
	}
	// A zip of one page and no file says so in the singular.
	var one bytes.Buffer
	zw := zip.NewWriter(&one)
	w, _ := zw.Create("Lone page.md")
	w.Write([]byte("Just one page.\n"))
	zw.Close()
	st, body, _ = e.postFile("portal", e.B.Cookie, "/knowledge/import", nil, "one.zip", one.Bytes())
	if st != 200 || !strings.Contains(body, "Imported 1 page and 0 files.") {
		t.Fatalf("one-page import: %d %.2000s", st, body)
	}
	st, body, _ = e.postFile("portal", e.B.Cookie, "/knowledge/import", nil, "a.zip", []byte("not a zip"))
	if st != 400 || !strings.Contains(body, "The file is not a zip archive") {
		t.Fatalf("bad zip: %d %.300s", st, body)
	}
}

func TestWikiNexus_SpacesAndSharing(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	st, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/wiki", Cookies: admin})
	if st != 200 || !strings.Contains(body, "Internal") || !strings.Contains(body, e.B.T.Name) || !strings.Contains(body, fmt.Sprintf(`href="/wiki/%d"`, e.B.WikiPage.SpaceID)) {
		t.Fatalf("spaces: %d %.3000s", st, body)
	}
	// The internal space opens (created on first use).
	st, _, resp := e.do(treq{Host: "nexus", Method: "POST", Path: "/wiki/tenants/1/open", CSRF: true, Cookies: admin})
	if st != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/wiki/") {
		t.Fatalf("open internal: %d %s", st, resp.Header.Get("Location"))
	}
	base := resp.Header.Get("Location")
	st, _, resp = e.do(treq{Host: "nexus", Method: "POST", Path: base + "/pages", CSRF: true, Cookies: admin, Form: url.Values{"title": {"Agency SOP"}, "body": {"Internal only."}}})
	if st != http.StatusSeeOther {
		t.Fatalf("create internal page: %d", st)
	}
	if st, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: resp.Header.Get("Location"), Cookies: admin}); st != 200 || !strings.Contains(body, "Internal only.") {
		t.Fatalf("internal page: %d", st)
	}
	// The agency edits B's shared space; once B's owner stops sharing it,
	// Nexus is refused and says why.
	bspace := fmt.Sprintf("/wiki/%d", e.B.WikiPage.SpaceID)
	if st, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: bspace + "/p/" + e.B.WikiPage.Slug, Cookies: admin}); st != 200 || !strings.Contains(body, e.B.WikiPage.Body) {
		t.Fatalf("B's shared page in Nexus: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/knowledge/settings", CSRF: true, Cookies: map[string]string{"psid": e.B.Cookie}}); st != http.StatusSeeOther {
		t.Fatalf("unshare: %d", st)
	}
	st, body, _ = e.do(treq{Host: "nexus", Method: "GET", Path: bspace + "/p/" + e.B.WikiPage.Slug, Cookies: admin})
	if st != http.StatusForbidden || !strings.Contains(body, "has not shared its knowledge space") || strings.Contains(body, e.B.WikiPage.Body) {
		t.Fatalf("B's unshared page in Nexus: %d %.500s", st, body)
	}
	if _, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/wiki", Cookies: admin}); !strings.Contains(body, "not shared by the client") {
		t.Fatal("the list does not say B's space is not shared")
	}
	// A member may not change sharing.
	member := e.portalSession(e.B.Member)
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/knowledge/settings", CSRF: true, Cookies: map[string]string{"psid": member}, Form: url.Values{"shared": {"on"}}}); st != http.StatusForbidden {
		t.Fatalf("member sharing: %d", st)
	}
}

// multipartFile is a multipart/form-data body with one file in the
// field "file", and its Content-Type.
func multipartFile(t *testing.T, name string, data []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

// zipOf is a zip holding files (name to content).
func zipOf(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
