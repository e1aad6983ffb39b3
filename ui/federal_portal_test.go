package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/ui"
)

// A client's Federal section: absent (404, no nav entry) until the admin
// turns it on from the tenant page; then its users work on their own
// profile, searches, notices and pursuits, and never see another
// client's.
func TestPortalFederal(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	portal := func(side *tenantSide, method, path string, form url.Values) (int, string) {
		t.Helper()
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Form: form, CSRF: method != "GET",
			Cookies: map[string]string{"psid": side.Cookie}})
		return st, body
	}
	if st, _ := portal(e.A, "GET", "/federal", nil); st != 404 {
		t.Fatalf("federal off: %d, want 404", st)
	}
	if _, body := portal(e.A, "GET", "/", nil); strings.Contains(body, `href="/federal"`) {
		t.Error("nav shows Federal while it is off")
	}
	for _, side := range []*tenantSide{e.A, e.B} {
		if st, _, _ := e.admin("POST", "/tenants/"+itoa64(side.T.ID)+"/federal", url.Values{"federal": {"on"}}); st != 303 {
			t.Fatalf("enable: %d", st)
		}
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'federal.enable' AND target = ?`, "tenant:"+itoa64(e.A.T.ID)); n != 1 {
		t.Errorf("audit entries for enabling: %d", n)
	}
	if _, body, _ := e.admin("GET", "/tenants/"+itoa64(e.A.T.ID), nil); !strings.Contains(body, "Turn Federal off") {
		t.Error("tenant page does not show Federal on")
	}
	if _, body := portal(e.A, "GET", "/", nil); !strings.Contains(body, `href="/federal"`) || !strings.Contains(body, `href="/federal/profile"`) {
		t.Error("nav lacks Federal while it is on")
	}

	// Each client's own notices.
	fs := e.App.Stores.Federal
	na := federal.Notice{NoticeID: "aaaa0000aaaa0000aaaa0000aaaa0001", Title: "Alpha Cyber Range", PostedDate: time.Now().UTC(), Type: "Solicitation", NAICSCode: "541512"}
	nb := federal.Notice{NoticeID: "bbbb0000bbbb0000bbbb0000bbbb0001", Title: "Bravo Dredging Works", PostedDate: time.Now().UTC(), Type: "Solicitation"}
	if _, err := fs.UpsertNotices(fedTenantCtx(ctx, e.A.T.ID), []federal.Notice{na}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.UpsertNotices(fedTenantCtx(ctx, e.B.T.ID), []federal.Notice{nb}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if st, body := portal(e.A, "POST", "/federal/profile", url.Values{"naics_primary": {"541512"}, "keywords": {"cyber"}}); st != 303 {
		t.Fatalf("save profile: %d %.300s", st, body)
	}
	if st, body := portal(e.A, "POST", "/federal/profile", url.Values{"naics_primary": {"541512"}, "sam_expires": {"soon"}}); st != 400 || !strings.Contains(body, "expiry") {
		t.Errorf("bad profile: %d", st)
	}
	st, body := portal(e.A, "GET", "/federal?q=cyber", nil)
	if st != 200 || !strings.Contains(body, "Alpha Cyber Range") || strings.Contains(body, "Bravo Dredging") || strings.Contains(body, "Case Management") {
		t.Fatalf("A's opportunities: %d %.2000s", st, body)
	}
	if st, _ := portal(e.A, "GET", "/federal/opportunities/"+nb.NoticeID, nil); st != 404 {
		t.Errorf("B's notice from A: %d, want 404", st)
	}
	if st, _ := portal(e.A, "GET", "/federal/opportunities/"+e.NoticeID, nil); st != 404 {
		t.Errorf("the house notice from A: %d, want 404", st)
	}
	if st, _ := portal(e.A, "POST", "/federal/opportunities/"+nb.NoticeID+"/pursue", nil); st != 404 {
		t.Errorf("pursue B's notice from A: %d, want 404", st)
	}
	if st, _ := portal(e.A, "POST", "/federal/opportunities/"+na.NoticeID+"/pursue", nil); st != 303 {
		t.Fatalf("pursue: %d", st)
	}
	if st, _ := portal(e.A, "POST", "/federal/opportunities/"+na.NoticeID+"/tasks", url.Values{"title": {"Register in SAM"}}); st != 303 {
		t.Errorf("pursuit task: %d", st)
	}
	if _, body := portal(e.A, "GET", "/federal/opportunities/"+na.NoticeID, nil); !strings.Contains(body, "Register in SAM") || strings.Contains(body, "/proposal") {
		t.Error("A's pursuit page lacks its task or links to Nexus-only pages")
	}
	// The CRM's own done action returns to the pursuit.
	pursuit := app.RecordPursuit
	ts, _, err := e.Server.CRM.FindTasks(app.NewContextWithTenant(ctx, e.A.T), app.TaskFilter{RecordType: &pursuit})
	if err != nil || len(ts) != 1 {
		t.Fatalf("A's tasks %v %v", ts, err)
	}
	if st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/crm/tasks/" + itoa64(ts[0].ID) + "/done", CSRF: true,
		Cookies: map[string]string{"psid": e.A.Cookie}}); st != 303 || resp.Header.Get("Location") != "/federal/opportunities/"+na.NoticeID+"#work" {
		t.Errorf("CRM done on a pursuit task: %d %s", st, resp.Header.Get("Location"))
	}
	if _, body := portal(e.A, "GET", "/federal/pipeline", nil); !strings.Contains(body, "Alpha Cyber Range") {
		t.Error("A's pipeline lacks the pursuit")
	}
	if _, body := portal(e.B, "GET", "/federal/pipeline", nil); strings.Contains(body, "Alpha Cyber Range") {
		t.Error("B's pipeline shows A's pursuit")
	}

	// Saved searches: A's own; B's are not A's to delete.
	if st, _ := portal(e.B, "POST", "/federal/searches", url.Values{"name": {"Bravo marine"}, "naics": {"237990"}}); st != 303 {
		t.Fatalf("B's search: %d", st)
	}
	bs, err := fs.FindSavedSearches(fedTenantCtx(ctx, e.B.T.ID))
	if err != nil || len(bs) != 1 {
		t.Fatalf("B's searches %v %v", bs, err)
	}
	if st, _ := portal(e.A, "POST", "/federal/searches/"+itoa64(bs[0].ID)+"/delete", nil); st != 404 {
		t.Errorf("A deleting B's search: %d, want 404", st)
	}
	if st, body := portal(e.A, "GET", "/federal/searches", nil); st != 200 || strings.Contains(body, "Bravo marine") || strings.Contains(body, "/federal/run") {
		t.Errorf("A's searches: %d", st)
	}

	// Off again: 404 and no nav entry; the data stays.
	if st, _, _ := e.admin("POST", "/tenants/"+itoa64(e.A.T.ID)+"/federal", url.Values{"federal": {"off"}}); st != 303 {
		t.Fatalf("disable: %d", st)
	}
	if st, _ := portal(e.A, "GET", "/federal/pipeline", nil); st != 404 {
		t.Errorf("federal off again: %d, want 404", st)
	}
	if _, body := portal(e.A, "GET", "/", nil); strings.Contains(body, `href="/federal"`) {
		t.Error("nav shows Federal after it was turned off")
	}
}
