package app_test

import (
	"encoding/json"
	"testing"

	"orengen/app"
)

// TestStepCatalog: every step type has a label and a form, and a step
// filled in only through its form's required fields (plus the one choice
// a call or a wait needs) passes Definition.Validate: the builder's
// forms are enough to build any step.
func TestStepCatalog(t *testing.T) {
	cat := app.StepCatalog()
	if len(cat) != len(app.StepTypes) {
		t.Fatalf("%d step types in the catalogue, %d in StepTypes", len(cat), len(app.StepTypes))
	}
	sample := map[string]any{"set": map[string]string{"price": "{{.Trigger.price}}"}, "tag": "vip", "name": "Deal", "stage": "Won", "title": "Call back", "body": "Hi {{.Contact.FirstName}}",
		"to": "a@example.com", "subject": "Hello", "url": "https://example.com/hook", "field": "contact.email", "op": "notempty", "table": "Leads", "label": "sales", "course": "intro-to-sales"}
	for _, info := range cat {
		if info.Label == "" || info.Description == "" || info.Group == "" {
			t.Errorf("%s: no label, description or group", info.Type)
		}
		m := map[string]any{"id": "s1", "type": info.Type}
		for _, f := range info.Fields {
			if f.Required {
				v, ok := sample[f.Key]
				if !ok {
					t.Fatalf("%s: no sample for required field %s", info.Type, f.Key)
				}
				m[f.Key] = v
			}
		}
		switch info.Type {
		case app.StepCall:
			m["say"] = "Hello"
		case app.StepWait:
			m["wait"] = "1h"
		case app.StepMemberGrant, app.StepMemberRevoke: // a course or a space
			m["space"] = "general"
		}
		raw, _ := json.Marshal(map[string]any{"steps": []any{m}})
		if _, err := app.ParseDefinition(raw); err != nil {
			t.Errorf("%s with its required fields: %v", info.Type, err)
		}
	}
}
