package ui_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"orengen/app"
	"orengen/app/brand"
	"orengen/ui"
	sitesui "orengen/ui/sites"
)

// Isolation objects of the brand & press kit (issue #22): B's image,
// person and release; the spare ones for the routes that delete; the
// Nexus ones name B's tenant too (:id) so an admin's GET succeeds.
const (
	objBrandAsset        = "brandasset"
	objBrandSpareAsset   = "spare:brandasset"
	objBrandPerson       = "spare:brandperson"
	objBrandRelease      = "brandrelease"
	objBrandSpareRelease = "spare:brandrelease"
	objBrandTenant       = "brandtenant" // Nexus: B's tenant, its image and release
)

type brandFix struct {
	Asset, SpareAsset, Person, SparePerson, Release, SpareRelease int64
}

var brandFixtures sync.Map // *tenantEnv|tenant -> *brandFix

// brandPNG is a small valid PNG of w×h pixels.
func brandPNG(t testing.TB, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// brandFixture gives a tenant a kit with two screenshots, two contacts
// and two published releases (once per env and tenant).
func (e *tenantEnv) brandFixture(side *tenantSide) *brandFix {
	key := [2]any{e, side.T.ID}
	if f, ok := brandFixtures.Load(key); ok {
		return f.(*brandFix)
	}
	ctx := app.NewContextWithTenant(context.Background(), side.T)
	f := &brandFix{}
	for i, dst := range []*int64{&f.Asset, &f.SpareAsset} {
		a, err := e.App.Brand.AddScreenshot(ctx, side.T.Name+" shot "+strconv.Itoa(i), brandPNG(e.t, 8, 8, color.RGBA{1, 2, 3, 255}))
		if err != nil {
			e.t.Fatal(err)
		}
		*dst = a.ID
	}
	for i, dst := range []*int64{&f.Person, &f.SparePerson} {
		p := &brand.Person{Kind: brand.PersonContact, Name: side.T.Name + " press " + strconv.Itoa(i), Email: "press" + strconv.Itoa(i) + "@" + side.T.Slug + ".test"}
		if err := e.App.Brand.AddPerson(ctx, p, nil); err != nil {
			e.t.Fatal(err)
		}
		*dst = p.ID
	}
	for i, dst := range []*int64{&f.Release, &f.SpareRelease} {
		r := &brand.Release{Title: side.T.Name + " news " + strconv.Itoa(i), Body: "News."}
		if err := e.App.Brand.SaveRelease(ctx, r, true); err != nil {
			e.t.Fatal(err)
		}
		*dst = r.ID
	}
	brandFixtures.Store(key, f)
	return f
}

// brandFill puts B's kit objects in a route's parameters.
func (e *tenantEnv) brandFill(obj, p string) (string, string) {
	f := e.brandFixture(e.B)
	s := func(n int64) string { return strconv.FormatInt(n, 10) }
	p = strings.ReplaceAll(p, ":variant", "square")
	switch obj {
	case objBrandAsset:
		p = strings.ReplaceAll(p, ":asset", s(f.Asset))
		return s(f.Asset), p
	case objBrandSpareAsset:
		p = strings.ReplaceAll(p, ":asset", s(f.SpareAsset))
		return s(f.SpareAsset), p
	case objBrandPerson:
		p = strings.ReplaceAll(p, ":person", s(f.SparePerson))
		return s(f.SparePerson), p
	case objBrandRelease:
		p = strings.ReplaceAll(p, ":release", s(f.Release))
		return s(f.Release), p
	case objBrandSpareRelease:
		p = strings.ReplaceAll(p, ":release", s(f.SpareRelease))
		return s(f.SpareRelease), p
	case objBrandTenant:
		p = strings.ReplaceAll(p, ":asset", s(f.Asset))
		p = strings.ReplaceAll(p, ":release", s(f.Release))
		p = strings.ReplaceAll(p, ":person", s(f.SparePerson))
	}
	return s(e.B.T.ID), p
}

// isoBrandRequest gives the brand API's routes of the matrix valid
// bodies, and Nexus's ?tenant=B, so an admin key's request succeeds.
func (e *tenantEnv) isoBrandRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/brand") {
		return
	}
	req.Path = strings.ReplaceAll(req.Path, ":variant", "square")
	img := base64.StdEncoding.EncodeToString(brandPNG(e.t, 8, 8, color.RGBA{9, 9, 9, 255}))
	switch r.Method + " " + r.Path {
	case "PUT /api/v1/brand":
		req.JSON = `{"tagline":"From the API"}`
	case "PUT /api/v1/brand/logos/:variant":
		req.JSON = `{"data_base64":"` + img + `"}`
	case "POST /api/v1/brand/screenshots":
		req.JSON = `{"caption":"Api shot","data_base64":"` + img + `"}`
	case "POST /api/v1/brand/people":
		req.JSON = `{"kind":"contact","name":"Api press","email":"api-press@a.test"}`
	case "POST /api/v1/brand/releases":
		req.JSON = `{"title":"Api release ` + strconv.FormatInt(int64(len(req.Path))+int64(len(r.Host)), 10) + `","body":"x","published":true}`
	case "PUT /api/v1/brand/releases/:id":
		req.JSON = `{"title":"Edited by the API","body":"y"}`
	}
	if r.Host == ui.HostNexus {
		req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
}

// brandContractCalls: the brand API's contract requests, on tenant A's
// kit (tenant keys) and the agency's (admin keys).
func (e *tenantEnv) brandContractCalls(calls map[string]contractCall, rk, wk string) {
	f := e.brandFixture(e.A)
	s := func(n int64) string { return strconv.FormatInt(n, 10) }
	img := base64.StdEncoding.EncodeToString(brandPNG(e.t, 8, 8, color.RGBA{9, 9, 9, 255}))
	calls["getBrand"] = contractCall{ui.HostPortal, "GET", "/api/v1/brand", rk, "", 200}
	calls["putBrand"] = contractCall{ui.HostPortal, "PUT", "/api/v1/brand", wk, `{"text_color":"#222222","heading_font":"georgia","boilerplate":"We fix pipes."}`, 200}
	calls["putBrandLogosVariant"] = contractCall{ui.HostPortal, "PUT", "/api/v1/brand/logos/dark", wk, `{"data_base64":"` + img + `"}`, 200}
	calls["deleteBrandLogosVariant"] = contractCall{ui.HostPortal, "DELETE", "/api/v1/brand/logos/dark", wk, "", 204}
	calls["postBrandScreenshots"] = contractCall{ui.HostPortal, "POST", "/api/v1/brand/screenshots", wk, `{"caption":"c","data_base64":"` + img + `"}`, 201}
	calls["getBrandAssetsId"] = contractCall{ui.HostPortal, "GET", "/api/v1/brand/assets/" + s(f.Asset), rk, "", 200}
	calls["deleteBrandAssetsId"] = contractCall{ui.HostPortal, "DELETE", "/api/v1/brand/assets/" + s(f.SpareAsset), wk, "", 204}
	calls["postBrandPeople"] = contractCall{ui.HostPortal, "POST", "/api/v1/brand/people", wk, `{"kind":"founder","name":"Zoe","bio":"Founder.","photo_base64":"` + img + `"}`, 201}
	calls["deleteBrandPeopleId"] = contractCall{ui.HostPortal, "DELETE", "/api/v1/brand/people/" + s(f.SparePerson), wk, "", 204}
	calls["getBrandReleases"] = contractCall{ui.HostPortal, "GET", "/api/v1/brand/releases", rk, "", 200}
	calls["postBrandReleases"] = contractCall{ui.HostPortal, "POST", "/api/v1/brand/releases", wk, `{"title":"Contract release","body":"**x**","published":true}`, 201}
	calls["getBrandReleasesId"] = contractCall{ui.HostPortal, "GET", "/api/v1/brand/releases/" + s(f.Release), rk, "", 200}
	calls["putBrandReleasesId"] = contractCall{ui.HostPortal, "PUT", "/api/v1/brand/releases/" + s(f.Release), wk, `{"title":"Contract edit","published":true}`, 200}
	calls["deleteBrandReleasesId"] = contractCall{ui.HostPortal, "DELETE", "/api/v1/brand/releases/" + s(f.SpareRelease), wk, "", 204}
	calls["getBrandKitZip"] = contractCall{ui.HostPortal, "GET", "/api/v1/brand/kit.zip", rk, "", 200}
}

// multipartFiles is a multipart body of fields and one file.
func multipartFiles(t *testing.T, fields map[string]string, fileField, name string, data []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}

func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("ORENGEN_REQUIRE_REAL") == "1" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Skip("pdftotext not installed")
	}
	f := filepath.Join(t.TempDir(), "p.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// The brand & press kit through the portal, Nexus, the public press
// pages and the API: the kit's colours are the portal theme's (one
// source), a failing pair is refused naming both colours and the ratio
// with nothing written, images are sniffed, releases render safely, the
// zip carries the files and a one-pager in the tenant's colours.
func TestBrand_FlowHTTP(t *testing.T) {
	e := newTenantEnv(t)
	a := e.A
	owner := map[string]string{"psid": a.Cookie}
	post := func(path string, form url.Values) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, Cookies: owner, CSRF: true})
	}
	upload := func(path string, fields map[string]string, field, name string, data []byte) (int, string) {
		fields["_csrf"] = e.csrfToken()
		raw, ct := multipartFiles(t, fields, field, name, data)
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Raw: raw, ContentType: ct, Cookies: map[string]string{"psid": a.Cookie, "csrf": tenantCSRFNonce}})
		return st, body
	}
	get := func(host, path string, cookies map[string]string) (int, string, *http.Response) {
		return e.do(treq{Host: host, Method: "GET", Path: path, Cookies: cookies})
	}
	ctxA := app.NewContextWithTenant(context.Background(), a.T)

	st, body, _ := get(ui.HostPortal, "/brand", owner)
	if st != 200 || !strings.Contains(body, "Brand &amp; press kit") || !strings.Contains(body, `href="/brand"`) {
		t.Fatalf("kit page: %d %.300s", st, body)
	}

	// A failing pair: #777777 text on white is 4.48:1. Refused with both
	// colours and the ratio, and nothing written: not the new (valid)
	// primary colour either.
	before, _ := e.App.Tenants.TenantByID(context.Background(), a.T.ID)
	st, body, _ = post("/brand", url.Values{"primary_color": {"#14532d"}, "accent_color": {before.AccentColor}, "text_color": {"#777777"},
		"background_color": {"#ffffff"}, "heading_font": {"georgia"}, "body_font": {"system"}, "tagline": {"Refused tagline"}})
	if st != http.StatusBadRequest && st != http.StatusUnprocessableEntity {
		t.Fatalf("failing pair: status %d", st)
	}
	for _, w := range []string{"#777777", "#ffffff", "4.48:1", "4.5:1"} {
		if !strings.Contains(body, w) {
			t.Errorf("refusal lacks %q", w)
		}
	}
	after, _ := e.App.Tenants.TenantByID(context.Background(), a.T.ID)
	k, _ := e.App.Brand.Kit(ctxA)
	if after.PrimaryColor != before.PrimaryColor || k.TextColor != brand.DefaultTextColor || k.Tagline != "" {
		t.Fatalf("refused save wrote something: primary %s text %s tagline %q", after.PrimaryColor, k.TextColor, k.Tagline)
	}

	// Saved: the portal's theme (/brand.css) changes with the kit.
	st, _, _ = post("/brand", url.Values{"primary_color": {"#14532d"}, "accent_color": {"#7c2d12"}, "text_color": {"#1f2937"}, "background_color": {"#fefce8"},
		"heading_font": {"georgia"}, "body_font": {"verdana"}, "tagline": {"Pipes that never leak"}, "boilerplate": {"**Alpha** fixes pipes.\n\n<script>alert(1)</script>"}})
	if st != http.StatusSeeOther {
		t.Fatalf("save: %d", st)
	}
	_, css, _ := get(ui.HostPortal, "/brand.css", owner)
	if !strings.Contains(css, "--brand:#14532d") || !strings.Contains(css, "--accent:#7c2d12") {
		t.Fatalf("portal theme did not follow the kit: %s", css)
	}
	// And the other way: a colour changed on the tenant (Nexus > Tenants)
	// is the kit's.
	pc := "#1e3a8a"
	if _, err := e.App.Tenants.UpdateTenant(context.Background(), a.T.ID, app.TenantUpdate{PrimaryColor: &pc}); err != nil {
		t.Fatal(err)
	}
	if k, _ := e.App.Brand.Kit(ctxA); k.PrimaryColor != pc {
		t.Errorf("kit primary %s after the tenant changed it to %s", k.PrimaryColor, pc)
	}

	// Logos: the primary is the tenant's logo (the portal's /logo); an
	// SVG is refused by its content whatever its name.
	logo := brandPNG(t, 32, 32, color.RGBA{20, 83, 45, 255})
	if st, body := upload("/brand/logos/primary", map[string]string{}, "logo", "logo.png", logo); st != http.StatusSeeOther {
		t.Fatalf("primary logo: %d %.300s", st, body)
	}
	if st, _, resp := get(ui.HostPortal, "/logo", owner); st != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("portal logo after the kit's upload: %d", st)
	}
	if st, body := upload("/brand/logos/square", map[string]string{}, "logo", "logo.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)); st != http.StatusBadRequest || !strings.Contains(body, "PNG or JPEG") {
		t.Errorf("svg logo: %d", st)
	}
	if st, _ := upload("/brand/logos/dark", map[string]string{}, "logo", "dark.png", brandPNG(t, 16, 16, color.RGBA{255, 255, 255, 255})); st != http.StatusSeeOther {
		t.Errorf("dark logo: %d", st)
	}
	if st, body := upload("/brand/screenshots", map[string]string{"caption": "Dashboard"}, "file", "shot.png", brandPNG(t, 40, 30, color.RGBA{0, 0, 200, 255})); st != http.StatusSeeOther {
		t.Fatalf("screenshot: %d %.300s", st, body)
	}
	if st, body := upload("/brand/people", map[string]string{"kind": "founder", "name": "Zoë Brontë", "title": "CEO", "bio": "Plumber for twenty years."}, "photo", "zoe.png", brandPNG(t, 20, 20, color.RGBA{9, 9, 9, 255})); st != http.StatusSeeOther {
		t.Fatalf("founder: %d %.300s", st, body)
	}
	if st, body := upload("/brand/people", map[string]string{"kind": "contact", "name": "Press desk"}, "", "", nil); st != http.StatusBadRequest || !strings.Contains(body, "email or a phone") {
		t.Errorf("contact without email: %d", st)
	}
	if st, _ := upload("/brand/people", map[string]string{"kind": "contact", "name": "Press desk", "email": "press@alpha.test"}, "", "", nil); st != http.StatusSeeOther {
		t.Errorf("contact: %d", st)
	}
	// A member sees the kit but may not change it.
	mc := map[string]string{"psid": e.portalSession(a.Member)}
	if st, body, _ := get(ui.HostPortal, "/brand", mc); st != 200 || strings.Contains(body, `action="/brand"`) {
		t.Errorf("member's kit page: %d (form shown: %v)", st, strings.Contains(body, `action="/brand"`))
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/brand", Form: url.Values{"tagline": {"member"}}, Cookies: mc, CSRF: true}); st != http.StatusForbidden {
		t.Errorf("member's save: %d, want 403", st)
	}

	// Releases: a draft is not public; published, it is at /press/SLUG
	// on the tenant's domain, its markdown rendered safely.
	st, _, resp := post("/brand/releases", url.Values{"title": {"Alpha opens a second shop"}, "summary": {"Now in Bern."},
		"body": {"## Bern\n\nWe **opened**.\n\n<script>alert('x')</script>\n\n[bad](javascript:alert(1))"}})
	if st != http.StatusSeeOther {
		t.Fatalf("release: %d", st)
	}
	relPath := resp.Header.Get("Location")
	e.addDomain("press.alpha.test", a.T.ID)
	if st, _, _ := get("press.alpha.test", "/press/alpha-opens-a-second-shop", nil); st != 404 {
		t.Errorf("draft on the press page: %d", st)
	}
	if st, _, _ := post(relPath, url.Values{"title": {"Alpha opens a second shop"}, "summary": {"Now in Bern."}, "body": {"## Bern\n\nWe **opened**.\n\n<script>alert('x')</script>\n\n[bad](javascript:alert(1))"}, "publish": {"1"}}); st != http.StatusSeeOther {
		t.Fatalf("publish: %d", st)
	}
	if st, _, _ := post("/brand/releases", url.Values{"title": {"Other"}, "slug": {"alpha-opens-a-second-shop"}}); st != http.StatusConflict {
		t.Errorf("same slug: %d, want 409", st)
	}
	st, body, _ = get("press.alpha.test", "/press", nil)
	if st != 200 {
		t.Fatalf("press page: %d", st)
	}
	for _, w := range []string{"Pipes that never leak", "<strong>Alpha</strong> fixes pipes.", "Zoë Brontë", "Plumber for twenty years.", "press@alpha.test",
		`href="/press/alpha-opens-a-second-shop"`, "Dashboard", `href="/press/kit.zip"`, "/press/kit.css?v="} {
		if !strings.Contains(body, w) {
			t.Errorf("press page lacks %q", w)
		}
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, e.B.T.Name) {
		t.Errorf("press page has a script or tenant B's name")
	}
	st, body, _ = get("press.alpha.test", "/press/alpha-opens-a-second-shop", nil)
	if st != 200 || !strings.Contains(body, "<strong>opened</strong>") || strings.Contains(body, "<script>alert") || strings.Contains(body, "javascript:") {
		t.Errorf("release page: %d %.500s", st, body)
	}
	if _, css, _ := get("press.alpha.test", "/press/kit.css", nil); !strings.Contains(css, "color:#1f2937") || !strings.Contains(css, "background:#fefce8") || !strings.Contains(css, "Verdana") || !strings.Contains(css, "Georgia") {
		t.Errorf("press css: %s", css)
	}
	// On A's domain that serves its published website, the press page
	// is there too (before the site's own pages).
	if st, body, _ := get(sitesui.HostSites, "/press", nil); st != 200 || !strings.Contains(body, "Pipes that never leak") {
		t.Errorf("press page on the published site's domain: %d", st)
	}
	// Nobody's press page on app.DOMAIN without a session; B's domain
	// shows B's, never A's releases.
	if st, _, _ := get(ui.HostPortal, "/press", nil); st != 404 {
		t.Errorf("anonymous /press on app.DOMAIN: %d", st)
	}
	e.addDomain("press.beta.test", e.B.T.ID)
	if _, body, _ := get("press.beta.test", "/press", nil); strings.Contains(body, "second shop") || strings.Contains(body, "Zoë") {
		t.Errorf("B's press page shows A's kit")
	}

	// The zip: logos, photo, screenshot, release, boilerplate and a
	// one-pager in the kit's colours (pdftotext reads it).
	st, body, resp = get("press.alpha.test", "/press/kit.zip", nil)
	if st != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("kit zip: %d", st)
	}
	files := unzip(t, []byte(body))
	slug := app.Slugify(a.T.BrandName())
	for _, n := range []string{"logos/" + slug + "-logo.png", "logos/" + slug + "-logo-dark-background.png", "photos/zo-bront.png", "screenshots/01-dashboard.png",
		"releases/alpha-opens-a-second-shop.md", "boilerplate.md", "one-pager.pdf"} {
		if _, ok := files[n]; !ok {
			names := []string{}
			for k := range files {
				names = append(names, k)
			}
			t.Errorf("zip lacks %s (has %v)", n, names)
		}
	}
	if !bytes.Equal(files["logos/"+slug+"-logo.png"], logo) {
		t.Errorf("the zip's logo is not the uploaded file")
	}
	if !strings.Contains(string(files["boilerplate.md"]), "**Alpha** fixes pipes.") || !strings.Contains(string(files["boilerplate.md"]), "Primary #1e3a8a") {
		t.Errorf("boilerplate.md: %s", files["boilerplate.md"])
	}
	text := pdfText(t, files["one-pager.pdf"])
	for _, w := range []string{a.T.BrandName(), "Pipes that never leak", "Zoë Brontë, CEO", "press@alpha.test", "#1e3a8a", "#7c2d12", "Alpha opens a second shop"} {
		if !strings.Contains(text, w) {
			t.Errorf("one-pager lacks %q: %s", w, text)
		}
	}

	// Nexus: the agency's kit; its press page is on DOMAIN.
	admin := map[string]string{"orengen_session": e.AdminCookie}
	if st, body, _ := get(ui.HostNexus, "/brand", admin); st != 200 || !strings.Contains(body, "/brand/tenants/1") {
		t.Fatalf("nexus index: %d", st)
	}
	st, _, _ = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/brand/tenants/1", Cookies: admin, CSRF: true, Form: url.Values{"tagline": {"The agency that builds agencies"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("nexus save: %d", st)
	}
	if st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/brand/tenants/1", Cookies: admin, CSRF: true,
		Form: url.Values{"text_color": {"#ffffff"}, "background_color": {"#fefefe"}}}); st == http.StatusSeeOther || !strings.Contains(body, "#fefefe") {
		t.Errorf("nexus failing pair: %d", st)
	}
	if st, body, _ := get(ui.HostSite, "/press", nil); st != 200 || !strings.Contains(body, "The agency that builds agencies") || strings.Contains(body, "Pipes that never leak") {
		t.Errorf("agency press page: %d %.300s", st, body)
	}
	if st, body, _ := get(ui.HostNexus, "/brand/tenants/"+strconv.FormatInt(a.T.ID, 10), admin); st != 200 || !strings.Contains(body, "Pipes that never leak") {
		t.Errorf("nexus view of A's kit: %d", st)
	}

	// API: the same refusal with the field; the kit's JSON; the zip.
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "PUT", Path: "/api/v1/brand", Bearer: a.KeyWrite, JSON: `{"text_color":"#777777","background_color":"#ffffff"}`})
	if st != 400 || !strings.Contains(body, `"field":"text_color"`) || !strings.Contains(body, "4.48:1") {
		t.Errorf("API failing pair: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "PUT", Path: "/api/v1/brand", Bearer: a.KeyRead, JSON: `{"tagline":"x"}`})
	if st != 403 {
		t.Errorf("read key PUT: %d", st)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "PUT", Path: "/api/v1/brand", Bearer: a.KeyWrite, JSON: `{"primary_color":"#7f1d1d"}`})
	if st != 200 || !strings.Contains(body, `"primary_color":"#7f1d1d"`) || !strings.Contains(body, `"passes_aa":true`) {
		t.Errorf("API save: %d %s", st, body)
	}
	if _, css, _ := get(ui.HostPortal, "/brand.css", owner); !strings.Contains(css, "--brand:#7f1d1d") {
		t.Errorf("portal theme after the API's change: %s", css)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "PUT", Path: "/api/v1/brand/logos/square", Bearer: a.KeyWrite, JSON: `{"data_base64":"` + base64.StdEncoding.EncodeToString([]byte("GIF89a....")) + `"}`})
	if st != 400 || !strings.Contains(body, `"field":"data_base64"`) {
		t.Errorf("API gif logo: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/api/v1/brand/kit.zip?tenant=" + a.T.Slug, Bearer: e.AdminKeyRead})
	if st != 200 || len(unzip(t, []byte(body))["one-pager.pdf"]) == 0 {
		t.Errorf("admin API zip: %d", st)
	}
}

// TestBrand_LogoDeleteAudited: removing a logo from the kit, the primary
// (the tenant's) or another variant, leaves an audit entry naming the
// variant, as uploading one does; the primary is gone from the portal.
func TestBrand_LogoDeleteAudited(t *testing.T) {
	e := newTenantEnv(t)
	a := e.A
	ctxA := app.NewContextWithTenant(context.Background(), a.T)
	owner := map[string]string{"psid": a.Cookie}
	for _, v := range []string{"primary", "dark"} {
		if err := e.App.Brand.SetLogo(ctxA, v, brandPNG(t, 16, 16, color.RGBA{20, 83, 45, 255})); err != nil {
			t.Fatalf("set %s logo: %v", v, err)
		}
		if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/brand/logos/" + v + "/delete", Cookies: owner, CSRF: true}); st != http.StatusSeeOther {
			t.Fatalf("delete %s logo: %d %.300s", v, st, body)
		}
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/logo", Cookies: owner}); st != http.StatusNotFound {
		t.Errorf("portal logo after the primary was removed: %d, want 404", st)
	}
	entries, _, err := e.Server.Audit.Find(app.NewContextWithAdmin(context.Background(), e.Admin), app.AuditFilter{Action: "brand.logo_delete", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, en := range entries {
		got[en.Detail] = en.Target
	}
	want := "tenant:" + strconv.FormatInt(a.T.ID, 10)
	if len(entries) != 2 || got["primary"] != want || got["dark"] != want {
		t.Fatalf("audit entries for the two removals: %+v", got)
	}
}
