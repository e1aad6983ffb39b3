package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

type apiPage struct {
	Data       []map[string]any `json:"data"`
	NextCursor *string          `json:"next_cursor"`
	Error      *struct {
		Code, Message, Field string
	} `json:"error"`
}

func (e *tenantEnv) api(host, method, path, key, body string) (int, apiPage, string) {
	e.t.Helper()
	st, raw, _ := e.do(treq{Host: host, Method: method, Path: path, Bearer: key, JSON: body})
	var p apiPage
	if strings.HasPrefix(raw, `{"data":[`) || strings.HasPrefix(raw, `{"data":[]`) || strings.Contains(raw, `"error"`) {
		json.Unmarshal([]byte(raw), &p)
	}
	return st, p, raw
}

func TestCRMAPI_Scenarios(t *testing.T) {
	e := newTenantEnv(t)
	kA := e.A.KeyWrite
	type scen struct {
		Name, Method, Path, Body string
		Key                      string
		WantStatus               int
		WantContains             []string
		WantField                string
	}
	scens := []scen{
		{"create person", "POST", "/api/v1/people", `{"first_name":"Nia","last_name":"Okafor","email":"NIA@Okafor.test","phone":"(512) 555-0142","tags":["VIP"]}`, kA, 201,
			[]string{`"first_name":"Nia"`, `"emails":["nia@okafor.test"]`, `"phones":["+15125550142"]`, `"tags":["vip"]`, `"created_at"`, `"updated_at"`, `"source":"api"`}, ""},
		{"bad email", "POST", "/api/v1/people", `{"first_name":"X","email":"nope"}`, kA, 400, []string{`"code":"invalid"`}, "emails"},
		{"bad phone", "POST", "/api/v1/people", `{"first_name":"X","phone":"12"}`, kA, 400, nil, "phones"},
		{"no name", "POST", "/api/v1/people", `{"email":"x@x.test"}`, kA, 400, nil, "first_name"},
		{"not json", "POST", "/api/v1/people", `first_name=x`, kA, 400, []string{"JSON object"}, ""},
		{"wrong type", "POST", "/api/v1/people", `{"first_name":"X","emails":"a@b.test"}`, kA, 400, nil, "emails"},
		{"amount not a number", "POST", "/api/v1/opportunities", `{"name":"D","amount":"lots"}`, kA, 400, []string{"minor units"}, "amount"},
		{"amount fraction", "POST", "/api/v1/opportunities", `{"name":"D","amount":12.5}`, kA, 400, nil, "amount"},
		{"unknown stage", "POST", "/api/v1/opportunities", `{"name":"D","stage":"Heaven"}`, kA, 400, []string{"Heaven"}, "stage"},
		{"create deal", "POST", "/api/v1/opportunities", `{"name":"Roof job","amount":1250000,"currency":"usd","stage":"proposal","expected_close":"2026-12-31"}`, kA, 201,
			[]string{`"stage":"Proposal"`, `"currency":"USD"`, `"amount":1250000`, `"expected_close":"2026-12-31"`}, ""},
		{"bad date", "POST", "/api/v1/opportunities", `{"name":"D","expected_close":"soon"}`, kA, 400, nil, "expected_close"},
		{"unknown filter", "GET", "/api/v1/people?colour=red", "", kA, 400, nil, "colour"},
		{"limit too big", "GET", "/api/v1/people?limit=201", "", kA, 400, nil, "limit"},
		{"bad cursor", "GET", "/api/v1/people?cursor=xyz", "", kA, 400, nil, "cursor"},
		{"B's person", "GET", fmt.Sprintf("/api/v1/people/%d", e.B.CRM.Person.ID), "", kA, 404, []string{`"code":"not_found"`}, ""},
		{"B's person, bad body", "PATCH", fmt.Sprintf("/api/v1/people/%d", e.B.CRM.Person.ID), `{"emails":["bad"]}`, kA, 404, nil, ""},
		{"note on B's person", "POST", "/api/v1/notes", fmt.Sprintf(`{"record_type":"person","record_id":%d,"body":"x"}`, e.B.CRM.Person.ID), kA, 400, nil, "record_id"},
		{"read key writes", "POST", "/api/v1/companies", `{"name":"X"}`, e.A.KeyRead, 403, nil, ""},
		{"no key", "GET", "/api/v1/people", "", "", 401, []string{`"code":"unauthorized"`}, ""},
	}
	for _, sc := range scens {
		t.Run(sc.Name, func(t *testing.T) {
			st, p, raw := e.api(ui.HostPortal, sc.Method, sc.Path, sc.Key, sc.Body)
			if st != sc.WantStatus {
				t.Fatalf("status %d, want %d: %s", st, sc.WantStatus, raw)
			}
			for _, w := range sc.WantContains {
				if !strings.Contains(raw, w) {
					t.Errorf("body lacks %s: %s", w, raw)
				}
			}
			if sc.WantField != "" && (p.Error == nil || p.Error.Field != sc.WantField) {
				t.Errorf("field: %s, want %s", raw, sc.WantField)
			}
		})
	}
	// Nothing invalid was written: A has its fixtures, Nia and one deal.
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	ps, _, _ := e.Server.CRM.FindPeople(ctx, app.PersonFilter{})
	if len(ps) != 6 {
		t.Errorf("A has %d people, want 6 (fixtures and Nia)", len(ps))
	}
}

func TestCRMAPI_CRUDAndTimeline(t *testing.T) {
	e := newTenantEnv(t)
	k := e.A.KeyWrite
	st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/companies", k, `{"name":"Globex","domain":"globex.test"}`)
	if st != 201 {
		t.Fatal(raw)
	}
	var one struct{ Data map[string]any }
	json.Unmarshal([]byte(raw), &one)
	cid := int64(one.Data["id"].(float64))
	st, _, raw = e.api(ui.HostPortal, "POST", "/api/v1/people", k, fmt.Sprintf(`{"first_name":"Hank","email":"hank@globex.test","company_id":%d}`, cid))
	if st != 201 {
		t.Fatal(raw)
	}
	json.Unmarshal([]byte(raw), &one)
	pid := int64(one.Data["id"].(float64))
	path := fmt.Sprintf("/api/v1/people/%d", pid)
	if st, _, raw = e.api(ui.HostPortal, "PATCH", path, k, `{"title":"Boss","phones":["+44 20 7946 0958"]}`); st != 200 || !strings.Contains(raw, `"title":"Boss"`) || !strings.Contains(raw, `"company_name":"Globex"`) {
		t.Fatalf("patch: %d %s", st, raw)
	}
	// Filters.
	for q, want := range map[string]int{"email=hank@globex.test": 1, fmt.Sprintf("company_id=%d", cid): 1, "phone=%2B442079460958": 1, "q=hank": 1, "q=nobody": 0} {
		st, p, raw := e.api(ui.HostPortal, "GET", "/api/v1/people?"+q, k, "")
		if st != 200 || len(p.Data) != want {
			t.Errorf("%s: %d %s", q, st, raw)
		}
	}
	// Timeline: created, then the two changed fields, with the actor.
	_, p, raw := e.api(ui.HostPortal, "GET", path+"/timeline", k, "")
	if len(p.Data) != 3 || p.Data[0]["kind"] != "created" || p.Data[1]["field"] != "phones" && p.Data[2]["field"] != "phones" || !strings.HasPrefix(p.Data[1]["actor"].(string), "apikey:") {
		t.Errorf("timeline: %s", raw)
	}
	if st, _, _ := e.api(ui.HostPortal, "DELETE", path, k, ""); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st, _, _ := e.api(ui.HostPortal, "GET", path, k, ""); st != 404 {
		t.Errorf("after delete: %d", st)
	}
	// Tasks and notes.
	if st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/tasks", k, `{"title":"Call back","due":"2026-12-01"}`); st != 201 || !strings.Contains(raw, `"due":"2026-12-01T00:00:00Z"`) {
		t.Errorf("task: %d %s", st, raw)
	}
	if st, _, raw := e.api(ui.HostPortal, "GET", "/api/v1/tasks?done=false", k, ""); st != 200 || !strings.Contains(raw, "Call back") {
		t.Errorf("tasks: %d %s", st, raw)
	}
	note := fmt.Sprintf(`{"record_type":"company","record_id":%d,"body":"<script>alert(1)</script>\n\n**bold** [x](javascript:alert(1))"}`, cid)
	st, _, raw = e.api(ui.HostPortal, "POST", "/api/v1/notes", k, note)
	if st != 201 || strings.Count(raw, `\u003cscript`) != 1 || strings.Contains(raw, `href=\"javascript`) || !strings.Contains(raw, `\u003cstrong\u003ebold`) {
		t.Errorf("note: %d %s", st, raw)
	}
}

func TestCRMAPI_PaginationAcrossInserts(t *testing.T) {
	e := newTenantEnv(t)
	k := e.A.KeyWrite
	var recs []string
	for i := range 30 {
		recs = append(recs, fmt.Sprintf(`{"first_name":"Page%02d","email":"page%d@x.test"}`, i, i))
	}
	if st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/people/batch", k, `{"records":[`+strings.Join(recs, ",")+`]}`); st != 200 {
		t.Fatal(raw)
	}
	seen := map[float64]bool{}
	cursor := ""
	pages := 0
	for {
		path := "/api/v1/people?limit=7&sort=name"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		st, p, raw := e.api(ui.HostPortal, "GET", path, k, "")
		if st != 200 {
			t.Fatal(raw)
		}
		for _, r := range p.Data {
			id := r["id"].(float64)
			if seen[id] {
				t.Fatalf("id %v twice", id)
			}
			seen[id] = true
		}
		// Someone adds people while we page; they sort before and after.
		e.api(ui.HostPortal, "POST", "/api/v1/people", k, fmt.Sprintf(`{"first_name":"Aaa%d"}`, pages))
		e.api(ui.HostPortal, "POST", "/api/v1/people", k, fmt.Sprintf(`{"first_name":"Zzz%d"}`, pages))
		pages++
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	for i := range 30 {
		_, p, _ := e.api(ui.HostPortal, "GET", fmt.Sprintf("/api/v1/people?email=page%d@x.test", i), k, "")
		if len(p.Data) != 1 || !seen[p.Data[0]["id"].(float64)] {
			t.Errorf("page%d missed by the walk", i)
		}
	}
}

func TestCRMAPI_BatchAtomic(t *testing.T) {
	e := newTenantEnv(t)
	k := e.A.KeyWrite
	count := func() int {
		ps, _, _ := e.Server.CRM.FindPeople(app.NewContextWithTenant(context.Background(), e.A.T), app.PersonFilter{ListOptions: app.ListOptions{Limit: 200}})
		return len(ps)
	}
	before := count()
	st, p, raw := e.api(ui.HostPortal, "POST", "/api/v1/people/batch", k, `{"records":[{"first_name":"Ok1"},{"first_name":"Ok2"},{"first_name":"Bad","emails":["x@"]}]}`)
	if st != 400 || p.Error == nil || p.Error.Field != "records[2].emails" {
		t.Fatalf("invalid record: %d %s", st, raw)
	}
	st, p, raw = e.api(ui.HostPortal, "POST", "/api/v1/opportunities/batch", k, `{"records":[{"name":"a"},{"name":"b","amount":"x"}]}`)
	if st != 400 || p.Error == nil || p.Error.Field != "records[1].amount" {
		t.Fatalf("bad amount: %d %s", st, raw)
	}
	st, p, raw = e.api(ui.HostPortal, "POST", "/api/v1/people/batch", k, fmt.Sprintf(`{"records":[{"first_name":"Ok1"},{"id":%d,"first_name":"Steal"}]}`, e.B.CRM.Person.ID))
	if st != 404 || p.Error == nil || p.Error.Field != "records[1]" {
		t.Fatalf("B's id in a batch: %d %s", st, raw)
	}
	over := `{"records":[` + strings.TrimSuffix(strings.Repeat(`{"first_name":"x"},`, app.MaxBatch+1), ",") + `]}`
	if st, p, raw = e.api(ui.HostPortal, "POST", "/api/v1/people/batch", k, over); st != 400 || p.Error.Field != "records" {
		t.Fatalf("over the limit: %d %.200s", st, raw)
	}
	if n := count(); n != before {
		t.Fatalf("failed batches wrote %d people", n-before)
	}
	if got, _ := e.Server.CRM.FindPerson(app.NewContextWithTenant(context.Background(), e.B.T), e.B.CRM.Person.ID); got.FirstName == "Steal" {
		t.Fatal("batch changed B's person")
	}
}

func TestCRMAPI_Nexus(t *testing.T) {
	e := newTenantEnv(t)
	k := e.AdminKeyW
	_, p, raw := e.api(ui.HostNexus, "GET", "/api/v1/people?limit=200", k, "")
	tenants := map[float64]bool{}
	for _, r := range p.Data {
		tenants[r["tenant_id"].(float64)] = true
	}
	if !tenants[float64(e.A.T.ID)] || !tenants[float64(e.B.T.ID)] {
		t.Fatalf("across tenants: %s", raw)
	}
	_, p, _ = e.api(ui.HostNexus, "GET", "/api/v1/people?tenant="+e.A.T.Slug, k, "")
	for _, r := range p.Data {
		if r["tenant_id"].(float64) != float64(e.A.T.ID) {
			t.Fatalf("tenant=A shows %v", r)
		}
	}
	if st, p, _ := e.api(ui.HostNexus, "POST", "/api/v1/people", k, `{"first_name":"X"}`); st != 400 || p.Error.Field != "tenant" {
		t.Errorf("create without tenant: %d", st)
	}
	if st, _, raw := e.api(ui.HostNexus, "POST", "/api/v1/people?tenant="+e.B.T.Slug, k, `{"first_name":"ForB"}`); st != 201 || !strings.Contains(raw, fmt.Sprintf(`"tenant_id":%d`, e.B.T.ID)) {
		t.Errorf("create in B: %d %s", st, raw)
	}
	// Changing a record acts in its tenant; the timeline names the admin key.
	path := fmt.Sprintf("/api/v1/people/%d", e.B.CRM.Person.ID)
	if st, _, raw := e.api(ui.HostNexus, "PATCH", path, k, `{"title":"Set by admin"}`); st != 200 {
		t.Fatalf("patch: %d %s", st, raw)
	}
	_, p, _ = e.api(ui.HostNexus, "GET", path+"/timeline", k, "")
	if last := p.Data[len(p.Data)-1]; last["new"] != "Set by admin" || !strings.HasPrefix(last["actor"].(string), "apikey:") {
		t.Errorf("timeline: %v", last)
	}
	if st, _, _ := e.api(ui.HostNexus, "GET", "/api/v1/people?tenant=nope", k, ""); st != 400 {
		t.Errorf("unknown tenant: %d", st)
	}
}

// Every /api/v1 route is in the OpenAPI document and every documented
// path is a registered route (on the portal or Nexus).
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	e := newTenantEnv(t)
	st, _, raw := e.api(ui.HostPortal, "GET", "/api/v1/openapi.json", e.A.KeyRead, "")
	if st != http.StatusOK {
		t.Fatal(raw)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("doc: %v %.100s", err, raw)
	}
	param := regexp.MustCompile(`:(\w+)`)
	registered := map[string]bool{}
	for _, h := range []string{ui.HostPortal, ui.HostNexus} {
		for _, r := range e.Server.Routes(h) {
			if !strings.HasPrefix(r.Path, "/api/v1/") && !strings.HasPrefix(r.Path, "/rest/") && r.Path != "/graphql" || slices.Contains([]string{"HEAD", "OPTIONS", "CONNECT", "TRACE"}, r.Method) {
				continue
			}
			key := strings.ToLower(r.Method) + " " + param.ReplaceAllString(r.Path, "{$1}")
			registered[key] = true
			p := param.ReplaceAllString(r.Path, "{$1}")
			if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
				t.Errorf("%s %s (%s) is not in openapi.json", r.Method, r.Path, h)
			}
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			if !registered[m+" "+p] {
				t.Errorf("openapi.json documents %s %s, which no host registers", m, p)
			}
		}
	}
}

func TestCRMAPI_DuplicatesMerge(t *testing.T) {
	e := newTenantEnv(t)
	k := e.A.KeyWrite
	keep, drop := e.A.MergeKeep.ID, e.A.MergeDrop.ID
	_, p, raw := e.api(ui.HostPortal, "GET", fmt.Sprintf("/api/v1/people/%d/duplicates", keep), k, "")
	if len(p.Data) != 1 || p.Data[0]["id"].(float64) != float64(drop) {
		t.Fatalf("duplicates: %s", raw)
	}
	if st, p, _ := e.api(ui.HostPortal, "POST", fmt.Sprintf("/api/v1/people/%d/merge", keep), k, fmt.Sprintf(`{"merge_id":%d}`, e.B.MergeDrop.ID)); st != 400 || p.Error.Field != "merge_id" {
		t.Errorf("merge B's person: %d", st)
	}
	if st, _, raw := e.api(ui.HostPortal, "POST", fmt.Sprintf("/api/v1/people/%d/merge", keep), k, fmt.Sprintf(`{"merge_id":%d}`, drop)); st != 200 {
		t.Fatalf("merge: %d %s", st, raw)
	}
	if st, _, _ := e.api(ui.HostPortal, "GET", fmt.Sprintf("/api/v1/people/%d", drop), k, ""); st != 404 {
		t.Errorf("merged person still there: %d", st)
	}
	_, p, _ = e.api(ui.HostPortal, "GET", fmt.Sprintf("/api/v1/people/%d/timeline", keep), k, "")
	if last := p.Data[len(p.Data)-1]; last["kind"] != "merged" {
		t.Errorf("timeline: %v", last)
	}
}

func TestCRMAPI_CustomFields(t *testing.T) {
	e := newTenantEnv(t)
	k := e.A.KeyWrite
	if st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/custom-fields", k, `{"object":"person","key":"budget","type":"number"}`); st != 201 {
		t.Fatalf("define: %d %s", st, raw)
	}
	if st, p, _ := e.api(ui.HostPortal, "POST", "/api/v1/custom-fields", k, `{"object":"person","key":"Bad Key","type":"number"}`); st != 400 || p.Error.Field != "key" {
		t.Errorf("bad key: %d", st)
	}
	st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/people", k, `{"first_name":"Cus","custom":{"budget":2500}}`)
	if st != 201 || !strings.Contains(raw, `"custom":{"budget":2500}`) {
		t.Fatalf("create: %d %s", st, raw)
	}
	if st, p, _ := e.api(ui.HostPortal, "POST", "/api/v1/people", k, `{"first_name":"Cus","custom":{"budget":"much"}}`); st != 400 || p.Error.Field != "custom.budget" {
		t.Errorf("wrong type: %d", st)
	}
	if st, p, _ := e.api(ui.HostPortal, "POST", "/api/v1/people/batch", k, `{"records":[{"first_name":"a"},{"first_name":"b","custom":{"nope":1}}]}`); st != 400 || p.Error.Field != "records[1].custom.nope" {
		t.Errorf("batch unknown field: %d %+v", st, p.Error)
	}
	// B's definitions are invisible to A.
	_, p, _ := e.api(ui.HostPortal, "GET", "/api/v1/custom-fields", k, "")
	if len(p.Data) != 2 { // A's fixture (region) and budget
		t.Errorf("A's fields: %v", p.Data)
	}
}
