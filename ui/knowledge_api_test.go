package ui_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"orengen/ui"
)

func TestTablesAPI(t *testing.T) {
	e := newTenantEnv(t)
	k := e.A.KeyWrite
	call := func(method, path, body string) (int, map[string]any, string) {
		t.Helper()
		st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Bearer: k, JSON: body})
		var m map[string]any
		json.Unmarshal([]byte(raw), &m)
		return st, m, raw
	}
	st, m, raw := call("POST", "/api/v1/tables", `{"name":"Service areas","columns":[{"name":"Zip","type":"text","required":true},{"name":"Fee","type":"currency"},{"name":"Days","type":"number"},{"name":"Open","type":"checkbox"},{"name":"Region","type":"select","options":["Metro","Rural"]}]}`)
	if st != 201 {
		t.Fatalf("create: %d %s", st, raw)
	}
	tid := int64(m["data"].(map[string]any)["id"].(float64))
	base := fmt.Sprintf("/api/v1/tables/%d", tid)
	// A batch with one bad record: 400 naming it, nothing written.
	st, _, raw = call("POST", base+"/rows/batch", `{"records":[{"values":{"zip":"78701","fee":25}},{"values":{"zip":"78702","fee":"twenty"}}]}`)
	if st != 400 || !strings.Contains(raw, `"field":"records[1].values.fee"`) || !strings.Contains(raw, `Column \"Fee\": \"twenty\" is not an amount`) {
		t.Fatalf("bad batch: %d %s", st, raw)
	}
	if _, m, _ := call("GET", base+"/rows", ""); len(m["data"].([]any)) != 0 {
		t.Fatalf("a failed batch wrote rows: %v", m)
	}
	// Wrong JSON types name the column too.
	for body, want := range map[string]string{
		`{"values":{"zip":"1","days":"soon"}}`:    `"field":"values.days"`,
		`{"values":{"zip":"1","open":"maybe"}}`:   `"field":"values.open"`,
		`{"values":{"zip":"1","region":"Ocean"}}`: `"field":"values.region"`,
		`{"values":{"fee":1}}`:                    `"field":"values.zip"`,
		`{"values":{"zip":"1","nope":1}}`:         `"field":"values.nope"`,
		`{"values":"x"}`:                          `"field":"values"`,
	} {
		if st, _, raw := call("POST", base+"/rows", body); st != 400 || !strings.Contains(raw, want) {
			t.Errorf("%s: %d %s, want %s", body, st, raw, want)
		}
	}
	var recs []string
	for i := 0; i < 25; i++ {
		recs = append(recs, fmt.Sprintf(`{"values":{"zip":"787%02d","fee":%d.5,"days":%d,"open":%v,"region":"%s"}}`, i, i%7, i%3, i%2 == 0, []string{"Metro", "Rural"}[i%2]))
	}
	st, m, raw = call("POST", base+"/rows/batch", `{"records":[`+strings.Join(recs, ",")+`]}`)
	if st != 200 || m["data"].(map[string]any)["count"].(float64) != 25 {
		t.Fatalf("batch: %d %s", st, raw)
	}
	// Filter and sort through the cursor: fee > 3.00 and Metro, by fee desc.
	var fees []float64
	path := base + "/rows?" + url.Values{"where": {"fee:gt:3", "region:metro"}, "sort": {"-fee"}, "limit": {"2"}}.Encode()
	for pages := 0; path != "" && pages < 20; pages++ {
		st, m, raw = call("GET", path, "")
		if st != 200 {
			t.Fatalf("list: %d %s", st, raw)
		}
		for _, r := range m["data"].([]any) {
			v := r.(map[string]any)["values"].(map[string]any)
			if v["region"] != "Metro" {
				t.Fatalf("row not Metro: %v", v)
			}
			fees = append(fees, v["fee"].(float64))
		}
		path = ""
		if nc, ok := m["next_cursor"].(string); ok {
			path = base + "/rows?" + url.Values{"where": {"fee:gt:3", "region:metro"}, "sort": {"-fee"}, "limit": {"2"}, "cursor": {nc}}.Encode()
		}
	}
	want := 0
	for i := 0; i < 25; i++ {
		if i%2 == 0 && float64(i%7)+0.5 > 3 {
			want++
		}
	}
	if len(fees) != want {
		t.Fatalf("%d rows through the cursor, want %d: %v", len(fees), want, fees)
	}
	for i := 1; i < len(fees); i++ {
		if fees[i] > fees[i-1] {
			t.Fatalf("not sorted by fee descending: %v", fees)
		}
	}
	for _, bad := range []string{"where=fee:gt:lots", "where=colour:eq:red", "sort=-nope", "limit=0", "cursor=zzz", "color=red"} {
		if st, _, raw := call("GET", base+"/rows?"+bad, ""); st != 400 || !strings.Contains(raw, `"field":`) {
			t.Errorf("%s: %d %s", bad, st, raw)
		}
	}
	// One row: read, change, delete.
	_, m, _ = call("GET", base+"/rows?where=zip:78704", "")
	row := m["data"].([]any)[0].(map[string]any)
	rp := fmt.Sprintf("%s/rows/%d", base, int64(row["id"].(float64)))
	if st, m, raw := call("PATCH", rp, `{"values":{"fee":"$1,250.25","open":null}}`); st != 200 || m["data"].(map[string]any)["values"].(map[string]any)["fee"] != 1250.25 || strings.Contains(raw, `"open"`) {
		t.Fatalf("patch: %d %s", st, raw)
	}
	if st, _, _ := call("DELETE", rp, ""); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st, _, _ := call("GET", rp, ""); st != 404 {
		t.Fatalf("deleted row: %d", st)
	}
	// Another tenant's key, and a read key writing.
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: base + "/rows", Bearer: e.B.KeyWrite}); st != 404 {
		t.Fatalf("B's key: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: base + "/rows", Bearer: e.A.KeyRead, JSON: `{"values":{"zip":"1"}}`}); st != 403 {
		t.Fatalf("read key writing: %d", st)
	}
	// Admin keys name the tenant for lists; reach a table by its ID.
	if st, raw, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/api/v1/tables", Bearer: e.AdminKeyW}); st != 400 || !strings.Contains(raw, `"field":"tenant"`) {
		t.Fatalf("admin without tenant: %d %s", st, raw)
	}
	if st, raw, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/api/v1/tables?tenant=" + e.A.T.Slug, Bearer: e.AdminKeyW}); st != 200 || !strings.Contains(raw, "Service areas") {
		t.Fatalf("admin list: %d %s", st, raw)
	}
	if st, raw, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: base + "/rows?limit=1", Bearer: e.AdminKeyW}); st != 200 || !strings.Contains(raw, `"zip":"787`) {
		t.Fatalf("admin rows: %d %s", st, raw)
	}
	// Changing a column's type converts; a value that does not fit names its row.
	st, _, raw = call("PATCH", base, `{"columns":[{"key":"zip","name":"Zip","type":"number"},{"key":"fee","name":"Fee","type":"currency"}]}`)
	if st != 200 || !strings.Contains(raw, `"type":"number"`) || strings.Contains(raw, `"key":"days"`) {
		t.Fatalf("retype: %d %s", st, raw)
	}
	call("POST", base+"/rows", `{"values":{"zip":"x1"}}`) // refused: zip is a number now
	st, _, raw = call("PATCH", base, `{"columns":[{"key":"zip","name":"Zip","type":"checkbox"},{"key":"fee","name":"Fee","type":"currency"}]}`)
	if st != 400 || !strings.Contains(raw, "cannot change to Checkbox: row") {
		t.Fatalf("bad retype: %d %s", st, raw)
	}
}

func TestWikiAPI(t *testing.T) {
	e := newTenantEnv(t)
	k := e.A.KeyWrite
	st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/wiki/pages", Bearer: k, JSON: `{"title":"Pricing FAQ","body":"Our **roof** inspection is free."}`})
	if st != 201 || !strings.Contains(raw, `"revision":1`) || !strings.Contains(raw, `"body_html":"\u003cp\u003eOur \u003cstrong\u003eroof\u003c/strong\u003e`) {
		t.Fatalf("create: %d %s", st, raw)
	}
	var m struct {
		Data struct {
			ID       int64 `json:"id"`
			Revision int   `json:"revision"`
		} `json:"data"`
	}
	json.Unmarshal([]byte(raw), &m)
	p := fmt.Sprintf("/api/v1/wiki/pages/%d", m.Data.ID)
	if st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: "PATCH", Path: p, Bearer: k, JSON: `{"body":"Roof inspections cost $99."}`}); st != 400 || !strings.Contains(raw, `"field":"revision"`) {
		t.Fatalf("patch without revision: %d %s", st, raw)
	}
	if st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: "PATCH", Path: p, Bearer: k, JSON: `{"body":"Roof inspections cost $99.","revision":1}`}); st != 200 || !strings.Contains(raw, `"revision":2`) {
		t.Fatalf("patch: %d %s", st, raw)
	}
	st, raw, _ = e.do(treq{Host: ui.HostPortal, Method: "PATCH", Path: p, Bearer: k, JSON: `{"body":"stale","revision":1}`})
	if st != 409 || !strings.Contains(raw, `"code":"conflict"`) || !strings.Contains(raw, `"current":{`) || !strings.Contains(raw, "Roof inspections cost $99.") {
		t.Fatalf("stale patch: %d %s", st, raw)
	}
	if st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/wiki/search?q=inspections", Bearer: k}); st != 200 || !strings.Contains(raw, `\u003cmark\u003einspections\u003c/mark\u003e`) {
		t.Fatalf("search: %d %s", st, raw)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: p, Bearer: e.B.KeyWrite}); st != 404 {
		t.Fatalf("B's key: %d", st)
	}
	// Admin keys: the agency's internal space (tenant 1), created on use.
	if st, raw, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/api/v1/wiki/pages?tenant=house", Bearer: e.AdminKeyW, JSON: `{"title":"Agency SOP","body":"x"}`}); st != 201 {
		t.Fatalf("admin create: %d %s", st, raw)
	}
}
