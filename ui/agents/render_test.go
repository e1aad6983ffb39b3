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

func init() {
	a := &agents.Agent{ID: 1, TenantID: 2, Name: "Desk", PublicKey: "ag_x", Version: 3, Enabled: true, Phone: "+15125550100",
		Config: agents.Config{Channels: agents.Channels{Web: true, Voice: true}, Tools: []string{"transfer"}, Handoff: agents.Handoff{Kind: "phone", Target: "+1"}}}
	conv := &agents.Conversation{ID: 5, TenantID: 2, AgentName: "Desk", Channel: "web", Status: "active", TakenOverBy: "x@y", Collected: map[string]string{"budget": "5k"}, Summary: "s"}
	turns := []*agents.Turn{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "hello", Model: "m", TokensIn: 3, TokensOut: 4, Sources: []agents.Source{{Title: "FAQ", Text: "t"}}},
		{Role: "tool", ToolName: "add_tag", ToolArgs: "{}", ToolError: "bad"}, {Role: "human", Author: "x@y", Content: "me"}, {Role: "event", Content: "took over"}}
	for _, host := range []string{"portal", "nexus"} {
		nexus := host == "nexus"
		pageData[host+"/agents_list"] = func() any {
			return &listPage{Nexus: nexus, Agents: []*agents.Agent{a}, Tenants: map[int64]string{2: "Acme"}, Portal: "https://app.x"}
		}
		pageData[host+"/agents_edit"] = func() any {
			return &editPage{Nexus: nexus, Agent: &agents.Agent{Config: a.Config}, Tenants: map[int64]string{2: "Acme"}, Errors: map[string]string{"name": "x", "": "y"},
				Tools: []toolChoice{{"transfer", "Hand off", "d", true}}, Knowledge: []option{{"docs", "Docs", true}}, Sheets: []option{{"s1", "Prices", false}}, DayNames: dayNames}
		}
		pageData[host+"/agents_versions"] = func() any { return &versionsPage{Agent: a, Versions: []versionView{{a, "{}"}}} }
		pageData[host+"/agents_conversations"] = func() any {
			return &conversationsPage{Nexus: nexus, Conversations: []*agents.Conversation{conv}, Tenants: map[int64]string{2: "Acme"}}
		}
		pageData[host+"/agents_conversation"] = func() any {
			return &conversationPage{Conv: conv, Turns: turns, Mode: "watch", SendURL: "/x", Mine: true, Cost: "$0.01"}
		}
		pageData[host+"/agents_usage"] = func() any {
			return &usagePage{Nexus: nexus, Rows: []*agents.UsageRow{{TenantName: "Acme", Month: "2026-12", Kind: "voice", Quantity: 60, CostMicros: 1500}},
				Prices: []*agents.Price{{Key: "gpt-4o-mini", InPerMTok: 150000}}, Tenants: map[int64]string{2: "Acme"}, Errors: map[string]string{"key": "x"}}
		}
	}
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
