package ui_test

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"orengen/app"
	"orengen/store"
)

// TestWorkflows_StartFromTemplate: the new-workflow page offers the
// template gallery; choosing one with the owner's details opens the
// builder filled in (trigger, its options, the steps with the details in
// them) without saving anything, a bad detail is named, and saving the
// filled-in page stores exactly the template's workflow.
func TestWorkflows_StartFromTemplate(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	a := map[string]string{"psid": e.A.Cookie}
	ws := store.NewWorkflowStore(e.DB)
	count := func() int { return e.workflowCount(e.A.T.ID) }
	n0 := count()
	_, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/automations/workflows/new", Cookies: a})
	for _, tpl := range app.AutomationTemplates {
		if !strings.Contains(body, `<input type="hidden" name="template" value="`+tpl.Key+`">`) {
			t.Errorf("the gallery lacks %s", tpl.Key)
		}
	}
	// A bad review link: 400, the field marked, nothing saved.
	q := url.Values{"template": {"review-request"}, "business_name": {"Alpha Plumbing"}, "review_url": {"http://alpha.test/review"}}
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/automations/workflows/new?" + q.Encode(), Cookies: a})
	if st != 400 || !strings.Contains(body, `id="tpl-review-request-review_url" name="review_url" type="url" required value="http://alpha.test/review" aria-invalid="true"`) || count() != n0 {
		t.Fatalf("bad review link: %d, %d workflows", st, count()-n0)
	}
	q.Set("review_url", "https://g.page/r/alpha/review")
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/automations/workflows/new?" + q.Encode(), Cookies: a})
	if st != 200 || count() != n0 {
		t.Fatalf("from template: %d, %d workflows saved by opening it", st, count()-n0)
	}
	for _, want := range []string{`value="Ask won customers for a review"`, `<option value="deal_stage_changed" selected>`, `id="when_stage" name="when_stage" maxlength="100" value="Won"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the filled-in editor lacks %s", want)
		}
	}
	m := regexp.MustCompile(`(?s)<textarea id="definition"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no definition on the page")
	}
	def := html.UnescapeString(m[1])
	if !strings.Contains(def, "https://g.page/r/alpha/review") || !strings.Contains(def, "Alpha Plumbing") || strings.Contains(def, ".Param.") {
		t.Fatalf("definition: %s", def)
	}
	// Save it as the builder's form would.
	form := url.Values{"name": {"Ask won customers for a review"}, "trigger": {app.TriggerDealStageChanged}, "when_stage": {"Won"}, "definition": {def}}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/new", Form: form, Cookies: a, CSRF: true}); st != 303 || count() != n0+1 {
		t.Fatalf("save: %d", st)
	}
	wfs, _ := ws.FindWorkflows(ctx, e.A.T.ID)
	var saved *app.Workflow
	for _, w := range wfs {
		if w.Name == "Ask won customers for a review" {
			saved = w
		}
	}
	if saved == nil || saved.Enabled || saved.Trigger != app.TriggerDealStageChanged || saved.WhenOf().Stage != "Won" {
		t.Fatalf("saved: %+v", saved)
	}
	params, _ := app.FindAutomationTemplate("review-request").ValidateParams(map[string]string{"business_name": "Alpha Plumbing", "review_url": "https://g.page/r/alpha/review"})
	want, _ := app.FindAutomationTemplate("review-request").Instantiate(e.A.T.ID, params)
	gotSteps, _ := json.Marshal(saved.Definition.Steps)
	wantSteps, _ := json.Marshal(want.Definition.Steps)
	if string(gotSteps) != string(wantSteps) {
		t.Errorf("saved steps differ from the template's:\n got %s\nwant %s", gotSteps, wantSteps)
	}
	// An unknown template is a 404, not an empty editor.
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/automations/workflows/new?template=nope", Cookies: a}); st != 404 {
		t.Errorf("unknown template: %d", st)
	}
	// Nexus's editor has the same gallery.
	_, body, _ = e.admin("GET", "/automations/new?template=missed-call-text-back&business_name=Agency", nil)
	if !strings.Contains(body, `<option value="inbound_call" selected>`) || !strings.Contains(body, "Thanks for calling Agency!") {
		t.Error("Nexus: the template does not fill the editor")
	}
}
