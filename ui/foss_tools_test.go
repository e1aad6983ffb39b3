package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app/platform"
	"orengen/ui"
)

// fossTools adds two tools to the register: one the isolation matrix
// reads and edits, a spare it deletes.
func (e *tenantEnv) fossTools() (int64, int64) {
	e.t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, name := range []string{"Matrix n8n", "Spare Grafana"} {
		t := &platform.Tool{Name: name, Version: "1.0", Licence: "Apache-2.0"}
		if err := e.Server.Tools.Create(ctx, t); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, t.ID)
	}
	return ids[0], ids[1]
}

// isoToolRequest gives the tool register's API valid bodies.
func (e *tenantEnv) isoToolRequest(r isoRoute, req *treq) {
	if strings.HasPrefix(r.Path, "/api/v1/foss/tools") && (r.Method == http.MethodPost || r.Method == http.MethodPatch) {
		req.JSON = `{"name":"Api tool","version":"2.0"}`
	}
}

// TestFOSSTools: the admin adds a tool the agency runs for a client on
// the page, with its update due in three days; the register lists it as
// due, and a reminder task waits in the house CRM (Nexus > CRM > Tasks),
// made once. Through the API a tool is added, changed (a new date, a
// new reminder) and removed; bad input is a 400 naming the field, a read
// key cannot write, tenant keys and sessions never reach it.
func TestFOSSTools(t *testing.T) {
	e := newTenantEnv(t)
	due := time.Now().UTC().AddDate(0, 0, 3).Format(time.DateOnly)
	st, _, resp := e.admin("POST", "/foss/tools", url.Values{"name": {"Mautic"}, "version": {"5.1.1"}, "licence": {"GPL-3.0-or-later"},
		"url": {"https://github.com/mautic/mautic"}, "deployed": {"mail.alpha.test"}, "tenant_id": {strconv.FormatInt(e.A.T.ID, 10)}, "update_due": {due}})
	if st != 303 || resp.Header.Get("Location") != "/foss/tools" {
		t.Fatalf("add: %d", st)
	}
	for _, tc := range []struct {
		form  url.Values
		error string
	}{
		{url.Values{"name": {""}}, "Name the tool"},
		{url.Values{"name": {"x"}, "update_due": {"next week"}}, "YYYY-MM-DD"},
		{url.Values{"name": {"x"}, "url": {"javascript:alert(1)"}}, "http:// or https://"},
		{url.Values{"name": {"x"}, "tenant_id": {"99999"}}, "Unknown client"},
	} {
		if st, body, _ := e.admin("POST", "/foss/tools", tc.form); st != 400 || !strings.Contains(body, tc.error) {
			t.Errorf("%v: %d, want 400 with %q", tc.form, st, tc.error)
		}
	}
	st, page, _ := e.admin("GET", "/foss/tools", nil)
	if st != 200 || !strings.Contains(page, "Mautic") || !strings.Contains(page, `<span class="pill warn">due</span>`) || !strings.Contains(page, e.A.T.Name) || !strings.Contains(page, "(task made)") {
		t.Fatalf("register page: %d", st)
	}
	want := "Update Mautic (now 5.1.1) at mail.alpha.test for " + e.A.T.Name + ": due " + due
	st, tasks, _ := e.admin("GET", "/crm/tasks", nil)
	if st != 200 || strings.Count(tasks, "Update Mautic") != 1 || !strings.Contains(tasks, want) {
		t.Fatalf("the reminder task in Nexus > CRM > Tasks: %d, want one %q", st, want)
	}
	if r, err := e.Server.Tools.Remind(context.Background()); err != nil || len(r) != 0 {
		t.Fatalf("a second run reminded %d tools (%v)", len(r), err)
	}

	// The API (admin keys).
	st, out := e.adminAPI("POST", "/api/v1/foss/tools", `{"name":"Uptime Kuma","version":"1.23.16","licence":"MIT","update_due":"`+due+`"}`)
	data, _ := out["data"].(map[string]any)
	if st != 201 || data["status"] != "due" || data["reminder_task_id"] == nil || data["tenant_id"] != nil {
		t.Fatalf("create: %d %v", st, out)
	}
	id := strconv.FormatInt(int64(data["id"].(float64)), 10)
	later := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
	st, out = e.adminAPI("PATCH", "/api/v1/foss/tools/"+id, `{"version":"2.0.0","update_due":"`+later+`"}`)
	data, _ = out["data"].(map[string]any)
	if st != 200 || data["version"] != "2.0.0" || data["update_due"] != later || data["status"] != "ok" || data["licence"] != "MIT" {
		t.Fatalf("patch: %d %v", st, out)
	}
	for _, tc := range []struct{ method, path, body, field string }{
		{"POST", "/api/v1/foss/tools", `{"version":"1"}`, "name"},
		{"POST", "/api/v1/foss/tools", `{"name":"x","update_due":"2027-02-30"}`, "update_due"},
		{"POST", "/api/v1/foss/tools", `{"name":"x","tenant_id":"acme"}`, "tenant_id"},
		{"PATCH", "/api/v1/foss/tools/" + id, `{"name":7}`, "name"},
	} {
		st, out := e.adminAPI(tc.method, tc.path, tc.body)
		errObj, _ := out["error"].(map[string]any)
		if st != 400 || errObj["field"] != tc.field {
			t.Errorf("%s %s: %d %v, want 400 naming %s", tc.method, tc.body, st, out, tc.field)
		}
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "DELETE", Path: "/api/v1/foss/tools/" + id, Bearer: e.AdminKeyRead}); st != 403 {
		t.Fatalf("read key deletes: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/foss/tools", Bearer: e.A.KeyWrite}); st != 403 {
		t.Fatalf("tenant key on the portal: %d", st)
	}
	if st, _ := e.adminAPI("DELETE", "/api/v1/foss/tools/"+id, ""); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/api/v1/foss/tools", Bearer: e.AdminKeyRead})
	var list struct{ Data []struct{ Name string } }
	if err := json.Unmarshal([]byte(body), &list); st != 200 || err != nil {
		t.Fatalf("list: %d %v", st, err)
	}
	names := []string{}
	for _, x := range list.Data {
		names = append(names, x.Name)
	}
	if names[0] != "Mautic" || strings.Contains(strings.Join(names, ","), "Uptime Kuma") {
		t.Fatalf("register after delete: %v", names)
	}
}
