package ui_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// formStamp signs a hosted form's render time as the server does.
func (e *tenantEnv) formStamp(id int64, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, e.Key)
	m.Write([]byte("form|" + strconv.FormatInt(id, 10) + "|" + ts))
	return ts + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (e *tenantEnv) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.DB.ReadDB().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestForms_PortalToSubmission(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	owner := map[string]string{"psid": e.A.Cookie}

	// A bad definition is refused with the field named, nothing saved.
	before := e.count(`SELECT COUNT(*) FROM forms`)
	st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/forms/new", CSRF: true, Cookies: owner, Form: url.Values{
		"name": {"Quote"}, "fields": {"email | Email | email | required\nsize | Size | select"}}})
	if st != http.StatusBadRequest || !strings.Contains(body, "a select needs a list of options") || e.count(`SELECT COUNT(*) FROM forms`) != before {
		t.Fatalf("bad definition: %d %.300s", st, body)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/forms/new", CSRF: true, Cookies: owner, Form: url.Values{
		"name": {"Quote"}, "fields": {"email | Email | email | required\nsize | Size | select | | S, L"}, "redirect_url": {"javascript:alert(1)"}}})
	if st != http.StatusBadRequest || !strings.Contains(body, "Redirect must be an https:// URL") {
		t.Fatalf("bad redirect: %d %.300s", st, body)
	}
	// A member may not manage forms.
	member := e.portalSession(e.A.Member)
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/forms", Cookies: map[string]string{"psid": member}}); st != http.StatusForbidden {
		t.Fatalf("member on /forms: %d", st)
	}

	// The owner creates a form.
	st, _, resp := e.do(treq{Host: "portal", Method: "POST", Path: "/forms/new", CSRF: true, Cookies: owner, Form: url.Values{
		"name":            {"Free quote"},
		"fields":          {"name | Your name | text | required\nemail | Email | email | required\nphone | Phone | phone\nsize | Job size | select | required | Small, Large\nmessage | Message | textarea"},
		"consent":         {"I agree to be contacted."},
		"success_message": {"Thanks, Alpha will call you."},
		"notify":          {"sales@alpha.test, boss@alpha.test"},
	}})
	loc := resp.Header.Get("Location")
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/forms/") {
		t.Fatalf("create: %d %q", st, loc)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/forms/"), 10, 64)
	path := "/f/" + strconv.FormatInt(id, 10)
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: loc, Cookies: owner})
	if st != 200 || !strings.Contains(body, "&lt;iframe src=&#34;http://app.localhost"+path) && !strings.Contains(body, "iframe src=") || !strings.Contains(body, "/embed.js") {
		t.Fatalf("editor: %d %.2000s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/forms", Cookies: owner}); st != 200 || !strings.Contains(body, "Free quote") || strings.Contains(body, e.B.T.Name) {
		t.Fatalf("list: %d", st)
	}

	// A workflow of A's triggered by form submissions.
	wf := &app.Workflow{TenantID: e.A.T.ID, Name: "A follow-up", Trigger: app.TriggerFormSubmitted, Enabled: true, Definition: &app.Definition{Steps: []app.Step{{Type: app.StepContact}}}}
	if err := store.NewWorkflowStore(e.DB).SaveWorkflow(ctx, wf); err != nil {
		t.Fatal(err)
	}

	// The hosted page: A's brand, no agency name, embeddable, UTM carried.
	st, body, resp = e.do(treq{Host: "portal", Method: "GET", Path: path + "?utm_source=google&utm_campaign=spring"})
	if st != 200 || !strings.Contains(body, e.A.T.Name) || strings.Contains(body, "OrenGen") || strings.Contains(body, "Nexus") {
		t.Fatalf("hosted page: %d %.500s", st, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || resp.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("hosted page headers: CSP %q XFO %q", csp, resp.Header.Get("X-Frame-Options"))
	}
	if !strings.Contains(body, `name="utm_source" value="google"`) || !strings.Contains(body, `name="website_url"`) || !strings.Contains(body, `name="_ts"`) ||
		!strings.Contains(body, "I agree to be contacted.") || strings.Contains(body, "<script>") || !strings.Contains(body, path+"/brand.css") {
		t.Fatalf("hosted form body: %.3000s", body)
	}
	if st, css, _ := e.do(treq{Host: "portal", Method: "GET", Path: path + "/brand.css"}); st != 200 || !strings.Contains(css, e.A.T.PrimaryColor) {
		t.Fatalf("brand.css: %d %q", st, css)
	}
	// Only the hosted form is embeddable.
	if _, _, r := e.do(treq{Host: "portal", Method: "GET", Path: "/login"}); r.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatal("the login page lost frame protection")
	}
	if st, js, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/embed.js"}); st != 200 || !strings.Contains(js, "postMessage") && !strings.Contains(js, "iframe") {
		t.Fatalf("embed.js: %d", st)
	}

	good := func() url.Values {
		return url.Values{"name": {"Dana"}, "email": {"Dana@Example.com"}, "size": {"Large"}, "consent": {"yes"}, "utm_source": {"google"},
			"_ts": {e.formStamp(id, time.Now().Add(-10*time.Second))}}
	}
	leads := func() int { return e.count(`SELECT COUNT(*) FROM leads WHERE tenant_id = ?`, e.A.T.ID) }
	subs := func() int { return e.count(`SELECT COUNT(*) FROM form_submissions WHERE tenant_id = ?`, e.A.T.ID) }
	runs := func() int { return e.count(`SELECT COUNT(*) FROM runs WHERE workflow_id = ?`, wf.ID) }
	l0, s0, r0 := leads(), subs(), runs()

	// Refusals: each a 400 naming the problem, nothing written.
	for name, c := range map[string]struct {
		mod  func(v url.Values)
		want string
	}{
		"honeypot":     {func(v url.Values) { v.Set("website_url", "http://spam.test") }, "refused as automated"},
		"too fast":     {func(v url.Values) { v.Set("_ts", e.formStamp(id, time.Now())) }, "too fast"},
		"forged stamp": {func(v url.Values) { v.Set("_ts", strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)+".forged") }, "could not be checked"},
		"missing":      {func(v url.Values) { v.Del("name") }, "Your name is required"},
		"bad email":    {func(v url.Values) { v.Set("email", "dana@") }, "Email: enter a valid email address"},
		"bad select":   {func(v url.Values) { v.Set("size", "Huge") }, "Job size: choose one of the options"},
		"no consent":   {func(v url.Values) { v.Del("consent") }, "consent box"},
	} {
		v := good()
		c.mod(v)
		st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: path, Form: v})
		if st != http.StatusBadRequest || !strings.Contains(body, c.want) || !strings.Contains(body, `name="_ts"`) {
			t.Errorf("%s: %d, want 400 with %q: %.400s", name, st, c.want, body)
		}
		if leads() != l0 || subs() != s0 || runs() != r0 {
			t.Fatalf("%s: a refused post wrote rows", name)
		}
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: path, Form: url.Values{"email": {"dana@"}, "name": {"Dana"}, "_ts": {e.formStamp(id, time.Now().Add(-time.Minute))}}}); !strings.Contains(body, `value="Dana"`) || st != 400 {
		t.Errorf("a refused form does not keep the visitor's answers: %d", st)
	}

	// A valid submission: contact, submission and a run, then the
	// success message and the notifications.
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: path, Form: good()})
	if st != 200 || !strings.Contains(body, "Thanks, Alpha will call you.") {
		t.Fatalf("valid post: %d %.500s", st, body)
	}
	if leads() != l0+1 || subs() != s0+1 || runs() != r0+1 {
		t.Fatalf("valid post: leads %d→%d subs %d→%d runs %d→%d", l0, leads(), s0, subs(), r0, runs())
	}
	if e.count(`SELECT COUNT(*) FROM leads WHERE tenant_id = ? AND email = 'dana@example.com' AND first_name = 'Dana' AND source = 'google'`, e.A.T.ID) != 1 {
		t.Fatal("contact fields not stored")
	}
	if e.count(`SELECT COUNT(*) FROM form_submissions WHERE tenant_id = ? AND form = ? AND payload LIKE '%"utm_source":"google"%' AND payload LIKE '%"size":"Large"%'`, e.A.T.ID, "form-"+strconv.FormatInt(id, 10)) != 1 {
		t.Fatal("submission payload not stored")
	}
	if e.count(`SELECT COUNT(*) FROM runs WHERE workflow_id = ? AND payload LIKE ?`, wf.ID, `%"form_id":"`+strconv.FormatInt(id, 10)+`"%`) != 1 {
		t.Fatal("the run does not carry the form id")
	}
	if n := e.count(`SELECT COUNT(*) FROM outbox WHERE to_addr IN ('sales@alpha.test', 'boss@alpha.test') AND subject LIKE 'New form submission: Free quote'`); n != 2 {
		t.Fatalf("notifications: %d, want 2", n)
	}

	// Rate limit: past the budget, refused and nothing written.
	e.Server.LeadRateLimit = 1
	e.reopen()
	l1, s1 := leads(), subs()
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: path, Form: good()}); st != http.StatusTooManyRequests {
		t.Fatalf("rate limit: %d, want 429", st)
	}
	if leads() != l1 || subs() != s1 {
		t.Fatal("a rate-limited post wrote rows")
	}
	e.Server.LeadRateLimit = 0
	e.reopen()

	// Tenant B cannot see or edit A's form.
	bc := map[string]string{"psid": e.B.Cookie}
	for _, r := range []treq{
		{Host: "portal", Method: "GET", Path: "/forms/" + strconv.FormatInt(id, 10), Cookies: bc},
		{Host: "portal", Method: "POST", Path: "/forms/" + strconv.FormatInt(id, 10), CSRF: true, Cookies: bc, Form: url.Values{"name": {"Stolen"}, "fields": {"email|Email|email"}}},
		{Host: "portal", Method: "POST", Path: "/forms/" + strconv.FormatInt(id, 10) + "/delete", CSRF: true, Cookies: bc},
	} {
		if st, body, _ := e.do(r); st != http.StatusNotFound || strings.Contains(body, "Free quote") {
			t.Errorf("B %s %s: %d, want 404", r.Method, r.Path, st)
		}
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/forms", Cookies: bc}); st != 200 || strings.Contains(body, "Free quote") {
		t.Errorf("B's list shows A's form")
	}
	if f, err := e.Server.Forms.PublicForm(ctx, id); err != nil || f.Name != "Free quote" {
		t.Fatalf("A's form after B: %v %+v", err, f)
	}

	// On A's custom domain only A's forms; on the marketing host only the
	// house tenant's.
	e.addDomain("forms.alpha.test", e.A.T.ID)
	if st, _, _ := e.do(treq{Host: "forms.alpha.test", Method: "GET", Path: path}); st != 200 {
		t.Errorf("A's form on A's domain: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "forms.alpha.test", Method: "GET", Path: "/f/" + strconv.FormatInt(e.B.FormID, 10)}); st != 404 {
		t.Errorf("B's form on A's domain: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "site", Method: "GET", Path: path}); st != 404 {
		t.Errorf("A's form on the marketing host: %d", st)
	}
	st, _, resp = e.do(treq{Host: "site", Method: "GET", Path: "/f/" + strconv.FormatInt(e.HouseFormID, 10)})
	if st != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Errorf("house form on the marketing host: %d", st)
	}

	// Editing keeps the id; deleting takes the hosted page down.
	st, _, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/forms/" + strconv.FormatInt(id, 10), CSRF: true, Cookies: owner, Form: url.Values{
		"name": {"Free quote v2"}, "fields": {"email | Email | email | required"}, "redirect_url": {"/thanks"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("edit: %d", st)
	}
	st, _, resp = e.do(treq{Host: "portal", Method: "POST", Path: path, Form: url.Values{"email": {"eve@example.com"}, "_ts": {e.formStamp(id, time.Now().Add(-5*time.Second))}}})
	if st != http.StatusSeeOther || resp.Header.Get("Location") != "/thanks" {
		t.Fatalf("redirect after submit: %d %q", st, resp.Header.Get("Location"))
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/forms/" + strconv.FormatInt(id, 10) + "/delete", CSRF: true, Cookies: owner}); st != http.StatusSeeOther {
		t.Fatalf("delete: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: path}); st != 404 {
		t.Fatalf("deleted form's page: %d", st)
	}
}

// Nexus > Growth > Forms edits the house tenant's forms, shown on the
// marketing host.
func TestForms_NexusHouseForms(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	st, _, resp := e.do(treq{Host: "nexus", Method: "POST", Path: "/forms/new", CSRF: true, Cookies: admin, Form: url.Values{
		"name": {"Agency contact"}, "fields": {"email | Email | email\nphone | Phone | phone"}, "redirect_url": {"https://example.com/thanks"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("nexus create: %d", st)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(resp.Header.Get("Location"), "/forms/"), 10, 64)
	f, err := e.Server.Forms.PublicForm(context.Background(), id)
	if err != nil || f.TenantID != app.HouseTenantID {
		t.Fatalf("nexus form: %v %+v", err, f)
	}
	if st, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/forms", Cookies: admin}); st != 200 || !strings.Contains(body, "Agency contact") || !strings.Contains(body, "http://localhost/f/") || strings.Contains(body, e.A.T.Name+" quote form") {
		t.Fatalf("nexus list: %d %.1500s", st, body)
	}
	// A tenant's form is not the house's: 404 in Nexus's editor.
	if st, _, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/forms/" + strconv.FormatInt(e.A.FormID, 10), Cookies: admin}); st != 404 {
		t.Fatalf("tenant form in nexus: %d", st)
	}
	path := "/f/" + strconv.FormatInt(id, 10)
	st, hb, resp := e.do(treq{Host: "site", Method: "POST", Path: path, Form: url.Values{"phone": {"+1 512 555 0199"}, "_ts": {e.formStamp(id, time.Now().Add(-4*time.Second))}}})
	if st != http.StatusSeeOther || resp.Header.Get("Location") != "https://example.com/thanks" {
		t.Fatalf("house form post: %d %q %.2000s", st, resp.Header.Get("Location"), hb)
	}
	if e.count(`SELECT COUNT(*) FROM leads WHERE tenant_id = 1 AND phone_norm = '+15125550199'`) != 1 {
		t.Fatal("house contact not stored")
	}
	// A stamp for another form does not pass.
	st, body, _ := e.do(treq{Host: "site", Method: "POST", Path: path, Form: url.Values{"phone": {"+1 512 555 0199"}, "_ts": {e.formStamp(e.HouseFormID, time.Now().Add(-4*time.Second))}}})
	if st != 400 || !strings.Contains(body, "could not be checked") {
		t.Fatalf("stamp of another form: %d", st)
	}
}
