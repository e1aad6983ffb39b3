package cli

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/sheets"
	"orengen/app/wiki"
	"orengen/httpx"
	"orengen/llm"
	"orengen/pdftext"
	"orengen/store"
	"orengen/twilio"
	"orengen/ui"
	agentsui "orengen/ui/agents"
)

// wireAgents builds Agent Studio: the service on its store and the CRM,
// the model client (OpenAI-compatible; --openai-url is the default
// endpoint, keys from the vault), and its place in the automation engine
// (AI call and AI SMS steps) and in Twilio's webhooks (the agent assigned
// to a number answers its texts and calls).
func (a *App) wireAgents() {
	cfg := a.Config
	st := store.NewAgentStore(a.DB)
	ag := agents.NewService(st.Stores())
	// Every request goes to a base URL a tenant may set: the guarded
	// outbound client, with no overall timeout (each call is bounded by
	// its context, so a stream is not cut mid-answer).
	ag.Model = &llm.AgentModel{HTTP: a.outboundClient(httpx.Options{Timeout: -1}, cfg.OpenAIURL)}
	ag.CRM = a.CRMService
	ag.PDF = pdftext.Text
	ag.Contacts = store.NewContactStore(a.DB)
	ag.Tenants = a.Stores.Tenants
	ag.Key = func(ctx context.Context, tenantID int64, name string) (string, error) {
		v := a.Integrations.Secret(ctx, tenantID, name)
		if v == "" && name == app.SecretOpenAIKey {
			v = cfg.OpenAIAPIKey
		}
		return v, nil
	}
	ag.DefaultBaseURL = func(ctx context.Context) string { return a.Providers.Current(ctx).ModelURL }
	ag.Telephony = a.Integrations.Telephony
	ag.Mailer = a.Integrations.Mailer
	ag.Workflows = store.NewWorkflowStore(a.DB)
	ag.Wake = a.Engine.Wake
	ag.Audit = a.Audit
	ag.Logger = a.Logger
	a.Agents = ag
	a.Agents.TwiML = a.agentTwiML
	a.Agents.Wiki = wikiKnowledge{a.Wiki}
	a.Agents.Sheets = sheetLookup{a.Sheets}
	a.Agents.Catalog = a.agentCatalog
	a.Engine.AI = a.Agents
	a.Automations.Agents = a.Agents
	a.Server.Agents = a.Agents
	a.Server.AgentVoice = agentsui.Voice{Relay: a.agentRelay, Gather: twilio.GatherTwiML, Dial: twilio.DialTwiML, Hangup: twilio.HangupTwiML}
}

// agentRelay runs a call's ConversationRelay session on its WebSocket:
// the setup must name the call the conversation records (a pending
// outbound call has no SID yet; Telnyx may send its call control ID
// instead).
func (a *App) agentRelay(ctx context.Context, conn agentsui.RelayConn, c *agents.Conversation, ag *agents.Agent) error {
	rs := &twilio.RelaySession{Conn: conn, Agent: a.Agents, Conv: c, Opening: c.Direction == "outbound",
		OnSetup: func(m *twilio.RelayInbound) error {
			if ext := c.ExternalID; m.CallSid != "" && ext != "" && !strings.HasPrefix(ext, "pending:") && m.CallSid != ext {
				return app.Errorf(app.EFORBIDDEN, "The setup names another call.")
			}
			return nil
		}}
	return rs.Serve(ctx)
}

// agentTwiML connects a call to its agent: ConversationRelay on a
// WebSocket (wss:// on the portal host) whose URL carries a signed token
// naming the conversation, or the <Gather> loop.
func (a *App) agentTwiML(c *agents.Conversation, ag *agents.Agent) (string, error) {
	base := a.Server.URL(ui.HostPortal)
	tok := agents.RelayToken(agents.RelayKey(a.Server.SessionKey), c.ID, time.Now().Add(6*time.Hour))
	q := url.Values{"c": {strconv.FormatInt(c.ID, 10)}, "t": {tok}}.Encode()
	v := ag.Config.Voice
	greeting := ""
	if c.Direction != "outbound" {
		greeting = ag.Config.Greeting
	}
	if v.Mode == agents.VoiceGather {
		say := greeting
		if say == "" {
			say = "Hello, this is " + ag.Name + "."
		}
		return twilio.GatherTwiML(base+ui.AgentGatherPath+"?"+q, base+ui.AgentGatherPath+"?"+q+"&silence=1", say, v.Language, v.Voice), nil
	}
	ws := "wss" + strings.TrimPrefix(base, "https")
	if strings.HasPrefix(base, "http:") {
		ws = "ws" + strings.TrimPrefix(base, "http")
	}
	return twilio.RelayTwiML(ws+ui.AgentRelayPath+"?"+q, base+ui.AgentActionPath+"?"+q, greeting, v.Language, v.Voice, nil), nil
}

// wikiKnowledge lets agents read the tenant's wiki spaces.
type wikiKnowledge struct{ w *wiki.Service }

// SearchKnowledge asks the wiki once per keyword of the question (its
// search wants every term of a query; a visitor's question shares only
// some words with the page that answers it) and ranks the passages by
// how many keywords found them, then by BM25.
func (k wikiKnowledge) SearchKnowledge(ctx context.Context, tenantID int64, spaces []int64, query string, limit int) ([]agents.Source, error) {
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
	type hit struct {
		src   agents.Source
		n     int
		score float64
	}
	byKey := map[string]*hit{}
	var order []string
	for _, w := range agents.Keywords(query, 6) {
		cs, err := k.w.Search(ctx, spaces, w, limit)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			key := fmt.Sprintf("%d|%d|%s", c.PageID, c.AttachmentID, c.Text)
			h := byKey[key]
			if h == nil {
				text := c.Text
				if c.Heading != "" {
					text = c.Heading + ": " + text
				}
				h = &hit{src: agents.Source{Kind: "wiki", Title: c.Source, Ref: "/wiki/" + c.PageSlug, Text: text}}
				byKey[key] = h
				order = append(order, key)
			}
			h.n++
			h.score += -c.Score // BM25 from SQLite: lower is better
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := byKey[order[i]], byKey[order[j]]
		if a.n != b.n {
			return a.n > b.n
		}
		return a.score > b.score
	})
	var out []agents.Source
	for _, key := range order[:min(limit, len(order))] {
		h := byKey[key]
		h.src.Score = math.Round(h.score*1e4) / 1e4
		out = append(out, h.src)
	}
	return out, nil
}

// sheetLookup lets agents read rows of the tenant's sheets: a query
// matches rows whose text or choice columns contain it.
type sheetLookup struct{ s *sheets.Service }

func (l sheetLookup) SheetNames(ctx context.Context, tenantID int64, ids []string) (map[string]string, error) {
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
	out := map[string]string{}
	for _, ref := range ids {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			continue
		}
		t, err := l.s.Table(ctx, id)
		if app.ErrorCode(err) == app.ENOTFOUND {
			continue // deleted, or never this tenant's
		} else if err != nil {
			return nil, err
		}
		out[t.Name] = ref
	}
	return out, nil
}

func (l sheetLookup) LookupRows(ctx context.Context, tenantID int64, sheetID, query string, limit int) ([]map[string]string, error) {
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
	id, err := strconv.ParseInt(sheetID, 10, 64)
	if err != nil {
		return nil, app.Errorf(app.ENOTFOUND, "Sheet not found.")
	}
	t, err := l.s.Table(ctx, id)
	if err != nil {
		return nil, err
	}
	f := sheets.Filter{Any: true, Limit: limit}
	for _, c := range t.Columns {
		if c.Type == sheets.TypeText || c.Type == sheets.TypeSelect {
			f.Where = append(f.Where, sheets.Condition{Column: c.Key, Op: sheets.OpContains, Value: query})
		}
	}
	rows, err := l.s.LookupRows(ctx, id, f)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, 0, len(rows))
	for _, r := range rows {
		byName := map[string]string{}
		for k, v := range r.Text(t) {
			if c := t.Column(k); c != nil {
				byName[c.Name] = v
			}
		}
		out = append(out, byName)
	}
	return out, nil
}

// agentCatalog lists a tenant's wiki spaces and sheets for the editor.
func (a *App) agentCatalog(ctx context.Context, tenantID int64) (spaces, tables []agents.Option, err error) {
	tctx := app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
	sp, err := a.Wiki.Spaces(tctx)
	if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return nil, nil, err
	}
	for _, s := range sp {
		spaces = append(spaces, agents.Option{ID: strconv.FormatInt(s.ID, 10), Name: s.Name})
	}
	ts, err := a.Sheets.Tables(tctx)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range ts {
		tables = append(tables, agents.Option{ID: strconv.FormatInt(t.ID, 10), Name: t.Name})
	}
	return spaces, tables, nil
}
