package site

import (
	"testing"

	"orengen/app"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage, so
// every page is rendered at least once with zero values.
var pageData = map[string]func() any{
	"site/page": func() any { return &sitePage{Page: &app.Page{Blocks: allBlocks()}} },
	"hosted/form": func() any {
		return &hostedFormPage{Form: &app.Form{Consent: "ok", Fields: []app.FormField{{Name: "a", Type: "text"}, {Name: "b", Type: "select", Options: []string{"x"}},
			{Name: "c", Type: "checkbox"}, {Name: "d", Type: "textarea"}, {Name: "e", Type: "email", Required: true}}}, Values: map[string]string{"utm_source": "s"}, Errors: map[string]string{"a": "x"}, Error: "y"}
	},
	"hosted/done": func() any { return &hostedFormPage{Form: &app.Form{}, Message: "m"} },
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}

func allBlocks() []app.Block {
	var out []app.Block
	for t := range app.BlockTypes {
		out = append(out, app.Block{Type: t, Items: []app.Item{{Features: []string{"f"}}}, CTA: &app.Link{}, CTA2: &app.Link{}})
	}
	return out
}
