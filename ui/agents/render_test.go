package agents

import (
	"testing"

	"orengen/app/agents"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage.
var pageData = map[string]func() any{
	"chat/agent_chat": func() any {
		return &chatPage{Layout: web.Layout{Title: "Desk", Brand: web.Brand{Name: "Acme", LogoURL: "/chat/ag_x/logo"}},
			Agent: &agents.Agent{Name: "Desk", PublicKey: "ag_x"}, Base: "/chat/ag_x", Page: "https://x.test/", Greeting: "Hi <b>"}
	},
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
