package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// isoSnapshotRequest gives the isolation matrix's snapshot API requests a
// real snapshot (of B, captured once) and bodies naming tenant B.
func (e *tenantEnv) isoSnapshotRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/snapshots") {
		return
	}
	b := strconv.FormatInt(e.B.T.ID, 10)
	req.JSON = `{"tenant_id":` + b + `,"name":"Isolation"}`
	if strings.Contains(r.Path, ":id") {
		ctx := app.NewContextWithAdmin(context.Background(), e.Admin)
		sn, err := e.Server.Snapshots.Capture(ctx, e.B.T.ID, "Isolation", "", "")
		if err != nil {
			e.t.Fatal(err)
		}
		req.Path = strings.Replace(r.Path, ":id", strconv.FormatInt(sn.ID, 10), 1)
	}
}

// TestSnapshots_CaptureApplyRuns captures tenant A's configuration through
// the admin API, previews and applies it to a fresh tenant in Nexus, and
// submits the copied form there: the copied workflow runs on it (its form
// reference was remapped), and no contact of A came along.
func TestSnapshots_CaptureApplyRuns(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, e.A.T), e.A.Owner)
	formID := e.newForm(actx, "Snapshot intake")
	def := fmt.Sprintf(`{"when":{"form":"form-%d"},"steps":[{"id":"c","type":"contact"},{"id":"t","type":"tag","tag":"snapshot-lead"}]}`, formID)
	w, err := e.Server.Automations.SaveDefinition(actx, 0, "Tag snapshot leads", app.TriggerFormSubmitted, []byte(def), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Server.Automations.SetEnabled(actx, w.ID, true); err != nil {
		t.Fatal(err)
	}

	// Capture through the API; bad input names the field.
	api := func(method, path, body, key string) (int, string) {
		st, b, _ := e.do(treq{Host: ui.HostNexus, Method: method, Path: path, JSON: body, Bearer: key})
		return st, b
	}
	if st, b := api("POST", "/api/v1/snapshots", `{"tenant_id":`+strconv.FormatInt(e.A.T.ID, 10)+`}`, e.AdminKeyW); st != 400 || !strings.Contains(b, "name") {
		t.Fatalf("capture without a name: %d %s", st, b)
	}
	if st, b := api("POST", "/api/v1/snapshots", `{"name":"Dental"}`, e.AdminKeyW); st != 400 || !strings.Contains(b, "tenant_id") {
		t.Fatalf("capture without a tenant: %d %s", st, b)
	}
	if st, _ := api("POST", "/api/v1/snapshots", `{"tenant_id":`+strconv.FormatInt(e.A.T.ID, 10)+`,"name":"Dental"}`, e.AdminKeyRead); st != 403 {
		t.Fatalf("capture with a read key: %d", st)
	}
	st, b := api("POST", "/api/v1/snapshots", `{"tenant_id":`+strconv.FormatInt(e.A.T.ID, 10)+`,"name":"Dental","description":"Clinic setup"}`, e.AdminKeyW)
	var created struct {
		Data struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
			Items   int   `json:"items"`
		} `json:"data"`
	}
	if st != 201 || json.Unmarshal([]byte(b), &created) != nil || created.Data.Version != 1 || created.Data.Items < 2 {
		t.Fatalf("capture: %d %s", st, b)
	}
	sid := strconv.FormatInt(created.Data.ID, 10)
	// No personal data in it.
	var data string
	e.DB.ReadDB().QueryRow(`SELECT data FROM tenant_snapshots WHERE id = ?`, created.Data.ID).Scan(&data)
	for _, personal := range []string{`"name":"crm_people"`, `"name":"crm_contact_points"`, `"name":"leads"`, `"name":"form_submissions"`, `"name":"runs"`, e.A.Owner.Email, e.A.Lead.Email} {
		if strings.Contains(data, personal) {
			t.Fatalf("the snapshot holds %q", personal)
		}
	}

	fresh := &app.Tenant{Name: "Fresh Dental"}
	if err := e.Server.Tenants.CreateTenant(ctx, fresh, ""); err != nil {
		t.Fatal(err)
	}
	admin := map[string]string{"orengen_session": e.AdminCookie}
	fid := strconv.FormatInt(fresh.ID, 10)
	st, page, _ := e.do(treq{Host: ui.HostNexus, Method: http.MethodGet, Path: "/snapshots/" + sid + "?tenant=" + fid, Cookies: admin})
	if st != 200 || !strings.Contains(page, "Snapshot intake") || !strings.Contains(page, "Tag snapshot leads") || !strings.Contains(page, `action="/snapshots/`+sid+`/apply"`) {
		t.Fatalf("preview: %d %.300s", st, page)
	}
	// The preview changed nothing; the API preview says the same.
	fctx := app.NewContextWithUser(app.NewContextWithTenant(ctx, fresh), &app.User{TenantID: fresh.ID, Role: app.UserRoleOwner})
	if ws, _ := e.Server.Automations.Workflows(fctx); len(ws) != 0 {
		t.Fatalf("the preview created %d workflows", len(ws))
	}
	if st, b := api("POST", "/api/v1/snapshots/"+sid+"/preview", `{"tenant_id":`+fid+`}`, e.AdminKeyRead); st != 200 || !strings.Contains(b, `"applied":false`) || !strings.Contains(b, `"action":"create"`) {
		t.Fatalf("API preview: %d %s", st, b)
	}
	st, _, resp := e.do(treq{Host: ui.HostNexus, Method: http.MethodPost, Path: "/snapshots/" + sid + "/apply", Cookies: admin, CSRF: true, Form: url.Values{"tenant": {fid}}})
	if st != http.StatusSeeOther || resp.Header.Get("Location") != "/tenants/"+fid {
		t.Fatalf("apply: %d %q", st, resp.Header.Get("Location"))
	}

	// The copied form, submitted in the fresh tenant, runs the copied workflow.
	forms, err := e.Server.Forms.ListForms(fctx)
	if err != nil {
		t.Fatal(err)
	}
	var f *app.Form
	for _, x := range forms {
		if x.Name == "Snapshot intake" {
			f = x
		}
	}
	if f == nil || f.ID == formID || f.TenantID != fresh.ID {
		t.Fatalf("copied form: %+v", f)
	}
	vals := map[string]string{"name": "Ada Fresh", "email": "ada@fresh.example"}
	sub, err := e.Server.Forms.Submit(fctx, f, func(k string) string { return vals[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.RunIDs) != 1 {
		t.Fatalf("the submission started %d runs, want the copied workflow's one", len(sub.RunIDs))
	}
	for {
		more, err := e.App.Engine.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	run, err := e.Server.Automations.Run(fctx, sub.RunIDs[0])
	if err != nil || run.Status != app.RunSucceeded {
		t.Fatalf("run: %+v %v", run, err)
	}
	tag := "snapshot-lead"
	people, _, err := e.App.CRMService.FindPeople(fctx, app.PersonFilter{Tag: &tag})
	if err != nil || len(people) != 1 || len(people[0].Emails) == 0 || people[0].Emails[0] != "ada@fresh.example" {
		t.Fatalf("tagged people in the fresh tenant: %v %v", people, err)
	}

	// Applying again keeps what the tenant has; capturing again is v2.
	if st, b := api("POST", "/api/v1/snapshots/"+sid+"/apply", `{"tenant_id":`+fid+`}`, e.AdminKeyW); st != 200 || !strings.Contains(b, `"created":0`) {
		t.Fatalf("second apply: %d %s", st, b)
	}
	if st, b := api("POST", "/api/v1/snapshots", `{"tenant_id":`+strconv.FormatInt(e.A.T.ID, 10)+`,"name":"Dental"}`, e.AdminKeyW); st != 201 || !strings.Contains(b, `"version":2`) {
		t.Fatalf("second capture: %d %s", st, b)
	}
	if st, _ := api("POST", "/api/v1/snapshots/"+sid+"/apply", `{"tenant_id":999999}`, e.AdminKeyW); st != 404 {
		t.Fatalf("apply to an unknown tenant: %d", st)
	}
}
