package app_test

import (
	"testing"

	"orengen/app"
)

func TestFormValidate(t *testing.T) {
	ok := func() *app.Form {
		return &app.Form{Name: "F", Fields: []app.FormField{{Name: "email", Type: app.FieldEmail}, {Name: "size", Type: app.FieldSelect, Options: []string{"a"}}}}
	}
	for want, mod := range map[string]func(f *app.Form){
		"name":          func(f *app.Form) { f.Name = " " },
		"fields":        func(f *app.Form) { f.Fields[1].Name = "email" },
		"fields ":       func(f *app.Form) { f.Fields[1].Options = nil },
		"fields  ":      func(f *app.Form) { f.Fields[0].Type = app.FieldText },
		"fields   ":     func(f *app.Form) { f.Fields[1].Name = "utm_source" },
		"redirect_url":  func(f *app.Form) { f.RedirectURL = "http://example.com/x" },
		"redirect_url ": func(f *app.Form) { f.RedirectURL = "//evil.example/x" },
		"notify":        func(f *app.Form) { f.Notify = []string{"nope"} },
	} {
		f := ok()
		mod(f)
		if err := f.Validate(); app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != trim(want) {
			t.Errorf("%q: %v", want, err)
		}
	}
	for _, r := range []string{"", "/thanks", "https://example.com/ok?x=1"} {
		f := ok()
		f.RedirectURL = r
		if err := f.Validate(); err != nil {
			t.Errorf("redirect %q: %v", r, err)
		}
	}
}

func trim(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

func TestParseFormFields(t *testing.T) {
	fs, err := app.ParseFormFields("name | Your name | text | required\n# note\n\nsize | Size | select | | S, M ,L\nok|OK|checkbox")
	if err != nil || len(fs) != 3 || !fs[0].Required || fs[1].Options[1] != "M" || fs[2].Type != "checkbox" {
		t.Fatalf("%+v %v", fs, err)
	}
	back, err := app.ParseFormFields(app.FormatFormFields(fs))
	if err != nil || len(back) != 3 || back[1].Options[2] != "L" {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if _, err := app.ParseFormFields("a | b | text | maybe"); app.ErrorField(err) != "fields" {
		t.Fatalf("bad required: %v", err)
	}
}
