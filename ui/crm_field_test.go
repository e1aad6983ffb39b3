package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// TestCRMField_Birthday follows one built-in field, a person's birthday
// (a date), through every place the field descriptor feeds: the API
// (create, read, PATCH, type errors naming it), the record form and info
// panel, a list's columns and filters, the Twenty-compatible REST API,
// CSV import and CSV export.
func TestCRMField_Birthday(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	k := e.A.KeyWrite
	cookie := map[string]string{"psid": e.A.Cookie}
	get := func(path string) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: cookie})
		return st, body
	}
	post := func(path string, form url.Values) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, Cookies: cookie, CSRF: true})
	}

	// API: written, read back as YYYY-MM-DD, changed by PATCH.
	st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/people", k, `{"first_name":"Bea","email":"bea@bday.test","birthday":"1990-04-12"}`)
	if st != 201 || !strings.Contains(raw, `"birthday":"1990-04-12"`) {
		t.Fatalf("api create: %d %s", st, raw)
	}
	var one struct{ Data map[string]any }
	json.Unmarshal([]byte(raw), &one)
	path := fmt.Sprintf("/api/v1/people/%d", int64(one.Data["id"].(float64)))
	if st, _, raw = e.api(ui.HostPortal, "GET", path, k, ""); st != 200 || !strings.Contains(raw, `"birthday":"1990-04-12"`) {
		t.Fatalf("api get: %d %s", st, raw)
	}
	// A wrong JSON type and a bad date are refused naming the field.
	for _, body := range []string{`{"birthday":19900412}`, `{"birthday":"12 April"}`} {
		if st, _, raw = e.api(ui.HostPortal, "PATCH", path, k, body); st != 400 || !strings.Contains(raw, `"field":"birthday"`) {
			t.Errorf("api patch %s: %d %s", body, st, raw)
		}
	}
	if st, _, raw = e.api(ui.HostPortal, "PATCH", path, k, `{"birthday":"1990-04-13"}`); st != 200 || !strings.Contains(raw, `"birthday":"1990-04-13"`) {
		t.Fatalf("api patch: %d %s", st, raw)
	}
	// The OpenAPI document describes it.
	_, _, raw = e.api(ui.HostPortal, "GET", "/api/v1/openapi.json", k, "")
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct{ Format string }
			}
		}
	}
	json.Unmarshal([]byte(raw), &doc)
	for _, sc := range []string{"Person", "PersonInput"} {
		if doc.Components.Schemas[sc].Properties["birthday"].Format != "date" {
			t.Errorf("openapi %s lacks birthday as a date", sc)
		}
	}

	// Form: a date input; a bad value is the form again with the field named.
	st, body := get("/crm/people")
	if !strings.Contains(body, `<label for="f_birthday">Birthday</label><input id="f_birthday" name="birthday" type="date"`) {
		t.Fatalf("form lacks the birthday input: %d", st)
	}
	st, body, _ = post("/crm/people", url.Values{"first_name": {"Cy"}, "birthday": {"soon"}})
	if st != 400 || !strings.Contains(body, `id="e_birthday"`) {
		t.Fatalf("bad birthday: %d", st)
	}
	st, _, resp := post("/crm/people", url.Values{"first_name": {"Cy"}, "emails": {"cy@bday.test"}, "birthday": {"1985-11-02"}})
	loc := resp.Header.Get("Location")
	if st != http.StatusSeeOther {
		t.Fatalf("form create: %d", st)
	}
	st, body = get(loc)
	if st != 200 || !strings.Contains(body, "<tr><th>Birthday</th><td>1985-11-02</td></tr>") || !strings.Contains(body, `name="birthday" type="date" value="1985-11-02"`) {
		t.Fatalf("record page: %d %.3000s", st, body)
	}
	// Cleared by the form: the timeline has the change.
	post(loc, url.Values{"first_name": {"Cy"}, "emails": {"cy@bday.test"}, "birthday": {""}})
	if _, body = get(loc); !strings.Contains(body, "Changed <b>birthday</b> from <q>1985-11-02</q> to <q></q>") {
		t.Errorf("timeline lacks the birthday change: %.3000s", body[strings.Index(body, "Timeline"):])
	}
	post(loc, url.Values{"first_name": {"Cy"}, "emails": {"cy@bday.test"}, "birthday": {"1985-11-02"}})

	// List: a column and a filter of a view, and the same view exported.
	q := url.Values{"col": {"name", "birthday"}, "match": {"and"}, "cf0": {"birthday"}, "co0": {"gt"}, "cv0": {"1989-01-01"}}
	st, body = get("/crm/people?" + q.Encode())
	if st != 200 || !strings.Contains(body, "<th>Birthday</th>") || !strings.Contains(body, "<td>1990-04-13</td>") || strings.Contains(body, ">Cy<") {
		t.Fatalf("view: %d %.3000s", st, body)
	}
	if st, body = get("/crm/people.csv?" + q.Encode()); st != 200 || body != "name,birthday\nBea,1990-04-13\n" {
		t.Fatalf("export: %d %q", st, body)
	}
	// The API's lists sort by it.
	if st, p, raw := e.api(ui.HostPortal, "GET", "/api/v1/people?sort=-birthday", k, ""); st != 200 || len(p.Data) < 2 || p.Data[0]["birthday"] != "1990-04-13" || p.Data[1]["birthday"] != "1985-11-02" {
		t.Errorf("api sort: %d %s", st, raw)
	}

	// The Twenty-compatible REST API, whose model has no birthday,
	// carries it at the top level like a custom field: written, read,
	// filtered, sorted, and a bad value refused naming it.
	rest := func(method, path, body string) (int, string) {
		st, out, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, JSON: body, Bearer: k})
		return st, out
	}
	st, raw = rest("POST", "/rest/people", `{"name":{"firstName":"Fay"},"emails":{"primaryEmail":"fay@bday.test"},"birthday":"2001-07-08"}`)
	if st != 201 || !strings.Contains(raw, `"birthday":"2001-07-08"`) {
		t.Fatalf("rest create: %d %s", st, raw)
	}
	var people struct {
		Data struct{ People []map[string]any }
	}
	st, raw = rest("GET", "/rest/people?order_by=birthday[DescNullsLast]&filter="+url.QueryEscape(`birthday[gte]:"1986-01-01"`), "")
	json.Unmarshal([]byte(raw), &people)
	if st != 200 || len(people.Data.People) != 2 || people.Data.People[0]["birthday"] != "2001-07-08" || people.Data.People[1]["birthday"] != "1990-04-13" {
		t.Fatalf("rest filter and sort: %d %s", st, raw)
	}
	if st, raw = rest("PATCH", "/rest/people/"+people.Data.People[0]["id"].(string), `{"birthday":"someday"}`); st != 400 || !strings.Contains(raw, `"field":"birthday"`) {
		t.Errorf("rest bad birthday: %d %s", st, raw)
	}

	// GraphQL: the same, as a Date field of Person and of its inputs.
	gql := func(query string, vars map[string]any) (int, string) {
		st, out, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/graphql", JSON: gqlBody(query, vars), Bearer: k})
		return st, out
	}
	st, raw = gql(`mutation($d: PersonCreateInput!) { createPerson(data: $d) { id birthday } }`,
		map[string]any{"d": map[string]any{"name": map[string]any{"firstName": "Gus"}, "birthday": "1995-03-04"}})
	var created struct {
		Data struct{ CreatePerson struct{ ID, Birthday string } }
	}
	if json.Unmarshal([]byte(raw), &created); st != 200 || created.Data.CreatePerson.Birthday != "1995-03-04" {
		t.Fatalf("graphql create: %d %s", st, raw)
	}
	st, raw = gql(`{ people(filter: {birthday: {gte: "1990-01-01"}}, orderBy: [{birthday: AscNullsLast}]) { edges { node { name { firstName } birthday } } } }`, nil)
	var listed struct {
		Data struct {
			People struct {
				Edges []struct {
					Node struct {
						Name     struct{ FirstName string }
						Birthday *string
					}
				}
			}
		}
	}
	json.Unmarshal([]byte(raw), &listed)
	var got []string
	for _, ed := range listed.Data.People.Edges {
		b := "null"
		if ed.Node.Birthday != nil {
			b = *ed.Node.Birthday
		}
		got = append(got, ed.Node.Name.FirstName+" "+b)
	}
	if st != 200 || strings.Join(got, ", ") != "Bea 1990-04-13, Gus 1995-03-04, Fay 2001-07-08" {
		t.Fatalf("graphql filter and order: %d %v %s", st, got, raw)
	}
	upd := `mutation($id: UUID!, $d: PersonUpdateInput!) { updatePerson(id: $id, data: $d) { birthday } }`
	if st, raw = gql(upd, map[string]any{"id": created.Data.CreatePerson.ID, "d": map[string]any{"birthday": "someday"}}); !strings.Contains(raw, `"field":"birthday"`) || strings.Contains(raw, `"updatePerson":{`) {
		t.Errorf("graphql bad birthday: %d %s", st, raw)
	}
	if st, raw = gql(upd, map[string]any{"id": created.Data.CreatePerson.ID, "d": map[string]any{"birthday": nil}}); st != 200 || !strings.Contains(raw, `"updatePerson":{"birthday":null}`) {
		t.Errorf("graphql clear birthday: %d %s", st, raw)
	}

	// CSV import: a "Date of birth" column maps to it by itself.
	id := e.uploadCSV(e.A.Cookie, app.RecordPerson, "First name,Email,Date of birth\nDee,dee@bday.test,1979-02-03\nEve,eve@bday.test,not a date\n")
	if st, body = get(fmt.Sprintf("/crm/import/%d", id)); !strings.Contains(body, `<option value="birthday" selected>`) {
		t.Fatalf("mapping page: %d %.3000s", st, body)
	}
	j := e.startImport(ctx, e.A.Cookie, id, nil, app.DedupeSkip, true)
	if j.Created != 1 || j.Invalid != 1 {
		t.Fatalf("import: %+v", j)
	}
	ps, _, err := e.Server.CRM.FindPeople(ctx, app.PersonFilter{Email: ptr("dee@bday.test")})
	if err != nil || len(ps) != 1 || ps[0].Birthday == nil || ps[0].Birthday.Format("2006-01-02") != "1979-02-03" {
		t.Fatalf("imported: %v %+v", err, ps)
	}
}
