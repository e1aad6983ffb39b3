package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// Tags on companies and opportunities through the API, the record pages,
// CSV import and export, and the tenant's tag list with rename and delete.
func TestCRMTags(t *testing.T) {
	e := newTenantEnv(t)
	kA := e.A.KeyWrite
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	portal := func(method, path string, form url.Values) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Form: form, CSRF: method == "POST", Cookies: map[string]string{"psid": e.A.Cookie}})
	}

	t.Run("API", func(t *testing.T) {
		st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/companies", kA, `{"name":"Tagged Co","tags":["Partner"," gold "]}`)
		if st != 201 || !strings.Contains(raw, `"tags":["partner","gold"]`) {
			t.Fatalf("create company: %d %s", st, raw)
		}
		st, _, raw = e.api(ui.HostPortal, "POST", "/api/v1/opportunities", kA, `{"name":"Tagged deal","tags":["gold"]}`)
		if st != 201 || !strings.Contains(raw, `"tags":["gold"]`) {
			t.Fatalf("create deal: %d %s", st, raw)
		}
		id := e.A.CRM.Deal.ID
		st, _, raw = e.api(ui.HostPortal, "PATCH", fmt.Sprintf("/api/v1/opportunities/%d", id), kA, `{"tags":["partner","renewal"]}`)
		if st != 200 || !strings.Contains(raw, `"tags":["partner","renewal"]`) || !strings.Contains(raw, `"name":"`+e.A.CRM.Deal.Name+`"`) {
			t.Fatalf("patch deal: %d %s", st, raw)
		}
		st, _, raw = e.api(ui.HostPortal, "POST", "/api/v1/companies/batch", kA, `{"records":[{"name":"Batch Co","tags":["gold"]},{"id":`+fmt.Sprint(e.A.CRM.Company.ID)+`,"name":"`+e.A.CRM.Company.Name+`","tags":["partner"]}]}`)
		if st != 200 || !strings.Contains(raw, `"count":2`) {
			t.Fatalf("batch companies: %d %s", st, raw)
		}
		if c, _ := e.Server.CRM.FindCompany(ctx, e.A.CRM.Company.ID); !slices.Equal(c.Tags, []string{"partner"}) {
			t.Fatalf("batch replaced tags: %v", c.Tags)
		}
		many := make([]string, 31)
		for i := range many {
			many[i] = fmt.Sprintf(`"t%d"`, i)
		}
		for _, c := range []struct{ method, path, body string }{
			{"POST", "/api/v1/companies", `{"name":"X","tags":[` + strings.Join(many, ",") + `]}`},
			{"POST", "/api/v1/opportunities", `{"name":"X","tags":["` + strings.Repeat("a", 51) + `"]}`},
			{"PATCH", fmt.Sprintf("/api/v1/companies/%d", e.A.CRM.Company.ID), `{"tags":["-x"]}`},
			{"POST", "/api/v1/opportunities/batch", `{"records":[{"name":"ok"},{"name":"X","tags":[` + strings.Join(many, ",") + `]}]}`},
		} {
			st, p, raw := e.api(ui.HostPortal, c.method, c.path, kA, c.body)
			if st != 400 || p.Error == nil || !strings.HasSuffix(p.Error.Field, "tags") {
				t.Errorf("%s %s: %d %.300s", c.method, c.path, st, raw)
			}
		}
		// Nothing of the refused batch was written.
		if _, p, _ := e.api(ui.HostPortal, "GET", "/api/v1/opportunities?q=ok&limit=200", kA, ""); len(p.Data) != 0 {
			t.Errorf("refused batch wrote %d deals", len(p.Data))
		}
		st, p, raw := e.api(ui.HostPortal, "GET", "/api/v1/companies?tag=GOLD", kA, "")
		if st != 200 || len(p.Data) != 2 {
			t.Fatalf("filter companies by tag: %d %s", st, raw)
		}
		if st, p, _ = e.api(ui.HostPortal, "GET", "/api/v1/opportunities?tag=renewal", kA, ""); st != 200 || len(p.Data) != 1 {
			t.Fatalf("filter deals by tag: %d %v", st, p.Data)
		}
		// The change is on the timeline, so webhooks carry it.
		st, _, raw = e.api(ui.HostPortal, "GET", fmt.Sprintf("/api/v1/opportunities/%d/timeline", id), kA, "")
		if st != 200 || !strings.Contains(raw, `"field":"tags"`) || !strings.Contains(raw, `"new":"partner, renewal"`) {
			t.Fatalf("deal timeline: %d %.500s", st, raw)
		}
	})

	t.Run("RecordPageInlineEdit", func(t *testing.T) {
		path := fmt.Sprintf("/crm/companies/%d", e.A.CRM.Company.ID)
		st, _, resp := portal("POST", path+"/tags", url.Values{"tags": {"Partner, Key account"}})
		if st != http.StatusSeeOther || resp.Header.Get("Location") != path {
			t.Fatalf("inline tags: %d %s", st, resp.Header.Get("Location"))
		}
		st, body, _ := portal("GET", path, nil)
		if st != 200 || !strings.Contains(body, `href="/crm/companies?tag=key%20account"`) || !strings.Contains(body, `value="partner, key account"`) {
			t.Fatalf("record page: %d", st)
		}
		st, body, _ = portal("POST", path+"/tags", url.Values{"tags": {"ok, " + strings.Repeat("b", 60)}})
		if st != 400 || !strings.Contains(body, `id="e_tags_inline"`) || !strings.Contains(body, "at most 50 characters") {
			t.Fatalf("bad inline tags: %d", st)
		}
		c, _ := e.Server.CRM.FindCompany(ctx, e.A.CRM.Company.ID)
		if !slices.Equal(c.Tags, []string{"partner", "key account"}) {
			t.Fatalf("tags after refused edit: %v", c.Tags)
		}
		// The full edit form keeps tags too.
		dpath := fmt.Sprintf("/crm/deals/%d", e.A.CRM.Deal.ID)
		if _, body, _ = portal("GET", dpath, nil); !strings.Contains(body, `name="tags" type="text" value="partner, renewal"`) {
			t.Fatalf("deal form has no tags")
		}
		// Lists filter on a tag for every object.
		if st, body, _ = portal("GET", "/crm/deals?tag=renewal", nil); st != 200 || !strings.Contains(body, e.A.CRM.Deal.Name) {
			t.Fatalf("deals by tag: %d", st)
		}
		if _, body, _ = portal("GET", "/crm/companies?tag=renewal", nil); strings.Contains(body, e.A.CRM.Company.Name+"</a>") {
			t.Fatalf("companies by tag shows an untagged company")
		}
	})

	t.Run("ImportExport", func(t *testing.T) {
		id := e.uploadCSV(e.A.Cookie, app.RecordCompany, "Name,Domain,Tags\nImported One,one.test,\"Import, Gold\"\nImported Two,two.test,\n")
		j := e.startImport(ctx, e.A.Cookie, id, nil, app.DedupeSkip, false)
		if j.Status != app.ImportDone || j.Created != 2 {
			t.Fatalf("import: %+v", j)
		}
		cs, _, _ := e.Server.CRM.FindCompanies(ctx, app.CompanyFilter{Tag: ptrTo("import")})
		if len(cs) != 1 || !slices.Equal(cs[0].Tags, []string{"import", "gold"}) {
			t.Fatalf("imported tags: %v", cs)
		}
		// Deals: a Twenty-style export without a tags column still maps.
		id = e.uploadCSV(e.A.Cookie, app.RecordDeal, "Name,Stage,Tags\nImported deal,Lead,hot\n")
		if j = e.startImport(ctx, e.A.Cookie, id, nil, app.DedupeSkip, false); j.Created != 1 {
			t.Fatalf("deal import: %+v", j)
		}
		st, body, _ := portal("GET", "/crm/companies.csv", nil)
		if st != 200 || !strings.Contains(body, `Imported One,one.test,,,,"import, gold"`) {
			t.Fatalf("export: %d %.600s", st, body)
		}
		if _, body, _ = portal("GET", "/crm/deals.csv", nil); !strings.Contains(body, ",hot,") {
			t.Fatalf("deal export: %.600s", body)
		}
	})

	t.Run("TagList", func(t *testing.T) {
		st, body, _ := portal("GET", "/crm/settings/tags", nil)
		if st != 200 || !strings.Contains(body, `href="/crm/companies?tag=gold"`) || !strings.Contains(body, `href="/crm/deals?tag=renewal"`) || strings.Contains(body, e.B.Tag) {
			t.Fatalf("tag list: %d", st)
		}
		st, body, _ = portal("POST", "/crm/settings/tags/rename", url.Values{"tag": {"gold"}, "to": {"bad tag!"}})
		if st != 400 || !strings.Contains(body, "must start with a letter or digit") {
			t.Fatalf("bad rename: %d", st)
		}
		st, _, resp := portal("POST", "/crm/settings/tags/rename", url.Values{"tag": {"gold"}, "to": {"Platinum"}})
		if st != http.StatusSeeOther || resp.Header.Get("Location") != "/crm/settings/tags" {
			t.Fatalf("rename: %d", st)
		}
		tags, _ := e.Server.CRM.Tags.FindTags(ctx)
		for _, tc := range tags {
			if tc.Tag == "gold" || tc.Tag == "platinum" && tc.Companies != 3 {
				t.Fatalf("after rename: %+v", tags)
			}
		}
		// A's owner cannot rename or delete B's tag: 404 and B unchanged.
		for _, p := range []string{"/crm/settings/tags/rename", "/crm/settings/tags/delete"} {
			if st, _, _ := portal("POST", p, url.Values{"tag": {e.B.Tag}, "to": {"stolen"}}); st != http.StatusNotFound {
				t.Errorf("%s of B's tag: %d", p, st)
			}
		}
		bctx := app.NewContextWithTenant(context.Background(), e.B.T)
		if bt, _ := e.Server.CRM.Tags.FindTags(bctx); !slices.ContainsFunc(bt, func(x app.TagCount) bool { return x.Tag == e.B.Tag && x.Companies == 1 && x.Deals == 1 }) {
			t.Fatalf("B's tags changed: %+v", bt)
		}
		// A member sees the list but cannot change it.
		if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/crm/settings/tags/delete", Form: url.Values{"tag": {"platinum"}}, CSRF: true,
			Cookies: map[string]string{"psid": e.portalSession(e.A.Member)}}); st != http.StatusForbidden {
			t.Errorf("member delete: %d", st)
		}
		if st, _, _ := portal("POST", "/crm/settings/tags/delete", url.Values{"tag": {"platinum"}}); st != http.StatusSeeOther {
			t.Fatalf("delete: %d", st)
		}
		if cs, _, _ := e.Server.CRM.FindCompanies(ctx, app.CompanyFilter{Tag: ptrTo("platinum")}); len(cs) != 0 {
			t.Fatalf("platinum still on %d companies", len(cs))
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
