package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"orengen/app"
)

func TestAutomationTemplates_InstantiateEvery(t *testing.T) {
	// The gallery the issue names: lead follow-up, missed-call text-back,
	// appointment reminders, review request, re-engagement.
	for _, k := range []string{"lead-follow-up", "missed-call-text-back", "appointment-reminders", "review-request", "re-engagement"} {
		if app.FindAutomationTemplate(k) == nil {
			t.Errorf("no template %s", k)
		}
	}
	if len(app.AutomationTemplates) < 8 {
		t.Fatalf("catalogue has %d templates", len(app.AutomationTemplates))
	}
	sample := map[string]string{app.ParamEmail: "me@example.com", app.ParamPhone: "+1 (512) 555-0100", app.ParamText: "Acme Co",
		app.ParamURL: "https://g.page/r/acme/review"}
	for _, tpl := range app.AutomationTemplates {
		in := map[string]string{}
		for _, p := range tpl.Params {
			in[p.Name] = sample[p.Kind]
		}
		params, err := tpl.ValidateParams(in)
		if err != nil {
			t.Fatalf("%s: %v", tpl.Key, err)
		}
		w, err := tpl.Instantiate(42, params)
		if err != nil {
			t.Fatalf("%s: %v", tpl.Key, err)
		}
		b, _ := json.Marshal(w.Definition)
		if strings.Contains(string(b), ".Param") {
			t.Errorf("%s: a placeholder is left: %s", tpl.Key, b)
		}
		want := tpl.Trigger
		if want == "" {
			want = app.TriggerFormSubmitted
		}
		if w.TenantID != 42 || w.Trigger != want || w.Enabled {
			t.Errorf("%s: %+v", tpl.Key, w)
		}
		if (tpl.Definition.When == nil) != (w.Definition.When == nil) || (w.Definition.When != nil && w.Definition.When == tpl.Definition.When) {
			t.Errorf("%s: trigger options not copied: %+v", tpl.Key, w.Definition.When)
		}
		// The catalogue itself is untouched.
		if b2, _ := json.Marshal(tpl.Definition); !strings.Contains(string(b2), "{{.Param.") {
			t.Errorf("%s: the template lost its placeholders", tpl.Key)
		}
	}
}

func TestAutomationTemplate_ValidateParams(t *testing.T) {
	tpl := app.FindAutomationTemplate("call-new-leads")
	ok := map[string]string{"forward_to": "+44 20 7946 0958", "business_name": "Acme", "notify_email": "Boss@Example.com"}
	got, err := tpl.ValidateParams(ok)
	if err != nil || got["forward_to"] != "+442079460958" || got["notify_email"] != "boss@example.com" {
		t.Fatalf("valid params: %v %v", got, err)
	}
	for name, tc := range map[string]struct{ field, value string }{
		"bad phone":       {"forward_to", "12"},
		"bad email":       {"notify_email", "boss@"},
		"missing":         {"business_name", ""},
		"template syntax": {"business_name", "{{.Contact.Email}}"},
	} {
		in := map[string]string{}
		for k, v := range ok {
			in[k] = v
		}
		in[tc.field] = tc.value
		if _, err := tpl.ValidateParams(in); app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != tc.field {
			t.Errorf("%s: %v (field %q), want EINVALID on %s", name, err, app.ErrorField(err), tc.field)
		}
	}
}

// A review link must be an https:// address: no other scheme, no
// template syntax, no spaces.
func TestAutomationTemplate_URLParam(t *testing.T) {
	tpl := app.FindAutomationTemplate("review-request")
	base := map[string]string{"business_name": "Acme"}
	for _, bad := range []string{"http://acme.test/review", "javascript:alert(1)", "https://", "https://acme.test/{{.Contact.Email}}", "https://acme.test/a b", "acme.test/review"} {
		in := map[string]string{"business_name": "Acme", "review_url": bad}
		if _, err := tpl.ValidateParams(in); app.ErrorField(err) != "review_url" {
			t.Errorf("%q: %v, want refused naming review_url", bad, err)
		}
	}
	base["review_url"] = "https://g.page/r/acme/review"
	got, err := tpl.ValidateParams(base)
	if err != nil {
		t.Fatal(err)
	}
	w, err := tpl.Instantiate(7, got)
	if err != nil {
		t.Fatal(err)
	}
	if w.Trigger != app.TriggerDealStageChanged || w.Definition.When.Stage != "Won" || !strings.Contains(w.Definition.Steps[1].Body, "https://g.page/r/acme/review") {
		t.Fatalf("review request: %+v %+v", w, w.Definition.Steps)
	}
}
