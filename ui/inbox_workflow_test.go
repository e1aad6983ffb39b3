package ui_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/store"
)

// TestWorkflows_MessageReceivedForm: the workflow editor offers the
// message received trigger with its channel and text options and the
// three Conversations steps in the builder; a channel that is not one
// is refused naming it, nothing saved; a good one is saved with its
// options and shown again on the edit page (issue #18).
func TestWorkflows_MessageReceivedForm(t *testing.T) {
	e := newTenantEnv(t)
	a := map[string]string{"psid": e.A.Cookie}
	n0 := e.workflowCount(e.A.T.ID)
	_, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/automations/workflows/new", Cookies: a})
	for _, want := range []string{`<option value="message_received">`, `<select id="when_channel" name="when_channel">`, `<option value="email">email</option>`,
		`id="when_contains" name="when_contains"`, `conversation_reply`, `conversation_assign`, `conversation_label`} {
		if !strings.Contains(body, want) {
			t.Errorf("the editor lacks %s", want)
		}
	}
	def := `{"steps":[{"id":"reply","type":"conversation_reply","body":"Thanks, a quote follows."},{"id":"assign","type":"conversation_assign","assignee":"sam@alpha.test"},{"id":"label","type":"conversation_label","label":"sales"}]}`
	form := url.Values{"name": {"Quotes"}, "trigger": {app.TriggerMessageReceived}, "when_channel": {"fax"}, "when_contains": {"quote"}, "definition": {def}}
	st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/new", Form: form, Cookies: a, CSRF: true})
	if st != 400 || !strings.Contains(body, `Trigger option &#34;channel&#34;`) || e.workflowCount(e.A.T.ID) != n0 {
		t.Fatalf("bad channel: %d, %d saved", st, e.workflowCount(e.A.T.ID)-n0)
	}
	bad := url.Values{"name": {"Quotes"}, "trigger": {app.TriggerMessageReceived}, "when_channel": {"sms"},
		"definition": {`{"steps":[{"id":"assign","type":"conversation_assign","assignee":"nobody"}]}`}}
	if st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/new", Form: bad, Cookies: a, CSRF: true}); st != 400 || !strings.Contains(body, `field &#34;assignee&#34;`) {
		t.Fatalf("bad assignee: %d", st)
	}
	form.Set("when_channel", "sms")
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/new", Form: form, Cookies: a, CSRF: true}); st != 303 {
		t.Fatalf("save: %d", st)
	}
	wfs, _ := store.NewWorkflowStore(e.DB).FindWorkflows(context.Background(), e.A.T.ID)
	var w *app.Workflow
	for _, x := range wfs {
		if x.Name == "Quotes" {
			w = x
		}
	}
	if w == nil || w.Trigger != app.TriggerMessageReceived || w.WhenOf().Channel != "sms" || w.WhenOf().Contains != "quote" || len(w.Definition.Steps) != 3 ||
		w.Definition.Steps[1].Assignee != "sam@alpha.test" || w.Definition.Steps[2].Label != "sales" {
		t.Fatalf("saved %+v", w)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/automations/workflows/" + strconv.FormatInt(w.ID, 10) + "/edit", Cookies: a})
	if !strings.Contains(body, `<option value="sms" selected>sms</option>`) || !strings.Contains(body, `id="when_contains" name="when_contains" maxlength="200" value="quote"`) {
		t.Error("the edit page does not show the trigger's options")
	}
}
