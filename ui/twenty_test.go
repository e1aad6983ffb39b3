package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/twenty"
	"orengen/store"
	"orengen/ui"
)

// seedMutation is the seed's n8n-to-Twenty call, word for word.
const seedMutation = `mutation CreateContact($data: ContactInput!) { createContact(data: $data) { id firstName lastName email } }`

func gqlBody(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// TestGraphQL_SeedMutation: the seed's exact mutation with a Bearer key
// creates the person in the key's tenant and starts the tenant's "contact
// created" workflows; sent again with the same email it updates the one
// person (no duplicate, no second "created" run); a read key is refused
// and writes nothing.
func TestGraphQL_SeedMutation(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	ws := store.NewWorkflowStore(e.DB)
	// The fixtures' own CRM events go first, before the workflows exist.
	if _, err := e.App.Engine.Triggers.Tick(ctx, false); err != nil {
		t.Fatal(err)
	}
	w := &app.Workflow{TenantID: e.A.T.ID, Name: "Welcome new contacts", Trigger: app.TriggerContactCreated, Enabled: true,
		Definition: &app.Definition{Steps: []app.Step{{ID: "tag", Type: app.StepTag, Tag: "welcomed"}}}}
	if err := ws.SaveWorkflow(ctx, w); err != nil {
		t.Fatal(err)
	}
	other := &app.Workflow{TenantID: e.B.T.ID, Name: "B's", Trigger: app.TriggerContactCreated, Enabled: true,
		Definition: &app.Definition{Steps: []app.Step{{ID: "tag", Type: app.StepTag, Tag: "x"}}}}
	if err := ws.SaveWorkflow(ctx, other); err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"data": map[string]any{"firstName": "Nadia", "lastName": "Okafor", "email": "Nadia.Okafor@Example.com", "phone": "+1 737 555 0199", "source": "n8n"}}
	// A read key: 403 before anything runs.
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(seedMutation, vars), Bearer: e.A.KeyRead})
	if st != http.StatusForbidden || !strings.Contains(body, "read-only") {
		t.Fatalf("read key: %d %s", st, body)
	}
	st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(seedMutation, vars), Bearer: e.A.KeyWrite})
	if st != 200 {
		t.Fatalf("mutation: %d %s", st, body)
	}
	if resp.Header.Get("RateLimit-Limit") == "" || resp.Header.Get("RateLimit-Remaining") == "" {
		t.Errorf("no RateLimit headers: %v", resp.Header)
	}
	var out struct {
		Data struct {
			CreateContact struct{ ID, FirstName, LastName, Email string }
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("answer: %v %s", err, body)
	}
	c := out.Data.CreateContact
	if c.FirstName != "Nadia" || c.LastName != "Okafor" || c.Email != "nadia.okafor@example.com" || !strings.HasPrefix(c.ID, "00000000-0000-4000-8000-") {
		t.Fatalf("contact: %+v", c)
	}
	id, err := twenty.ParseID("id", "Person", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	actx := app.NewContextWithTenant(ctx, e.A.T)
	p, err := e.Server.CRM.FindPerson(actx, id)
	if err != nil || p.Source != "n8n" || len(p.Phones) != 1 || p.Phones[0] != "+17375550199" {
		t.Fatalf("person: %+v %v", p, err)
	}
	if _, err := e.Server.CRM.FindPerson(app.NewContextWithTenant(ctx, e.B.T), id); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("the person is in B too: %v", err)
	}
	// The trigger fires: one run of A's workflow for the person, none of B's.
	if _, err := e.App.Engine.Triggers.Tick(ctx, false); err != nil {
		t.Fatal(err)
	}
	runs, err := ws.FindRuns(ctx, app.RunFilter{TenantID: e.A.T.ID, WorkflowID: w.ID, Limit: 10})
	if err != nil || len(runs) != 1 || runs[0].ContactID != id {
		t.Fatalf("runs of A's workflow: %+v %v", runs, err)
	}
	if bruns, _ := ws.FindRuns(ctx, app.RunFilter{TenantID: e.B.T.ID, WorkflowID: other.ID, Limit: 10}); len(bruns) != 0 {
		t.Errorf("B's workflow ran: %v", bruns)
	}
	// Again with the same email: the same person, updated; no new
	// "contact created" run.
	vars["data"].(map[string]any)["lastName"] = "Okafor-Reyes"
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(seedMutation, vars), Bearer: e.A.KeyWrite})
	if st != 200 || !strings.Contains(body, c.ID) || !strings.Contains(body, "Okafor-Reyes") {
		t.Fatalf("second call: %d %s", st, body)
	}
	if _, err := e.App.Engine.Triggers.Tick(ctx, false); err != nil {
		t.Fatal(err)
	}
	if runs, _ := ws.FindRuns(ctx, app.RunFilter{TenantID: e.A.T.ID, WorkflowID: w.ID, Limit: 10}); len(runs) != 1 {
		t.Errorf("runs after the update: %d, want still 1", len(runs))
	}
	// Bad input: no email or phone names the field, nothing written.
	var n int
	countPeople := func() int {
		var total int
		if _, _, err := e.Server.CRM.FindPeople(actx, app.PersonFilter{ListOptions: app.ListOptions{Count: &total}}); err != nil {
			t.Fatal(err)
		}
		return total
	}
	n = countPeople()
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(seedMutation, map[string]any{"data": map[string]any{"firstName": "Nobody"}}),
		Bearer: e.A.KeyWrite})
	if st != 200 || !strings.Contains(body, `"field":"email"`) || !strings.Contains(body, "BAD_USER_INPUT") {
		t.Errorf("no email: %d %s", st, body)
	}
	// An unknown input field is refused by the schema (400).
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(seedMutation, map[string]any{"data": map[string]any{"email": "x@y.test", "nickname": "x"}}),
		Bearer: e.A.KeyWrite})
	if st != 400 || !strings.Contains(body, "nickname") {
		t.Errorf("unknown field: %d %s", st, body)
	}
	if got := countPeople(); got != n {
		t.Errorf("people after bad input: %d, want %d", got, n)
	}
}

// TestGraphQL_Queries: Twenty's list shape (edges, pageInfo, totalCount)
// with filters, ordering and cursors both ways, relations, the CRUD
// mutations and createPeople in one transaction.
func TestGraphQL_Queries(t *testing.T) {
	e := newTenantEnv(t)
	gql := func(q string, vars map[string]any, key string) (int, map[string]any, string) {
		t.Helper()
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(q, vars), Bearer: key})
		var out map[string]any
		_ = json.Unmarshal([]byte(body), &out)
		return st, out, body
	}
	// Five people of one company, made in one batch.
	var people []any
	for i := 1; i <= 5; i++ {
		people = append(people, map[string]any{"name": map[string]any{"firstName": fmt.Sprintf("Pat%d", i), "lastName": "Lee"},
			"emails": map[string]any{"primaryEmail": fmt.Sprintf("pat%d@lee.test", i)}, "companyId": twenty.FormatID(e.A.CRM.Company.ID), "jobTitle": "Engineer"})
	}
	st, out, body := gql(`mutation($d: [PersonCreateInput!]!) { createPeople(data: $d) { id name { firstName } company { name } } }`, map[string]any{"d": people}, e.A.KeyWrite)
	if st != 200 || out["errors"] != nil || len(out["data"].(map[string]any)["createPeople"].([]any)) != 5 {
		t.Fatalf("createPeople: %d %s", st, body)
	}
	if !strings.Contains(body, e.A.CRM.Company.Name) {
		t.Errorf("createPeople's company: %s", body)
	}
	// One bad record: none is written, the error names it.
	bad := append([]any{}, people[:2]...)
	bad = append(bad, map[string]any{"emails": map[string]any{"primaryEmail": "not-an-email"}, "name": map[string]any{"firstName": "Bad"}})
	st, out, body = gql(`mutation($d: [PersonCreateInput!]!) { createPeople(data: $d) { id } }`, map[string]any{"d": bad}, e.A.KeyWrite)
	if st != 200 || out["errors"] == nil || !strings.Contains(body, "records[2]") {
		t.Fatalf("bad batch: %d %s", st, body)
	}
	q := `query($after: String, $before: String, $first: Int, $last: Int) {
		people(filter: {name: {lastName: {eq: "Lee"}}, jobTitle: {eq: "Engineer"}}, orderBy: [{name: {firstName: AscNullsFirst}}], first: $first, after: $after, last: $last, before: $before) {
			edges { node { id name { firstName lastName } emails { primaryEmail } company { name } } cursor }
			pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }`
	type page struct {
		Data struct {
			People struct {
				Edges []struct {
					Node struct {
						ID   string
						Name struct{ FirstName string }
					}
					Cursor string
				}
				PageInfo struct {
					HasNextPage, HasPreviousPage bool
					StartCursor, EndCursor       *string
				}
				TotalCount int
			}
		}
	}
	get := func(vars map[string]any) page {
		t.Helper()
		st, _, body := gql(q, vars, e.A.KeyRead)
		var p page
		if err := json.Unmarshal([]byte(body), &p); st != 200 || err != nil || strings.Contains(body, `"errors"`) {
			t.Fatalf("people %v: %d %s", vars, st, body)
		}
		return p
	}
	names := func(p page) string {
		var s []string
		for _, e := range p.Data.People.Edges {
			s = append(s, e.Node.Name.FirstName)
		}
		return strings.Join(s, ",")
	}
	p1 := get(map[string]any{"first": 2})
	if names(p1) != "Pat1,Pat2" || p1.Data.People.TotalCount != 5 || !p1.Data.People.PageInfo.HasNextPage || p1.Data.People.PageInfo.HasPreviousPage {
		t.Fatalf("page 1: %s %+v", names(p1), p1.Data.People.PageInfo)
	}
	p2 := get(map[string]any{"first": 2, "after": *p1.Data.People.PageInfo.EndCursor})
	if names(p2) != "Pat3,Pat4" || !p2.Data.People.PageInfo.HasPreviousPage {
		t.Fatalf("page 2: %s", names(p2))
	}
	back := get(map[string]any{"last": 2, "before": *p2.Data.People.PageInfo.StartCursor})
	if names(back) != "Pat1,Pat2" || back.Data.People.PageInfo.HasPreviousPage || !back.Data.People.PageInfo.HasNextPage {
		t.Fatalf("back from page 2: %s %+v", names(back), back.Data.People.PageInfo)
	}
	if last := get(map[string]any{"last": 2}); names(last) != "Pat4,Pat5" || last.Data.People.PageInfo.HasNextPage {
		t.Fatalf("last 2: %s", names(last))
	}
	// Update, read by filter, delete.
	id := p1.Data.People.Edges[0].Node.ID
	st, _, body = gql(`mutation($id: UUID!) { updatePerson(id: $id, data: {jobTitle: "CTO", phones: {primaryPhoneNumber: "5125550123", primaryPhoneCallingCode: "+1"}}) { id jobTitle phones { primaryPhoneNumber primaryPhoneCallingCode } } }`,
		map[string]any{"id": id}, e.A.KeyWrite)
	if st != 200 || !strings.Contains(body, `"jobTitle":"CTO"`) || !strings.Contains(body, `"primaryPhoneNumber":"5125550123"`) {
		t.Fatalf("updatePerson: %d %s", st, body)
	}
	st, _, body = gql(`query($id: UUID!) { person(filter: {id: {eq: $id}}) { id jobTitle } }`, map[string]any{"id": id}, e.A.KeyRead)
	if st != 200 || !strings.Contains(body, `"jobTitle":"CTO"`) {
		t.Fatalf("person: %d %s", st, body)
	}
	st, _, body = gql(`mutation($id: UUID!) { deletePerson(id: $id) { id name { firstName } } }`, map[string]any{"id": id}, e.A.KeyWrite)
	if st != 200 || !strings.Contains(body, "Pat1") {
		t.Fatalf("deletePerson: %d %s", st, body)
	}
	if p := get(map[string]any{"first": 10}); p.Data.People.TotalCount != 4 {
		t.Errorf("after delete: %d", p.Data.People.TotalCount)
	}
	// Opportunities with Twenty's stage enum, amounts in micros, relations.
	st, _, body = gql(`mutation($c: UUID!, $p: UUID!) { createOpportunity(data: {name: "Roof", amount: {amountMicros: 1250000000, currencyCode: "USD"}, stage: NEW, companyId: $c, pointOfContactId: $p, closeDate: "2027-02-01"}) {
		id stage amount { amountMicros currencyCode } company { name } pointOfContact { name { firstName } } closeDate } }`,
		map[string]any{"c": twenty.FormatID(e.A.CRM.Company.ID), "p": p2.Data.People.Edges[0].Node.ID}, e.A.KeyWrite)
	if st != 200 || !strings.Contains(body, `"stage":"LEAD"`) || !strings.Contains(body, `"amountMicros":1250000000`) || !strings.Contains(body, "Pat3") ||
		!strings.Contains(body, `"closeDate":"2027-02-01T00:00:00.000Z"`) {
		t.Fatalf("createOpportunity: %d %s", st, body)
	}
	st, _, body = gql(`{ opportunities(filter: {amount: {amountMicros: {gte: 1250000000, lt: 1250010000}}, stage: {in: [LEAD, "Won"]}}) { totalCount edges { node { name } } } companies(filter: {name: {ilike: "%alpha plumbing company%"}}) { edges { node { name people(first: 2) { totalCount } } } } }`, nil, e.A.KeyRead)
	// The company has its fixture person and the four Pats left.
	if st != 200 || !strings.Contains(body, `"totalCount":1`) || !strings.Contains(body, `"name":"Roof"`) || !strings.Contains(body, `"people":{"totalCount":5}`) {
		t.Fatalf("filters: %d %s", st, body)
	}
	// Notes and tasks.
	st, _, body = gql(`mutation($p: UUID!) { createNote(data: {title: "Call", bodyV2: {markdown: "Went **well**"}, personId: $p}) { id title bodyV2 { markdown } personId }
		createTask(data: {title: "Send quote", status: TODO, dueAt: "2027-01-15", personId: $p}) { id status dueAt } }`,
		map[string]any{"p": p2.Data.People.Edges[0].Node.ID}, e.A.KeyWrite)
	if st != 200 || !strings.Contains(body, `"title":"Call"`) || !strings.Contains(body, `"markdown":"Went **well**"`) || !strings.Contains(body, `"status":"TODO"`) {
		t.Fatalf("note and task: %d %s", st, body)
	}
	st, _, body = gql(`{ tasks(filter: {status: {eq: TODO}, title: {startsWith: "Send"}}) { totalCount } notes(filter: {title: {eq: "Call"}}) { totalCount } }`, nil, e.A.KeyRead)
	if st != 200 || strings.Count(body, `"totalCount":1`) != 2 {
		t.Fatalf("note and task filters: %d %s", st, body)
	}
}

// TestGraphQL_Limits: malformed queries, depth and cost past the limits,
// and unknown fields are 400 naming what is wrong, and nothing runs.
func TestGraphQL_Limits(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	before, _, _ := e.Server.CRM.FindPeople(ctx, app.PersonFilter{})
	deep := `{ people { edges { node { company { people { edges { node { company { people { edges { node { id } } } } } } } } } } } }`
	costly := `{ people(first: 200) { edges { node { company { people(first: 200) { edges { node { id name { firstName } } } } } } } } }`
	for _, c := range []struct {
		name, body, want, field string
	}{
		{"malformed", gqlBody(`{ people { edges { node { id `, nil), "Malformed GraphQL", "query"},
		{"not JSON", `{"query": `, "must be JSON", "query"},
		{"depth", gqlBody(deep, nil), "limit is 10", "depth"},
		{"cost", gqlBody(costly, nil), "limit is 50000", "cost"},
		{"unknown field", gqlBody(`{ people { edges { node { password } } } }`, nil), "password", ""},
		{"mutation after a costly query", gqlBody(`mutation { createPerson(data: {name: {firstName: "Never"}}) { id company { people(first: 200) { edges { node { company { people(first: 200) { edges { node { id } } } } } } } } } }`, nil), "limit is", ""},
	} {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: c.body, Bearer: e.A.KeyWrite})
		if st != http.StatusBadRequest || !strings.Contains(body, c.want) || c.field != "" && !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.name, st, body)
		}
	}
	after, _, _ := e.Server.CRM.FindPeople(ctx, app.PersonFilter{})
	if len(after) != len(before) {
		t.Errorf("people: %d, want %d", len(after), len(before))
	}
	// Introspection works (the playground's schema).
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(introspectionQuery, nil), Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(body, "PersonFilterInput") || !strings.Contains(body, "createContact") {
		t.Errorf("introspection: %d %.300s", st, body)
	}
	// GET takes queries, never mutations.
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/graphql?query=" + url.QueryEscape(`{ people(first: 1) { totalCount } }`), Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(body, "totalCount") {
		t.Errorf("GET query: %d %s", st, body)
	}
	st, _, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/graphql?query=" + url.QueryEscape(`mutation { createPerson(data: {name: {firstName: "Get"}}) { id } }`), Bearer: e.A.KeyWrite})
	if st != http.StatusBadRequest {
		t.Errorf("GET mutation: %d", st)
	}
	// No key: 401 as a GraphQL error.
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(`{ people { totalCount } }`, nil)})
	if st != http.StatusUnauthorized || !strings.Contains(body, "UNAUTHENTICATED") {
		t.Errorf("no key: %d %s", st, body)
	}
}

// TestGraphQL_Isolation: tenant A's key never reads or changes B's
// records through GraphQL; an admin key reads every tenant and writes in
// the one it names.
func TestGraphQL_Isolation(t *testing.T) {
	e := newTenantEnv(t)
	bPerson := twenty.FormatID(e.B.CRM.Person.ID)
	for _, c := range []struct{ q, key string }{
		{`{ person(filter: {id: {eq: "` + bPerson + `"}}) { id name { firstName } } }`, e.A.KeyRead},
		{`{ people(first: 200) { edges { node { id emails { primaryEmail } } } } companies { edges { node { name domainName { primaryLinkUrl } } } } notes { edges { node { bodyV2 { markdown } } } } }`, e.A.KeyRead},
		{`mutation { updatePerson(id: "` + bPerson + `", data: {jobTitle: "hacked"}) { id } }`, e.A.KeyWrite},
		{`mutation { deletePerson(id: "` + bPerson + `") { id } }`, e.A.KeyWrite},
		{`mutation { createNote(data: {bodyV2: {markdown: "x"}, personId: "` + bPerson + `"}) { id } }`, e.A.KeyWrite},
	} {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(c.q, nil), Bearer: c.key})
		if st >= 500 {
			t.Errorf("%s: %d", c.q, st)
		}
		for _, m := range e.bMarkers() {
			if strings.Contains(body, m) {
				t.Errorf("%s: A's answer has B's %q: %s", c.q, m, body)
			}
		}
		if strings.HasPrefix(c.q, "mutation") && !strings.Contains(body, "NOT_FOUND") && !strings.Contains(body, "BAD_USER_INPUT") {
			t.Errorf("%s: %s, want not found", c.q, body)
		}
	}
	bctx := app.NewContextWithTenant(context.Background(), e.B.T)
	if p, err := e.Server.CRM.FindPerson(bctx, e.B.CRM.Person.ID); err != nil || p.Title == "hacked" {
		t.Fatalf("B's person: %+v %v", p, err)
	}
	// Tenant keys are 401 on Nexus; admin keys are 401 on the portal.
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/graphql", JSON: gqlBody(`{ people { totalCount } }`, nil), Bearer: e.A.KeyRead}); st != 401 {
		t.Errorf("tenant key on nexus: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(`{ people { totalCount } }`, nil), Bearer: e.AdminKeyRead}); st != 401 {
		t.Errorf("admin key on the portal: %d", st)
	}
	// The admin key reads across tenants, creates only in a named one.
	st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/graphql", JSON: gqlBody(`{ person(filter: {id: {eq: "`+bPerson+`"}}) { name { firstName } } }`, nil), Bearer: e.AdminKeyRead})
	if st != 200 || !strings.Contains(body, e.B.CRM.Person.FirstName) {
		t.Errorf("admin read: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/graphql", JSON: gqlBody(`mutation { createPerson(data: {name: {firstName: "Nameless"}}) { id } }`, nil), Bearer: e.AdminKeyW})
	if st != 200 || !strings.Contains(body, `"field":"tenant"`) {
		t.Errorf("admin create without a tenant: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/graphql?tenant=" + e.B.T.Slug, JSON: gqlBody(`mutation { createPerson(data: {name: {firstName: "Admin made"}}) { id } }`, nil), Bearer: e.AdminKeyW})
	if st != 200 || strings.Contains(body, "errors") {
		t.Errorf("admin create in B: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/graphql", JSON: gqlBody(`mutation { updatePerson(id: "`+bPerson+`", data: {jobTitle: "Admin set"}) { jobTitle } }`, nil), Bearer: e.AdminKeyW})
	if st != 200 || !strings.Contains(body, "Admin set") {
		t.Errorf("admin update in the record's tenant: %d %s", st, body)
	}
}

// introspectionQuery is GraphiQL's (abridged to what the playground asks).
const introspectionQuery = `query IntrospectionQuery { __schema { queryType { name } mutationType { name } types { ...FullType } directives { name locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`

// twentyDocs are the REST requests recorded from Twenty's documentation
// (app/twenty/testdata/twenty_docs.json).
type twentyRESTCase struct {
	Source, Name, Method, Path, Why string
	Body                            map[string]any
	Status                          int
	Shape                           map[string]any
}

// matchShape checks a decoded JSON value against a shape: objects by key,
// "array", "string", "number", "boolean" by type.
func matchShape(path string, v, shape any) error {
	switch s := shape.(type) {
	case map[string]any:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an object", path, v)
		}
		for k, sub := range s {
			x, ok := m[k]
			if !ok {
				return fmt.Errorf("%s.%s is missing", path, k)
			}
			if err := matchShape(path+"."+k, x, sub); err != nil {
				return err
			}
		}
	case string:
		ok := false
		switch s {
		case "array":
			_, ok = v.([]any)
		case "string":
			_, ok = v.(string)
		case "number":
			_, ok = v.(float64)
		case "boolean":
			_, ok = v.(bool)
		}
		if !ok {
			return fmt.Errorf("%s: %T, want %s", path, v, s)
		}
	}
	return nil
}

// TestTwentyREST_DocumentedRequests runs the request set recorded from
// Twenty's documentation against /rest and checks Twenty's shapes.
func TestTwentyREST_DocumentedRequests(t *testing.T) {
	e := newTenantEnv(t)
	b, err := os.ReadFile(filepath.Join("..", "app", "twenty", "testdata", "twenty_docs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs struct {
		REST    []twentyRESTCase `json:"rest"`
		GraphQL []struct{ Source, Name, Query string }
	}
	if err := json.Unmarshal(b, &docs); err != nil || len(docs.REST) < 5 {
		t.Fatalf("docs: %v", err)
	}
	for _, c := range docs.REST {
		body := ""
		if c.Body != nil {
			bb, _ := json.Marshal(c.Body)
			body = string(bb)
		}
		want := c.Status
		if want == 0 {
			want = 200
		}
		st, out, _ := e.do(treq{Host: ui.HostPortal, Method: c.Method, Path: c.Path, JSON: body, Bearer: e.A.KeyWrite})
		if st != want {
			t.Errorf("%s (%s): %d, want %d: %s", c.Name, c.Source, st, want, out)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("%s: not JSON: %s", c.Name, out)
			continue
		}
		if st == 400 {
			if err := matchShape("", v, map[string]any{"statusCode": "number", "error": "string", "messages": "array"}); err != nil || !strings.Contains(out, "order_by") {
				t.Errorf("%s: Twenty's error shape: %v %s", c.Name, err, out)
			}
			continue
		}
		if err := matchShape("", v, c.Shape); err != nil {
			t.Errorf("%s (%s): %v: %s", c.Name, c.Source, err, out)
		}
	}
	for _, c := range docs.GraphQL {
		st, out, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(c.Query, nil), Bearer: e.A.KeyRead})
		if st != 200 || !strings.Contains(out, `"companies":{"edges":[`) || !strings.Contains(out, e.A.CRM.Company.Name) {
			t.Errorf("%s (%s): %d %s", c.Name, c.Source, st, out)
		}
	}
}

// TestTwentyREST_Script is what a Twenty script does: page through people
// with starting_after, filter and order, create, update and delete, in
// Twenty's envelopes; bad input is Twenty's 400 naming the field.
func TestTwentyREST_Script(t *testing.T) {
	e := newTenantEnv(t)
	rest := func(method, path, body, key string) (int, map[string]any, string) {
		t.Helper()
		st, out, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, JSON: body, Bearer: key})
		var m map[string]any
		_ = json.Unmarshal([]byte(out), &m)
		return st, m, out
	}
	var batch []string
	for i := 1; i <= 7; i++ {
		batch = append(batch, fmt.Sprintf(`{"name":{"firstName":"Sam%d","lastName":"Ito"},"emails":{"primaryEmail":"sam%d@ito.test"},"jobTitle":"Buyer","city":"Austin"}`, i, i))
	}
	st, m, out := rest("POST", "/rest/batch/people", "["+strings.Join(batch, ",")+"]", e.A.KeyWrite)
	if st != 201 || len(m["data"].(map[string]any)["createPeople"].([]any)) != 7 {
		t.Fatalf("batch: %d %s", st, out)
	}
	// Page through with starting_after: every Ito once, in order.
	var seen []string
	path := "/rest/people?limit=3&order_by=name.firstName&filter=" + url.QueryEscape(`name.lastName[eq]:Ito,jobTitle[eq]:Buyer`)
	cursor := ""
	for pages := 0; pages < 5; pages++ {
		p := path
		if cursor != "" {
			p += "&starting_after=" + url.QueryEscape(cursor)
		}
		st, m, out = rest("GET", p, "", e.A.KeyRead)
		if st != 200 || m["totalCount"].(float64) != 7 {
			t.Fatalf("page: %d %s", st, out)
		}
		for _, r := range m["data"].(map[string]any)["people"].([]any) {
			seen = append(seen, r.(map[string]any)["name"].(map[string]any)["firstName"].(string))
		}
		info := m["pageInfo"].(map[string]any)
		if !info["hasNextPage"].(bool) {
			break
		}
		cursor = info["endCursor"].(string)
	}
	if strings.Join(seen, ",") != "Sam1,Sam2,Sam3,Sam4,Sam5,Sam6,Sam7" {
		t.Fatalf("paged: %v", seen)
	}
	// ending_before pages back (cursor is page 2's end: Sam6).
	st, m, out = rest("GET", path+"&ending_before="+url.QueryEscape(cursor), "", e.A.KeyRead)
	if st != 200 || !strings.Contains(out, "Sam3") || !strings.Contains(out, "Sam5") || strings.Contains(out, "Sam6") || strings.Contains(out, "Sam2") {
		t.Fatalf("ending_before: %d %s", st, out)
	}
	// or/not groups.
	st, _, out = rest("GET", "/rest/people?filter="+url.QueryEscape(`or(emails.primaryEmail[eq]:sam1@ito.test,and(name.firstName[in]:[Sam2,Sam3],not(name.firstName[eq]:Sam3)))`), "", e.A.KeyRead)
	if st != 200 || !strings.Contains(out, `"totalCount":2`) || !strings.Contains(out, "Sam1") || !strings.Contains(out, "Sam2") {
		t.Fatalf("groups: %d %s", st, out)
	}
	// One record, depth 1 embeds the company.
	st, m, out = rest("POST", "/rest/people", `{"name":{"firstName":"Ada"},"companyId":"`+twenty.FormatID(e.A.CRM.Company.ID)+`"}`, e.A.KeyWrite)
	if st != 201 {
		t.Fatalf("create: %d %s", st, out)
	}
	id := m["data"].(map[string]any)["createPerson"].(map[string]any)["id"].(string)
	st, _, out = rest("GET", "/rest/people/"+id, "", e.A.KeyRead)
	if st != 200 || !strings.Contains(out, `"person":{`) || !strings.Contains(out, `"company":{`) || !strings.Contains(out, e.A.CRM.Company.Name) {
		t.Fatalf("get: %d %s", st, out)
	}
	st, _, out = rest("PATCH", "/rest/people/"+id, `{"jobTitle":"Founder","emails":{"primaryEmail":"ada@x.test"}}`, e.A.KeyWrite)
	if st != 200 || !strings.Contains(out, `"updatePerson":{`) || !strings.Contains(out, `"primaryEmail":"ada@x.test"`) {
		t.Fatalf("patch: %d %s", st, out)
	}
	st, _, out = rest("DELETE", "/rest/people/"+id, "", e.A.KeyWrite)
	if st != 200 || out != `{"data":{"deletePerson":{"id":"`+id+`"}}}` {
		t.Fatalf("delete: %d %s", st, out)
	}
	// Bad input: Twenty's error body, the field named, nothing written.
	actx := app.NewContextWithTenant(context.Background(), e.A.T)
	var before int
	e.Server.CRM.FindPeople(actx, app.PersonFilter{ListOptions: app.ListOptions{Count: &before}})
	for _, c := range []struct{ method, path, body, field string }{
		{"GET", "/rest/people?filter=" + url.QueryEscape(`city[eq]:Austin,shoeSize[gt]:9`), "", "filter"},
		{"GET", "/rest/people?filter=" + url.QueryEscape(`name.firstName[regex]:x`), "", "filter"},
		{"GET", "/rest/people?order_by=shoeSize", "", "order_by"},
		{"GET", "/rest/people?limit=5000", "", "limit"},
		{"GET", "/rest/people?starting_after=garbage", "", "starting_after"},
		{"GET", "/rest/people?page=2", "", "page"},
		{"POST", "/rest/people", `{"name":{"firstName":"X"},"nickname":"Y"}`, "nickname"},
		{"POST", "/rest/people", `{"name":{"firstName":"X"},"emails":{"primaryEmail":"nope"}}`, "emails"},
		{"POST", "/rest/batch/people", `[{"name":{"firstName":"Ok"}},{"name":{"firstName":1}}]`, "records[1].name.firstName"},
		{"POST", "/rest/opportunities", `{"name":"X","amount":{"amountMicros":5}}`, "amount.amountMicros"},
	} {
		st, m, out := rest(c.method, c.path, c.body, e.A.KeyWrite)
		if st != 400 || m["error"] != "BadRequestException" || m["statusCode"].(float64) != 400 || m["field"] != c.field || len(m["messages"].([]any)) != 1 {
			t.Errorf("%s %s: %d %s, want 400 on %s", c.method, c.path, st, out, c.field)
		}
	}
	var after int
	e.Server.CRM.FindPeople(actx, app.PersonFilter{ListOptions: app.ListOptions{Count: &after}})
	if after != before {
		t.Errorf("people after bad input: %d, want %d", after, before)
	}
	// Auth: Twenty's 401 and 403 bodies.
	if st, m, _ := rest("GET", "/rest/people", "", ""); st != 401 || m["error"] != "UnauthorizedException" {
		t.Errorf("no key: %d %v", st, m)
	}
	if st, m, _ := rest("POST", "/rest/people", `{"name":{"firstName":"R"}}`, e.A.KeyRead); st != 403 || m["error"] != "ForbiddenException" {
		t.Errorf("read key: %d %v", st, m)
	}
	// Another tenant's record is 404.
	if st, m, _ := rest("GET", "/rest/people/"+strconv.FormatInt(e.B.CRM.Person.ID, 10), "", e.A.KeyRead); st != 404 || m["error"] != "NotFoundException" {
		t.Errorf("B's person: %d %v", st, m)
	}
}

// TestAPIKey_RateLimit: a key past its limit gets 429 with Retry-After and
// RateLimit-* headers; other keys are not affected; the counts reach the
// store.
func TestAPIKey_RateLimit(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	keys, err := e.Server.APIKeys.ListTenantKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var readID int64
	for _, k := range keys {
		if k.Scope == app.ScopeRead {
			readID = k.ID
		}
	}
	if err := e.Server.APIKeys.SetTenantKeyLimit(ctx, readID, 3); err != nil {
		t.Fatal(err)
	}
	var last *http.Response
	for i := 0; i < 3; i++ {
		st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/rest/companies", Bearer: e.A.KeyRead})
		if st != 200 || resp.Header.Get("RateLimit-Remaining") != strconv.Itoa(2-i) || resp.Header.Get("RateLimit-Limit") != "3" {
			t.Fatalf("request %d: %d %v", i, st, resp.Header)
		}
		last = resp
	}
	_ = last
	st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/rest/companies", Bearer: e.A.KeyRead})
	if st != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "ThrottlerException") {
		t.Fatalf("past the limit: %d %s %v", st, body, resp.Header)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/me", Bearer: e.A.KeyRead}); st != 429 || !strings.Contains(body, `"code":"`+app.ETOOMANY+`"`) {
		t.Errorf("v1 past the limit: %d %s", st, body)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/rest/companies", Bearer: e.A.KeyWrite}); st != 200 {
		t.Errorf("the other key: %d", st)
	}
	if err := e.Server.APIKeys.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys, _ = e.Server.APIKeys.ListTenantKeys(ctx)
	for _, k := range keys {
		if k.ID == readID && (k.RequestsToday != 3 || k.Limited30d != 2 || k.RateLimit != 3) {
			t.Errorf("read key usage: today %d limited %d limit %d", k.RequestsToday, k.Limited30d, k.RateLimit)
		}
	}
	if err := e.Server.APIKeys.SetTenantKeyLimit(app.NewContextWithTenant(context.Background(), e.B.T), readID, 50); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B sets A's key's limit: %v", err)
	}
}
