package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/store"
)

// TestBrowser_WorkflowExportImport: a client's owner exports a workflow
// from the builder as a file; another client's owner imports the file in
// their builder, sees the same trigger with its options and steps, and
// saves it. Tagging a contact in each tenant then runs both workflows
// alike (same steps, same results on each tenant's own contact), and a
// tag the trigger does not name starts neither.
func TestBrowser_WorkflowExportImport(t *testing.T) {
	ctx := newBrowserFor(t, 120*time.Second)
	dir := t.TempDir()
	bg := context.Background()
	sv := openApp(t, dir)
	admin := app.NewContextWithAdmin(bg, &app.Admin{ID: 1, Role: app.RoleOwner})
	ta, tb := &app.Tenant{Name: "Export Roofing"}, &app.Tenant{Name: "Import Plumbing"}
	var toks []string
	for _, x := range []struct {
		t     *app.Tenant
		email string
	}{{ta, "ann@export.test"}, {tb, "bob@import.test"}} {
		if err := sv.Tenants.CreateTenant(bg, x.t, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := sv.Users.Invite(app.NewContextWithTenant(admin, x.t), x.email, "", app.UserRoleOwner); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _, err := store.NewOutboxStore(sv.DB).FindOutboxMessages(bg, 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("outbox: %d %v", len(msgs), err)
	}
	for _, m := range msgs {
		tok := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Body)
		if tok == nil {
			t.Fatalf("no link: %s", m.Body)
		}
		toks = append(toks, tok[1])
	}
	for i, tok := range toks {
		if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Owner", "workflow export password "+itoa64(int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Which password belongs to whom follows the outbox's order.
	pass := map[string]string{}
	for i, m := range msgs {
		for _, e := range []string{"ann@export.test", "bob@import.test"} {
			if strings.Contains(m.To, e) {
				pass[e] = "workflow export password " + itoa64(int64(i))
			}
		}
	}
	actx, bctx := app.NewContextWithTenant(admin, ta), app.NewContextWithTenant(admin, tb)
	def := `{"steps":[{"id":"mark","type":"tag","tag":"followed-up"},{"id":"call","type":"task","title":"Call {{.Contact.FirstName}} about the VIP offer","due":"24h"}]}`
	// A's owner saves it (an admin's new workflow goes to the house tenant).
	octx := app.NewContextWithUser(app.NewContextWithTenant(bg, ta), &app.User{ID: 1, TenantID: ta.ID, Role: app.UserRoleOwner})
	w, err := sv.Automations.SaveDefinition(octx, 0, "VIP follow-up", app.TriggerTagAdded, []byte(def), &app.When{Tag: "vip"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sv.Automations.SetEnabled(octx, w.ID, true); err != nil {
		t.Fatal(err)
	}
	people := map[int64]*app.Person{}
	for _, c := range []context.Context{actx, bctx} {
		p := &app.Person{FirstName: "Lee", LastName: "Park", Emails: []string{"lee@park.test"}, Source: "test"}
		if err := sv.CRM.People.CreatePerson(c, p); err != nil {
			t.Fatal(err)
		}
		people[p.TenantID] = p
	}
	sv.Close()

	addr, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	dl := t.TempDir()
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "workflow-io-failed")
		}
	}()
	// Export from A's builder.
	if err := chromedp.Run(ctx,
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dl),
		loginTasks(base+"/login", "ann@export.test", pass["ann@export.test"]),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(base+"/automations/workflows/"+itoa64(w.ID)+"/edit"),
		waitLoaded(".wf-canvas li", chromedp.ByQuery),
		chromedp.Click(`.wf-toolbar [data-act="export"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	var file string
	for deadline := time.Now().Add(15 * time.Second); file == ""; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no exported file")
		}
		if m, _ := filepath.Glob(filepath.Join(dl, "*.workflow.json")); len(m) == 1 {
			file = m[0]
		}
	}
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), `"vip"`) || !strings.Contains(string(b), `"followed-up"`) {
		t.Fatalf("exported file: %s", b)
	}
	// Import into B's builder as B's owner, and save.
	var trigger, whenTag, name, status string
	if err := chromedp.Run(ctx,
		network.ClearBrowserCookies(),
		loginTasks(base+"/login", "bob@import.test", pass["bob@import.test"]),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(base+"/automations/workflows/new"),
		waitLoaded(".wf-canvas", chromedp.ByQuery),
		chromedp.SetUploadFiles(`input[data-act="import"]`, []string{file}, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector(".wf-status").textContent.indexOf("Imported 2 steps") >= 0`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Value("#trigger", &trigger, chromedp.ByID),
		chromedp.Value("#when_tag", &whenTag, chromedp.ByID),
		chromedp.Value("#name", &name, chromedp.ByID),
		chromedp.Text(".wf-status", &status, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if trigger != app.TriggerTagAdded || whenTag != "vip" || name != "VIP follow-up" {
		t.Fatalf("after the import: trigger %q, tag %q, name %q (%s)", trigger, whenTag, name, status)
	}
	if err := chromedp.Run(ctx,
		chromedp.Submit("#name", chromedp.ByID),
		waitLoaded(`main.content a[href$="/edit"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}

	m2 := openApp(t, dir)
	defer m2.Close()
	bws, err := m2.Automations.Workflows(bctx)
	if err != nil {
		t.Fatal(err)
	}
	var bw *app.Workflow
	for _, x := range bws {
		if x.TenantID == tb.ID && x.Name == "VIP follow-up" {
			bw = x
		}
	}
	if bw == nil || bw.Trigger != app.TriggerTagAdded || bw.WhenOf().Tag != "vip" {
		t.Fatalf("B's imported workflow: %+v", bw)
	}
	if err := m2.Automations.SetEnabled(app.NewContextWithUser(app.NewContextWithTenant(bg, tb), &app.User{ID: 2, TenantID: tb.ID, Role: app.UserRoleOwner}), bw.ID, true); err != nil {
		t.Fatal(err)
	}
	// A tag the trigger does not name starts nothing; "vip" starts both.
	for _, tag := range []string{"newsletter", "vip"} {
		for tid, p := range people {
			c := app.NewContextWithTenant(admin, map[int64]*app.Tenant{ta.ID: ta, tb.ID: tb}[tid])
			tags := []string{tag}
			if tag == "vip" {
				tags = []string{"newsletter", "vip"}
			}
			if _, err := m2.CRM.People.UpdatePerson(c, p.ID, app.PersonUpdate{Tags: &tags}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ws := store.NewWorkflowStore(m2.DB)
	results := map[int64]string{}
	for deadline := time.Now().Add(30 * time.Second); len(results) < 2; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("runs did not finish: %v", results)
		}
		for tid, wid := range map[int64]int64{ta.ID: w.ID, tb.ID: bw.ID} {
			runs, err := ws.FindRuns(bg, app.RunFilter{WorkflowID: wid})
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) > 1 {
				t.Fatalf("tenant %d: %d runs, want 1 (the newsletter tag must not start one)", tid, len(runs))
			}
			if len(runs) == 1 && (runs[0].Status == app.RunSucceeded || runs[0].Status == app.RunFailed) {
				var steps []string
				for _, s := range runs[0].Steps {
					steps = append(steps, s.StepID+"="+s.Status)
				}
				results[tid] = runs[0].Status + " " + strings.Join(steps, ",")
			}
		}
	}
	if results[ta.ID] != results[tb.ID] || !strings.HasPrefix(results[ta.ID], app.RunSucceeded) {
		t.Fatalf("the runs differ or failed: A %q, B %q", results[ta.ID], results[tb.ID])
	}
	// Each tenant's own contact got the tag and the task.
	for tid, p := range people {
		c := app.NewContextWithTenant(admin, map[int64]*app.Tenant{ta.ID: ta, tb.ID: tb}[tid])
		got, err := m2.CRM.People.FindPerson(c, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		rt := app.RecordPerson
		tasks, _, err := m2.CRM.Tasks.FindTasks(c, app.TaskFilter{RecordType: &rt, RecordID: &p.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(got.Tags, ","), "followed-up") || len(tasks) != 1 || tasks[0].Title != "Call Lee about the VIP offer" {
			t.Errorf("tenant %d: tags %v, tasks %+v", tid, got.Tags, tasks)
		}
	}
}
