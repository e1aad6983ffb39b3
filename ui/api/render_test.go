package api

import (
	"testing"

	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage, so
// every page is rendered at least once with zero values.
var pageData = map[string]func() any{
	"portal/apikeys":            func() any { return &apiKeysPage{} },
	"nexus/apikeys":             func() any { return &apiKeysPage{} },
	"portal/developers":         func() any { return &devToolsPage{Portal: true} },
	"nexus/developers":          func() any { return &devToolsPage{} },
	"portal/graphiql":           func() any { return &graphiqlPage{} },
	"nexus/graphiql":            func() any { return &graphiqlPage{} },
	"portal/webhook_deliveries": func() any { return &deliveriesPage{} },
	"nexus/webhook_deliveries":  func() any { return &deliveriesPage{Nexus: true} },
	"portal/webhook_delivery":   func() any { return &deliveryPage{} },
	"nexus/webhook_delivery":    func() any { return &deliveryPage{Nexus: true} },
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
