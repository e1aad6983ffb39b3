package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
)

// TestNexusCRM_WorkInHouseAndClient: Nexus's CRM is a working CRM, not a
// read-only one: the admin adds, edits, notes, tags, tasks, merges,
// deletes and exports the agency's own records (the house tenant), and
// a client's when the tenant is chosen, those writes audited; a record
// is only ever changed in its own tenant.
func TestNexusCRM_WorkInHouseAndClient(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	hctx := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	actx := app.NewContextWithTenant(ctx, e.A.T)
	created := regexp.MustCompile(`^/crm/people/(\d+)$`)

	// Add to the house tenant from the list page's form.
	_, body, _ := e.admin("GET", "/crm/people", nil)
	if !strings.Contains(body, `action="/crm/people"`) || !strings.Contains(body, `name="first_name"`) {
		t.Fatal("Nexus's people list has no add form")
	}
	st, _, resp := e.admin("POST", "/crm/people", url.Values{"first_name": {"Agency"}, "last_name": {"Lead"}, "emails": {"lead@agency-own.test"}})
	m := created.FindStringSubmatch(resp.Header.Get("Location"))
	if st != 303 || m == nil {
		t.Fatalf("add to house: %d %q", st, resp.Header.Get("Location"))
	}
	hid, _ := strconv.ParseInt(m[1], 10, 64)
	hp, err := e.Server.CRM.FindPerson(hctx, hid)
	if err != nil || hp.Emails[0] != "lead@agency-own.test" {
		t.Fatalf("house person: %+v %v", hp, err)
	}
	// Bad input is refused with the field named and nothing stored.
	housePeople := func() int {
		ps, _, err := e.Server.CRM.FindPeople(hctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	before := housePeople()
	st, body, _ = e.admin("POST", "/crm/people", url.Values{"first_name": {"X"}, "emails": {"not-an-email"}})
	if st != 400 || !strings.Contains(body, `id="f_emails" name="emails" type="text" value="not-an-email" aria-invalid="true"`) || !strings.Contains(body, `id="e_emails"`) {
		t.Fatalf("bad email: %d, want 400 with the emails field marked and the input kept", st)
	}
	if housePeople() != before {
		t.Fatal("a refused person was stored")
	}

	// The record page offers the edit, note, tag and task forms, posting
	// to the record's tenant.
	_, body, _ = e.admin("GET", fmt.Sprintf("/crm/people/%d", hid), nil)
	for _, want := range []string{
		fmt.Sprintf(`action="/crm/people/%d?tenant=1"`, hid),
		fmt.Sprintf(`action="/crm/people/%d/notes?tenant=1"`, hid),
		fmt.Sprintf(`action="/crm/people/%d/tags?tenant=1"`, hid),
		fmt.Sprintf(`action="/crm/people/%d/tasks?tenant=1"`, hid),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("house record page lacks %s", want)
		}
	}
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d?tenant=1", hid), url.Values{"first_name": {"Agency"}, "last_name": {"Prospect"}, "emails": {"lead@agency-own.test"}, "title": {"CEO"}}); st != 303 {
		t.Fatalf("edit house person: %d", st)
	}
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d/notes?tenant=1", hid), url.Values{"body": {"Met at the expo."}}); st != 303 {
		t.Fatalf("note: %d", st)
	}
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d/tags?tenant=1", hid), url.Values{"tags": {"expo, hot"}}); st != 303 {
		t.Fatalf("tags: %d", st)
	}
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d/tasks?tenant=1", hid), url.Values{"title": {"Send the proposal"}}); st != 303 {
		t.Fatalf("task: %d", st)
	}
	hp, _ = e.Server.CRM.FindPerson(hctx, hid)
	if hp.LastName != "Prospect" || hp.Title != "CEO" || strings.Join(hp.Tags, ",") != "expo,hot" {
		t.Errorf("house person after edits: %+v", hp)
	}
	tl, _ := e.Server.CRM.FindTimeline(hctx, app.RecordPerson, hid)
	var noted bool
	for _, en := range tl {
		noted = noted || (en.Kind == app.TimelineNote && en.Body == "Met at the expo.")
	}
	if !noted {
		t.Error("the note is not on the house person's timeline")
	}
	rt := app.RecordPerson
	tasks, _, _ := e.Server.CRM.FindTasks(hctx, app.TaskFilter{RecordType: &rt, RecordID: &hid})
	if len(tasks) != 1 || tasks[0].Title != "Send the proposal" {
		t.Fatalf("house tasks: %+v", tasks)
	}
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/tasks/%d/done?tenant=1", tasks[0].ID), nil); st != 303 {
		t.Fatalf("task done: %d", st)
	}
	if tk, _, _ := e.Server.CRM.FindTasks(hctx, app.TaskFilter{RecordType: &rt, RecordID: &hid}); !tk[0].Done {
		t.Error("task not done")
	}

	// Merge a duplicate in the house tenant.
	dup := &app.Person{FirstName: "Agency", LastName: "Dup", Emails: []string{"lead@agency-own.test"}, Source: "test"}
	if err := e.Server.CRM.CreatePerson(hctx, dup); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d/merge?tenant=1", hid), url.Values{"merge_id": {fmt.Sprint(dup.ID)}}); st != 303 {
		t.Fatalf("merge: %d", st)
	}
	if _, err := e.Server.CRM.FindPerson(hctx, dup.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("merged duplicate still there: %v", err)
	}

	// Export the house tenant's people: the agency's lead, not a client's.
	st, csv, resp := e.admin("GET", "/crm/people.csv", nil)
	if st != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "csv") || !strings.Contains(csv, "lead@agency-own.test") || strings.Contains(csv, e.A.CRM.Person.Emails[0]) {
		t.Fatalf("house export: %d %q", st, csv)
	}

	// Without the tenant, a client's record is the house's to find: not found, unchanged.
	aid := e.A.CRM.Person.ID
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d", aid), url.Values{"first_name": {"Hijacked"}}); st != 404 {
		t.Fatalf("a client's person edited as the house's: %d", st)
	}
	// Naming another client's tenant does not reach it either.
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d?tenant=%d", aid, e.B.T.ID), url.Values{"first_name": {"Hijacked"}}); st != 404 {
		t.Fatalf("A's person edited in B's tenant: %d", st)
	}
	// In its own tenant it is edited, and the write is audited.
	ap := e.A.CRM.Person
	_, body, _ = e.admin("GET", fmt.Sprintf("/crm/people/%d", aid), nil)
	if !strings.Contains(body, fmt.Sprintf(`action="/crm/people/%d?tenant=%d"`, aid, e.A.T.ID)) || !strings.Contains(body, "audit log") {
		t.Fatal("a client's record page does not post to the client's tenant with the audit notice")
	}
	form := url.Values{"first_name": {"Renamed"}, "last_name": {ap.LastName}, "emails": {strings.Join(ap.Emails, "\n")}, "phones": {strings.Join(ap.Phones, "\n")}}
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d?tenant=%d", aid, e.A.T.ID), form); st != 303 {
		t.Fatalf("edit A's person in A: %d", st)
	}
	if got, _ := e.Server.CRM.FindPerson(actx, aid); got.FirstName != "Renamed" {
		t.Errorf("A's person: %q", got.FirstName)
	}
	// Adding to a client's CRM from its filtered list.
	_, body, _ = e.admin("GET", fmt.Sprintf("/crm/companies?tenant=%d", e.A.T.ID), nil)
	if !strings.Contains(body, fmt.Sprintf(`action="/crm/companies?tenant=%d"`, e.A.T.ID)) {
		t.Fatal("the filtered list does not add to the client's CRM")
	}
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/companies?tenant=%d", e.A.T.ID), url.Values{"name": {"Admin-added Co"}}); st != 303 {
		t.Fatalf("add company to A: %d", st)
	}
	if cs, _, _ := e.Server.CRM.FindCompanies(actx, app.CompanyFilter{ListOptions: app.ListOptions{Limit: 100, Q: "Admin-added"}}); len(cs) != 1 {
		t.Errorf("A's companies named Admin-added: %d", len(cs))
	}
	_, body, _ = e.admin("GET", "/audit", nil)
	if n := strings.Count(body, "crm.admin_write"); n != 2 {
		t.Errorf("audit rows for client writes: %d, want 2 (the edit and the add; the house's are not client writes)", n)
	}
	// Delete the house person.
	if st, _, _ := e.admin("POST", fmt.Sprintf("/crm/people/%d/delete?tenant=1", hid), nil); st != 303 {
		t.Fatalf("delete: %d", st)
	}
	if _, err := e.Server.CRM.FindPerson(hctx, hid); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("deleted person still there: %v", err)
	}
}
