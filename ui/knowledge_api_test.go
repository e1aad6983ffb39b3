package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"orengen/app"
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

// TestWikiAPI_RevisionsFilesSharesZip: everything the wiki pages do, through
// the API: history and restore (a stale restore is a 409, nothing written),
// moves, files (bytes back as sent, refused types and sizes named), share
// links that open the page until revoked, and a zip round trip into
// another tenant's space.
func TestWikiAPI_RevisionsFilesSharesZip(t *testing.T) {
	e := newTenantEnv(t)
	k := e.A.KeyWrite
	type page struct {
		ID       int64  `json:"id"`
		ParentID *int64 `json:"parent_id"`
		Revision int    `json:"revision"`
		Body     string `json:"body"`
		Title    string `json:"title"`
	}
	call := func(key, method, path, body string, out any) (int, string) {
		t.Helper()
		st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Bearer: key, JSON: body})
		if out != nil {
			json.Unmarshal([]byte(raw), out)
		}
		return st, raw
	}
	var created struct{ Data page }
	if st, raw := call(k, "POST", "/api/v1/wiki/pages", `{"title":"Refund policy","body":"Refunds within 14 days."}`, &created); st != 201 {
		t.Fatalf("create: %d %s", st, raw)
	}
	p := fmt.Sprintf("/api/v1/wiki/pages/%d", created.Data.ID)
	call(k, "PATCH", p, `{"body":"Refunds within 30 days.","revision":1}`, nil)
	call(k, "PATCH", p, `{"body":"No refunds.","revision":2}`, nil)

	// History, newest first, without bodies; one revision with its body.
	var revs struct {
		Data []struct {
			Number int     `json:"number"`
			Body   *string `json:"body"`
			Author string  `json:"author"`
		}
	}
	if st, raw := call(e.A.KeyRead, "GET", p+"/revisions", "", &revs); st != 200 || len(revs.Data) != 3 || revs.Data[0].Number != 3 || revs.Data[2].Number != 1 || revs.Data[0].Body != nil {
		t.Fatalf("revisions: %d %s", st, raw)
	}
	var rev struct{ Data struct{ Body string } }
	if st, raw := call(e.A.KeyRead, "GET", p+"/revisions/2", "", &rev); st != 200 || rev.Data.Body != "Refunds within 30 days." {
		t.Fatalf("revision 2: %d %s", st, raw)
	}
	if st, raw := call(k, "GET", p+"/revisions/x", "", nil); st != 400 || !strings.Contains(raw, `"field":"n"`) {
		t.Fatalf("revision x: %d %s", st, raw)
	}
	// Restore revision 2 from a stale view: 409 with the page as it is, nothing written.
	if st, raw := call(k, "POST", p+"/restore", `{"number":2,"revision":2}`, nil); st != 409 || !strings.Contains(raw, "No refunds.") {
		t.Fatalf("stale restore: %d %s", st, raw)
	}
	if st, raw := call(k, "POST", p+"/restore", `{"number":2}`, nil); st != 400 || !strings.Contains(raw, `"field":"revision"`) {
		t.Fatalf("restore without revision: %d %s", st, raw)
	}
	if st, raw := call(k, "POST", p+"/restore", `{"number":"two","revision":3}`, nil); st != 400 || !strings.Contains(raw, `"field":"number"`) {
		t.Fatalf("restore with a string: %d %s", st, raw)
	}
	var restored struct{ Data page }
	if st, raw := call(k, "POST", p+"/restore", `{"number":2,"revision":3}`, &restored); st != 200 || restored.Data.Revision != 4 || restored.Data.Body != "Refunds within 30 days." {
		t.Fatalf("restore: %d %s", st, raw)
	}

	// Move under another page.
	var parent struct{ Data page }
	call(k, "POST", "/api/v1/wiki/pages", `{"title":"Policies"}`, &parent)
	var moved struct{ Data page }
	if st, raw := call(k, "POST", p+"/move", fmt.Sprintf(`{"parent_id":%d,"position":0}`, parent.Data.ID), &moved); st != 200 || moved.Data.ParentID == nil || *moved.Data.ParentID != parent.Data.ID {
		t.Fatalf("move: %d %s", st, raw)
	}
	if st, raw := call(k, "POST", p+"/move", `{"parent_id":0}`, nil); st != 400 || !strings.Contains(raw, `"field":"position"`) {
		t.Fatalf("move without position: %d %s", st, raw)
	}

	// Files: the bytes come back as sent; a disguised type is refused by name.
	upload := func(key, path, name string, data []byte) (int, string) {
		t.Helper()
		body, ctype := multipartFile(t, name, data)
		st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Bearer: key, Raw: body, ContentType: ctype})
		return st, raw
	}
	st, raw := upload(k, p+"/attachments", "terms.txt", []byte("Thirty days notice."))
	var att struct {
		Data struct {
			ID       int64  `json:"id"`
			Size     int64  `json:"size"`
			Markdown string `json:"markdown"`
		}
	}
	if json.Unmarshal([]byte(raw), &att); st != 201 || att.Data.Size != 19 || att.Data.Markdown != fmt.Sprintf("[terms.txt](attachment:%d)", att.Data.ID) {
		t.Fatalf("attach: %d %s", st, raw)
	}
	if st, raw := upload(e.A.KeyRead, p+"/attachments", "x.txt", []byte("x")); st != 403 {
		t.Fatalf("attach with a read key: %d %s", st, raw)
	}
	if st, raw := upload(k, p+"/attachments", "evil.pdf", []byte("<html><script>alert(1)</script></html>")); st != 400 || !strings.Contains(raw, "evil.pdf is named .pdf but its content is HTML or XML") {
		t.Fatalf("disguised file: %d %s", st, raw)
	}
	if st, raw := call(k, "POST", p+"/attachments", `{"file":"x"}`, nil); st != 400 || !strings.Contains(raw, `"field":"file"`) {
		t.Fatalf("attach without multipart: %d %s", st, raw)
	}
	fp := fmt.Sprintf("/api/v1/wiki/attachments/%d", att.Data.ID)
	st, got, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: fp, Bearer: e.A.KeyRead})
	if st != 200 || got != "Thirty days notice." || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %q %v", st, got, resp.Header)
	}
	if st, _ := call(e.B.KeyWrite, "GET", fp, "", nil); st != 404 {
		t.Fatalf("B's key on A's file: %d", st)
	}
	if st, _ := call(e.B.KeyWrite, "DELETE", fp, "", nil); st != 404 {
		t.Fatalf("B deleting A's file: %d", st)
	}

	// A share link opens the page in A's brand until it is revoked.
	var sh struct {
		Data struct {
			ID  int64  `json:"id"`
			URL string `json:"url"`
		}
	}
	if st, raw := call(k, "POST", p+"/shares", "", &sh); st != 201 || !strings.Contains(sh.Data.URL, "/share/") {
		t.Fatalf("share: %d %s", st, raw)
	}
	sharePath := sh.Data.URL[strings.Index(sh.Data.URL, "/share/"):]
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: sharePath}); st != 200 || !strings.Contains(body, "Refunds within 30 days.") || !strings.Contains(body, e.A.T.Name) {
		t.Fatalf("shared page: %d %.500s", st, body)
	}
	if st, _ := call(e.B.KeyWrite, "DELETE", fmt.Sprintf("%s/shares/%d", p, sh.Data.ID), "", nil); st != 404 {
		t.Fatalf("B revoking: %d", st)
	}
	if st, raw := call(k, "DELETE", fmt.Sprintf("%s/shares/%d", p, sh.Data.ID), "", nil); st != 204 {
		t.Fatalf("revoke: %d %s", st, raw)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: sharePath}); st != 404 {
		t.Fatalf("revoked link: %d", st)
	}
	var shares struct {
		Data []struct {
			RevokedAt *string `json:"revoked_at"`
		}
	}
	if st, raw := call(k, "GET", p+"/shares", "", &shares); st != 200 || len(shares.Data) != 1 || shares.Data[0].RevokedAt == nil {
		t.Fatalf("shares: %d %s", st, raw)
	}

	// Export A's space and import it into B's: the pages and the file arrive.
	st, zipBody, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/wiki/export", Bearer: e.A.KeyRead})
	if st != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %v", st, resp.Header)
	}
	st, raw = upload(e.B.KeyWrite, "/api/v1/wiki/import", "a.zip", []byte(zipBody))
	var rep struct {
		Data struct {
			Pages, Files int
			PageIDs      []int64 `json:"page_ids"`
		}
	}
	actx := app.NewContextWithTenant(context.Background(), e.A.T)
	asp, _ := e.App.Wiki.Space(actx)
	tree, _ := e.App.Wiki.Tree(actx, asp.ID)
	files := 0
	for _, pg := range tree {
		as, _ := e.App.Wiki.Attachments(actx, pg.ID)
		files += len(as)
	}
	if json.Unmarshal([]byte(raw), &rep); st != 201 || rep.Data.Files != files || rep.Data.Pages != len(tree) || len(rep.Data.PageIDs) != rep.Data.Pages {
		t.Fatalf("import: %d %s", st, raw)
	}
	var found struct{ Data []page }
	if st, raw := call(e.B.KeyRead, "GET", "/api/v1/wiki/pages?slug=refund-policy", "", &found); st != 200 || len(found.Data) != 1 || found.Data[0].Body != "Refunds within 30 days." {
		t.Fatalf("imported page in B: %d %s", st, raw)
	}
	if st, raw := upload(e.B.KeyWrite, "/api/v1/wiki/import", "a.zip", []byte("not a zip")); st != 400 || !strings.Contains(raw, "not a zip archive") {
		t.Fatalf("bad zip: %d %s", st, raw)
	}
	// Deleting the file takes it out of the page's list.
	if st, _ := call(k, "DELETE", fp, "", nil); st != 204 {
		t.Fatalf("delete file: %d", st)
	}
	var list struct{ Data []any }
	if st, raw := call(k, "GET", p+"/attachments", "", &list); st != 200 || len(list.Data) != 0 {
		t.Fatalf("files after delete: %d %s", st, raw)
	}
}
