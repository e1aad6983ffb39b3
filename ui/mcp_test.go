package ui_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"orengen/app"
	"orengen/ui"
)

// hostKeyTransport sends every request to the test server's listener as
// host, with the API key.
type hostKeyTransport struct {
	host, key string
}

func (t hostKeyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = t.host
	if t.key != "" {
		r.Header.Set("Authorization", "Bearer "+t.key)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// mcpConnect connects the go-sdk's client to /mcp on host with key.
func mcpConnect(t *testing.T, addr, host, key string) (*mcp.ClientSession, error) {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "orengen-test", Version: "1"}, nil)
	tr := &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp", HTTPClient: &http.Client{Transport: hostKeyTransport{host, key}},
		DisableStandaloneSSE: true}
	return c.Connect(context.Background(), tr, nil)
}

// mcpCall calls a tool and returns its text and whether it is a tool error.
func mcpCall(t *testing.T, s *mcp.ClientSession, tool string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError
}

// TestMCP: an MCP client (the official go-sdk's) lists the tools and
// calls them with tenant A's keys: searches and reads see A's records
// only (B's are not found), a write key adds a note and a task in A, a
// read key's writes are refused naming the scope and write nothing, bad
// input names the field; federal notices follow the tenant's federal
// switch; an admin key on Nexus reads across tenants; a bad key is 401.
func TestMCP(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	defer e.Server.Shutdown(context.Background())
	addr := ln.Addr().String()

	if _, err := mcpConnect(t, addr, "app.localhost", "garbage"); err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("a bad key connected: %v", err)
	}
	if _, err := mcpConnect(t, addr, "nexus.localhost", e.A.KeyWrite); err == nil {
		t.Fatal("a tenant key connected on Nexus")
	}

	w, err := mcpConnect(t, addr, "app.localhost", e.A.KeyWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.InitializeResult().ServerInfo.Name != "orengen" {
		t.Errorf("server info: %+v", w.InitializeResult().ServerInfo)
	}
	tools, err := w.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
		if tl.Description == "" || tl.InputSchema == nil {
			t.Errorf("tool %s: no description or input schema", tl.Name)
		}
	}
	for _, want := range []string{"search_records", "get_record", "list_opportunities", "list_federal_notices", "create_note", "create_task"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools %v: no %s", names, want)
		}
	}

	// Search and read: A's records, never B's.
	out, isErr := mcpCall(t, w, "search_records", map[string]any{"object": "people", "query": e.A.CRM.Person.Emails[0]})
	if isErr || !strings.Contains(out, e.A.CRM.Person.Emails[0]) {
		t.Fatalf("search A's person: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "search_records", map[string]any{"object": "people", "query": e.B.CRM.Person.Emails[0]})
	if isErr || strings.Contains(out, e.B.CRM.Person.Emails[0]) {
		t.Fatalf("search B's person from A: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "search_records", map[string]any{"object": "notes"})
	if isErr || !strings.Contains(out, e.A.CRM.Note.Body) || strings.Contains(out, e.B.CRM.Note.Body) {
		t.Fatalf("A's notes: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "get_record", map[string]any{"object": "companies", "id": e.A.CRM.Company.ID})
	if isErr || !strings.Contains(out, e.A.CRM.Company.Domain) {
		t.Fatalf("get A's company: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "get_record", map[string]any{"object": "people", "id": e.B.CRM.Person.ID})
	if !isErr || !strings.Contains(out, "not_found") || strings.Contains(out, e.B.CRM.Person.Emails[0]) {
		t.Fatalf("get B's person from A: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "search_records", map[string]any{"object": "invoices"})
	if !isErr || !strings.Contains(out, "object") {
		t.Errorf("unknown object: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "search_records", map[string]any{"object": "people", "tenant": strconv.FormatInt(e.B.T.ID, 10)})
	if !isErr || !strings.Contains(out, "tenant") || strings.Contains(out, e.B.CRM.Person.Emails[0]) {
		t.Errorf("tenant key naming B: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "list_opportunities", nil)
	if isErr || !strings.Contains(out, e.A.CRM.Deal.Name) || strings.Contains(out, e.B.CRM.Deal.Name) {
		t.Fatalf("A's opportunities: %v %s", isErr, out)
	}
	var page struct {
		Records []struct {
			ID       int64  `json:"id"`
			TenantID int64  `json:"tenant_id"`
			Amount   int64  `json:"amount"`
			Stage    string `json:"stage"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Records) == 0 {
		t.Fatalf("opportunities page: %v %s", err, out)
	}
	found := false
	for _, d := range page.Records {
		if d.TenantID != e.A.T.ID || d.Stage == "" {
			t.Errorf("opportunity %+v", d)
		}
		found = found || d.ID == e.A.CRM.Deal.ID && d.Amount == e.A.CRM.Deal.Amount
	}
	if !found {
		t.Errorf("A's deal not in %s", out)
	}

	// Writes: a write key adds a note and a task in A.
	actx := app.NewContextWithTenant(ctx, e.A.T)
	countNotes := func() int {
		var n int
		if _, _, err := e.Server.CRM.FindNotes(actx, app.NoteFilter{ListOptions: app.ListOptions{Count: &n}}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := countNotes()
	out, isErr = mcpCall(t, w, "create_note", map[string]any{"body": "Called about the renewal", "record_type": "person", "record_id": e.A.CRM.Person.ID})
	if isErr || !strings.Contains(out, "Called about the renewal") {
		t.Fatalf("create_note: %v %s", isErr, out)
	}
	if countNotes() != before+1 {
		t.Errorf("notes in A: %d, want %d", countNotes(), before+1)
	}
	out, isErr = mcpCall(t, w, "create_task", map[string]any{"title": "Send the proposal", "due": "2026-12-20", "record_type": "deal", "record_id": e.A.CRM.Deal.ID})
	if isErr || !strings.Contains(out, "Send the proposal") || !strings.Contains(out, "2026-12-20") {
		t.Fatalf("create_task: %v %s", isErr, out)
	}
	// On B's person: not found, nothing written.
	bctx := app.NewContextWithTenant(ctx, e.B.T)
	var bNotes int
	if _, _, err := e.Server.CRM.FindNotes(bctx, app.NoteFilter{ListOptions: app.ListOptions{Count: &bNotes}}); err != nil {
		t.Fatal(err)
	}
	out, isErr = mcpCall(t, w, "create_note", map[string]any{"body": "sneaky", "record_type": "person", "record_id": e.B.CRM.Person.ID})
	if !isErr || !strings.Contains(out, "not_found") && !strings.Contains(out, "record_id") {
		t.Errorf("note on B's person: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "create_note", map[string]any{"body": " ", "record_type": "person", "record_id": e.A.CRM.Person.ID})
	if !isErr || !strings.Contains(out, "body") {
		t.Errorf("empty note: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, w, "create_task", map[string]any{"title": "x", "due": "next week"})
	if !isErr || !strings.Contains(out, "due") {
		t.Errorf("bad due: %v %s", isErr, out)
	}
	var bAfter int
	if _, _, err := e.Server.CRM.FindNotes(bctx, app.NoteFilter{ListOptions: app.ListOptions{Count: &bAfter}}); err != nil || bAfter != bNotes {
		t.Errorf("B's notes: %d, want %d (%v)", bAfter, bNotes, err)
	}

	// A read key reads, and its writes are refused naming the scope.
	r, err := mcpConnect(t, addr, "app.localhost", e.A.KeyRead)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if out, isErr := mcpCall(t, r, "list_opportunities", nil); isErr || !strings.Contains(out, e.A.CRM.Deal.Name) {
		t.Errorf("read key's read: %v %s", isErr, out)
	}
	before = countNotes()
	for tool, args := range map[string]map[string]any{"create_note": {"body": "no", "record_type": "person", "record_id": e.A.CRM.Person.ID},
		"create_task": {"title": "no"}} {
		out, isErr := mcpCall(t, r, tool, args)
		if !isErr || !strings.Contains(out, "403") || !strings.Contains(out, `"write" scope`) {
			t.Errorf("read key's %s: %v %s", tool, isErr, out)
		}
	}
	if countNotes() != before {
		t.Error("a read key's note was written")
	}

	// Federal notices: off for A (refused), on once the admin turns it on.
	out, isErr = mcpCall(t, w, "list_federal_notices", nil)
	if !isErr || !strings.Contains(out, "forbidden") {
		t.Errorf("federal off: %v %s", isErr, out)
	}

	// An admin key on Nexus reads every tenant and the house's notices.
	ad, err := mcpConnect(t, addr, "nexus.localhost", e.AdminKeyW)
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	out, isErr = mcpCall(t, ad, "list_opportunities", nil)
	if isErr || !strings.Contains(out, e.A.CRM.Deal.Name) || !strings.Contains(out, e.B.CRM.Deal.Name) {
		t.Errorf("admin's opportunities: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, ad, "list_opportunities", map[string]any{"tenant": e.B.T.Slug})
	if isErr || strings.Contains(out, e.A.CRM.Deal.Name) || !strings.Contains(out, e.B.CRM.Deal.Name) {
		t.Errorf("admin's opportunities of B: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, ad, "list_federal_notices", map[string]any{"limit": 5})
	if isErr || !strings.Contains(out, e.NoticeID) {
		t.Errorf("admin's notices: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, ad, "create_task", map[string]any{"title": "Admin task"})
	if !isErr || !strings.Contains(out, "tenant") {
		t.Errorf("admin task with no tenant: %v %s", isErr, out)
	}
	out, isErr = mcpCall(t, ad, "create_note", map[string]any{"body": "Admin note", "record_type": "person", "record_id": e.B.CRM.Person.ID})
	if isErr || !strings.Contains(out, `"tenant_id":`+strconv.FormatInt(e.B.T.ID, 10)) {
		t.Errorf("admin note on B's person: %v %s", isErr, out)
	}

	// One raw JSON-RPC POST (no handshake: the server is stateless), as
	// the isolation matrix sends it; GET is 405 (no stream to open).
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search_records","arguments":{"object":"people","limit":100}}}`
	st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/mcp", JSON: call, Bearer: e.A.KeyRead,
		Header: map[string]string{"Accept": "application/json, text/event-stream"}})
	if st != 200 || !strings.Contains(body, e.A.CRM.Person.Emails[0]) || strings.Contains(body, e.B.CRM.Person.Emails[0]) || resp.Header.Get("RateLimit-Limit") == "" {
		t.Errorf("raw call: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/mcp", JSON: call, Header: map[string]string{"Accept": "application/json, text/event-stream"}})
	if st != 401 || !strings.Contains(body, "jsonrpc") {
		t.Errorf("no key: %d %s", st, body)
	}
	if st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/mcp"}); st != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /mcp: %d %v", st, resp.Header)
	}
}
