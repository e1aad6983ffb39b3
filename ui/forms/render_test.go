package forms

import (
	"testing"

	"orengen/app"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage, so
// every page is rendered at least once with zero values.
var pageData = map[string]func() any{
	"portal/forms": func() any { return &formsPage{Forms: []*app.Form{{ID: 1, Name: "F"}}, Counts: map[int64]int{1: 2}} },
	"nexus/forms":  func() any { return &formsPage{} },
	"portal/form": func() any {
		return &formEditPage{Form: &app.Form{ID: 1}, URL: "u", EmbedJS: "e", Errors: map[string]string{"fields": "x"}}
	},
	"nexus/form": func() any { return &formEditPage{Form: &app.Form{}} },
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
