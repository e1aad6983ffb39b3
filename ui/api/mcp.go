package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"orengen/app"
	"orengen/app/federal"
	"orengen/ui/web"
)

// MCP (Model Context Protocol) at /mcp, so an AI assistant can read the
// pipeline: tenant keys on the portal hosts, admin keys on Nexus, as for
// /api/v1. The official go-sdk serves the streamable HTTP transport in
// its stateless mode with JSON answers: every POST is authenticated by
// its own Bearer key and answered in full, so nothing outlives a request
// and fasthttp needs no streaming (net/http runs under fiber's adaptor).
// Tools act in the key's tenant (an admin key reads every tenant, or
// the one a tool's tenant argument names); the write tools refuse read
// keys with a tool error naming the scope.

// MCPServerName is the server's name in the MCP handshake.
const MCPServerName = "orengen"

// mcpWriteTools are the tools a read key may not call.
var mcpWriteTools = []string{"create_note", "create_task"}

// MountMCP serves /mcp on a host (web.HostPortal or web.HostNexus).
func (s *Handler) MountMCP(r fiber.Router, host string) {
	if s.Twenty == nil {
		return
	}
	// Built by the first request: the tools' JSON schemas are about a
	// megabyte of heap that an appliance nobody connects an assistant to
	// never needs.
	srv := sync.OnceValue(s.newMCPServer)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv() }, &mcp.StreamableHTTPOptions{
		Stateless: true, JSONResponse: true, Logger: s.Logger,
		// Every request carries its API key, which a page rebinding
		// DNS to this address does not have; the host router already
		// serves known hosts only.
		DisableLocalhostProtection: true,
	})
	serve := func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		return adaptor.HTTPHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(ctx))
		})(c)
	}
	r.Post("/mcp", mcpErrors, s.requireAPIKey(host), serve)
	// Stateless: no session to stream to (GET) or end (DELETE); the
	// transport's answer for both is 405, given here without the key.
	noSession := func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderAllow, fiber.MethodPost)
		return fiber.NewError(fiber.StatusMethodNotAllowed, "This MCP server is stateless: send each request with POST.")
	}
	r.Get("/mcp", noSession)
	r.Delete("/mcp", noSession)
}

// mcpErrors answers the errors before MCP runs (the key, its rate limit)
// as a JSON-RPC error with the HTTP status (401, 429).
func mcpErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	var fe *fiber.Error
	if errors.As(err, &fe) || app.ErrorCode(err) == app.EINTERNAL {
		return err
	}
	var rl *app.RateLimitError
	if errors.As(err, &rl) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
	}
	return c.Status(web.ErrorStatus(app.ErrorCode(err))).JSON(fiber.Map{"jsonrpc": "2.0", "id": nil,
		"error": fiber.Map{"code": -32001, "message": app.ErrorMessage(err), "data": fiber.Map{"code": app.ErrorCode(err)}}})
}

// ---- tools ----

type mcpSearchIn struct {
	Object string `json:"object" jsonschema:"people, companies, opportunities, notes or tasks"`
	Query  string `json:"query,omitempty" jsonschema:"words to search for (full text); an email finds the person with it"`
	Limit  int    `json:"limit,omitempty" jsonschema:"at most this many records (1 to 100, default 20)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
	Tenant string `json:"tenant,omitempty" jsonschema:"admin keys only: the tenant's ID or slug (default: every tenant)"`
}

type mcpRecordsOut struct {
	Records    []any  `json:"records"`
	NextCursor string `json:"next_cursor,omitempty"`
}

type mcpGetIn struct {
	Object string `json:"object" jsonschema:"people, companies, opportunities, notes or tasks"`
	ID     int64  `json:"id" jsonschema:"the record's ID"`
}

type mcpRecordOut struct {
	Record any `json:"record"`
}

type mcpOpportunitiesIn struct {
	Stage  string `json:"stage,omitempty" jsonschema:"only opportunities in this stage (name or ID)"`
	Query  string `json:"query,omitempty" jsonschema:"words to search for"`
	Limit  int    `json:"limit,omitempty" jsonschema:"at most this many (1 to 100, default 20)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
	Tenant string `json:"tenant,omitempty" jsonschema:"admin keys only: the tenant's ID or slug (default: every tenant)"`
}

type mcpNoteIn struct {
	Body       string `json:"body" jsonschema:"the note, in Markdown"`
	RecordType string `json:"record_type" jsonschema:"person, company or deal"`
	RecordID   int64  `json:"record_id" jsonschema:"the ID of the person, company or deal the note is about"`
}

type mcpTaskIn struct {
	Title      string `json:"title" jsonschema:"what to do"`
	Due        string `json:"due,omitempty" jsonschema:"due date, YYYY-MM-DD or RFC 3339"`
	RecordType string `json:"record_type,omitempty" jsonschema:"person, company or deal the task is about (optional)"`
	RecordID   int64  `json:"record_id,omitempty" jsonschema:"that record's ID"`
	Tenant     string `json:"tenant,omitempty" jsonschema:"admin keys only, for a task linked to no record: the tenant's ID or slug"`
}

type mcpNoticesIn struct {
	Query      string `json:"query,omitempty" jsonschema:"words to search for in the notices"`
	ActiveOnly bool   `json:"active_only,omitempty" jsonschema:"only notices still open"`
	MinScore   int    `json:"min_score,omitempty" jsonschema:"only notices with at least this fit score"`
	Sort       string `json:"sort,omitempty" jsonschema:"score, posted or deadline"`
	Limit      int    `json:"limit,omitempty" jsonschema:"at most this many (1 to 100, default 20)"`
	Cursor     string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type mcpNoticesOut struct {
	Notices    []apiOpportunity `json:"notices"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// newMCPServer builds the MCP server and its tools (one for the handler:
// a request's key and tenant come in its context).
func (s *Handler) newMCPServer() *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: MCPServerName, Title: "OrenGen CRM", Version: buildVersion()}, &mcp.ServerOptions{
		Instructions: "Tools over the CRM of the API key's tenant: search and read people, companies, opportunities (deals), notes and tasks; " +
			"add notes and tasks (write keys only); list federal contract notices.",
	})
	ro := &mcp.ToolAnnotations{ReadOnlyHint: true}
	mcp.AddTool(srv, &mcp.Tool{Name: "search_records", Title: "Search CRM records", Annotations: ro,
		Description: "Search the CRM's people, companies, opportunities, notes or tasks by words, newest first, one page at a time."},
		mcpTool(s, s.mcpSearch))
	mcp.AddTool(srv, &mcp.Tool{Name: "get_record", Title: "Read a CRM record", Annotations: ro,
		Description: "Read one person, company, opportunity, note or task by its ID."},
		mcpTool(s, s.mcpGet))
	mcp.AddTool(srv, &mcp.Tool{Name: "list_opportunities", Title: "List opportunities", Annotations: ro,
		Description: "List the pipeline's opportunities (deals) with stage, amount and expected close, newest first; filter by stage."},
		mcpTool(s, s.mcpOpportunities))
	mcp.AddTool(srv, &mcp.Tool{Name: "list_federal_notices", Title: "List federal notices", Annotations: ro,
		Description: "List the SAM.gov contract notices the federal scout found, with fit scores and response deadlines."},
		mcpTool(s, s.mcpNotices))
	mcp.AddTool(srv, &mcp.Tool{Name: "create_note", Title: "Add a note",
		Description: "Add a note to a person, company or deal (needs a write API key)."},
		mcpTool(s, s.mcpCreateNote))
	mcp.AddTool(srv, &mcp.Tool{Name: "create_task", Title: "Add a task",
		Description: "Add a task, optionally about a person, company or deal (needs a write API key)."},
		mcpTool(s, s.mcpCreateTask))
	return srv
}

// mcpTool wraps a tool: the write tools need a write key, and errors
// become tool errors the assistant can read: an app error's message
// (with its field), anything else "Internal error." (logged).
func mcpTool[In, Out any](s *Handler, f func(context.Context, In) (Out, error)) mcp.ToolHandlerFor[In, Out] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, Out, error) {
		var zero Out
		k := app.APIKeyFromContext(ctx)
		if k == nil {
			return nil, zero, errors.New("Invalid API key.")
		}
		if slices.Contains(mcpWriteTools, req.Params.Name) && !k.CanWrite() {
			return nil, zero, fmt.Errorf("Forbidden (403): %s needs an API key with the %q scope; this key has the %q scope.", req.Params.Name, app.ScopeWrite, k.Scope)
		}
		out, err := f(ctx, in)
		if err != nil {
			var ae *app.Error
			if !errors.As(err, &ae) || ae.Code == app.EINTERNAL {
				s.Logger.Error("mcp tool", "tool", req.Params.Name, "err", err)
				return nil, zero, errors.New("Internal error.")
			}
			msg := ae.Message
			if ae.Field != "" {
				msg = ae.Field + ": " + msg
			}
			return nil, zero, fmt.Errorf("%s (%d): %s", ae.Code, web.ErrorStatus(ae.Code), msg)
		}
		return nil, out, nil
	}
}

// mcpScope is the context a tool reads in: a tenant key's tenant; for
// an admin key every tenant, or the one ref names.
func (s *Handler) mcpScope(ctx context.Context, ref string) (context.Context, error) {
	k := app.APIKeyFromContext(ctx)
	if !k.Admin() {
		if ref != "" {
			return nil, app.FieldErrorf("tenant", "A tenant API key works in its own tenant only; leave tenant out.")
		}
		return ctx, nil
	}
	ctx = app.NewContextAcrossTenants(ctx)
	if ref = strings.TrimSpace(ref); ref == "" {
		return ctx, nil
	}
	t, err := s.Tenants.TenantByRef(ctx, ref)
	if err != nil {
		return nil, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
	}
	return app.NewContextWithTenant(ctx, t), nil
}

// mcpRecordTypes are the objects the tools take, by their API names.
var mcpRecordTypes = map[string]string{"people": app.RecordPerson, "companies": app.RecordCompany, "opportunities": app.RecordDeal,
	"notes": app.RecordNote, "tasks": app.RecordTask}

func mcpObject(name string) (string, error) {
	if r, ok := mcpRecordTypes[strings.ToLower(strings.TrimSpace(name))]; ok {
		return r, nil
	}
	return "", app.FieldErrorf("object", "object must be people, companies, opportunities, notes or tasks, not %q.", name)
}

func mcpLimit(n int) (int, error) {
	if n == 0 {
		return 20, nil
	}
	if n < 1 || n > app.MaxPageSize {
		return 0, app.FieldErrorf("limit", "limit must be from 1 to %d.", app.MaxPageSize)
	}
	return n, nil
}

func (s *Handler) mcpSearch(ctx context.Context, in mcpSearchIn) (mcpRecordsOut, error) {
	var out mcpRecordsOut
	typ, err := mcpObject(in.Object)
	if err != nil {
		return out, err
	}
	opts := app.ListOptions{Q: strings.TrimSpace(in.Query), Cursor: in.Cursor}
	if opts.Limit, err = mcpLimit(in.Limit); err != nil {
		return out, err
	}
	if ctx, err = s.mcpScope(ctx, in.Tenant); err != nil {
		return out, err
	}
	out.Records, out.NextCursor, err = s.findPage(ctx, typ, opts)
	return out, err
}

// findPage lists one page of a record type in its API shape.
func (s *Handler) findPage(ctx context.Context, typ string, opts app.ListOptions) ([]any, string, error) {
	return opsFor(typ).list(s, ctx, opts, &listQuery{})
}

func (s *Handler) mcpGet(ctx context.Context, in mcpGetIn) (mcpRecordOut, error) {
	typ, err := mcpObject(in.Object)
	if err != nil {
		return mcpRecordOut{}, err
	}
	if in.ID < 1 {
		return mcpRecordOut{}, app.FieldErrorf("id", "id must be a record's ID (a positive number).")
	}
	if ctx, err = s.mcpScope(ctx, ""); err != nil {
		return mcpRecordOut{}, err
	}
	rec, err := s.findOne(ctx, typ, in.ID)
	return mcpRecordOut{Record: rec}, err
}

func (s *Handler) mcpOpportunities(ctx context.Context, in mcpOpportunitiesIn) (mcpRecordsOut, error) {
	var out mcpRecordsOut
	f := app.DealFilter{ListOptions: app.ListOptions{Q: strings.TrimSpace(in.Query), Cursor: in.Cursor}}
	var err error
	if f.Limit, err = mcpLimit(in.Limit); err != nil {
		return out, err
	}
	if st := strings.TrimSpace(in.Stage); st != "" {
		f.Stage = &st
	}
	if ctx, err = s.mcpScope(ctx, in.Tenant); err != nil {
		return out, err
	}
	ds, next, err := s.CRM.FindDeals(ctx, f)
	if err != nil {
		return out, err
	}
	out.Records, out.NextCursor = []any{}, next
	for _, d := range ds {
		out.Records = append(out.Records, toAPIDeal(d))
	}
	return out, nil
}

// mcpNotices lists the federal notices of the key's tenant (its federal
// work must be on), or of the house tenant for an admin key.
func (s *Handler) mcpNotices(ctx context.Context, in mcpNoticesIn) (mcpNoticesOut, error) {
	out := mcpNoticesOut{Notices: []apiOpportunity{}}
	if s.Federal == nil {
		return out, app.Errorf(app.ENOTFOUND, "Federal contracting is not set up on this server.")
	}
	tid := app.HouseTenantID
	if k := app.APIKeyFromContext(ctx); !k.Admin() {
		on, err := s.Federal.FederalOn(ctx, k.TenantID)
		if err != nil {
			return out, err
		}
		if !on {
			return out, app.Errorf(app.EFORBIDDEN, "Federal contracting is off for this account; ask your agency to turn it on.")
		}
		tid = k.TenantID
	}
	f := federal.NoticeFilter{Query: strings.TrimSpace(in.Query), ActiveOnly: in.ActiveOnly, MinScore: in.MinScore, Sort: in.Sort, Cursor: in.Cursor}
	var err error
	if f.Limit, err = mcpLimit(in.Limit); err != nil {
		return out, err
	}
	switch f.Sort {
	case "", federal.SortScore, federal.SortPosted, federal.SortDeadline:
	default:
		return out, app.FieldErrorf("sort", "Sort by score, posted or deadline.")
	}
	if f.MinScore < 0 || f.MinScore > 200 {
		return out, app.FieldErrorf("min_score", "min_score must be from 0 to 200.")
	}
	ns, next, err := s.Federal.FindNotices(app.NewContextWithTenant(ctx, &app.Tenant{ID: tid}), f)
	if err != nil {
		return out, err
	}
	for _, n := range ns {
		out.Notices = append(out.Notices, toAPIOpportunity(n, false))
	}
	out.NextCursor = next
	return out, nil
}

// mcpWriteScope is where a write acts: a tenant key's tenant; for an
// admin key the linked record's tenant, else the named one.
func (s *Handler) mcpWriteScope(ctx context.Context, recordType string, recordID int64, ref string) (context.Context, error) {
	k := app.APIKeyFromContext(ctx)
	if !k.Admin() {
		return s.mcpScope(ctx, ref)
	}
	if ref != "" || recordID == 0 {
		if ref == "" {
			return nil, app.FieldErrorf("tenant", "Name the tenant (ID or slug): admin keys create records in a named tenant.")
		}
		return s.mcpScope(ctx, ref)
	}
	actx := app.NewContextAcrossTenants(ctx)
	tid, err := s.CRM.RecordTenant(actx, recordType, recordID)
	if err != nil {
		return nil, err
	}
	t, err := s.Tenants.TenantByID(actx, tid)
	if err != nil {
		return nil, err
	}
	return app.NewContextWithTenant(actx, t), nil
}

func (s *Handler) mcpCreateNote(ctx context.Context, in mcpNoteIn) (mcpRecordOut, error) {
	n := &app.Note{Body: in.Body, RecordType: in.RecordType, RecordID: in.RecordID}
	if err := n.Validate(); err != nil {
		return mcpRecordOut{}, err
	}
	ctx, err := s.mcpWriteScope(ctx, n.RecordType, n.RecordID, "")
	if err != nil {
		return mcpRecordOut{}, err
	}
	if err := s.CRM.CreateNote(ctx, n); err != nil {
		return mcpRecordOut{}, err
	}
	return mcpRecordOut{Record: toAPINote(n)}, nil
}

func (s *Handler) mcpCreateTask(ctx context.Context, in mcpTaskIn) (mcpRecordOut, error) {
	ti := taskIn{Title: &in.Title, RecordType: in.RecordType, RecordID: in.RecordID}
	if in.Due != "" {
		ti.Due = &in.Due
	}
	t, err := ti.task()
	if err != nil {
		return mcpRecordOut{}, err
	}
	if err := t.Validate(); err != nil {
		return mcpRecordOut{}, err
	}
	if ctx, err = s.mcpWriteScope(ctx, t.RecordType, t.RecordID, in.Tenant); err != nil {
		return mcpRecordOut{}, err
	}
	if err := s.CRM.CreateTask(ctx, t); err != nil {
		return mcpRecordOut{}, err
	}
	return mcpRecordOut{Record: toAPITask(t)}, nil
}

// buildVersion is the binary's module version ("(devel)" in a checkout).
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}
