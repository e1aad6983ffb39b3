package platform

import (
	"testing"

	"orengen/app/platform"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage, so
// every page is rendered at least once with zero values.
var pageData = map[string]func() any{
	"nexus/foss":         func() any { return &fossPage{Bill: &platform.Bill{}} },
	"nexus/foss_notices": func() any { return &noticesPage{Bill: &platform.Bill{}} },
	"nexus/foss_tools":   func() any { return &toolsPage{Tools: []*platform.Tool{{Name: "n8n"}}} },
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}

func init() {
	i := &platform.IntegrationStatus{Integration: &platform.Integration{Key: "x", Name: "X"}}
	pageData["nexus/integrations"] = func() any { return &integrationsPage{Integrations: []*platform.IntegrationStatus{i}} }
	pageData["portal/integrations"] = func() any { return &integrationsPage{Portal: true} }
	pageData["nexus/integration"] = func() any { return &integrationPage{I: i, Tested: true} }
	pageData["portal/integration"] = func() any { return &integrationPage{Portal: true, I: i} }
}
