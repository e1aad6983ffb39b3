package agents

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/agents"
	"orengen/ui/web"
)

// Mount adds Agent Studio's pages behind the host's sign-in: Nexus >
// System > Agent Studio (every tenant's agents) and the portal's AI
// agents (the tenant's own; owners change them). Every page and post
// goes through the service, which scopes it to the caller's tenant.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if !s.On() {
		return
	}
	r.Get("/agents", s.page(sc, s.handleList))
	r.Get("/agents/new", s.page(sc, s.handleNew))
	r.Post("/agents/new", csrf, s.page(sc, s.handleCreate))
	r.Get("/agents/usage", s.page(sc, s.handleUsage))
	r.Post("/agents/prices", csrf, s.page(sc, s.handlePriceSave))
	r.Post("/agents/prices/delete", csrf, s.page(sc, s.handlePriceDelete))
	r.Post("/agents/budget", csrf, s.page(sc, s.handleBudget))
	r.Get("/agents/conversations", s.page(sc, s.handleConversations))
	r.Get("/agents/conversations/:id", s.page(sc, s.handleConversation))
	r.Get("/agents/conversations/:id/events", s.page(sc, s.handleConversationEvents))
	r.Post("/agents/conversations/:id/send", csrf, s.page(sc, s.handlePlaygroundSend))
	r.Post("/agents/conversations/:id/message", csrf, s.page(sc, s.handleHumanMessage))
	r.Post("/agents/conversations/:id/takeover", csrf, s.page(sc, s.handleTakeover(true)))
	r.Post("/agents/conversations/:id/handback", csrf, s.page(sc, s.handleTakeover(false)))
	r.Post("/agents/conversations/:id/end", csrf, s.page(sc, s.handleEnd))
	r.Get("/agents/:id", s.page(sc, s.handleEdit))
	r.Post("/agents/:id", csrf, s.page(sc, s.handleSave))
	r.Get("/agents/:id/versions", s.page(sc, s.handleVersions))
	r.Post("/agents/:id/enable", csrf, s.page(sc, s.handleEnable))
	r.Post("/agents/:id/delete", csrf, s.page(sc, s.handleDelete))
	r.Post("/agents/:id/playground", csrf, s.page(sc, s.handlePlayground))
	r.Post("/agents/:id/test-call", csrf, s.page(sc, s.handleTestCall))
}

// NexusNav is Agent Studio's entry in Nexus > System.
var NexusNav = web.NavItem{Label: "Agent Studio", Path: "/agents"}

// PortalNav is the portal's entry.
var PortalNav = web.NavItem{Label: "AI agents", Path: "/agents"}

type pageFn func(c *fiber.Ctx, sc web.Scope) error

func (s *Handler) page(sc web.Scope, fn pageFn) fiber.Handler {
	return func(c *fiber.Ctx) error { return fn(c, sc) }
}

func (s *Handler) layout(c *fiber.Ctx, sc web.Scope, title string) web.Layout {
	return s.Layout(c, sc.Host, title)
}

// tenantNames maps tenant IDs to names (Nexus lists every tenant's).
func (s *Handler) tenantNames(c *fiber.Ctx, sc web.Scope) map[int64]string {
	out := map[int64]string{}
	if !sc.Nexus() || s.Tenants == nil {
		return out
	}
	ts, err := s.Tenants.ListTenants(c.UserContext())
	if err != nil {
		return out
	}
	for _, t := range ts {
		out[t.ID] = t.BrandName()
	}
	return out
}

type listPage struct {
	web.Layout
	Nexus   bool
	Agents  []*agents.Agent
	Tenants map[int64]string
	Portal  string // base URL of the widget script
}

func (s *Handler) handleList(c *fiber.Ctx, sc web.Scope) error {
	as, err := s.Agents.Agents(c.UserContext())
	if err != nil {
		return err
	}
	p := &listPage{Nexus: sc.Nexus(), Agents: as, Tenants: s.tenantNames(c, sc), Portal: s.URL(web.HostPortal)}
	p.Layout = s.layout(c, sc, "AI agents")
	return s.Render(c, sc.Page("agents_list"), p)
}

// editPage is the agent editor.
type editPage struct {
	web.Layout
	Nexus     bool
	Agent     *agents.Agent
	Tenants   map[int64]string
	Errors    map[string]string
	Tools     []toolChoice
	Knowledge []option
	Sheets    []option
	Fields    string // one line per field: key | label | crm field | required | description
	Days      [7]string
	DayNames  [7]string
	Workflows string
	Temp      string
	CRMFields []string
}

type toolChoice struct {
	Name, Label, Description string
	On                       bool
}

type option struct {
	ID, Name string
	On       bool
}

var dayNames = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func (s *Handler) editor(c *fiber.Ctx, sc web.Scope, a *agents.Agent, errs map[string]string) error {
	p := &editPage{Nexus: sc.Nexus(), Agent: a, Tenants: s.tenantNames(c, sc), Errors: errs, DayNames: dayNames, CRMFields: agents.CRMFields}
	cfg := a.Config
	for _, n := range agents.ToolOrder {
		m := agents.ToolInfo[n]
		p.Tools = append(p.Tools, toolChoice{n, m.Label, m.Description, slices.Contains(cfg.Tools, n)})
	}
	p.Knowledge = []option{{"docs", "Every uploaded document", slices.Contains(cfg.Knowledge, "docs")}, {"site", "The site's pages", slices.Contains(cfg.Knowledge, "site")}}
	if s.Agents.Catalog != nil && a.TenantID != 0 {
		if spaces, sheets, err := s.Agents.Catalog(c.UserContext(), a.TenantID); err == nil {
			for _, o := range spaces {
				p.Knowledge = append(p.Knowledge, option{"wiki:" + o.ID, "Wiki: " + o.Name, slices.Contains(cfg.Knowledge, "wiki:"+o.ID)})
			}
			for _, o := range sheets {
				p.Sheets = append(p.Sheets, option{o.ID, o.Name, slices.Contains(cfg.Sheets, o.ID)})
			}
		}
	}
	var lines []string
	for _, f := range cfg.Fields {
		req := ""
		if f.Required {
			req = "required"
		}
		lines = append(lines, strings.Join([]string{f.Key, f.Label, f.CRMField, req, f.Description}, " | "))
	}
	p.Fields = strings.Join(lines, "\n")
	for i, d := range cfg.Hours.Days {
		p.Days[i] = strings.Join(d, ", ")
	}
	var ws []string
	for _, id := range cfg.Workflows {
		ws = append(ws, strconv.FormatInt(id, 10))
	}
	p.Workflows = strings.Join(ws, ", ")
	p.Temp = strconv.FormatFloat(cfg.Model.Temperature, 'f', -1, 64)
	title := "New agent"
	if a.ID != 0 {
		title = a.Name
	}
	p.Layout = s.layout(c, sc, title)
	return s.Render(c, sc.Page("agents_edit"), p)
}

func (s *Handler) handleNew(c *fiber.Ctx, sc web.Scope) error {
	a := &agents.Agent{Config: agents.Config{Channels: agents.Channels{Web: true}, Tools: []string{agents.ToolCreatePerson, agents.ToolAddNote, agents.ToolTransfer, agents.ToolEndConversation}}}
	_ = a.Config.Normalize()
	if t := web.Tenant(c); t != nil {
		a.TenantID = t.ID
	} else if id, err := strconv.ParseInt(c.Query("tenant"), 10, 64); err == nil {
		a.TenantID = id
	}
	return s.editor(c, sc, a, nil)
}

// readForm applies the editor's fields to a. It returns the field that
// could not be read.
func readForm(c *fiber.Ctx, a *agents.Agent) error {
	f := func(k string) string { return strings.TrimSpace(utils.CopyString(c.FormValue(k))) }
	a.Name = f("name")
	a.Phone = f("phone")
	a.Enabled = f("enabled") != ""
	cfg := &a.Config
	cfg.Instructions, cfg.Greeting = f("instructions"), f("greeting")
	cfg.Model.BaseURL, cfg.Model.Model, cfg.Model.KeySecret, cfg.Model.EmbeddingModel = f("base_url"), f("model"), f("key_secret"), f("embedding_model")
	if v := f("temperature"); v != "" {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return app.FieldErrorf("temperature", "Temperature must be a number from 0 to 2.")
		}
		cfg.Model.Temperature = t
	} else {
		cfg.Model.Temperature = agents.DefaultTemperature
	}
	cfg.Channels = agents.Channels{Web: f("ch_web") != "", SMS: f("ch_sms") != "", Voice: f("ch_voice") != "", Forms: f("ch_forms") != ""}
	cfg.Voice = agents.VoiceSettings{Mode: f("voice_mode"), Carrier: f("voice_carrier"), Voice: f("voice_voice"), Language: f("voice_language")}
	args := c.Request().PostArgs()
	multi := func(k string) []string {
		var out []string
		for _, v := range args.PeekMulti(k) {
			out = append(out, string(v))
		}
		return out
	}
	cfg.Tools, cfg.Knowledge, cfg.Sheets = multi("tools"), multi("knowledge"), multi("sheets")
	cfg.Workflows = nil
	for _, w := range web.SplitList(f("workflows")) {
		id, err := strconv.ParseInt(w, 10, 64)
		if err != nil || id <= 0 {
			return app.FieldErrorf("workflows", "Workflows are workflow IDs separated by commas.")
		}
		cfg.Workflows = append(cfg.Workflows, id)
	}
	cfg.Hours.TZ, cfg.Hours.Closed = f("hours_tz"), f("hours_closed")
	for i := range cfg.Hours.Days {
		cfg.Hours.Days[i] = web.SplitList(f("day" + strconv.Itoa(i)))
	}
	cfg.Handoff = agents.Handoff{Kind: f("handoff_kind"), Target: f("handoff_target")}
	cfg.Fields = nil
	for n, line := range strings.Split(f("fields"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "|")
		for len(parts) < 5 {
			parts = append(parts, "")
		}
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if parts[3] != "" && parts[3] != "required" {
			return app.FieldErrorf("fields", "Line %d: the fourth part is \"required\" or empty.", n+1)
		}
		cfg.Fields = append(cfg.Fields, agents.Field{Key: parts[0], Label: parts[1], CRMField: parts[2], Required: parts[3] == "required", Description: strings.Join(parts[4:], "|")})
	}
	atoi := func(k string) (int, error) {
		n, err := web.AtoiDefault(f(k), 0)
		if err != nil || n < 0 {
			return 0, app.FieldErrorf(k, "A whole number, please.")
		}
		return n, nil
	}
	var err error
	if cfg.Limits.MaxTurns, err = atoi("max_turns"); err != nil {
		return err
	}
	if cfg.Limits.MaxTokens, err = atoi("max_tokens"); err != nil {
		return err
	}
	if cfg.Limits.MaxToolCalls, err = atoi("max_tool_calls"); err != nil {
		return err
	}
	if cfg.Limits.ReplyTimeout, err = atoi("reply_timeout"); err != nil {
		return err
	}
	return nil
}

func (s *Handler) handleCreate(c *fiber.Ctx, sc web.Scope) error {
	a := &agents.Agent{}
	if sc.Nexus() {
		a.TenantID, _ = strconv.ParseInt(c.FormValue("tenant_id"), 10, 64)
	}
	return s.save(c, sc, a)
}

func (s *Handler) save(c *fiber.Ctx, sc web.Scope, a *agents.Agent) error {
	err := readForm(c, a)
	if err == nil {
		err = s.Agents.SaveAgent(c.UserContext(), a)
	}
	if err != nil {
		return web.FormError(c, err, "name", func(errs map[string]string) error { return s.editor(c, sc, a, errs) })
	}
	s.SetFlash(c, "success", fmt.Sprintf("Saved %s (version %d).", a.Name, a.Version))
	return c.Redirect(fmt.Sprintf("/agents/%d", a.ID), fiber.StatusSeeOther)
}

func (s *Handler) agent(c *fiber.Ctx) (*agents.Agent, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.Agents.Agent(c.UserContext(), id)
}

func (s *Handler) handleEdit(c *fiber.Ctx, sc web.Scope) error {
	a, err := s.agent(c)
	if err != nil {
		return err
	}
	return s.editor(c, sc, a, nil)
}

func (s *Handler) handleSave(c *fiber.Ctx, sc web.Scope) error {
	a, err := s.agent(c)
	if err != nil {
		return err
	}
	return s.save(c, sc, a)
}

type versionsPage struct {
	web.Layout
	Agent    *agents.Agent
	Versions []versionView
}

type versionView struct {
	*agents.Agent
	JSON string
}

func (s *Handler) handleVersions(c *fiber.Ctx, sc web.Scope) error {
	a, err := s.agent(c)
	if err != nil {
		return err
	}
	vs, err := s.Agents.AgentVersions(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	p := &versionsPage{Agent: a}
	for _, v := range vs {
		p.Versions = append(p.Versions, versionView{v, v.Config.JSON()})
	}
	p.Layout = s.layout(c, sc, a.Name+": versions")
	return s.Render(c, sc.Page("agents_versions"), p)
}

func (s *Handler) handleEnable(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	on := c.FormValue("enabled") == "1"
	if err := s.Agents.SetAgentEnabled(c.UserContext(), id, on); err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			s.SetFlash(c, "error", app.ErrorMessage(err))
			return c.Redirect(fmt.Sprintf("/agents/%d", id), fiber.StatusSeeOther)
		}
		return err
	}
	return c.Redirect("/agents", fiber.StatusSeeOther)
}

func (s *Handler) handleDelete(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Agents.DeleteAgent(c.UserContext(), id); err != nil {
		return err
	}
	s.SetFlash(c, "success", "Agent deleted; its conversations stay.")
	return c.Redirect("/agents", fiber.StatusSeeOther)
}

func (s *Handler) handlePlayground(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	conv, err := s.Agents.StartPlayground(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/agents/conversations/%d", conv.ID), fiber.StatusSeeOther)
}

func (s *Handler) handleTestCall(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	cid, err := s.Agents.TestCall(c.UserContext(), id, utils.CopyString(c.FormValue("to")))
	if err != nil {
		if code := app.ErrorCode(err); code == app.EINVALID {
			s.SetFlash(c, "error", app.ErrorMessage(err))
			return c.Redirect(fmt.Sprintf("/agents/%d", id), fiber.StatusSeeOther)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/agents/conversations/%d", cid), fiber.StatusSeeOther)
}

type conversationsPage struct {
	web.Layout
	Nexus         bool
	Conversations []*agents.Conversation
	Tenants       map[int64]string
	Status        string
}

func (s *Handler) handleConversations(c *fiber.Ctx, sc web.Scope) error {
	f := agents.ConversationFilter{Status: c.Query("status"), Limit: 100}
	if f.Status != "" && f.Status != agents.StatusActive && f.Status != agents.StatusEnded {
		return app.FieldErrorf("status", "status is active or ended.")
	}
	cs, err := s.Agents.Conversations(c.UserContext(), f)
	if err != nil {
		return err
	}
	p := &conversationsPage{Nexus: sc.Nexus(), Conversations: cs, Tenants: s.tenantNames(c, sc), Status: f.Status}
	p.Layout = s.layout(c, sc, "Agent conversations")
	return s.Render(c, sc.Page("agents_conversations"), p)
}

type conversationPage struct {
	web.Layout
	Conv    *agents.Conversation
	Turns   []*agents.Turn
	Tenant  string
	Mode    string // playground, watch, or "" (ended)
	SendURL string
	Mine    bool // the viewer took it over
	Cost    string
}

func (s *Handler) handleConversation(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	conv, turns, err := s.Agents.Conversation(c.UserContext(), id)
	if err != nil {
		return err
	}
	p := &conversationPage{Conv: conv, Turns: turns, Tenant: s.tenantNames(c, sc)[conv.TenantID], Cost: agents.FormatMicros(conv.CostMicros)}
	me := app.ActorFromContext(c.UserContext())
	p.Mine = conv.TakenOverBy != "" && conv.TakenOverBy == me
	switch {
	case !conv.Active():
	case conv.Channel == agents.ChannelPlayground:
		p.Mode, p.SendURL = "playground", fmt.Sprintf("/agents/conversations/%d/send", conv.ID)
	default:
		p.Mode = "watch"
		if p.Mine {
			p.SendURL = fmt.Sprintf("/agents/conversations/%d/message", conv.ID)
		}
	}
	p.Layout = s.layout(c, sc, "Conversation")
	return s.Render(c, sc.Page("agents_conversation"), p)
}

func (s *Handler) handleConversationEvents(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	conv, _, sub, err := s.Agents.Watch(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.stream(c, conv, sub, false)
}

// jsonText reads {"text": ...} of a post to conversation :id, after
// checking the caller may see it (another tenant's is 404 whatever the
// body).
func (s *Handler) jsonText(c *fiber.Ctx, id int64) (string, error) {
	if _, _, err := s.Agents.Conversation(c.UserContext(), id); err != nil {
		return "", err
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return "", err
	}
	return in.Text, nil
}

func (s *Handler) handlePlaygroundSend(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	text, err := s.jsonText(c, id)
	if err != nil {
		return err
	}
	if err := s.Agents.PlaygroundSend(c.UserContext(), id, text); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"ok": true})
}

func (s *Handler) handleHumanMessage(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	text, err := s.jsonText(c, id)
	if err != nil {
		return err
	}
	if err := s.Agents.HumanMessage(c.UserContext(), id, text); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"ok": true})
}

func (s *Handler) handleTakeover(take bool) pageFn {
	return func(c *fiber.Ctx, sc web.Scope) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		if take {
			err = s.Agents.TakeOver(c.UserContext(), id)
		} else {
			err = s.Agents.HandBack(c.UserContext(), id)
		}
		if err != nil {
			if code := app.ErrorCode(err); code == app.EINVALID || code == app.ECONFLICT {
				s.SetFlash(c, "error", app.ErrorMessage(err))
			} else {
				return err
			}
		}
		return c.Redirect(fmt.Sprintf("/agents/conversations/%d", id), fiber.StatusSeeOther)
	}
}

func (s *Handler) handleEnd(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Agents.EndConversation(c.UserContext(), id); err != nil && app.ErrorCode(err) != app.ECONFLICT {
		return err
	}
	return c.Redirect(fmt.Sprintf("/agents/conversations/%d", id), fiber.StatusSeeOther)
}

type usagePage struct {
	web.Layout
	Nexus   bool
	Rows    []*agents.UsageRow
	Prices  []*agents.Price
	Budget  string
	Tenants map[int64]string
	Errors  map[string]string
}

func (s *Handler) usage(c *fiber.Ctx, sc web.Scope, errs map[string]string) error {
	ctx := c.UserContext()
	since := time.Now().UTC().AddDate(0, -12, 0)
	rows, err := s.Agents.Usage(ctx, since)
	if err != nil {
		return err
	}
	prices, err := s.Agents.Prices(ctx)
	if err != nil {
		return err
	}
	p := &usagePage{Nexus: sc.Nexus(), Rows: rows, Prices: prices, Tenants: s.tenantNames(c, sc), Errors: errs}
	if !sc.Nexus() {
		if st, err := s.Agents.Settings(ctx, 0); err == nil && st.DailyBudgetMicros > 0 {
			p.Budget = agents.FormatMicros(st.DailyBudgetMicros)
		}
	}
	p.Layout = s.layout(c, sc, "AI usage")
	return s.Render(c, sc.Page("agents_usage"), p)
}

func (s *Handler) handleUsage(c *fiber.Ctx, sc web.Scope) error { return s.usage(c, sc, nil) }

func money(c *fiber.Ctx, k string) (int64, error) {
	v := strings.TrimSpace(c.FormValue(k))
	if v == "" {
		return 0, nil
	}
	m, err := agents.ParseMicros(v)
	if err != nil {
		return 0, app.FieldErrorf(k, "%s must be an amount like 0.15.", k)
	}
	return m, nil
}

func (s *Handler) handlePriceSave(c *fiber.Ctx, sc web.Scope) error {
	p := &agents.Price{Key: utils.CopyString(c.FormValue("key"))}
	var err error
	if p.InPerMTok, err = money(c, "in_per_mtok"); err == nil {
		if p.OutPerMTok, err = money(c, "out_per_mtok"); err == nil {
			if p.Unit, err = money(c, "unit"); err == nil {
				err = s.Agents.SavePrice(c.UserContext(), p)
			}
		}
	}
	if err != nil {
		return web.FormError(c, err, "key", func(errs map[string]string) error { return s.usage(c, sc, errs) })
	}
	s.SetFlash(c, "success", "Price saved.")
	return c.Redirect("/agents/usage", fiber.StatusSeeOther)
}

func (s *Handler) handlePriceDelete(c *fiber.Ctx, sc web.Scope) error {
	if err := s.Agents.DeletePrice(c.UserContext(), utils.CopyString(c.FormValue("key"))); err != nil {
		return err
	}
	return c.Redirect("/agents/usage", fiber.StatusSeeOther)
}

func (s *Handler) handleBudget(c *fiber.Ctx, sc web.Scope) error {
	st := &agents.Settings{}
	st.TenantID, _ = strconv.ParseInt(c.FormValue("tenant_id"), 10, 64)
	var err error
	if st.DailyBudgetMicros, err = money(c, "daily_budget"); err == nil {
		err = s.Agents.SaveSettings(c.UserContext(), st)
	}
	if err != nil {
		return web.FormError(c, err, "daily_budget", func(errs map[string]string) error { return s.usage(c, sc, errs) })
	}
	s.SetFlash(c, "success", "Budget saved.")
	return c.Redirect("/agents/usage", fiber.StatusSeeOther)
}
