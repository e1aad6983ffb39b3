package ui_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/grants"
)

func TestFederalProposalStudio(t *testing.T) {
	e := newTenantEnv(t)
	base := "/federal/opportunities/" + e.NoticeID

	st, body, _ := e.admin("GET", base+"/proposal", nil)
	if st != 200 || !strings.Contains(body, "not in the bid pipeline") || !strings.Contains(body, "Seeded section") {
		t.Fatalf("proposal before pursuit: %d %.300s", st, body)
	}
	if st, body, _ := e.admin("POST", base+"/proposal/sections", url.Values{"title": {"Management"}}); st != 400 || !strings.Contains(body, "pursue the opportunity first") {
		t.Errorf("section before pursuit: %d", st)
	}
	if st, _, _ := e.admin("POST", base+"/pursue", nil); st != 303 {
		t.Fatalf("pursue: %d", st)
	}
	if st, body, _ := e.admin("POST", base+"/proposal/sections", url.Values{"title": {""}}); st != 400 || !strings.Contains(body, "title") {
		t.Errorf("empty title: %d", st)
	}
	if st, body, _ := e.admin("POST", base+"/proposal/sections", url.Values{"title": {"Seeded section"}}); st != 409 || !strings.Contains(body, "already exists") {
		t.Errorf("duplicate title: %d", st)
	}
	if st, body, _ := e.admin("POST", base+"/proposal/from-matrix", nil); st != 400 || !strings.Contains(body, "extract requirements first") {
		t.Errorf("from an empty matrix: %d", st)
	}
	rfp := samFixture(t, "../testdata/rfp_excerpt.txt")
	if st, _, _ := e.admin("POST", base+"/matrix", url.Values{"rfp_text": {string(rfp)}}); st != 303 {
		t.Fatalf("extract: %d", st)
	}
	if st, _, resp := e.admin("POST", base+"/proposal/from-matrix", nil); st != 303 || resp.Header.Get("Location") != base+"/proposal" {
		t.Fatalf("from matrix: %d", st)
	}
	st, body, _ = e.admin("GET", base+"/proposal", nil)
	if st != 200 || !strings.Contains(body, "Response to L.3.1") || !strings.Contains(body, "answered in a section below") || strings.Contains(body, "not in the bid pipeline") {
		t.Fatalf("proposal: %d %.500s", st, body)
	}
	secs, err := e.App.Stores.Federal.FindSections(fedTenantCtx(context.Background(), app.HouseTenantID), e.NoticeID)
	if err != nil || len(secs) < 3 {
		t.Fatalf("sections: %v %d", err, len(secs))
	}
	sec := secs[1]
	rows, _ := e.App.Stores.Federal.FindMatrix(fedTenantCtx(context.Background(), app.HouseTenantID), e.NoticeID)
	cov := federal.Coverage(rows, secs)
	if cov.Requirements == 0 || cov.Mapped != cov.Requirements {
		t.Errorf("every requirement should point at a section: %+v", cov)
	}

	secURL := base + "/proposal/sections/" + itoa64(sec.ID)
	upd := url.Values{"title": {"Volume I Technical"}, "position": {"15"}, "owner": {"Dana"}, "status": {"review"},
		"body": {"## Approach\n\nWe deliver **working software** and *weekly demos*.\n\n- Sprint reviews\n- Backlog in Jira\n\n<script>alert(1)</script>\n"}}
	if st, _, resp := e.admin("POST", secURL, upd); st != 303 || resp.Header.Get("Location") != secURL {
		t.Fatalf("update: %d", st)
	}
	st, body, _ = e.admin("GET", secURL, nil)
	if st != 200 || !strings.Contains(body, "<strong>working software</strong>") || !strings.Contains(body, "<li>Sprint reviews</li>") || strings.Contains(body, "<script>alert(1)") {
		t.Errorf("preview: %d %.1500s", st, body)
	}
	bad := url.Values{"title": {"x"}, "status": {"done"}}
	if st, body, _ := e.admin("POST", secURL, bad); st != 400 || !strings.Contains(body, "status") {
		t.Errorf("bad status: %d", st)
	}
	rows, _ = e.App.Stores.Federal.FindMatrix(fedTenantCtx(context.Background(), app.HouseTenantID), e.NoticeID)
	moved := 0
	for _, r := range rows {
		if r.AnsweredIn == "Volume I Technical" {
			moved++
		}
	}
	if moved == 0 {
		t.Error("renaming the section did not move its requirements")
	}

	st, body, resp := e.admin("GET", base+"/proposal/docx", nil)
	if st != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "wordprocessingml") || !strings.Contains(resp.Header.Get("Content-Disposition"), ".docx") {
		t.Fatalf("docx: %d %v", st, resp.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		t.Fatalf("docx is not a zip: %v", err)
	}
	var doc string
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			doc = string(b)
		}
	}
	for _, want := range []string{"Volume I Technical", "working software", "Sprint reviews", "Case Management System Modernization", "<w:b/>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml lacks %q", want)
		}
	}
	if strings.Contains(doc, "alert(1)") {
		t.Error("raw HTML reached the DOCX")
	}
	st, body, resp = e.admin("GET", base+"/proposal/pdf", nil)
	if st != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") || !strings.Contains(body, "/Type /Page") {
		t.Fatalf("pdf: %d %q %.20q", st, resp.Header.Get("Content-Type"), body)
	}

	if st, _, _ := e.admin("POST", secURL+"/delete", nil); st != 303 {
		t.Errorf("delete: %d", st)
	}
	if st, _, _ := e.admin("GET", secURL, nil); st != 404 {
		t.Errorf("deleted section: %d", st)
	}
	if st, _, _ := e.admin("GET", "/federal/opportunities/nosuchnotice/proposal/pdf", nil); st != 404 {
		t.Errorf("unknown notice export: %d", st)
	}
}

func TestFederalGrantStudio(t *testing.T) {
	e := newTenantEnv(t)
	st, body, _ := e.admin("GET", "/federal/grants", nil)
	if st != 200 || !strings.Contains(body, `href="/federal/grants/361874"`) {
		t.Fatalf("grants list: %d", st)
	}
	st, body, _ = e.admin("GET", "/federal/grants/361874", nil)
	if st != 200 || !strings.Contains(body, "Seeded grant") || !strings.Contains(body, "/federal/grants/361874/pursue") || !strings.Contains(body, "Fetch details") {
		t.Fatalf("grant page: %d", st)
	}
	if st, _, _ := e.admin("GET", "/federal/grants/999", nil); st != 404 {
		t.Errorf("unknown grant: %d", st)
	}
	// Without a Grants.gov client the fetch says so instead of failing.
	if st, _, _ := e.admin("POST", "/federal/grants/361874/fetch", nil); st != 303 {
		t.Errorf("fetch without client: %d", st)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(samFixture(t, "grants_fetch.json"))
	}))
	defer srv.Close()
	e.Server.Federal.Scout.Grants = &grants.Client{BaseURL: srv.URL, HTTP: srv.Client()}
	if st, _, _ := e.admin("POST", "/federal/grants/361874/fetch", nil); st != 303 {
		t.Fatalf("fetch: %d", st)
	}
	st, body, _ = e.admin("GET", "/federal/grants/361874", nil)
	if st != 200 || !strings.Contains(body, "ocs.ced@acf.hhs.gov") || !strings.Contains(body, "Discretionary") || !strings.Contains(body, "Refresh details") {
		t.Errorf("detail: %d %.300s", st, body)
	}
	if st, _, _ := e.admin("POST", "/federal/grants/361874/pipeline", url.Values{"stage": {"drafting"}}); st != 404 {
		t.Errorf("stage before pursuit: %d", st)
	}
	if st, _, _ := e.admin("POST", "/federal/grants/361874/pursue", nil); st != 303 {
		t.Fatalf("pursue: %d", st)
	}
	if st, body, _ := e.admin("POST", "/federal/grants/361874/pipeline", url.Values{"stage": {"won"}}); st != 400 || !strings.Contains(body, "stage") {
		t.Errorf("bad stage: %d", st)
	}
	if st, _, _ := e.admin("POST", "/federal/grants/361874/pipeline", url.Values{"stage": {"eligibility"}, "owner": {"Sam"}}); st != 303 {
		t.Errorf("save stage: %d", st)
	}
	st, body, _ = e.admin("GET", "/federal/grant-pipeline", nil)
	if st != 200 || !strings.Contains(body, "Seeded grant") || !strings.Contains(body, "<td>Eligibility</td>") || !strings.Contains(body, "Sam") {
		t.Errorf("grant pipeline: %d %.300s", st, body)
	}
}

func TestFederalAlertsAndDigest(t *testing.T) {
	e := newTenantEnv(t)
	soon := time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly)
	if st, _, _ := e.admin("POST", "/federal/settings", url.Values{"naics_primary": {"541511"}, "sam_expires": {soon}}); st != 303 {
		t.Fatalf("profile: %d", st)
	}
	for i := 0; i < 2; i++ {
		if st, _, _ := e.admin("POST", "/federal/alerts/run", nil); st != 303 {
			t.Fatalf("run alerts: %d", st)
		}
	}
	as, err := e.App.Stores.Federal.FindAlerts(fedTenantCtx(context.Background(), app.HouseTenantID), federal.AlertFilter{Kind: federal.AlertExpiry})
	if err != nil || len(as) != 1 || as[0].DaysBefore != 7 || as[0].DeliveredAt.IsZero() {
		t.Fatalf("alerts after two runs: %v %+v", err, as)
	}
	st, body, _ := e.admin("GET", "/federal/compliance", nil)
	if st != 200 || !strings.Contains(body, "SAM registration expires in 5 day(s)") || !strings.Contains(body, "delivered") {
		t.Errorf("compliance: %d", st)
	}
	st, body, _ = e.admin("GET", "/", nil)
	if st != 200 || !strings.Contains(body, "Federal alerts") || !strings.Contains(body, "SAM registration expires in 5 day(s)") {
		t.Errorf("dashboard: %d", st)
	}

	st, body, _ = e.admin("GET", "/federal/digest", nil)
	if st != 200 || !strings.Contains(body, "Case Management System Modernization") || !strings.Contains(body, "New opportunities (1)") || !strings.Contains(body, "Seeded grant") {
		t.Errorf("digest today: %d %.500s", st, body)
	}
	if st, body, _ := e.admin("GET", "/federal/digest?day=2020-01-01", nil); st != 200 || !strings.Contains(body, "Nothing new or amended") {
		t.Errorf("empty day: %d", st)
	}
	if st, _, _ := e.admin("GET", "/federal/digest?day=yesterday", nil); st != 400 {
		t.Errorf("bad day: %d", st)
	}
}
