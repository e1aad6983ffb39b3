package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"orengen/app"
	"orengen/app/federal"
	"orengen/ui"
	"orengen/ui/api"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite docs/openapi.json from the served document")

// TestOpenAPI_Document: docs/openapi.json (what .ci/run lints with
// Redocly) is the document the server serves. After changing the API:
//
//	go test -tags sqlite_fts5 ./ui -run TestOpenAPI_Document -update-openapi
func TestOpenAPI_Document(t *testing.T) {
	path := filepath.Join("..", "docs", "openapi.json")
	served := append(bytes.TrimSpace(api.OpenAPI()), '\n')
	if *updateOpenAPI {
		if err := os.WriteFile(path, served, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, served) {
		t.Fatalf("docs/openapi.json differs from the served document: run go test -tags sqlite_fts5 ./ui -run TestOpenAPI_Document -update-openapi")
	}
	checkOpenAPITags(t, "served", served)
}

// checkOpenAPITags: every operation is in exactly one tag (its module),
// the document lists each tag used, with a description, once, and no
// tag that no operation uses. The API explorer opens on that list of
// modules: a flat list of every operation passes the 150 rows past
// which Swagger UI renders only what is scrolled into view.
func checkOpenAPITags(t *testing.T, name string, b []byte) {
	t.Helper()
	var doc struct {
		Tags []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tags"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	listed := map[string]int{}
	for _, tg := range doc.Tags {
		listed[tg.Name]++
		if tg.Description == "" || listed[tg.Name] > 1 {
			t.Errorf("%s: tag %q listed twice or without a description", name, tg.Name)
		}
	}
	used := map[string]int{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				Tags []string `json:"tags"`
			}
			json.Unmarshal(raw, &op)
			if len(op.Tags) != 1 || listed[op.Tags[0]] == 0 {
				t.Errorf("%s: %s %s has tags %q, want one of the document's tags", name, method, path, op.Tags)
				continue
			}
			used[op.Tags[0]]++
		}
	}
	for tg := range listed {
		if used[tg] == 0 {
			t.Errorf("%s: tag %q has no operation", name, tg)
		}
	}
	if used["Account"] == 0 || used["Knowledge wiki"] < 10 || used["CRM"] < 10 {
		t.Errorf("%s: operations by tag %v", name, used)
	}
}

// contractSchemas compiles response schemas out of the OpenAPI document
// (JSON Schema 2020-12, which OpenAPI 3.1 schemas are).
type contractSchemas struct {
	c     *jsonschema.Compiler
	doc   map[string]any
	cache map[string]*jsonschema.Schema
}

func newContractSchemas(t *testing.T) *contractSchemas {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(api.OpenAPI()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("https://orengen.test/openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	return &contractSchemas{c: c, doc: doc.(map[string]any), cache: map[string]*jsonschema.Schema{}}
}

func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// response returns the schema the document gives for method path's status
// (or "default"), nil for a documented answer without a body, and an error
// when the status is not documented at all.
func (cs *contractSchemas) response(path, method string, status int) (*jsonschema.Schema, error) {
	op := cs.doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	resps := op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	r, ok := resps[code].(map[string]any)
	if !ok {
		if status < 400 {
			return nil, fmt.Errorf("status %d is not documented (documented: %v)", status, keys(resps))
		}
		code, r = "default", resps["default"].(map[string]any)
	}
	content, ok := r["content"].(map[string]any)
	if !ok {
		return nil, nil
	}
	media := mediaOf(content)
	loc := "https://orengen.test/openapi.json#/paths/" + pointerEscape(path) + "/" + method + "/responses/" + code + "/content/" + pointerEscape(media) + "/schema"
	if s := cs.cache[loc]; s != nil {
		return s, nil
	}
	s, err := cs.c.Compile(loc)
	if err != nil {
		return nil, err
	}
	cs.cache[loc] = s
	return s, nil
}

// mediaOf is the media type of a documented answer: application/json,
// else the one media type documented (the SBOM's CycloneDX JSON).
func mediaOf(content map[string]any) string {
	if _, ok := content["application/json"]; !ok && len(content) == 1 {
		for m := range content {
			return m
		}
	}
	return "application/json"
}

// media is the media type documented for method path's status.
func (cs *contractSchemas) media(path, method string, status int) string {
	resps := cs.doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)["responses"].(map[string]any)
	r, ok := resps[strconv.Itoa(status)].(map[string]any)
	if !ok {
		r, _ = resps["default"].(map[string]any)
	}
	content, _ := r["content"].(map[string]any)
	return mediaOf(content)
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// contractCall is one real request for a documented operation.
type contractCall struct {
	host, method, path string
	key                string
	body               string
	want               int
}

// TestOpenAPI_Contract sends a real request to every operation the
// document lists and validates each answer against the document's schema
// for its status: the document cannot drift from what the API returns. An
// operation without a request here fails the test, and so does an answer
// whose status is not documented.
func TestOpenAPI_Contract(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	if _, err := e.App.Stores.Federal.UpsertGrants(fedTenantCtx(ctx, app.HouseTenantID), []federal.Grant{{ID: "361874", Number: "NSF-26-501", Title: "Research grant",
		AgencyCode: "NSF", AgencyName: "National Science Foundation", OpenDate: time.Now().AddDate(0, 0, -3), Status: "posted", DocType: "synopsis", ALNs: []string{"47.070"}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	searches, err := e.App.Stores.Federal.FindSavedSearches(fedTenantCtx(ctx, app.HouseTenantID))
	if err != nil || len(searches) == 0 {
		t.Fatalf("saved searches: %v %v", searches, err)
	}
	a, spare := e.A, e.A.Spare
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	rk, wk, ak, awk := a.KeyRead, a.KeyWrite, e.AdminKeyRead, e.AdminKeyW
	// Sheets and wiki fixtures, made through the API itself: a table with
	// two rows (one to delete) and a spare table, two wiki pages.
	created := func(path, body string) (int64, int64) {
		t.Helper()
		st, out, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, JSON: body, Bearer: wk})
		var r struct {
			Data struct{ ID, Revision int64 }
		}
		if err := json.Unmarshal([]byte(out), &r); st != 201 || err != nil || r.Data.ID == 0 {
			t.Fatalf("fixture %s: %d %s", path, st, out)
		}
		return r.Data.ID, r.Data.Revision
	}
	table, _ := created("/api/v1/tables", `{"name":"Prices","columns":[{"name":"Item","type":"text"},{"name":"Price","type":"currency"}]}`)
	spareTable, _ := created("/api/v1/tables", `{"name":"Spare","columns":[{"name":"Note","type":"text"}]}`)
	rowA, _ := created("/api/v1/tables/"+id(table)+"/rows", `{"values":{"item":"Widget","price":12.5}}`)
	rowB, _ := created("/api/v1/tables/"+id(table)+"/rows", `{"values":{"item":"Gadget","price":"1,250.50"}}`)
	page, rev := created("/api/v1/wiki/pages", `{"title":"Onboarding","body":"Welcome to the **team**."}`)
	sparePage, _ := created("/api/v1/wiki/pages", `{"title":"Old notes","body":"x"}`)
	// Wiki files and share links: two files on the page (one to delete),
	// a link to revoke; multipart bodies for the uploads.
	uploads := map[string]treq{}
	upload := func(op, path, name, data string) treq {
		body, ctype := multipartFile(t, name, []byte(data))
		r := treq{Host: ui.HostPortal, Method: "POST", Path: path, Raw: body, ContentType: ctype, Bearer: wk}
		if op != "" {
			uploads[op] = r
		}
		return r
	}
	fixture := func(r treq) int64 {
		t.Helper()
		st, out, _ := e.do(r)
		var v struct{ Data struct{ ID int64 } }
		if err := json.Unmarshal([]byte(out), &v); st != 201 || err != nil || v.Data.ID == 0 {
			t.Fatalf("fixture %s: %d %s", r.Path, st, out)
		}
		return v.Data.ID
	}
	wp := "/api/v1/wiki/pages/" + id(page)
	file := fixture(upload("", wp+"/attachments", "prices.txt", "Gutter cleaning 120 USD"))
	spareFile := fixture(upload("", wp+"/attachments", "old.txt", "old prices"))
	share := fixture(treq{Host: ui.HostPortal, Method: "POST", Path: wp + "/shares", Bearer: wk})
	upload("postWikiPagesIdAttachments", wp+"/attachments", "notes.txt", "Call before noon.")
	upload("postSitesIdMedia", "/api/v1/sites/"+id(a.Site.ID)+"/media", "dot.gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	upload("postWikiImport", "/api/v1/wiki/import", "space.zip", zipOf(t, map[string]string{"Handbook/Holidays.md": "# Holidays\n\nSee [[Onboarding]]."}))
	tp := "/api/v1/tables/" + id(table)
	day := func(n int) string {
		return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, n).Add(10 * time.Hour).Format(time.RFC3339)
	}
	spareBooking, _ := created("/api/v1/calendar/bookings", `{"event_type_id":`+id(a.EventTypeID)+`,"start":"`+day(10)+`","name":"Spare Guest","email":"spare@guest.test"}`)
	// Agent Studio: A's agent, its ended conversation, a live one to take
	// over and hand back, and a second the write key took over (to write in).
	liveB, err := e.App.Agents.StartPlayground(app.NewContextWithTenant(ctx, a.T), a.Agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st, out, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/agent-conversations/" + id(liveB.ID) + "/takeover", Bearer: wk}); st != 200 {
		t.Fatalf("fixture takeover: %d %s", st, out)
	}
	ag := "/api/v1/agents/" + id(a.Agent.ID)
	// A snapshot of A to read, preview and apply (issue #22).
	contractSnap, err := e.Server.Snapshots.Capture(app.NewContextWithAdmin(context.Background(), e.Admin), a.T.ID, "Contract", "", "")
	if err != nil {
		t.Fatal(err)
	}
	// Two new-client wizard runs (issue #22): one with a domain to check,
	// one at its first step.
	wctx := app.NewContextWithAdmin(context.Background(), e.Admin)
	contractWiz, err := e.Server.Wizards.Start(wctx, "contract")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct{ step, k, v string }{{app.WizardClient, "name", "Contract Wizard"}, {app.WizardOwner, "email", "owner@contract-wizard.test"},
		{app.WizardBrand, "", ""}, {app.WizardDomain, "domain", "contract-wizard.test"}} {
		if _, err := e.Server.Wizards.Submit(wctx, contractWiz.ID, st.step, app.WizardInput{Fields: map[string]string{st.k: st.v}}); err != nil {
			t.Fatal(err)
		}
	}
	freshWiz, err := e.Server.Wizards.Start(wctx, "contract")
	if err != nil {
		t.Fatal(err)
	}
	// Tenant import (issue #22): a checked export file to run, an upload
	// to append to and a complete one to finish.
	impTenant := &app.Tenant{Name: "Contract Import"}
	if err := e.Server.Tenants.CreateTenant(context.Background(), impTenant, ""); err != nil {
		t.Fatal(err)
	}
	impFile := filepath.Join(t.TempDir(), "contract-import.sqlite")
	if _, err := e.Server.Transfer.Export(context.Background(), impTenant.Slug, impFile, nil); err != nil {
		t.Fatal(err)
	}
	impJob, err := e.Server.Transfer.StageImport(context.Background(), impFile, "contract-import.sqlite", "contract")
	if err != nil {
		t.Fatal(err)
	}
	newUpload := func() string {
		st, out, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/api/v1/tenant-imports/uploads?name=c.sqlite&size=10", Bearer: awk})
		var u struct{ ID string }
		if st != 201 || json.Unmarshal([]byte(out), &u) != nil {
			t.Fatalf("fixture upload: %d %s", st, out)
		}
		return u.ID
	}
	chunk := func(up string) treq {
		return treq{Host: ui.HostNexus, Method: "POST", Path: "/api/v1/tenant-imports/uploads/" + up + "?offset=0", Raw: "0123456789", ContentType: "application/octet-stream", Bearer: awk}
	}
	appendUp, finishUp := newUpload(), newUpload()
	if st, out, _ := e.do(chunk(finishUp)); st != 200 {
		t.Fatalf("fixture chunk: %d %s", st, out)
	}
	snapTarget := &app.Tenant{Name: "Contract Snapshot Target"}
	if err := e.Server.Tenants.CreateTenant(context.Background(), snapTarget, ""); err != nil {
		t.Fatal(err)
	}
	calls := map[string]contractCall{
		"getSites":                             {ui.HostPortal, "GET", "/api/v1/sites", rk, "", 200},
		"postSites":                            {ui.HostPortal, "POST", "/api/v1/sites", wk, `{"name":"Contract site"}`, 201},
		"getSitesId":                           {ui.HostPortal, "GET", "/api/v1/sites/" + id(a.Site.ID), rk, "", 200},
		"getSitesIdPages":                      {ui.HostPortal, "GET", "/api/v1/sites/" + id(a.Site.ID) + "/pages", rk, "", 200},
		"postSitesIdPages":                     {ui.HostPortal, "POST", "/api/v1/sites/" + id(a.Site.ID) + "/pages", wk, `{"slug":"contract","title":"Contract","blocks":[{"type":"faq","items":[{"title":"Q?","text":"A."}]}]}`, 201},
		"getSitesIdPagesPage":                  {ui.HostPortal, "GET", "/api/v1/sites/" + id(a.Site.ID) + "/pages/" + id(a.SitePage.ID), rk, "", 200},
		"putSitesIdPagesPage":                  {ui.HostPortal, "PUT", "/api/v1/sites/" + id(a.Site.ID) + "/pages/" + id(a.SitePage.ID), wk, `{"slug":"","title":"Home","blocks":[{"type":"html","html":"<p onclick=\"x()\">Hi</p>"}]}`, 200},
		"postSitesIdPublish":                   {ui.HostPortal, "POST", "/api/v1/sites/" + id(a.Site.ID) + "/publish", wk, `{"note":"contract"}`, 200},
		"getSitesIdAnalytics":                  {ui.HostPortal, "GET", "/api/v1/sites/" + id(a.Site.ID) + "/analytics", rk, "", 200},
		"getSitesIdRevisions":                  {ui.HostPortal, "GET", "/api/v1/sites/" + id(a.Site.ID) + "/revisions", rk, "", 200},
		"putSitesIdRedirects":                  {ui.HostPortal, "PUT", "/api/v1/sites/" + id(a.Site.ID) + "/redirects", wk, `{"redirects":[{"from":"/old","to":"/"}]}`, 200},
		"getSiteTemplates":                     {ui.HostPortal, "GET", "/api/v1/site-templates", rk, "", 200},
		"getSitesIdRedirects":                  {ui.HostPortal, "GET", "/api/v1/sites/" + id(a.Site.ID) + "/redirects", rk, "", 200},
		"getAgents":                            {ui.HostPortal, "GET", "/api/v1/agents", rk, "", 200},
		"postAgents":                           {ui.HostPortal, "POST", "/api/v1/agents", wk, `{"name":"Contract agent","config":{"instructions":"Answer briefly.","channels":{"web":true},"tools":["add_note"]}}`, 201},
		"getAgentsId":                          {ui.HostPortal, "GET", ag, rk, "", 200},
		"patchAgentsId":                        {ui.HostPortal, "PATCH", ag, wk, `{"config":{"greeting":"Hi!"}}`, 200},
		"getAgentsIdVersions":                  {ui.HostPortal, "GET", ag + "/versions", rk, "", 200},
		"getAgentConversations":                {ui.HostPortal, "GET", "/api/v1/agent-conversations?limit=2", rk, "", 200},
		"getAgentConversationsId":              {ui.HostPortal, "GET", "/api/v1/agent-conversations/" + id(a.AgentConv.ID), rk, "", 200},
		"postAgentConversationsIdTakeover":     {ui.HostPortal, "POST", "/api/v1/agent-conversations/" + id(a.AgentLive.ID) + "/takeover", wk, "", 200},
		"postAgentConversationsIdHandback":     {ui.HostPortal, "POST", "/api/v1/agent-conversations/" + id(a.AgentLive.ID) + "/handback", wk, "", 200},
		"postAgentConversationsIdMessages":     {ui.HostPortal, "POST", "/api/v1/agent-conversations/" + id(liveB.ID) + "/messages", wk, `{"text":"Hello, a person here."}`, 201},
		"getAgentUsage":                        {ui.HostPortal, "GET", "/api/v1/agent-usage?from=2026-01", rk, "", 200},
		"getMe":                                {ui.HostPortal, "GET", "/api/v1/me", rk, "", 200},
		"getOpenapiJson":                       {ui.HostPortal, "GET", "/api/v1/openapi.json", rk, "", 200},
		"getLeads":                             {ui.HostPortal, "GET", "/api/v1/leads?limit=1", rk, "", 200},
		"postLeads":                            {ui.HostPortal, "POST", "/api/v1/leads", wk, `{"first_name":"Contract","email":"contract@alpha.test"}`, 201},
		"getLeadsId":                           {ui.HostPortal, "GET", "/api/v1/leads/" + id(a.Lead.ID), rk, "", 200},
		"deleteLeadsId":                        {ui.HostPortal, "DELETE", "/api/v1/leads/" + id(a.Lead.ID), wk, "", 204},
		"getPipelines":                         {ui.HostPortal, "GET", "/api/v1/pipelines", rk, "", 200},
		"postPipelines":                        {ui.HostPortal, "POST", "/api/v1/pipelines", wk, `{"name":"Renewals","stages":[{"name":"Due"},{"name":"Renewed","won":true}]}`, 201},
		"patchPipelinesId":                     {ui.HostPortal, "PATCH", "/api/v1/pipelines/" + id(a.PipelineID), wk, `{"name":"Sales pipeline"}`, 200},
		"getCustomFields":                      {ui.HostPortal, "GET", "/api/v1/custom-fields", rk, "", 200},
		"postCustomFields":                     {ui.HostPortal, "POST", "/api/v1/custom-fields", wk, `{"object":"person","key":"shoe_size","label":"Shoe size","type":"number"}`, 201},
		"deleteCustomFieldsId":                 {ui.HostPortal, "DELETE", "/api/v1/custom-fields/" + id(a.CustomField.ID), wk, "", 204},
		"getPeople":                            {ui.HostPortal, "GET", "/api/v1/people?limit=2", rk, "", 200},
		"postPeople":                           {ui.HostPortal, "POST", "/api/v1/people", wk, `{"first_name":"Grace","emails":["grace@alpha.test"],"phone":"512 555 0142"}`, 201},
		"postPeopleBatch":                      {ui.HostPortal, "POST", "/api/v1/people/batch", wk, `{"records":[{"first_name":"Batch","email":"batch@alpha.test"}]}`, 200},
		"getPeopleId":                          {ui.HostPortal, "GET", "/api/v1/people/" + id(a.CRM.Person.ID), rk, "", 200},
		"patchPeopleId":                        {ui.HostPortal, "PATCH", "/api/v1/people/" + id(a.CRM.Person.ID), wk, `{"title":"CTO"}`, 200},
		"deletePeopleId":                       {ui.HostPortal, "DELETE", "/api/v1/people/" + id(spare.Person.ID), wk, "", 204},
		"getPeopleIdTimeline":                  {ui.HostPortal, "GET", "/api/v1/people/" + id(a.CRM.Person.ID) + "/timeline", rk, "", 200},
		"getPeopleIdDuplicates":                {ui.HostPortal, "GET", "/api/v1/people/" + id(a.MergeKeep.ID) + "/duplicates", rk, "", 200},
		"postPeopleIdMerge":                    {ui.HostPortal, "POST", "/api/v1/people/" + id(a.MergeKeep.ID) + "/merge", wk, `{"merge_id":` + id(a.MergeDrop.ID) + `}`, 200},
		"getCompanies":                         {ui.HostPortal, "GET", "/api/v1/companies", rk, "", 200},
		"postCompanies":                        {ui.HostPortal, "POST", "/api/v1/companies", wk, `{"name":"Contract Co","domain":"contract.test"}`, 201},
		"postCompaniesBatch":                   {ui.HostPortal, "POST", "/api/v1/companies/batch", wk, `{"records":[{"name":"Batch Co"}]}`, 200},
		"getCompaniesId":                       {ui.HostPortal, "GET", "/api/v1/companies/" + id(a.CRM.Company.ID), rk, "", 200},
		"patchCompaniesId":                     {ui.HostPortal, "PATCH", "/api/v1/companies/" + id(a.CRM.Company.ID), wk, `{"industry":"Software"}`, 200},
		"deleteCompaniesId":                    {ui.HostPortal, "DELETE", "/api/v1/companies/" + id(spare.Company.ID), wk, "", 204},
		"getCompaniesIdTimeline":               {ui.HostPortal, "GET", "/api/v1/companies/" + id(a.CRM.Company.ID) + "/timeline", rk, "", 200},
		"getOpportunities":                     {ui.HostPortal, "GET", "/api/v1/opportunities", rk, "", 200},
		"postOpportunities":                    {ui.HostPortal, "POST", "/api/v1/opportunities", wk, `{"name":"Contract deal","amount":125000,"currency":"USD"}`, 201},
		"postOpportunitiesBatch":               {ui.HostPortal, "POST", "/api/v1/opportunities/batch", wk, `{"records":[{"name":"Batch deal"}]}`, 200},
		"getOpportunitiesId":                   {ui.HostPortal, "GET", "/api/v1/opportunities/" + id(a.CRM.Deal.ID), rk, "", 200},
		"patchOpportunitiesId":                 {ui.HostPortal, "PATCH", "/api/v1/opportunities/" + id(a.CRM.Deal.ID), wk, `{"probability":60}`, 200},
		"deleteOpportunitiesId":                {ui.HostPortal, "DELETE", "/api/v1/opportunities/" + id(spare.Deal.ID), wk, "", 204},
		"getOpportunitiesIdTimeline":           {ui.HostPortal, "GET", "/api/v1/opportunities/" + id(a.CRM.Deal.ID) + "/timeline", rk, "", 200},
		"getNotes":                             {ui.HostPortal, "GET", "/api/v1/notes", rk, "", 200},
		"postNotes":                            {ui.HostPortal, "POST", "/api/v1/notes", wk, `{"record_type":"person","record_id":` + id(a.CRM.Person.ID) + `,"body":"Called **back**"}`, 201},
		"postNotesBatch":                       {ui.HostPortal, "POST", "/api/v1/notes/batch", wk, `{"records":[{"record_type":"person","record_id":` + id(a.CRM.Person.ID) + `,"body":"batch"}]}`, 200},
		"getNotesId":                           {ui.HostPortal, "GET", "/api/v1/notes/" + id(a.CRM.Note.ID), rk, "", 200},
		"patchNotesId":                         {ui.HostPortal, "PATCH", "/api/v1/notes/" + id(a.CRM.Note.ID), wk, `{"body":"edited"}`, 200},
		"deleteNotesId":                        {ui.HostPortal, "DELETE", "/api/v1/notes/" + id(spare.Note.ID), wk, "", 204},
		"getTasks":                             {ui.HostPortal, "GET", "/api/v1/tasks", rk, "", 200},
		"postTasks":                            {ui.HostPortal, "POST", "/api/v1/tasks", wk, `{"title":"Send the quote","due":"2027-01-15"}`, 201},
		"postTasksBatch":                       {ui.HostPortal, "POST", "/api/v1/tasks/batch", wk, `{"records":[{"title":"batch task"}]}`, 200},
		"getTasksId":                           {ui.HostPortal, "GET", "/api/v1/tasks/" + id(a.CRM.Task.ID), rk, "", 200},
		"patchTasksId":                         {ui.HostPortal, "PATCH", "/api/v1/tasks/" + id(a.CRM.Task.ID), wk, `{"done":true}`, 200},
		"deleteTasksId":                        {ui.HostPortal, "DELETE", "/api/v1/tasks/" + id(spare.Task.ID), wk, "", 204},
		"getTenants":                           {ui.HostNexus, "GET", "/api/v1/tenants", ak, "", 200},
		"postTenants":                          {ui.HostNexus, "POST", "/api/v1/tenants", awk, `{"name":"Contract Client"}`, 201},
		"getTenantsId":                         {ui.HostNexus, "GET", "/api/v1/tenants/" + id(a.T.ID), ak, "", 200},
		"getTenantImports":                     {ui.HostNexus, "GET", "/api/v1/tenant-imports", ak, "", 200},
		"getTenantImportsId":                   {ui.HostNexus, "GET", "/api/v1/tenant-imports/" + impJob.ID, ak, "", 200},
		"postTenantImportsIdRun":               {ui.HostNexus, "POST", "/api/v1/tenant-imports/" + impJob.ID + "/run", awk, `{"slug":"contract-import-copy"}`, 202},
		"postTenantImportsUploads":             {ui.HostNexus, "POST", "/api/v1/tenant-imports/uploads?name=c.sqlite&size=10", awk, "", 201},
		"postTenantImportsUploadsUpload":       {ui.HostNexus, "POST", "/api/v1/tenant-imports/uploads/" + appendUp + "?offset=0", awk, "", 200},
		"postTenantImportsUploadsUploadFinish": {ui.HostNexus, "POST", "/api/v1/tenant-imports/uploads/" + finishUp + "/finish", awk, "", 200},
		"getWizards":                           {ui.HostNexus, "GET", "/api/v1/wizards", ak, "", 200},
		"postWizards":                          {ui.HostNexus, "POST", "/api/v1/wizards", awk, "", 201},
		"getWizardsId":                         {ui.HostNexus, "GET", "/api/v1/wizards/" + id(contractWiz.ID), ak, "", 200},
		"postWizardsIdStepsStep":               {ui.HostNexus, "POST", "/api/v1/wizards/" + id(freshWiz.ID) + "/steps/client", awk, `{"name":"Contract Wizard Two"}`, 200},
		"postWizardsIdDomainCheck":             {ui.HostNexus, "POST", "/api/v1/wizards/" + id(contractWiz.ID) + "/domain-check", awk, "", 200},
		"getSnapshots":                         {ui.HostNexus, "GET", "/api/v1/snapshots", ak, "", 200},
		"getSnapshotsId":                       {ui.HostNexus, "GET", "/api/v1/snapshots/" + id(contractSnap.ID), ak, "", 200},
		"postSnapshots":                        {ui.HostNexus, "POST", "/api/v1/snapshots", awk, `{"tenant_id":` + id(a.T.ID) + `,"name":"Contract"}`, 201},
		"postSnapshotsIdPreview":               {ui.HostNexus, "POST", "/api/v1/snapshots/" + id(contractSnap.ID) + "/preview", ak, `{"tenant_id":` + id(snapTarget.ID) + `}`, 200},
		"postSnapshotsIdApply":                 {ui.HostNexus, "POST", "/api/v1/snapshots/" + id(contractSnap.ID) + "/apply", awk, `{"tenant_id":` + id(snapTarget.ID) + `}`, 200},
		"getFederalOpportunities":              {ui.HostNexus, "GET", "/api/v1/federal/opportunities", ak, "", 200},
		"getFederalOpportunitiesNoticeId":      {ui.HostNexus, "GET", "/api/v1/federal/opportunities/" + e.NoticeID, ak, "", 200},
		"getFederalSearches":                   {ui.HostNexus, "GET", "/api/v1/federal/searches", ak, "", 200},
		"postFederalSearches":                  {ui.HostNexus, "POST", "/api/v1/federal/searches", awk, `{"name":"Contract","naics":["541511","541512"],"set_asides":"SBA,8A"}`, 201},
		"deleteFederalSearchesId":              {ui.HostNexus, "DELETE", "/api/v1/federal/searches/" + id(searches[0].ID), awk, "", 204},
		"getFederalGrants":                     {ui.HostNexus, "GET", "/api/v1/federal/grants", ak, "", 200},
		"getTables":                            {ui.HostPortal, "GET", "/api/v1/tables", rk, "", 200},
		"postTables":                           {ui.HostPortal, "POST", "/api/v1/tables", wk, `{"name":"Contract table","columns":[{"name":"Done","type":"checkbox"}]}`, 201},
		"getTablesId":                          {ui.HostPortal, "GET", tp, rk, "", 200},
		"patchTablesId":                        {ui.HostPortal, "PATCH", tp, wk, `{"name":"Price list"}`, 200},
		"deleteTablesId":                       {ui.HostPortal, "DELETE", "/api/v1/tables/" + id(spareTable), wk, "", 204},
		"getTablesIdRows":                      {ui.HostPortal, "GET", tp + "/rows?limit=1", rk, "", 200},
		"postTablesIdRows":                     {ui.HostPortal, "POST", tp + "/rows", wk, `{"values":{"item":"Gizmo","price":3}}`, 201},
		"postTablesIdRowsBatch":                {ui.HostPortal, "POST", tp + "/rows/batch", wk, `{"records":[{"values":{"item":"Batch"}}]}`, 200},
		"postTablesIdRowsDelete":               {ui.HostPortal, "POST", tp + "/rows/delete", wk, `{"ids":[` + id(rowB) + `]}`, 200},
		"getTablesIdRowsRow":                   {ui.HostPortal, "GET", tp + "/rows/" + id(rowA), rk, "", 200},
		"patchTablesIdRowsRow":                 {ui.HostPortal, "PATCH", tp + "/rows/" + id(rowA), wk, `{"values":{"price":13}}`, 200},
		"deleteTablesIdRowsRow":                {ui.HostPortal, "DELETE", tp + "/rows/" + id(rowA), wk, "", 204},
		"getWikiPages":                         {ui.HostPortal, "GET", "/api/v1/wiki/pages", rk, "", 200},
		"getCalendarEventTypes":                {ui.HostPortal, "GET", "/api/v1/calendar/event-types", rk, "", 200},
		"getCalendarCalendars":                 {ui.HostPortal, "GET", "/api/v1/calendar/calendars", rk, "", 200},
		"postCalendarEventTypes":               {ui.HostPortal, "POST", "/api/v1/calendar/event-types", wk, `{"slug":"contract-meeting","title":"Contract meeting","durations":[45,30],"hosts":[` + id(a.CalendarID) + `],"location_kind":"phone","questions":[{"key":"company","label":"Company","field":"company","required":true}]}`, 201},
		"putCalendarEventTypesId":              {ui.HostPortal, "PUT", "/api/v1/calendar/event-types/" + id(a.EventTypeID), wk, `{"slug":"call","title":"Contract call","durations":[30],"hosts":[` + id(a.CalendarID) + `]}`, 200},
		"getCalendarEventTypesIdAvailability":  {ui.HostPortal, "GET", "/api/v1/calendar/event-types/" + id(a.EventTypeID) + "/availability", rk, "", 200},
		"getCalendarBookings":                  {ui.HostPortal, "GET", "/api/v1/calendar/bookings", rk, "", 200},
		"postCalendarBookings":                 {ui.HostPortal, "POST", "/api/v1/calendar/bookings", wk, `{"event_type_id":` + id(a.EventTypeID) + `,"start":"` + day(8) + `","name":"Contract Guest","email":"contract@guest.test","time_zone":"Europe/Berlin"}`, 201},
		"postCalendarBookingsIdCancel":         {ui.HostPortal, "POST", "/api/v1/calendar/bookings/" + id(spareBooking) + "/cancel", wk, `{"reason":"test"}`, 200},
		"postCalendarBookingsIdReschedule":     {ui.HostPortal, "POST", "/api/v1/calendar/bookings/" + id(a.BookingID) + "/reschedule", wk, `{"start":"` + day(9) + `"}`, 200},
		"getCalendarCalendarsIdSources":        {ui.HostPortal, "GET", "/api/v1/calendar/calendars/" + id(a.CalendarID) + "/sources", rk, "", 200},
		"postCalendarCalendarsIdSources":       {ui.HostPortal, "POST", "/api/v1/calendar/calendars/" + id(a.CalendarID) + "/sources", wk, `{"kind":"ics","url":"` + icsFeedURL() + `"}`, 201},
		"postCalendarSourcesIdChoose":          {ui.HostPortal, "POST", "/api/v1/calendar/sources/" + id(a.CalendarSourceID) + "/choose", wk, `{"busy":["/dav/work/","/dav/home/"],"target":"/dav/home/"}`, 200},
		"postCalendarSourcesIdSync":            {ui.HostPortal, "POST", "/api/v1/calendar/sources/" + id(a.CalendarSourceID) + "/sync", wk, "", 200},
		"deleteCalendarSourcesId":              {ui.HostPortal, "DELETE", "/api/v1/calendar/sources/" + id(a.CalendarSourceID), wk, "", 204},
		"postWikiPages":                        {ui.HostPortal, "POST", "/api/v1/wiki/pages", wk, `{"title":"Contract page","body":"See [[Onboarding]]."}`, 201},
		"getWikiPagesId":                       {ui.HostPortal, "GET", "/api/v1/wiki/pages/" + id(page), rk, "", 200},
		"patchWikiPagesId":                     {ui.HostPortal, "PATCH", "/api/v1/wiki/pages/" + id(page), wk, `{"body":"Welcome!","revision":` + id(rev) + `}`, 200},
		"deleteWikiPagesId":                    {ui.HostPortal, "DELETE", "/api/v1/wiki/pages/" + id(sparePage), wk, "", 204},
		"getWikiSearch":                        {ui.HostPortal, "GET", "/api/v1/wiki/search?q=welcome", rk, "", 200},
		"getWikiPagesIdRevisions":              {ui.HostPortal, "GET", wp + "/revisions", rk, "", 200},
		"getWikiPagesIdRevisionsN":             {ui.HostPortal, "GET", wp + "/revisions/1", rk, "", 200},
		"postWikiPagesIdRestore":               {ui.HostPortal, "POST", "/api/v1/wiki/pages/" + id(sparePage) + "/restore", wk, `{"number":1,"revision":1}`, 200},
		"postWikiPagesIdMove":                  {ui.HostPortal, "POST", "/api/v1/wiki/pages/" + id(sparePage) + "/move", wk, `{"parent_id":` + id(page) + `,"position":0}`, 200},
		"getWikiPagesIdAttachments":            {ui.HostPortal, "GET", wp + "/attachments", rk, "", 200},
		"postWikiPagesIdAttachments":           {ui.HostPortal, "POST", wp + "/attachments", wk, "", 201},
		"getWikiAttachmentsId":                 {ui.HostPortal, "GET", "/api/v1/wiki/attachments/" + id(file), rk, "", 200},
		"deleteWikiAttachmentsId":              {ui.HostPortal, "DELETE", "/api/v1/wiki/attachments/" + id(spareFile), wk, "", 204},
		"getWikiPagesIdShares":                 {ui.HostPortal, "GET", wp + "/shares", rk, "", 200},
		"postWikiPagesIdShares":                {ui.HostPortal, "POST", wp + "/shares", wk, "", 201},
		"deleteWikiPagesIdSharesShare":         {ui.HostPortal, "DELETE", wp + "/shares/" + id(share), wk, "", 204},
		"getWikiExport":                        {ui.HostPortal, "GET", "/api/v1/wiki/export", rk, "", 200},
		"postWikiImport":                       {ui.HostPortal, "POST", "/api/v1/wiki/import", wk, "", 201},
		"postSitesIdPagesPagePreviewLink":      {ui.HostPortal, "POST", "/api/v1/sites/" + id(a.Site.ID) + "/pages/" + id(a.SitePage.ID) + "/preview-link", wk, `{"hours":24}`, 201},
		"postSitesIdMedia":                     {ui.HostPortal, "POST", "/api/v1/sites/" + id(a.Site.ID) + "/media", wk, "", 201},
		"getSitesIdMedia":                      {ui.HostPortal, "GET", "/api/v1/sites/" + id(a.Site.ID) + "/media", rk, "", 200},
	}
	// The Twenty-compatible REST API and GraphQL: every object's routes
	// (deletes take the third set of records).
	rest := map[string][3]string{ // object: create body, update body, main record's ID
		"people":        {`{"name":{"firstName":"Rest"},"emails":{"primaryEmail":"rest@alpha.test"},"phones":{"primaryPhoneNumber":"5125550177","primaryPhoneCallingCode":"+1"}}`, `{"jobTitle":"CEO"}`, id(a.CRM.Person.ID)},
		"companies":     {`{"name":"Rest Co","domainName":{"primaryLinkUrl":"https://rest.test"},"employees":30}`, `{"industry":"Retail"}`, id(a.CRM.Company.ID)},
		"opportunities": {`{"name":"Rest deal","amount":{"amountMicros":2500000000,"currencyCode":"USD"},"stage":"PROPOSAL","closeDate":"2027-03-01"}`, `{"probability":30}`, id(a.CRM.Deal.ID)},
		"notes":         {`{"title":"Rest","bodyV2":{"markdown":"from /rest"},"personId":"` + id(a.CRM.Person.ID) + `"}`, `{"bodyV2":{"markdown":"edited"}}`, id(a.CRM.Note.ID)},
		"tasks":         {`{"title":"Rest task","status":"TODO","dueAt":"2027-01-02"}`, `{"status":"DONE"}`, id(a.CRM.Task.ID)},
	}
	spares := map[string]int64{"people": a.RestSpare.Person.ID, "companies": a.RestSpare.Company.ID, "opportunities": a.RestSpare.Deal.ID,
		"notes": a.RestSpare.Note.ID, "tasks": a.RestSpare.Task.ID}
	for obj, r := range rest {
		name := strings.ToUpper(obj[:1]) + obj[1:]
		calls["getRest"+name] = contractCall{ui.HostPortal, "GET", "/rest/" + obj + "?limit=2&order_by=createdAt[DescNullsLast]", rk, "", 200}
		calls["postRest"+name] = contractCall{ui.HostPortal, "POST", "/rest/" + obj, wk, r[0], 201}
		calls["postRestBatch"+name] = contractCall{ui.HostPortal, "POST", "/rest/batch/" + obj, wk, "[" + r[0] + "]", 201}
		calls["getRest"+name+"Id"] = contractCall{ui.HostPortal, "GET", "/rest/" + obj + "/" + r[2], rk, "", 200}
		calls["patchRest"+name+"Id"] = contractCall{ui.HostPortal, "PATCH", "/rest/" + obj + "/" + r[2], wk, r[1], 200}
		calls["putRest"+name+"Id"] = contractCall{ui.HostPortal, "PUT", "/rest/" + obj + "/" + r[2], wk, r[1], 200}
		calls["deleteRest"+name+"Id"] = contractCall{ui.HostPortal, "DELETE", "/rest/" + obj + "/" + id(spares[obj]), wk, "", 200}
	}
	e.courseContractCalls(calls, rk, wk)              // courses_test.go
	e.courseFileContractCalls(calls, uploads, rk, wk) // course_files_test.go
	e.communityContractCalls(calls, rk, wk)           // community_test.go
	e.brandContractCalls(calls, rk, wk)               // brand_test.go
	e.creatorContractCalls(calls, rk, wk)             // creators_test.go
	e.broadcastContractCalls(calls, rk, wk)           // inbox_broadcast_test.go

	conv := "/api/v1/conversations/" + id(e.inboxAPIFixture()) // inbox_test.go
	snooze := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	calls["getConversations"] = contractCall{ui.HostPortal, "GET", "/api/v1/conversations?limit=1&channel=sms", rk, "", 200}
	calls["getConversationsId"] = contractCall{ui.HostPortal, "GET", conv, rk, "", 200}
	calls["getConversationsIdMessages"] = contractCall{ui.HostPortal, "GET", conv + "/messages", rk, "", 200}
	calls["postConversationsIdMessages"] = contractCall{ui.HostPortal, "POST", conv + "/messages", wk, `{"text":"Yes, Thursday works."}`, 201}
	calls["postConversationsIdNotes"] = contractCall{ui.HostPortal, "POST", conv + "/notes", wk, `{"text":"Call back after 5."}`, 201}
	calls["patchConversationsId"] = contractCall{ui.HostPortal, "PATCH", conv, wk, `{"status":"snoozed","until":"` + snooze + `","assignee":"me","add_labels":["vip","quote"],"remove_labels":["quote"]}`, 200}
	// Billing (billing_test.go): A on a plan with usage, so the summary has lines.
	plan := e.billingPlanFixture()
	aInv := e.billingContractFixture(a.T.ID, plan)
	calls["getBillingInvoices"] = contractCall{ui.HostPortal, "GET", "/api/v1/billing/invoices", rk, "", 200}
	calls["getBillingInvoicesId"] = contractCall{ui.HostPortal, "GET", "/api/v1/billing/invoices/" + aInv, rk, "", 200}
	// Payments (billing_stripe_test.go runs them with stripe-mock): without
	// Stripe the charge is refused for want of a card, the setup for want
	// of a key, each in the documented error shape.
	calls["getBillingInvoicesIdPayments"] = contractCall{ui.HostPortal, "GET", "/api/v1/billing/invoices/" + aInv + "/payments", rk, "", 200}
	calls["postBillingInvoicesIdPayments"] = contractCall{ui.HostPortal, "POST", "/api/v1/billing/invoices/" + aInv + "/payments", wk, "", 409}
	calls["postBillingCardSetup"] = contractCall{ui.HostPortal, "POST", "/api/v1/billing/card-setup", wk, "", 400}
	// Wallet auto-recharge (billing_recharge_test.go runs it with stripe-mock).
	calls["getBillingWallet"] = contractCall{ui.HostPortal, "GET", "/api/v1/billing/wallet", rk, "", 200}
	calls["putBillingWalletRecharge"] = contractCall{ui.HostPortal, "PUT", "/api/v1/billing/wallet/recharge", wk, `{"recharge_below_micros":0,"recharge_micros":0}`, 200}
	calls["getBillingRevenue"] = contractCall{ui.HostNexus, "GET", "/api/v1/billing/revenue?months=3", ak, "", 200}
	calls["deleteBillingSubscriptionsTenant"] = contractCall{ui.HostNexus, "DELETE", "/api/v1/billing/subscriptions/" + id(a.T.ID), awk, "", 200}
	calls["getBillingDunning"] = contractCall{ui.HostNexus, "GET", "/api/v1/billing/dunning", ak, "", 200}
	calls["putBillingDunning"] = contractCall{ui.HostNexus, "PUT", "/api/v1/billing/dunning", awk, `{"retry_days":[2,4],"email":false,"suspend_after_days":0}`, 200}
	calls["getBillingSummary"] = contractCall{ui.HostPortal, "GET", "/api/v1/billing/summary", rk, "", 200}
	calls["getBillingPlans"] = contractCall{ui.HostNexus, "GET", "/api/v1/billing/plans", ak, "", 200}
	calls["getBillingPlansId"] = contractCall{ui.HostNexus, "GET", "/api/v1/billing/plans/" + plan, ak, "", 200}
	calls["putBillingPlansId"] = contractCall{ui.HostNexus, "PUT", "/api/v1/billing/plans/" + plan, awk, `{"name":"Isolation plan","interval":"month","price_micros":49000000,"markup_pct":30,"included":{"sms":100},"overage_micros":{"email":1000}}`, 200}
	calls["postBillingPlans"] = contractCall{ui.HostNexus, "POST", "/api/v1/billing/plans", awk, `{"name":"Contract plan","interval":"year","price_micros":490000000,"trial_days":14,"wallet":true}`, 201}
	calls["postBillingSubscriptions"] = contractCall{ui.HostNexus, "POST", "/api/v1/billing/subscriptions", awk, `{"tenant_id":` + id(e.B.T.ID) + `,"plan_id":` + plan + `}`, 200}
	calls["postBillingWalletTopups"] = contractCall{ui.HostNexus, "POST", "/api/v1/billing/wallet-topups", awk, `{"tenant_id":` + id(e.B.T.ID) + `,"amount_micros":5000000,"ref":"pi_contract"}`, 201}
	ac, aa := e.inboxAttachmentFixture() // inbox_test.go
	calls["getConversationsIdAttachmentsAttachment"] = contractCall{ui.HostPortal, "GET", "/api/v1/conversations/" + id(ac) + "/attachments/" + id(aa), rk, "", 200}
	calls["getInboxHours"] = contractCall{ui.HostPortal, "GET", "/api/v1/inbox-hours", rk, "", 200}
	calls["getInboxInbound"] = contractCall{ui.HostPortal, "GET", "/api/v1/inbox-inbound", rk, "", 200}
	mailbox := `{"address":"help@contract.test","host":"127.0.0.1","port":1,"security":"none","username":"help","password":"pw","enabled":true}`
	if st, out, _ := e.do(treq{Host: ui.HostPortal, Method: "PUT", Path: "/api/v1/inbox-mailbox", JSON: mailbox, Bearer: wk}); st != 200 {
		t.Fatalf("fixture mailbox: %d %s", st, out)
	}
	calls["getInboxMailbox"] = contractCall{ui.HostPortal, "GET", "/api/v1/inbox-mailbox", rk, "", 200}
	calls["putInboxMailbox"] = contractCall{ui.HostPortal, "PUT", "/api/v1/inbox-mailbox", wk, mailbox, 200}
	calls["postInboxMailboxPoll"] = contractCall{ui.HostPortal, "POST", "/api/v1/inbox-mailbox/poll", wk, "", 200} // 127.0.0.1 is refused: the error is in the answer
	calls["getInboxReports"] = contractCall{ui.HostPortal, "GET", "/api/v1/inbox-reports", rk, "", 200}
	cc, cm := e.callFixture(e.A.T, "a1") // inbox_calls_test.go
	calls["getConversationsIdRecordingsMessage"] = contractCall{ui.HostPortal, "GET", "/api/v1/conversations/" + cc + "/recordings/" + cm, rk, "", 200}
	calls["putInboxInbound"] = contractCall{ui.HostPortal, "PUT", "/api/v1/inbox-inbound", wk, `{"enabled":true,"rotate":true}`, 200}
	calls["putInboxHours"] = contractCall{ui.HostPortal, "PUT", "/api/v1/inbox-hours", wk, `{"enabled":true,"days":[1,2,3,4,5],"open":"08:30","close":"18:00","away_text":"Closed now; we answer from 8:30."}`, 200}
	calls["getIntegrations"] = contractCall{ui.HostPortal, "GET", "/api/v1/integrations", rk, "", 200}
	calls["postIntegrationsKeyTest"] = contractCall{ui.HostPortal, "POST", "/api/v1/integrations/smtp/test", wk, "", 200}
	calls["putIntegrationsKeySettings"] = contractCall{ui.HostNexus, "PUT", "/api/v1/integrations/model/settings", awk, `{"model":"gpt-4o-mini"}`, 200}
	calls["getFossComponents"] = contractCall{ui.HostNexus, "GET", "/api/v1/foss/components", ak, "", 200}
	calls["getFossSbom"] = contractCall{ui.HostNexus, "GET", "/api/v1/foss/sbom", ak, "", 200}
	calls["getFossTools"] = contractCall{ui.HostNexus, "GET", "/api/v1/foss/tools", ak, "", 200}
	calls["postFossTools"] = contractCall{ui.HostNexus, "POST", "/api/v1/foss/tools", awk, `{"name":"n8n","version":"1.70.1","tenant_id":` + id(a.T.ID) + `,"update_due":"2026-12-07"}`, 201}
	calls["getFossToolsId"] = contractCall{ui.HostNexus, "GET", "/api/v1/foss/tools/" + id(e.ToolID), ak, "", 200}
	calls["patchFossToolsId"] = contractCall{ui.HostNexus, "PATCH", "/api/v1/foss/tools/" + id(e.ToolID), awk, `{"update_due":null,"notes":"pinned"}`, 200}
	calls["deleteFossToolsId"] = contractCall{ui.HostNexus, "DELETE", "/api/v1/foss/tools/" + id(e.SpareToolID), awk, "", 204}
	calls["getWebhooksDeliveries"] = contractCall{ui.HostPortal, "GET", "/api/v1/webhooks/deliveries?limit=5", rk, "", 200}
	calls["getWebhooksDeliveriesId"] = contractCall{ui.HostPortal, "GET", "/api/v1/webhooks/deliveries/" + id(a.DeliveryID), rk, "", 200}
	calls["postWebhooksDeliveriesIdRedeliver"] = contractCall{ui.HostNexus, "POST", "/api/v1/webhooks/deliveries/" + id(e.B.DeliveryID) + "/redeliver", awk, "", 200}
	calls["postGraphql"] = contractCall{ui.HostPortal, "POST", "/graphql", wk, gqlBody(seedMutation, map[string]any{"data": map[string]any{"email": "seed@alpha.test", "firstName": "Seed"}}), 200}
	calls["getGraphql"] = contractCall{ui.HostPortal, "GET", "/graphql?query=" + url.QueryEscape(`{ people(first: 1) { totalCount edges { node { id } } } }`), rk, "", 200}
	cs := newContractSchemas(t)
	// Mistakes the contract must see: the checker is not vacuous.
	mistakes := []struct{ op, path, method, body string }{
		{"getLeads", "/api/v1/leads", "get", `{"leads":[],"total":0}`},
		{"getPeopleId", "/api/v1/people/{id}", "get", `{"data":{"id":"7","first_name":"x"}}`},
		{"getFederalSearches", "/api/v1/federal/searches", "get", `{"data":[{"id":1,"kind":"sam","name":"x","naics":"541511"}],"next_cursor":null}`},
		{"getRestPeopleId", "/rest/people/{id}", "get", `{"data":{"person":{"id":"7","name":"Jane Doe"}}}`},
		{"getRestPeople", "/rest/people", "get", `{"data":[],"pageInfo":{},"totalCount":0}`},
	}
	for _, m := range mistakes {
		s, err := cs.response(m.path, m.method, 200)
		if err != nil || s == nil {
			t.Fatalf("%s: %v", m.op, err)
		}
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(m.body))
		if s.Validate(v) == nil {
			t.Fatalf("%s: the schema accepted a wrong body %s", m.op, m.body)
		}
	}

	var order []string
	ops := map[string][2]string{}
	for path, item := range cs.doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			opID := op.(map[string]any)["operationId"].(string)
			ops[opID] = [2]string{path, method}
			order = append(order, opID)
		}
	}
	// Reads before writes, deletes last: each request sees the fixtures.
	rank := map[string]int{"get": 0, "post": 1, "patch": 2, "delete": 3}
	sort.Slice(order, func(i, j int) bool {
		ri, rj := rank[ops[order[i]][1]], rank[ops[order[j]][1]]
		if ri != rj {
			return ri < rj
		}
		return order[i] < order[j]
	})
	uploads["postTenantImportsUploadsUpload"] = chunk(appendUp)
	for _, opID := range order {
		path, method := ops[opID][0], ops[opID][1]
		c, ok := calls[opID]
		if !ok {
			t.Errorf("%s (%s %s) has no contract request: add one to TestOpenAPI_Contract", opID, strings.ToUpper(method), path)
			continue
		}
		delete(calls, opID)
		r := treq{Host: c.host, Method: c.method, Path: c.path, JSON: c.body, Bearer: c.key}
		if up, ok := uploads[opID]; ok {
			r = up
		}
		st, body, resp := e.do(r)
		if st != c.want {
			t.Errorf("%s %s: status %d, want %d: %.300s", c.method, c.path, st, c.want, body)
			continue
		}
		s, err := cs.response(path, method, st)
		if err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
			continue
		}
		if s == nil {
			if strings.TrimSpace(body) != "" {
				t.Errorf("%s %s: %d with a body the document does not describe: %.200s", c.method, c.path, st, body)
			}
			continue
		}
		media := cs.media(path, method, st)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, strings.TrimSuffix(media, "*")) && media != "*/*" { // image/* is any image
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
		if !strings.Contains(media, "json") {
			// A file: its bytes, not a JSON document.
			if body == "" {
				t.Errorf("%s %s: empty file", c.method, c.path)
			}
			continue
		}
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err != nil {
			t.Errorf("%s %s: not JSON: %v", c.method, c.path, err)
			continue
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%s %s: the answer does not match the document:\n%v\n%.500s", c.method, c.path, err, body)
		}
	}
	for opID := range calls {
		t.Errorf("contract request %s names no documented operation", opID)
	}
	// /rest errors follow TwentyError.
	for _, c := range []contractCall{
		{ui.HostPortal, "GET", "/rest/people?filter=" + url.QueryEscape("shoeSize[gt]:9"), rk, "", 400},
		{ui.HostPortal, "POST", "/rest/people", rk, `{"name":{"firstName":"x"}}`, 403},
		{ui.HostPortal, "GET", "/rest/people/999999", rk, "", 404},
		{ui.HostPortal, "GET", "/rest/people", "", "", 401},
	} {
		st, body, _ := e.do(treq{Host: c.host, Method: c.method, Path: c.path, JSON: c.body, Bearer: c.key})
		path := "/rest/people"
		if strings.Contains(c.path, "999999") {
			path = "/rest/people/{id}"
		}
		s, err := cs.response(path, strings.ToLower(c.method), st)
		if st != c.want || err != nil {
			t.Fatalf("%s %s: %d %v", c.method, c.path, st, err)
		}
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err := s.Validate(v); err != nil {
			t.Errorf("%s %s: error body does not match TwentyError: %v %s", c.method, c.path, err, body)
		}
	}
	// Errors follow the Error schema too.
	for _, c := range []contractCall{
		{ui.HostPortal, "GET", "/api/v1/people?bogus=1", rk, "", 400},
		{ui.HostPortal, "POST", "/api/v1/people", rk, `{"first_name":"x"}`, 403},
		{ui.HostPortal, "GET", "/api/v1/people/999999", rk, "", 404},
	} {
		st, body, _ := e.do(treq{Host: c.host, Method: c.method, Path: c.path, JSON: c.body, Bearer: c.key})
		path := "/api/v1/people"
		if strings.Contains(c.path, "999999") {
			path = "/api/v1/people/{id}"
		}
		s, err := cs.response(path, strings.ToLower(c.method), st)
		if st != c.want || err != nil {
			t.Fatalf("%s %s: %d %v", c.method, c.path, st, err)
		}
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err := s.Validate(v); err != nil {
			t.Errorf("%s %s: error body does not match Error: %v %s", c.method, c.path, err, body)
		}
	}
}
