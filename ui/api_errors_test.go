package ui_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// apiError decodes {"error":{"code","message","field"}}.
func apiError(t *testing.T, body string) (code, msg, field string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message, Field string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not a JSON error: %v %.200s", err, body)
	}
	return e.Error.Code, e.Error.Message, e.Error.Field
}

// TestAPI_NoRouteIsJSON: a path under /api/v1 that the host does not
// serve answers JSON (404; 403 naming the right host for the other host's
// endpoints; 403 for what a read-only key may not do; 405 with Allow for
// another method), never the HTML sign-in redirect of the pages, on every
// kind of host: the marketing site, the portal, a tenant's own domain and
// Nexus, with or without a key or a browser session.
func TestAPI_NoRouteIsJSON(t *testing.T) {
	e := newTenantEnv(t)
	e.addDomain("client-a.test", e.A.T.ID)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	portal := map[string]string{"orengen_session": e.A.Cookie}
	for _, c := range []struct {
		host, method, path, key string
		status                  int
		want                    string
		cookies                 map[string]string
	}{
		{host: ui.HostSite, method: "GET", path: "/api/v1/nope", status: 404, want: "not found"},
		{host: ui.HostSite, method: "GET", path: "/api/v1/people", key: e.A.KeyRead, status: 404, want: "not found"},
		{host: "client-a.test", method: "GET", path: "/api/v1/nope", key: e.A.KeyRead, status: 404, want: "No API endpoint"},
		{host: "client-a.test", method: "GET", path: "/api/v1/nope", status: 401, want: "Authorization: Bearer"},
		{host: "client-a.test", method: "GET", path: "/api/v1/tenants", key: e.A.KeyRead, status: 403, want: "nexus.localhost"},
		{host: "client-a.test", method: "POST", path: "/api/v1/people", key: e.A.KeyRead, status: 403, want: "read-only"},
		{host: ui.HostPortal, method: "POST", path: "/api/v1/people", key: e.A.KeyRead, status: 403, want: "read-only"},
		{host: ui.HostPortal, method: "DELETE", path: "/api/v1/wiki/pages/1", key: e.A.KeyRead, status: 403, want: "read-only"},
		{host: ui.HostPortal, method: "POST", path: "/api/v1/tables", key: e.A.KeyRead, status: 403, want: "read-only"},
		{host: ui.HostNexus, method: "POST", path: "/api/v1/tenants", key: e.AdminKeyRead, status: 403, want: "read-only"},
		{host: ui.HostPortal, method: "GET", path: "/api/v1/nope", status: 401, want: "Authorization: Bearer", cookies: portal},
		{host: ui.HostPortal, method: "GET", path: "/api/v1/people", status: 401, want: "Authorization: Bearer", cookies: portal},
		{host: ui.HostNexus, method: "GET", path: "/api/v1/nope", status: 401, want: "Authorization: Bearer", cookies: admin},
		{host: ui.HostNexus, method: "GET", path: "/api/v1/tenants", status: 401, want: "Authorization: Bearer", cookies: admin},
		{host: ui.HostPortal, method: "GET", path: "/api/v1/people", key: "ork_not_a_key", status: 401, want: "Invalid API key"},
		{ui.HostPortal, "GET", "/api/v1/nope", e.A.KeyRead, 404, "No API endpoint GET /api/v1/nope", nil},
		{ui.HostPortal, "GET", "/api/v1/people/1/nope", e.A.KeyRead, 404, "openapi.json", nil},
		{ui.HostPortal, "GET", "/api/v1/tenants", e.A.KeyRead, 403, "nexus.localhost with an admin API key", nil},
		{ui.HostPortal, "GET", "/api/v1/federal/opportunities", e.A.KeyRead, 403, "nexus.localhost", nil},
		{ui.HostNexus, "GET", "/api/v1/leads", e.AdminKeyRead, 403, "tenant API key", nil},
		{ui.HostNexus, "GET", "/api/v1/nope", e.AdminKeyRead, 404, "No API endpoint", nil},
		{ui.HostPortal, "PUT", "/api/v1/people", e.A.KeyWrite, 405, "not allowed", nil},
		{ui.HostPortal, "GET", "/api/v1/nope", "", 401, "", nil},
	} {
		body := ""
		if c.method == "POST" {
			body = `{"name":"x","first_name":"x"}`
		}
		st, body, resp := e.do(treq{Host: c.host, Method: c.method, Path: c.path, Bearer: c.key, Cookies: c.cookies, JSON: body})
		if st != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("Location") != "" {
			t.Errorf("%s %s %s: %d %q %q", c.host, c.method, c.path, st, resp.Header.Get("Content-Type"), resp.Header.Get("Location"))
			continue
		}
		if _, msg, _ := apiError(t, body); !strings.Contains(msg, c.want) {
			t.Errorf("%s %s: message %q lacks %q", c.method, c.path, msg, c.want)
		}
		if st == 405 && !strings.Contains(resp.Header.Get("Allow"), "POST") {
			t.Errorf("405 Allow %q", resp.Header.Get("Allow"))
		}
	}
}

// TestAPI_JSONMistakesNameTheField: a JSON type mismatch is a 400 naming
// the field, wherever JSON is read (the saved search with a NAICS list
// used to answer "Send a JSON object with at least a name").
func TestAPI_JSONMistakesNameTheField(t *testing.T) {
	e := newTenantEnv(t)
	for _, c := range []struct {
		host, path, key, body, field, want string
	}{
		{ui.HostNexus, "/api/v1/federal/searches", e.AdminKeyW, `{"name":"x","naics":541511}`, "naics", "naics must be a list of strings, not a number"},
		{ui.HostNexus, "/api/v1/federal/searches", e.AdminKeyW, `{"name":"x","posted_days":"30"}`, "posted_days", "posted_days must be an integer, not a string"},
		{ui.HostNexus, "/api/v1/federal/searches", e.AdminKeyW, `{"name":["x"]}`, "name", "name must be a string, not a list"},
		{ui.HostNexus, "/api/v1/tenants", e.AdminKeyW, `{"name":true}`, "name", "name must be a string, not true or false"},
		{ui.HostPortal, "/api/v1/leads", e.A.KeyWrite, `{"first_name":{"a":1}}`, "first_name", "first_name must be a string, not an object"},
		{ui.HostPortal, "/api/v1/people", e.A.KeyWrite, `{"first_name":"x","emails":"a@b.test"}`, "emails", "emails must be a list of strings, not a string"},
		{ui.HostPortal, "/api/v1/opportunities", e.A.KeyWrite, `{"name":"x","amount":12.5}`, "amount", "amount must be an integer number of minor units (cents)"},
		{ui.HostPortal, "/api/v1/people", e.A.KeyWrite, `{"first_name":"x",}`, "", "not valid JSON (at byte"},
		{ui.HostPortal, "/api/v1/people", e.A.KeyWrite, `[1,2]`, "", "must be a JSON object"},
	} {
		st, body, _ := e.do(treq{Host: c.host, Method: "POST", Path: c.path, JSON: c.body, Bearer: c.key})
		if st != 400 {
			t.Errorf("%s %s: %d %.200s", c.path, c.body, st, body)
			continue
		}
		code, msg, field := apiError(t, body)
		if code != "invalid" || field != c.field || !strings.Contains(msg, c.want) {
			t.Errorf("%s %s: %s field %q %q, want field %q and %q", c.path, c.body, code, field, msg, c.field, c.want)
		}
	}
}

// TestAPI_LeadsPages: /api/v1/leads pages like every list ({data,
// next_cursor}, newest first) and a lead is {data}.
func TestAPI_LeadsPages(t *testing.T) {
	e := newTenantEnv(t)
	for i := range 3 {
		if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/leads", Bearer: e.A.KeyWrite,
			JSON: `{"first_name":"Page` + strconv.Itoa(i) + `","email":"page` + strconv.Itoa(i) + `@alpha.test"}`}); st != 201 || !strings.Contains(body, `"data":{`) {
			t.Fatalf("create: %d %s", st, body)
		}
	}
	var seen []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		path := "/api/v1/leads?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Bearer: e.A.KeyRead})
		var page struct {
			Data []struct {
				ID        int64
				FirstName string `json:"first_name"`
			}
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(body), &page); st != 200 || err != nil || len(page.Data) == 0 || len(page.Data) > 2 {
			t.Fatalf("page %d: %d %v %s", pages, st, err, body)
		}
		for _, l := range page.Data {
			seen = append(seen, l.FirstName)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	// Newest first, each once: the three new ones, then the fixture's lead.
	if len(seen) != 4 || seen[0] != "Page2" || seen[1] != "Page1" || seen[2] != "Page0" {
		t.Fatalf("leads over pages: %v", seen)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/leads?cursor=garbage", Bearer: e.A.KeyRead}); st != 400 || !strings.Contains(body, `"field":"cursor"`) {
		t.Fatalf("bad cursor: %d %s", st, body)
	}
}

// TestLeadDelete_Audited: deleting a lead leaves an audit entry naming
// the lead and who deleted it, through the API (the key) as through the
// portal (the user); a refused delete of another tenant's lead leaves
// none.
func TestLeadDelete_Audited(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	second := &app.Lead{FirstName: "Second", Email: "second@alpha.test", Source: "test"}
	if err := e.Server.Leads.CreateTenantLead(ctx, second); err != nil {
		t.Fatal(err)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "DELETE", Path: "/api/v1/leads/" + strconv.FormatInt(e.B.Lead.ID, 10), Bearer: e.A.KeyWrite}); st != 404 {
		t.Fatalf("another tenant's lead: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "DELETE", Path: "/api/v1/leads/" + strconv.FormatInt(e.A.Lead.ID, 10), Bearer: e.A.KeyWrite}); st != 204 {
		t.Fatalf("api delete: %d %s", st, body)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/leads/" + strconv.FormatInt(second.ID, 10) + "/delete", CSRF: true,
		Cookies: map[string]string{"psid": e.A.Cookie}}); st != 303 {
		t.Fatalf("portal delete: %d", st)
	}
	entries, _, err := e.Server.Audit.Find(app.NewContextWithAdmin(context.Background(), e.Admin), app.AuditFilter{Action: "lead.delete", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, en := range entries {
		got[en.Target] = en.ActorKind
	}
	apiTarget, portalTarget := "lead:"+strconv.FormatInt(e.A.Lead.ID, 10), "lead:"+strconv.FormatInt(second.ID, 10)
	want := map[string]string{apiTarget: app.ActorAPIKey, portalTarget: app.ActorUser}
	if len(got) != 2 || got[apiTarget] != want[apiTarget] || got[portalTarget] != want[portalTarget] {
		t.Fatalf("audit entries %v, want %v", got, want)
	}
}
