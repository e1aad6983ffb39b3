package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/store"
	"orengen/ui"
)

// Tasks and notes on a pursued notice and grant go through the real
// handlers into the CRM's tables: shown on the pursuit page, markdown
// rendered safely, listed by the CRM API with their record type, and
// confined to the tenant whose pursuit it is.
func TestFederalPursuitTasksNotes(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	house := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	ann := &app.User{Email: "ann@house.test", Name: "Ann Capture", Role: app.UserRoleMember}
	if err := store.NewUserStore(e.DB).CreateTenantUser(house, ann); err != nil {
		t.Fatal(err)
	}
	base := "/federal/opportunities/" + e.NoticeID
	if st, _, _ := e.admin("POST", base+"/tasks", url.Values{"title": {"x"}}); st != 404 {
		t.Errorf("task before pursuit: %d, want 404", st)
	}
	if st, _, _ := e.admin("POST", base+"/pursue", nil); st != 303 {
		t.Fatalf("pursue: %d", st)
	}
	if st, body, _ := e.admin("POST", base+"/tasks", url.Values{"title": {" "}}); st != 400 || !strings.Contains(body, "Task title required") {
		t.Errorf("empty title: %d", st)
	}
	if st, body, _ := e.admin("POST", base+"/tasks", url.Values{"title": {"x"}, "due": {"soon"}}); st != 400 || !strings.Contains(body, "Due must be a date") {
		t.Errorf("bad due: %d %.300s", st, body)
	}
	// Another tenant's user is not an assignee here.
	if st, body, _ := e.admin("POST", base+"/tasks", url.Values{"title": {"x"}, "assignee_id": {itoa64(e.A.Owner.ID)}}); st != 400 || !strings.Contains(body, "Unknown user") {
		t.Errorf("foreign assignee: %d", st)
	}
	st, _, resp := e.admin("POST", base+"/tasks", url.Values{"title": {"Call the contracting officer"}, "due": {"2026-12-01"}, "assignee_id": {itoa64(ann.ID)}})
	if st != 303 || resp.Header.Get("Location") != base+"#work" {
		t.Fatalf("add task: %d %s", st, resp.Header.Get("Location"))
	}
	if st, _, _ := e.admin("POST", base+"/notes", url.Values{"body": {"Teaming with **Acme**\n\n<script>alert(1)</script>"}}); st != 303 {
		t.Fatalf("add note: %d", st)
	}
	if st, body, _ := e.admin("POST", base+"/notes", url.Values{"body": {""}}); st != 400 || !strings.Contains(body, "Note text required") {
		t.Errorf("empty note: %d", st)
	}
	_, body, _ := e.admin("GET", base, nil)
	for _, want := range []string{"Call the contracting officer", "Ann Capture", "<strong>Acme</strong>", "due 2026-12-01"} {
		if !strings.Contains(body, want) {
			t.Errorf("pursuit page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("note HTML not escaped")
	}

	entry, err := e.App.Stores.Federal.FindPipelineEntry(fedTenantCtx(ctx, app.HouseTenantID), e.NoticeID)
	if err != nil {
		t.Fatal(err)
	}
	typ := app.RecordPursuit
	ts, _, err := e.Server.CRM.FindTasks(house, app.TaskFilter{RecordType: &typ, RecordID: &entry.ID})
	if err != nil || len(ts) != 1 || ts[0].AssigneeID != ann.ID {
		t.Fatalf("stored tasks %+v %v", ts, err)
	}
	if st, _, _ := e.admin("POST", base+"/tasks/"+itoa64(ts[0].ID)+"/done", nil); st != 303 {
		t.Fatalf("done: %d", st)
	}
	if _, body, _ := e.admin("GET", base, nil); !strings.Contains(body, "<s>Call the contracting officer</s>") {
		t.Error("done task not struck through")
	}

	// Grant pursuit: the same panel; a task of the notice is not found
	// under the grant.
	gbase := "/federal/grants/361874"
	if st, _, _ := e.admin("POST", gbase+"/pursue", nil); st != 303 {
		t.Fatalf("pursue grant: %d", st)
	}
	if st, _, _ := e.admin("POST", gbase+"/tasks", url.Values{"title": {"Check eligibility"}}); st != 303 {
		t.Fatalf("grant task: %d", st)
	}
	if st, _, _ := e.admin("POST", gbase+"/tasks/"+itoa64(ts[0].ID)+"/done", url.Values{"done": {"0"}}); st != 404 {
		t.Errorf("notice task under the grant: %d, want 404", st)
	}
	if _, body, _ := e.admin("GET", gbase, nil); !strings.Contains(body, "Check eligibility") {
		t.Error("grant page lacks its task")
	}

	// A client whose federal work is on sees only its own pursuits: the
	// house pursuit is not found in its Federal pages.
	if err := e.App.Stores.Federal.SetFederalEnabled(ctx, e.A.T.ID, true); err != nil {
		t.Fatal(err)
	}
	st, _, _ = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: base + "/tasks", Form: url.Values{"title": {"x"}}, CSRF: true,
		Cookies: map[string]string{"orengen_session": e.AdminCookie, "orengen_fed_tenant": itoa64(e.A.T.ID)}})
	if st != 404 {
		t.Errorf("house pursuit from the client's Federal pages: %d, want 404", st)
	}

	// The CRM API lists and accepts the new record types, per tenant.
	fs := e.App.Stores.Federal
	n := federal.Notice{NoticeID: "aaaa0000aaaa0000aaaa0000aaaa0001", Title: "Alpha notice", PostedDate: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Type: "Solicitation"}
	if _, err := fs.UpsertNotices(fedTenantCtx(ctx, e.A.T.ID), []federal.Notice{n}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := fs.SavePipelineEntry(fedTenantCtx(ctx, e.A.T.ID), &federal.PipelineEntry{TenantID: e.A.T.ID, NoticeID: n.NoticeID, Stage: federal.StageTriage}, time.Now()); err != nil {
		t.Fatal(err)
	}
	ae, err := fs.FindPipelineEntry(fedTenantCtx(ctx, e.A.T.ID), n.NoticeID)
	if err != nil {
		t.Fatal(err)
	}
	body2 := `{"title":"Draft past performance","record_type":"pursuit","record_id":` + itoa64(ae.ID) + `}`
	if st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/tasks", e.A.KeyWrite, body2); st != 201 || !strings.Contains(raw, `"record_type":"pursuit"`) {
		t.Errorf("API task on own pursuit: %d %s", st, raw)
	}
	if st, p, _ := e.api(ui.HostPortal, "POST", "/api/v1/tasks", e.B.KeyWrite, body2); st != 400 || p.Error == nil || p.Error.Field != "record_id" {
		t.Errorf("API task on another tenant's pursuit: %d %+v", st, p.Error)
	}
	note := `{"body":"Go/no-go Friday","record_type":"pursuit","record_id":` + itoa64(ae.ID) + `}`
	if st, _, raw := e.api(ui.HostPortal, "POST", "/api/v1/notes", e.A.KeyWrite, note); st != 201 || !strings.Contains(raw, `"body_html"`) {
		t.Errorf("API note on own pursuit: %d %s", st, raw)
	}
	if st, p, _ := e.api(ui.HostPortal, "GET", "/api/v1/tasks?record_type=pursuit", e.A.KeyRead, ""); st != 200 || len(p.Data) != 1 {
		t.Errorf("API pursuit tasks of A: %d %d", st, len(p.Data))
	}
	if st, p, _ := e.api(ui.HostPortal, "GET", "/api/v1/tasks?record_type=pursuit", e.B.KeyRead, ""); st != 200 || len(p.Data) != 0 {
		t.Errorf("API pursuit tasks of B: %d %d, want none", st, len(p.Data))
	}
	// The OpenAPI document names the new record types for notes and tasks.
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	_, _, raw := e.api(ui.HostPortal, "GET", "/api/v1/openapi.json", e.A.KeyRead, "")
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"Note", "NoteInput", "Task", "TaskInput"} {
		if enum := doc.Components.Schemas[sc].Properties["record_type"].Enum; !slices.Contains(enum, "pursuit") || !slices.Contains(enum, "grant_pursuit") {
			t.Errorf("OpenAPI %s.record_type enum %v lacks pursuit/grant_pursuit", sc, enum)
		}
	}

	// Nexus > CRM > Tasks lists them with a link back to the pursuit (the
	// client's opens after switching the Federal pages to the client).
	st, body, _ = e.admin("GET", "/crm/tasks", nil)
	if st != 200 || !strings.Contains(body, `<a href="/federal/grants/361874">Pursued grant</a>`) || !strings.Contains(body, "Draft past performance") ||
		!strings.Contains(body, "switch Settings › Federal") || strings.Contains(body, "Call the contracting officer") {
		t.Errorf("CRM tasks: %d %.3000s", st, body)
	}
	if _, body, _ := e.admin("GET", "/crm/tasks?done=1", nil); !strings.Contains(body, `<a href="`+base+`">Pursued notice</a>`) {
		t.Errorf("done CRM tasks lack the pursuit link")
	}
}
