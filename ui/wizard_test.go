package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// isoWizardRequest gives the isolation matrix's wizard API requests a
// real run (one per route) and a body the step accepts.
func (e *tenantEnv) isoWizardRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/wizards") {
		return
	}
	req.JSON = `{}`
	if !strings.Contains(r.Path, ":id") {
		return
	}
	ctx := app.NewContextWithAdmin(context.Background(), e.Admin)
	w, err := e.Server.Wizards.Start(ctx, "iso")
	if err != nil {
		e.t.Fatal(err)
	}
	path := strings.Replace(r.Path, ":id", strconv.FormatInt(w.ID, 10), 1)
	if strings.Contains(path, ":step") {
		path = strings.Replace(path, ":step", app.WizardClient, 1)
		req.JSON = `{"name":"Iso Wizard ` + strconv.FormatInt(w.ID, 10) + `"}`
	}
	if strings.HasSuffix(path, "/domain-check") {
		if _, err := e.Server.Wizards.Submit(ctx, w.ID, app.WizardClient, app.WizardInput{Fields: map[string]string{"name": "Iso Domain " + strconv.FormatInt(w.ID, 10)}}); err != nil {
			e.t.Fatal(err)
		}
		for _, st := range []struct{ step, k, v string }{{app.WizardOwner, "email", "iso" + strconv.FormatInt(w.ID, 10) + "@wizard.test"}, {app.WizardBrand, "", ""},
			{app.WizardDomain, "domain", "iso" + strconv.FormatInt(w.ID, 10) + ".wizard.test"}} {
			if _, err := e.Server.Wizards.Submit(ctx, w.ID, st.step, app.WizardInput{Fields: map[string]string{st.k: st.v}}); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	req.Path = path
}

func (e *tenantEnv) countRows(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.DB.ReadDB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWizard_FlowHTTP runs the new-client wizard through Nexus's pages:
// steps out of order and bad input refused naming the field (a slug that
// exists, a colour white text is unreadable on, with its ratio), each
// step done once however often it is submitted, the DNS records shown and
// checked live, the snapshot previewed (nothing written) then applied.
// Then the same through the admin API.
func TestWizard_FlowHTTP(t *testing.T) {
	e := newTenantEnv(t, "--public-ips", "203.0.113.7")
	ctx := context.Background()
	admin := map[string]string{"orengen_session": e.AdminCookie}
	page := func(path string) string {
		t.Helper()
		st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: path, Cookies: admin})
		if st != 200 {
			t.Fatalf("GET %s: %d %.300s", path, st, body)
		}
		return body
	}
	post := func(path string, form url.Values) (int, string, string) {
		t.Helper()
		st, body, resp := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: path, Cookies: admin, CSRF: true, Form: form})
		return st, body, resp.Header.Get("Location")
	}
	// A snapshot of A's setup to apply: its form.
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, e.A.T), e.A.Owner)
	e.newForm(actx, "Wizard intake")
	sn, err := e.Server.Snapshots.Capture(app.NewContextWithAdmin(ctx, e.Admin), e.A.T.ID, "Dental starter", "", "")
	if err != nil {
		t.Fatal(err)
	}

	if b := page("/wizards"); !strings.Contains(b, `action="/wizards"`) {
		t.Fatalf("wizards page: %.300s", b)
	}
	st, _, loc := post("/wizards", nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/wizards/") {
		t.Fatalf("start: %d %q", st, loc)
	}
	base := loc
	tenants := e.countRows(t, `SELECT count(*) FROM tenants`)

	// Out of order, and a slug that exists: refused, nothing written.
	if st, body, _ := post(base+"/steps/owner", url.Values{"email": {"o@bright.test"}}); st != 400 || !strings.Contains(body, "Finish the client step first") {
		t.Fatalf("owner before client: %d %.200s", st, body)
	}
	if st, body, _ := post(base+"/steps/client", url.Values{"name": {"Bright Smiles"}, "slug": {e.A.T.Slug}}); st != 400 || !strings.Contains(body, "exists already") {
		t.Fatalf("existing slug: %d %.200s", st, body)
	}
	if n := e.countRows(t, `SELECT count(*) FROM tenants`); n != tenants {
		t.Fatalf("a refused client step wrote a tenant: %d -> %d", tenants, n)
	}
	if st, _, _ := post(base+"/steps/client", url.Values{"name": {"Bright Smiles"}, "slug": {"bright-smiles"}}); st != http.StatusSeeOther {
		t.Fatalf("client: %d", st)
	}
	// Submitted again (a double click, a retried request): nothing changes.
	if st, _, _ := post(base+"/steps/client", url.Values{"name": {"Other Name"}, "slug": {"other-slug"}}); st != http.StatusSeeOther {
		t.Fatalf("client again: %d", st)
	}
	bright, err := e.Server.Tenants.TenantBySlug(ctx, "bright-smiles")
	if err != nil || bright.Name != "Bright Smiles" || e.countRows(t, `SELECT count(*) FROM tenants`) != tenants+1 {
		t.Fatalf("tenant: %+v %v", bright, err)
	}
	if b := page(base); !strings.Contains(b, `data-step="client" data-status="done"`) || !strings.Contains(b, `data-step="owner" data-status="current"`) || !strings.Contains(b, "bright-smiles") {
		t.Fatalf("progress after client: %.2000s", b)
	}

	// Owner: the usual invitation, once.
	if st, body, _ := post(base+"/steps/owner", url.Values{"email": {"not-an-email"}}); st != 400 || !strings.Contains(body, "field-error") {
		t.Fatalf("bad email: %d", st)
	}
	for range 2 {
		if st, _, _ := post(base+"/steps/owner", url.Values{"email": {"Owner@Bright.test"}, "name": {"Olive Owner"}}); st != http.StatusSeeOther {
			t.Fatalf("owner: %d", st)
		}
	}
	if n := e.countRows(t, `SELECT count(*) FROM tenant_users WHERE tenant_id = ? AND email = 'owner@bright.test' AND role = 'owner'`, bright.ID); n != 1 {
		t.Fatalf("owner users: %d", n)
	}
	msgs, _, _ := e.Outbox.FindOutboxMessages(ctx, 10)
	invites := 0
	for _, m := range msgs {
		if m.To == "owner@bright.test" && tenantLinkRE.MatchString(m.Body) {
			invites++
		}
	}
	if invites != 1 {
		t.Fatalf("invitations: %d", invites)
	}

	// Brand: a colour white text is unreadable on is refused with the ratio.
	upload := func(fields map[string]string, logo []byte) (int, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("_csrf", e.csrfToken())
		for k, v := range fields {
			mw.WriteField(k, v)
		}
		if logo != nil {
			fw, _ := mw.CreateFormFile("logo", "logo.png")
			fw.Write(logo)
		}
		mw.Close()
		st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: base + "/steps/brand", Cookies: admin, CSRF: true, Raw: b.String(), ContentType: mw.FormDataContentType()})
		return st, body
	}
	if st, body := upload(map[string]string{"primary_color": "#ffff00", "accent_color": "#0e7490"}, nil); st != 400 || !strings.Contains(body, "1.1:1") || !strings.Contains(body, "4.5:1") {
		t.Fatalf("light colour: %d %.300s", st, body)
	}
	if st, body := upload(map[string]string{"primary_color": "#1d4ed8", "accent_color": "#0e7490"}, []byte("<svg/>")); st != 400 || !strings.Contains(body, "PNG or JPEG") {
		t.Fatalf("svg logo: %d %.300s", st, body)
	}
	if tn, _ := e.Server.Tenants.TenantByID(ctx, bright.ID); tn.PrimaryColor != app.DefaultPrimaryColor {
		t.Fatalf("a refused brand step changed the colour to %s", tn.PrimaryColor)
	}
	if st, body := upload(map[string]string{"primary_color": "#1D4ED8", "accent_color": "#0e7490", "display_name": "Bright"}, tenantPNG(t, 8)); st != http.StatusSeeOther {
		t.Fatalf("brand: %d %.300s", st, body)
	}
	if tn, _ := e.Server.Tenants.TenantByID(ctx, bright.ID); tn.PrimaryColor != "#1d4ed8" || tn.LogoHash == "" || tn.DisplayName != "Bright" {
		t.Fatalf("brand not applied: %+v", tn)
	}

	// Domain: the records to set, then the live check (the stub resolver
	// answers 203.0.113.7, this server's public address).
	if st, body, _ := post(base+"/steps/domain", url.Values{"domain": {"not a domain"}}); st != 400 || !strings.Contains(body, "field-error") {
		t.Fatalf("bad domain: %d", st)
	}
	for range 2 {
		if st, _, _ := post(base+"/steps/domain", url.Values{"domain": {"Portal.Bright.test"}}); st != http.StatusSeeOther {
			t.Fatalf("domain: %d", st)
		}
	}
	if n := e.countRows(t, `SELECT count(*) FROM custom_domains WHERE name = 'portal.bright.test' AND tenant_id = ?`, bright.ID); n != 1 {
		t.Fatalf("domains: %d", n)
	}
	b := page(base)
	if !strings.Contains(b, "203.0.113.7") || !strings.Contains(b, app.VerifyPrefix+"portal.bright.test") || !strings.Contains(b, "not verified") {
		t.Fatalf("DNS records: %.3000s", b)
	}
	if st, _, _ := post(base+"/domain-check", nil); st != http.StatusSeeOther {
		t.Fatalf("domain check: %d", st)
	}
	if b := page(base); !strings.Contains(b, "points here") {
		t.Fatalf("after the check: %.3000s", b)
	}

	// Snapshot: the preview writes nothing; apply creates the form once.
	sid := strconv.FormatInt(sn.ID, 10)
	if b := page(base + "?snapshot=" + sid); !strings.Contains(b, "Wizard intake") || !strings.Contains(b, `id="wizard-apply"`) {
		t.Fatalf("preview: %.3000s", b)
	}
	if n := e.countRows(t, `SELECT count(*) FROM forms WHERE tenant_id = ?`, bright.ID); n != 0 {
		t.Fatalf("the preview created %d forms", n)
	}
	if st, body, _ := post(base+"/steps/snapshot", url.Values{"snapshot_id": {"999999"}}); st != 400 || !strings.Contains(body, "No snapshot has ID 999999") {
		t.Fatalf("unknown snapshot: %d %.300s", st, body)
	}
	for range 2 {
		if st, _, _ := post(base+"/steps/snapshot", url.Values{"snapshot_id": {sid}}); st != http.StatusSeeOther {
			t.Fatalf("apply: %d", st)
		}
	}
	if n := e.countRows(t, `SELECT count(*) FROM forms WHERE tenant_id = ? AND name = 'Wizard intake'`, bright.ID); n != 1 {
		t.Fatalf("forms after apply: %d", n)
	}
	if b := page(base); !strings.Contains(b, `id="wizard-finished"`) || !strings.Contains(b, "Dental starter v1 applied") {
		t.Fatalf("finished page: %.3000s", b)
	}

	// The same through the admin API.
	api := func(method, path, body, key string) (int, string) {
		st, b, _ := e.do(treq{Host: ui.HostNexus, Method: method, Path: path, JSON: body, Bearer: key})
		return st, b
	}
	if st, _ := api("POST", "/api/v1/wizards", `{}`, e.AdminKeyRead); st != 403 {
		t.Fatalf("start with a read key: %d", st)
	}
	st, body := api("POST", "/api/v1/wizards", `{}`, e.AdminKeyW)
	var run struct {
		Data struct {
			ID       int64  `json:"id"`
			TenantID int64  `json:"tenant_id"`
			Step     string `json:"step"`
			Finished bool   `json:"finished"`
			Steps    []struct {
				Step, Status string
				Results      map[string]string
			} `json:"steps"`
			Domain *struct {
				Name    string `json:"name"`
				DNSOK   bool   `json:"dns_ok"`
				Records []struct{ Type, Name, Value string }
			} `json:"domain"`
		} `json:"data"`
	}
	if st != 201 || json.Unmarshal([]byte(body), &run) != nil || run.Data.Step != app.WizardClient {
		t.Fatalf("API start: %d %s", st, body)
	}
	wp := "/api/v1/wizards/" + strconv.FormatInt(run.Data.ID, 10)
	if st, body := api("POST", wp+"/steps/client", `{"name":"Api Clinic","slug":"bright-smiles"}`, e.AdminKeyW); st != 400 || !strings.Contains(body, `"field":"slug"`) {
		t.Fatalf("API slug taken: %d %s", st, body)
	}
	if st, body := api("POST", wp+"/steps/nope", `{}`, e.AdminKeyW); st != 400 || !strings.Contains(body, `"field":"step"`) {
		t.Fatalf("API unknown step: %d %s", st, body)
	}
	steps := []struct{ step, body string }{
		{"client", `{"name":"Api Clinic"}`},
		{"owner", `{"email":"owner@api-clinic.test"}`},
		{"brand", `{"primary_color":"#7c3aed","logo_base64":"` + base64.StdEncoding.EncodeToString(tenantPNG(t, 4)) + `"}`},
		{"domain", `{"domain":"api-clinic.test"}`},
	}
	for _, s := range steps {
		if st, body := api("POST", wp+"/steps/"+s.step, s.body, e.AdminKeyW); st != 200 {
			t.Fatalf("API %s: %d %s", s.step, st, body)
		}
	}
	if st, body := api("POST", wp+"/steps/snapshot", `{"snapshot_id":`+sid+`}`, e.AdminKeyRead); st != 403 {
		t.Fatalf("API step with a read key: %d %s", st, body)
	}
	if st, body := api("POST", wp+"/domain-check", ``, e.AdminKeyW); st != 200 || !strings.Contains(body, `"dns_ok":true`) {
		t.Fatalf("API domain check: %d %s", st, body)
	}
	if st, body := api("POST", wp+"/steps/snapshot", `{"snapshot_id":`+sid+`}`, e.AdminKeyW); st != 200 {
		t.Fatalf("API snapshot: %d %s", st, body)
	}
	st, body = api("GET", wp, "", e.AdminKeyRead)
	if st != 200 || json.Unmarshal([]byte(body), &run) != nil || !run.Data.Finished || run.Data.Step != app.WizardDone || len(run.Data.Steps) != 5 ||
		run.Data.Domain == nil || !run.Data.Domain.DNSOK || len(run.Data.Domain.Records) != 2 || run.Data.Steps[4].Results["created"] == "0" || run.Data.Steps[4].Results["created"] == "" {
		t.Fatalf("API status: %d %s", st, body)
	}
	if tn, err := e.Server.Tenants.TenantByID(ctx, run.Data.TenantID); err != nil || tn.Slug != "api-clinic" || tn.PrimaryColor != "#7c3aed" || tn.LogoHash == "" {
		t.Fatalf("API tenant: %+v %v", tn, err)
	}
	if st, body := api("GET", "/api/v1/wizards", "", e.AdminKeyRead); st != 200 || !strings.Contains(body, `"slug":"api-clinic"`) || !strings.Contains(body, `"slug":"bright-smiles"`) {
		t.Fatalf("API list: %d %.500s", st, body)
	}
}

// TestWizard_InterruptedStepAdopted: a request cut off after its effect
// but before the run recorded it (the owner invited, the domain added)
// is submitted again: the run adopts what is there instead of failing on
// it or making it twice.
func TestWizard_InterruptedStepAdopted(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithAdmin(context.Background(), e.Admin)
	wz := e.Server.Wizards
	w, err := wz.Start(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	if w, err = wz.Submit(ctx, w.ID, app.WizardClient, app.WizardInput{Fields: map[string]string{"name": "Cut Clinic"}}); err != nil {
		t.Fatal(err)
	}
	tn, err := e.Server.Tenants.TenantByID(ctx, w.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	// The invitation went out, then the process died before the step was saved.
	if _, err := e.Server.Users.Invite(app.NewContextWithTenant(ctx, tn), "owner@cut-clinic.test", "", app.UserRoleOwner); err != nil {
		t.Fatal(err)
	}
	if w, err = wz.Submit(ctx, w.ID, app.WizardOwner, app.WizardInput{Fields: map[string]string{"email": "OWNER@cut-clinic.test"}}); err != nil || w.Step != app.WizardBrand {
		t.Fatalf("owner step again: %v %+v", err, w)
	}
	if n := e.countRows(t, `SELECT count(*) FROM tenant_users WHERE tenant_id = ?`, tn.ID); n != 1 {
		t.Fatalf("users: %d", n)
	}
	if n := e.countRows(t, `SELECT count(*) FROM outbox WHERE to_addr = 'owner@cut-clinic.test'`); n != 1 {
		t.Fatalf("invitations: %d", n)
	}
	if w, err = wz.Submit(ctx, w.ID, app.WizardBrand, app.WizardInput{}); err != nil {
		t.Fatal(err)
	}
	// The domain was added for this client, then the process died.
	if err := e.Domains.AddDomain(ctx, &app.CustomDomain{Name: "cut-clinic.test", TenantID: &tn.ID}); err != nil {
		t.Fatal(err)
	}
	if w, err = wz.Submit(ctx, w.ID, app.WizardDomain, app.WizardInput{Fields: map[string]string{"domain": "cut-clinic.test"}}); err != nil || w.Result(app.WizardDomain, "domain_id") == "" {
		t.Fatalf("domain step again: %v %+v", err, w)
	}
	// Another client's domain is refused, naming the field.
	other, err := wz.Start(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ step, k, v string }{{app.WizardClient, "name", "Other Clinic"}, {app.WizardOwner, "email", "o@other-clinic.test"}, {app.WizardBrand, "", ""}} {
		if _, err := wz.Submit(ctx, other.ID, s.step, app.WizardInput{Fields: map[string]string{s.k: s.v}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := wz.Submit(ctx, other.ID, app.WizardDomain, app.WizardInput{Fields: map[string]string{"domain": "cut-clinic.test"}}); app.ErrorField(err) != "domain" {
		t.Fatalf("another client's domain: %v", err)
	}
	if n := e.countRows(t, `SELECT count(*) FROM custom_domains WHERE name = 'cut-clinic.test'`); n != 1 {
		t.Fatalf("domains: %d", n)
	}
}
