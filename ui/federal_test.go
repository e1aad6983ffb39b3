package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/grants"
	"orengen/sam"
	"orengen/ui"
)

func (e *tenantEnv) admin(method, path string, form url.Values) (int, string, *http.Response) {
	e.t.Helper()
	return e.do(treq{Host: ui.HostNexus, Method: method, Path: path, Form: form, CSRF: method != http.MethodGet,
		Cookies: map[string]string{"orengen_session": e.AdminCookie}})
}

func (e *tenantEnv) adminAPI(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	st, b, _ := e.do(treq{Host: ui.HostNexus, Method: method, Path: path, JSON: body, Bearer: e.AdminKeyW})
	var m map[string]any
	if b != "" {
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			e.t.Fatalf("%s %s: not JSON: %s", method, path, b)
		}
	}
	return st, m
}

func samFixture(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "app", "federal", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFederalPages(t *testing.T) {
	e := newTenantEnv(t)

	t.Run("StudioShowsNoticeReasonsAndKeyError", func(t *testing.T) {
		st, body, _ := e.admin("GET", "/federal", nil)
		if st != 200 || !strings.Contains(body, "Case Management System Modernization") || !strings.Contains(body, "Configuration error") ||
			!strings.Contains(body, "No SAM.gov API key is configured") || !strings.Contains(body, `href="/federal/settings"`) {
			t.Errorf("studio: %d\n%.2000s", st, body)
		}
		if _, body, _ := e.admin("GET", "/federal?q=nothingmatchesthis", nil); strings.Contains(body, "Case Management System") {
			t.Error("full-text filter kept a notice that does not match")
		}
		if st, _, _ := e.admin("GET", "/federal?set_aside=BOGUS", nil); st != 400 {
			t.Errorf("unknown set-aside filter: %d", st)
		}
	})

	t.Run("Profile", func(t *testing.T) {
		bad := url.Values{"naics_primary": {"54151"}}
		if st, body, _ := e.admin("POST", "/federal/settings", bad); st != 400 || !strings.Contains(body, "naicsPrimary") {
			t.Errorf("bad NAICS: %d %.300s", st, body)
		}
		bad = url.Values{"naics_primary": {"541511"}, "certifications": {"8(a) | 123 | soon"}}
		if st, body, _ := e.admin("POST", "/federal/settings", bad); st != 400 || !strings.Contains(body, "Certification line 1") {
			t.Errorf("bad certification: %d", st)
		}
		soon := time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly)
		good := url.Values{"naics_primary": {"541511"}, "naics_other": {"541512, 541519"}, "set_asides": {"SBA", "sdvosbc"},
			"keywords": {"agile, case management"}, "states": {"dc"}, "uei": {"abcdefghjklm"}, "sam_expires": {soon},
			"certifications": {"ISO 9001 | C-1 | " + time.Now().UTC().AddDate(0, 0, 45).Format(time.DateOnly)}}
		if st, _, resp := e.admin("POST", "/federal/settings", good); st != 303 || resp.Header.Get("Location") != "/federal/settings" {
			t.Fatalf("save: %d", st)
		}
		_, body, _ := e.admin("GET", "/federal/settings", nil)
		if !strings.Contains(body, `value="ABCDEFGHJKLM"`) || !strings.Contains(body, "ISO 9001 | C-1") || !strings.Contains(body, `value="SDVOSBC" checked`) {
			t.Errorf("settings after save:\n%.3000s", body)
		}
		_, body, _ = e.admin("GET", "/federal/compliance", nil)
		if !strings.Contains(body, "SAM registration") || !strings.Contains(body, "within 7 days") || !strings.Contains(body, "within 90 days") {
			t.Errorf("compliance page:\n%.2000s", body)
		}
		// The profile re-scored the stored notice: the NAICS reason shows.
		_, body, _ = e.admin("GET", "/federal", nil)
		if !strings.Contains(body, "NAICS 541511 is your primary NAICS") {
			t.Errorf("reasons after re-score:\n%.2000s", body)
		}
	})

	t.Run("SavedSearches", func(t *testing.T) {
		for _, tc := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"name": {"x"}, "set_aside": {"XYZ"}}, "setAside"},
			{url.Values{"name": {"x"}, "posted_days": {"400"}}, "postedDays"},
			{url.Values{"name": {"Seeded"}}, "exists"},
		} {
			st, body, _ := e.admin("POST", "/federal/searches", tc.form)
			if st < 400 || st >= 500 || !strings.Contains(body, tc.want) {
				t.Errorf("%v: %d, want an error naming %s", tc.form, st, tc.want)
			}
		}
		// Several NAICS codes and set-asides (a multiple select): one
		// SAM.gov request per combination, said on the list.
		if st, _, _ := e.admin("POST", "/federal/searches", url.Values{"name": {"VA IT"}, "naics": {"541512, 541519"}, "set_aside": {"sdvosbc", "8a"}, "ptypes": {"o, k"}}); st != 303 {
			t.Fatalf("create: %d", st)
		}
		_, body, _ := e.admin("GET", "/federal/searches", nil)
		for _, want := range []string{"VA IT", "NAICS 541512, 541519 · SDVOSBC, 8A · ptype o, k", "4 SAM.gov requests a run"} {
			if !strings.Contains(body, want) {
				t.Errorf("list lacks %q:\n%.2000s", want, body)
			}
		}
	})

	t.Run("PursuePipelineMatrix", func(t *testing.T) {
		base := "/federal/opportunities/" + e.NoticeID
		_, body, _ := e.admin("GET", base, nil)
		for _, want := range []string{"70SBUR26R00000012", "Amendment history", "Pursue", "mailto:"} {
			if !strings.Contains(body, want) {
				t.Errorf("detail lacks %q", want)
			}
		}
		if st, _, _ := e.admin("GET", "/federal/opportunities/ffffffffffffffffffffffffffffffff", nil); st != 404 {
			t.Errorf("unknown notice: %d", st)
		}
		if st, _, _ := e.admin("POST", base+"/pursue", nil); st != 303 {
			t.Fatalf("pursue: %d", st)
		}
		if st, body, _ := e.admin("POST", base+"/pipeline", url.Values{"stage": {"capture"}, "estimated_value": {"1,000,000"}, "win_probability": {"130"}}); st != 400 || !strings.Contains(body, "winProbability") {
			t.Errorf("bad probability: %d", st)
		}
		if st, _, _ := e.admin("POST", base+"/pipeline", url.Values{"stage": {"capture"}, "estimated_value": {"$1,000,000"}, "win_probability": {"30"}, "owner": {"Dana"}}); st != 303 {
			t.Fatalf("pipeline: %d", st)
		}
		_, body, _ = e.admin("GET", "/federal/pipeline", nil)
		if !strings.Contains(body, "300,000.00 USD") || !strings.Contains(body, "Capture") || !strings.Contains(body, "Dana") {
			t.Errorf("pipeline page:\n%.2000s", body)
		}
		rfp := "SECTION L - INSTRUCTIONS\nThe offeror shall submit a technical volume of no more than 20 pages. Offerors must hold an active SAM registration."
		if st, _, _ := e.admin("POST", base+"/matrix", url.Values{"rfp_text": {rfp}}); st != 303 {
			t.Fatalf("extract: %d", st)
		}
		rows, err := e.App.Stores.Federal.FindMatrix(fedTenantCtx(context.Background(), app.HouseTenantID), e.NoticeID)
		if err != nil || len(rows) < 2 {
			t.Fatalf("matrix rows: %d %v", len(rows), err)
		}
		if st, _, _ := e.admin("POST", base+"/matrix/"+itoa64(rows[0].ID), url.Values{"status": {"done?"}}); st != 400 {
			t.Errorf("bad status: %d", st)
		}
		for _, r := range rows {
			if st, _, _ := e.admin("POST", base+"/matrix/"+itoa64(r.ID), url.Values{"status": {"answered"}, "owner": {"Lee"}, "answered_in": {"Vol I 1.2"}}); st != 303 {
				t.Fatalf("update row: %d", st)
			}
		}
		_, body, _ = e.admin("GET", base, nil)
		if !strings.Contains(body, "<strong>100%</strong> complete") || !strings.Contains(body, "technical volume") {
			t.Errorf("matrix:\n%.4000s", body)
		}
	})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestFederalAPI(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	var page struct {
		Data []federal.Notice `json:"opportunitiesData"`
	}
	if err := json.Unmarshal(samFixture(t, "sam_search_page1.json"), &page); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Stores.Federal.UpsertNotices(fedTenantCtx(ctx, app.HouseTenantID), page.Data[1:], time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.App.Stores.Federal.SetDescription(fedTenantCtx(ctx, app.HouseTenantID), page.Data[2].NoticeID, "Includes a quokka census."); err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	cursor := ""
	for i := 0; ; i++ {
		st, m := e.adminAPI("GET", "/api/v1/federal/opportunities?limit=2&cursor="+url.QueryEscape(cursor), "")
		if st != 200 {
			t.Fatalf("list: %d %v", st, m)
		}
		for _, d := range m["data"].([]any) {
			o := d.(map[string]any)
			seen[o["notice_id"].(string)] = true
			if _, ok := o["reasons"].([]any); !ok {
				t.Errorf("no reasons array in %v", o)
			}
		}
		if m["next_cursor"] == nil {
			break
		}
		cursor = m["next_cursor"].(string)
		if i > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 3 {
		t.Errorf("paged through %d notices, want 3", len(seen))
	}
	_, m := e.adminAPI("GET", "/api/v1/federal/opportunities?q=quokka", "")
	if d := m["data"].([]any); len(d) != 1 || d[0].(map[string]any)["notice_id"] != page.Data[2].NoticeID {
		t.Errorf("q=quokka: %v", m)
	}
	if st, m := e.adminAPI("GET", "/api/v1/federal/opportunities?cursor=garbage", ""); st != 400 || !strings.Contains(jsonNumberAny(m), "cursor") {
		t.Errorf("bad cursor: %d %v", st, m)
	}
	st, m := e.adminAPI("GET", "/api/v1/federal/opportunities/"+e.NoticeID, "")
	if st != 200 || m["data"].(map[string]any)["solicitation_number"] != "70SBUR26R00000012" || len(m["data"].(map[string]any)["contacts"].([]any)) == 0 {
		t.Errorf("detail: %d %v", st, m)
	}
	if st, _ := e.adminAPI("GET", "/api/v1/federal/opportunities/nope", ""); st != 404 {
		t.Errorf("unknown: %d", st)
	}

	// Saved searches: create, bad input, list, delete.
	if st, m := e.adminAPI("POST", "/api/v1/federal/searches", `{"name":"API","naics":"541511","procurement_types":["o"],"posted_days":60}`); st != 201 || m["data"].(map[string]any)["posted_days"].(float64) != 60 {
		t.Fatalf("create: %d %v", st, m)
	}
	// Lists of codes, as GovTribe's searches take them.
	st, m = e.adminAPI("POST", "/api/v1/federal/searches", `{"name":"API lists","naics":["541511","541512"],"psc":["D302"],"set_asides":["SBA","8A"]}`)
	if st != 201 || fmt.Sprint(m["data"].(map[string]any)["naics"]) != "[541511 541512]" || fmt.Sprint(m["data"].(map[string]any)["set_asides"]) != "[SBA 8A]" ||
		m["data"].(map[string]any)["requests_per_run"].(float64) != 4 {
		t.Fatalf("create with lists: %d %v", st, m)
	}
	for body, want := range map[string]string{
		`{"name":"x","set_aside":"NOPE"}`:          "setAsides",
		`{"name":"x","set_asides":["SBA","NOPE"]}`: "setAsides",
		`{"name":"x","posted_days":366}`:           "postedDays",
		`{"name":`:                                 "not valid JSON",
		`{"naics":"541511"}`:                       "name",
	} {
		if st, m := e.adminAPI("POST", "/api/v1/federal/searches", body); st != 400 || !strings.Contains(jsonNumberAny(m), want) {
			t.Errorf("%s: %d %v, want 400 naming %s", body, st, m, want)
		}
	}
	_, m = e.adminAPI("GET", "/api/v1/federal/searches", "")
	list := m["data"].([]any)
	if len(list) != 3 {
		t.Fatalf("searches: %v", m)
	}
	id := int64(list[0].(map[string]any)["id"].(float64))
	if st, _ := e.adminAPI("DELETE", "/api/v1/federal/searches/"+jsonNumber(id), ""); st != 204 {
		t.Errorf("delete: %d", st)
	}
	if st, _ := e.adminAPI("DELETE", "/api/v1/federal/searches/"+jsonNumber(id), ""); st != 404 {
		t.Errorf("delete again: %d", st)
	}
	if st, m := e.adminAPI("GET", "/api/v1/federal/grants", ""); st != 200 || m["data"] == nil {
		t.Errorf("grants: %d %v", st, m)
	}
}

func jsonNumberAny(v any) string { b, _ := json.Marshal(v); return string(b) }

// A "run now" from the Searches page runs the scout against a recorded
// SAM.gov server and a Grants.gov one; a rejected key shows as a
// configuration error, never as "no results".
func TestFederalRunNow(t *testing.T) {
	key := "ui-test-key-1234"
	var mode atomic.Value
	mode.Store("ok")
	samSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mode.Load() == "badkey" {
			w.WriteHeader(401)
			w.Write(samFixture(t, "sam_error_invalid_key.json"))
			return
		}
		switch r.URL.Query().Get("offset") {
		case "0":
			w.Write(samFixture(t, "sam_search_page1.json"))
		case "3":
			w.Write(samFixture(t, "sam_search_page2.json"))
		default:
			w.Write(samFixture(t, "sam_search_empty.json"))
		}
	}))
	defer samSrv.Close()
	grantsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(samFixture(t, "grants_search2.json"))
	}))
	defer grantsSrv.Close()
	e := newTenantEnv(t)
	f := e.Server.Federal
	// As --sam-api-url would be: the wiring allows an admin's base URL.
	sc := f.Scout.SAM.(*sam.Client)
	sc.BaseURL, sc.HTTP = samSrv.URL, allowOnly(t, samSrv)
	f.Scout.Grants = &grants.Client{BaseURL: grantsSrv.URL}
	f.Scout.Key = func(context.Context) (federal.Secret, error) { return federal.Secret(key), nil }
	if err := f.CreateSearch(fedTenantCtx(context.Background(), app.HouseTenantID), &federal.SavedSearch{TenantID: app.HouseTenantID, Kind: "grants", Name: "Grants", Title: "research"}); err != nil {
		t.Fatal(err)
	}
	if st, _, resp := e.admin("POST", "/federal/run", nil); st != 303 || resp.Header.Get("Location") != "/federal/searches" {
		t.Fatalf("run: %d", st)
	}
	f.Wait()
	_, body, _ := e.admin("GET", "/federal/searches", nil)
	if !strings.Contains(body, "<strong>ok</strong>") || strings.Contains(body, key) {
		t.Errorf("after run:\n%.3000s", body)
	}
	_, body, _ = e.admin("GET", "/federal?sort=posted", nil)
	if !strings.Contains(body, "Enterprise Data Platform") {
		t.Errorf("studio lacks page-2 notice")
	}
	// Paging through the studio with a filter keeps the filter.
	seen := map[string]bool{}
	next := "/federal?limit=2&sort=posted"
	for i := 0; next != ""; i++ {
		_, body, _ := e.admin("GET", next, nil)
		for _, m := range regexp.MustCompile(`href="/federal/opportunities/([0-9a-f]{32})"`).FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("notice %s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := regexp.MustCompile(`href="(/federal\?[^"]+)">Next page`).FindStringSubmatch(body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.Contains(next, "sort=posted") || !strings.Contains(next, "limit=2") {
				t.Errorf("next link lost the filter: %s", next)
			}
		}
		if i > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 5 {
		t.Errorf("paged through %d notices, want 5", len(seen))
	}
	_, body, _ = e.admin("GET", "/federal/grants", nil)
	if strings.Contains(body, "No grants yet") {
		t.Errorf("grants not stored:\n%.1500s", body)
	}
	mode.Store("badkey")
	e.admin("POST", "/federal/run", nil)
	f.Wait()
	_, body, _ = e.admin("GET", "/federal", nil)
	if !strings.Contains(body, "Configuration error in the last run") || !strings.Contains(body, "SAM.gov rejected the API key") && !strings.Contains(body, "api key rejected") {
		t.Errorf("bad key not shown as a configuration error:\n%.2000s", body)
	}
}

// The admin switches the Federal pages to a client only after turning its
// federal work on; a client never sees the house tenant's notices, and a
// cookie naming a client whose federal work is off falls back to house.
func TestFederalTenantSwitch(t *testing.T) {
	e := newTenantEnv(t)
	cookies := func(extra string) map[string]string {
		m := map[string]string{"orengen_session": e.AdminCookie}
		if extra != "" {
			m["orengen_fed_tenant"] = extra
		}
		return m
	}
	post := func(form url.Values) (int, *http.Response) {
		st, _, resp := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/federal/tenant", Form: form, CSRF: true, Cookies: cookies("")})
		return st, resp
	}
	aID := itoa64(e.A.T.ID)
	if st, _ := post(url.Values{"tenant": {aID}}); st != 400 {
		t.Errorf("switch to a client with federal off: %d, want 400", st)
	}
	st, resp := post(url.Values{"tenant": {aID}, "federal": {"on"}})
	if st != 303 {
		t.Fatalf("enable: %d", st)
	}
	var val string
	for _, ck := range resp.Cookies() {
		if ck.Name == "orengen_fed_tenant" {
			val = ck.Value
		}
	}
	if val != aID {
		t.Fatalf("cookie %q, want %s", val, aID)
	}
	_, body, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/federal", Cookies: cookies(val)})
	if strings.Contains(body, "Case Management System") || !strings.Contains(body, "Alpha Plumbing") {
		t.Errorf("client view shows house notices or not the client:\n%.1500s", body)
	}
	_, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/federal", Cookies: cookies(itoa64(e.B.T.ID))})
	if !strings.Contains(body, "Case Management System") {
		t.Errorf("cookie for a client with federal off did not fall back to house")
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/federal/opportunities/" + e.NoticeID, Cookies: cookies(val)}); st != 404 {
		t.Errorf("house notice from the client view: %d, want 404", st)
	}
	if st, _ := post(url.Values{"tenant": {aID}, "federal": {"off"}}); st != 303 {
		t.Errorf("disable: %d", st)
	}
	_, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/federal", Cookies: cookies(val)})
	if !strings.Contains(body, "Case Management System") {
		t.Errorf("after disable the pages should show the house tenant")
	}
}
