package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/llm/llmtest"
	"orengen/store"
	"orengen/ui"
)

// TestAgentsAPI: a tenant key creates an agent, changes it (a new version
// that keeps what the change left out), lists the versions, reads a
// conversation's transcript, takes it over, writes in it and hands it
// back, and reads usage; bad input is a 400 naming the field, nothing
// written; a read key writes nothing; another tenant's key sees none of
// it. The model base URL the tenant sets is dialled through the guarded
// client: a loopback endpoint is refused (the fake model there gets no
// request) and the visitor gets the fallback, recorded in the transcript.
func TestAgentsAPI(t *testing.T) {
	e := newTenantEnv(t)
	model := llmtest.Start()
	defer model.Close()
	model.Push(llmtest.Reply{Text: "Scripted answer from loopback."})
	ctx := context.Background()
	if err := e.App.Vault.Put(ctx, app.GlobalScope, app.SecretOpenAIKey, "sk-test"); err != nil {
		t.Fatal(err)
	}
	call := func(key, method, path, body string) (int, map[string]any, string) {
		t.Helper()
		st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Bearer: key, JSON: body})
		var m map[string]any
		json.Unmarshal([]byte(raw), &m)
		return st, m, raw
	}
	wk, rk := e.A.KeyWrite, e.A.KeyRead

	// Bad input: the field named, nothing created.
	for body, field := range map[string]string{
		`{"config":{"instructions":"x"}}`:                                           `"field":"name"`,
		`{"name":"X","config":{"greeting":"hi"}}`:                                   `"field":"config.instructions"`,
		`{"name":"X","config":{"instructions":"x","model":{"temperature":"hot"}}}`:  `"field":"config.model.temperature"`,
		`{"name":"X","config":{"instructions":"x","model":{"temperature":7}}}`:      `"field":"config.model.temperature"`,
		`{"name":"X","config":{"instructions":"x","tools":["rm_rf"]}}`:              `"field":"config.tools"`,
		`{"name":"X","config":{"instructions":"x","colour":"red"}}`:                 `"field":"config.colour"`,
		`{"name":"X","config":{"instructions":"x","model":{"base_url":"ftp://x"}}}`: `"field":"config.model.base_url"`,
		`{"name":7}`: `"field":"name"`,
	} {
		if st, _, raw := call(wk, "POST", "/api/v1/agents", body); st != 400 || !strings.Contains(raw, field) {
			t.Errorf("%s: %d %s, want 400 with %s", body, st, raw, field)
		}
	}
	if st, _, raw := call(rk, "POST", "/api/v1/agents", `{"name":"X","config":{"instructions":"x"}}`); st != 403 {
		t.Errorf("read key creating: %d %s", st, raw)
	}
	if _, m, _ := call(rk, "GET", "/api/v1/agents", ""); len(m["data"].([]any)) != 1 {
		t.Fatalf("agents after refused creates: %v", m["data"])
	}

	// Create, change, versions.
	st, m, raw := call(wk, "POST", "/api/v1/agents", `{"name":"Front desk","config":{"instructions":"Answer questions about plumbing.","greeting":"Hello!",
		"model":{"base_url":"`+model.URL+`","model":"gpt-test"},"channels":{"web":true},"tools":["add_note","create_person"]}}`)
	if st != 201 {
		t.Fatalf("create: %d %s", st, raw)
	}
	ag := m["data"].(map[string]any)
	aid := int64(ag["id"].(float64))
	if ag["version"].(float64) != 1 || ag["tenant_id"].(float64) != float64(e.A.T.ID) {
		t.Fatalf("created: %s", raw)
	}
	path := fmt.Sprintf("/api/v1/agents/%d", aid)
	st, m, raw = call(wk, "PATCH", path, `{"name":"Front desk 2","config":{"greeting":"Welcome!"}}`)
	if st != 200 {
		t.Fatalf("patch: %d %s", st, raw)
	}
	ag = m["data"].(map[string]any)
	cfg := ag["config"].(map[string]any)
	if ag["version"].(float64) != 2 || ag["name"] != "Front desk 2" || cfg["greeting"] != "Welcome!" || cfg["instructions"] != "Answer questions about plumbing." ||
		len(cfg["tools"].([]any)) != 2 || cfg["model"].(map[string]any)["model"] != "gpt-test" {
		t.Fatalf("a change lost what it left out: %s", raw)
	}
	if st, _, raw := call(wk, "PATCH", path, `{"config":{"limits":{"max_turns":"many"}}}`); st != 400 || !strings.Contains(raw, `"field":"config.limits.max_turns"`) {
		t.Errorf("bad patch: %d %s", st, raw)
	}
	if _, m, _ := call(rk, "GET", path, ""); m["data"].(map[string]any)["version"].(float64) != 2 {
		t.Errorf("a refused change wrote a version: %v", m["data"])
	}
	_, m, _ = call(rk, "GET", path+"/versions", "")
	vs := m["data"].([]any)
	if len(vs) != 2 || vs[0].(map[string]any)["version"].(float64) != 2 || vs[1].(map[string]any)["config"].(map[string]any)["greeting"] != "Hello!" {
		t.Fatalf("versions: %v", vs)
	}
	// Tenant B's key: none of it.
	for _, p := range []string{path, path + "/versions"} {
		if st, _, _ := call(e.B.KeyWrite, "GET", p, ""); st != 404 {
			t.Errorf("B's key on A's %s: %d", p, st)
		}
	}
	if st, _, _ := call(e.B.KeyWrite, "PATCH", path, `{"name":"Stolen"}`); st != 404 {
		t.Errorf("B's key changing A's agent: %d", st)
	}
	if _, m, _ := call(e.B.KeyRead, "GET", "/api/v1/agents", ""); strings.Contains(fmt.Sprint(m), "Front desk") {
		t.Errorf("B's list shows A's agent: %v", m)
	}

	// A playground chat: the loopback base URL is refused at dial time.
	tctx := app.NewContextWithTenant(ctx, e.A.T)
	conv, err := e.App.Agents.StartPlayground(tctx, aid)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.App.Agents.PlaygroundSend(tctx, conv.ID, "Do you fix leaking taps?"); err != nil {
		t.Fatal(err)
	}
	cpath := fmt.Sprintf("/api/v1/agent-conversations/%d", conv.ID)
	var turns []any
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, m, _ = call(rk, "GET", cpath, "")
		turns, _ = m["turns"].([]any)
		asked := false
		answered := false
		for _, tu := range turns {
			switch r := tu.(map[string]any)["role"]; {
			case r == "user":
				asked = true
			case asked:
				answered = true
			}
		}
		if answered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer in the transcript: %v", m)
		}
		time.Sleep(50 * time.Millisecond)
	}
	all := fmt.Sprint(turns)
	if n := len(model.Requests()); n != 0 || strings.Contains(all, "Scripted answer") {
		t.Fatalf("the tenant's loopback base URL was dialled (%d requests): %s", n, all)
	}
	if !strings.Contains(all, "Do you fix leaking taps?") || !strings.Contains(all, "role:event") || !strings.Contains(all, "could not be reached") || !strings.Contains(all, "model:fallback") {
		t.Fatalf("transcript without the question and the fallback: %s", all)
	}

	// Take over, write, hand back.
	if st, _, raw := call(wk, "POST", cpath+"/messages", `{"text":"Hi"}`); st != 409 {
		t.Errorf("writing before taking over: %d %s", st, raw)
	}
	if st, _, raw := call(rk, "POST", cpath+"/takeover", ""); st != 403 {
		t.Errorf("read key taking over: %d %s", st, raw)
	}
	if st, _, _ := call(e.B.KeyWrite, "POST", cpath+"/takeover", ""); st != 404 {
		t.Errorf("B's key taking over A's chat: %d", st)
	}
	st, m, raw = call(wk, "POST", cpath+"/takeover", "")
	if st != 200 || !strings.HasPrefix(m["data"].(map[string]any)["taken_over_by"].(string), "apikey:") {
		t.Fatalf("takeover: %d %s", st, raw)
	}
	for body, field := range map[string]string{`{"text":""}`: "text", `{"text":5}`: "text", `{"text":"` + strings.Repeat("x", 5000) + `"}`: "text"} {
		if st, _, raw := call(wk, "POST", cpath+"/messages", body); st != 400 || !strings.Contains(raw, `"field":"`+field+`"`) {
			t.Errorf("message %.30s: %d %s", body, st, raw)
		}
	}
	st, m, raw = call(wk, "POST", cpath+"/messages", `{"text":"A plumber will call you within the hour."}`)
	if st != 201 || !strings.Contains(raw, `"role":"human"`) || !strings.Contains(raw, "A plumber will call you") {
		t.Fatalf("message: %d %s", st, raw)
	}
	st, m, raw = call(wk, "POST", cpath+"/handback", "")
	if st != 200 || m["data"].(map[string]any)["taken_over_by"] != "" {
		t.Fatalf("handback: %d %s", st, raw)
	}

	// Lists and filters.
	_, m, raw = call(rk, "GET", fmt.Sprintf("/api/v1/agent-conversations?agent_id=%d&status=active", aid), "")
	if cs := m["data"].([]any); len(cs) != 1 || cs[0].(map[string]any)["id"].(float64) != float64(conv.ID) {
		t.Errorf("filtered conversations: %s", raw)
	}
	_, m, _ = call(rk, "GET", "/api/v1/agent-conversations?limit=1", "")
	next, _ := m["next_cursor"].(string)
	if len(m["data"].([]any)) != 1 || next == "" {
		t.Fatalf("page 1: %v", m)
	}
	_, m2, _ := call(rk, "GET", "/api/v1/agent-conversations?limit=1&cursor="+next, "")
	if d := m2["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] == m["data"].([]any)[0].(map[string]any)["id"] {
		t.Errorf("page 2 repeats page 1: %v", m2)
	}
	for q, field := range map[string]string{"status=open": "status", "channel=fax": "channel", "limit=0": "limit", "agent_id=x": "agent_id", "outcome=won": "outcome"} {
		if st, _, raw := call(rk, "GET", "/api/v1/agent-conversations?"+q, ""); st != 400 || !strings.Contains(raw, `"field":"`+field+`"`) {
			t.Errorf("?%s: %d %s", q, st, raw)
		}
	}
	if _, m, _ := call(e.B.KeyRead, "GET", "/api/v1/agent-conversations", ""); strings.Contains(fmt.Sprint(m), "leaking taps") || strings.Contains(fmt.Sprint(m), "Front desk") {
		t.Errorf("B's conversations show A's: %v", m)
	}

	// Usage: A's month, and B sees none of A's.
	day := time.Now().UTC().Format("2006-01-02")
	if err := e.App.DB.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO agent_usage (tenant_id, day, kind, model, tokens_in, tokens_out, quantity, cost_micros) VALUES (?, ?, 'tokens', 'gpt-test', 1200, 300, 0, 4500)`, e.A.T.ID, day)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, m, raw = call(rk, "GET", "/api/v1/agent-usage", "")
	if !strings.Contains(raw, `"tokens_in":1200`) || !strings.Contains(raw, `"month":"`+day[:7]+`"`) || !strings.Contains(raw, `"cost_micros":4500`) {
		t.Errorf("usage: %s", raw)
	}
	if _, _, raw := call(e.B.KeyRead, "GET", "/api/v1/agent-usage", ""); strings.Contains(raw, "1200") {
		t.Errorf("B sees A's usage: %s", raw)
	}
	if _, _, raw := call(rk, "GET", "/api/v1/agent-usage?to="+time.Now().UTC().AddDate(0, -2, 0).Format("2006-01"), ""); strings.Contains(raw, "1200") {
		t.Errorf("?to= before this month still shows it: %s", raw)
	}
	if st, _, raw := call(rk, "GET", "/api/v1/agent-usage?from=12/2026", ""); st != 400 || !strings.Contains(raw, `"field":"from"`) {
		t.Errorf("bad month: %d %s", st, raw)
	}

	// An admin key sees every tenant's, ?tenant= one.
	st, raw, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: fmt.Sprintf("/api/v1/agents?tenant=%d", e.B.T.ID), Bearer: e.AdminKeyRead})
	if st != 200 || strings.Contains(raw, "Front desk") || !strings.Contains(raw, e.B.Agent.Name) {
		t.Errorf("admin ?tenant=B: %d %s", st, raw)
	}
	st, raw, _ = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/api/v1/agents", Bearer: e.AdminKeyW, JSON: `{"name":"Nowhere","config":{"instructions":"x"}}`})
	if st != 400 || !strings.Contains(raw, `"field":"tenant_id"`) {
		t.Errorf("admin create without a tenant: %d %s", st, raw)
	}
}
