package web

import (
	"testing"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage, so
// every page is rendered at least once with zero values.
var pageData = map[string]func() any{
	"site/error":   func() any { return &ErrorPage{} },
	"nexus/error":  func() any { return &ErrorPage{} },
	"portal/error": func() any { return &ErrorPage{} },
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range CheckPages(nil, pageData) {
		t.Error(err)
	}
}
