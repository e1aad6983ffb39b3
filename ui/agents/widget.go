package agents

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/agents"
	"orengen/assets"
	"orengen/ui/web"
)

// MountChat adds the chat widget's public endpoints on a host: the
// marketing site serves the house tenant's agents, a tenant's domain its
// own, app.DOMAIN any tenant's. The page may be framed by any site; the
// visitor's token (returned once by start) is the credential of the
// chat's messages, stream and history.
func (s *Handler) MountChat(r fiber.Router, host string) {
	if !s.On() {
		return
	}
	mark := func(c *fiber.Ctx) error { chatHost.Set(c, host); return c.Next() }
	r.Get("/chat/widget.js", s.handleWidgetJS)
	r.Get("/chat/:key", web.Embeddable, mark, s.handleChatPage)
	r.Get("/chat/:key/brand.css", mark, s.handleChatCSS)
	r.Get("/chat/:key/logo", mark, s.handleChatLogo)
	r.Post("/chat/:key/start", mark, s.sameOrigin, s.handleChatStart)
	r.Post("/chat/:key/c/:id/messages", mark, s.sameOrigin, s.handleChatMessage)
	r.Get("/chat/:key/c/:id/events", mark, s.handleChatEvents)
	r.Get("/chat/:key/c/:id/history", mark, s.handleChatHistory)
}

var chatHost = web.NewKey[string]("chat_host")

// widgetAgent is the enabled web-chat agent of :key this host serves.
func (s *Handler) widgetAgent(c *fiber.Ctx) (*agents.Agent, error) {
	if s.Agents == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Chat not found.")
	}
	host, _ := chatHost.Get(c)
	var hostTenant int64
	if t := web.DomainTenant(c); t != nil {
		hostTenant = t.ID
	} else if host == web.HostSite {
		hostTenant = app.HouseTenantID
	}
	return s.Agents.WidgetAgent(c.UserContext(), utils.CopyString(c.Params("key")), hostTenant)
}

// handleWidgetJS serves the loader at a stable URL (asset URLs change
// with each release; the snippet on a client's site does not).
func (s *Handler) handleWidgetJS(c *fiber.Ctx) error {
	f, ok := assets.Get("js/agent-widget.js")
	if !ok || s.Agents == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return c.Send(f.Body())
}

type chatPage struct {
	web.Layout
	Agent    *agents.Agent
	Base     string
	Page     string
	Greeting string
}

func (s *Handler) tenantOf(c *fiber.Ctx, a *agents.Agent) *app.Tenant {
	if s.Tenants != nil {
		if t, err := s.Tenants.TenantByID(c.UserContext(), a.TenantID); err == nil {
			return t
		}
	}
	return &app.Tenant{ID: a.TenantID}
}

// handleChatPage is the chat in the widget's frame, in the tenant's
// brand.
func (s *Handler) handleChatPage(c *fiber.Ctx) error {
	a, err := s.widgetAgent(c)
	if err != nil {
		return err
	}
	t := s.tenantOf(c, a)
	base := "/chat/" + a.PublicKey
	p := &chatPage{Agent: a, Base: base, Page: truncate(c.Query("page"), 200), Greeting: a.Config.Greeting}
	p.Layout = web.Layout{Title: a.Name, Host: web.HostPortal, Path: c.Path(), Year: time.Now().Year(),
		Brand: web.Brand{Name: t.BrandName(), CSSURL: base + "/brand.css?v=" + t.BrandVersion(), SupportEmail: t.SupportEmail}}
	if t.LogoHash != "" {
		p.Brand.LogoURL = base + "/logo?v=" + t.LogoHash
	}
	return s.Render(c, "chat/agent_chat", p)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func (s *Handler) handleChatCSS(c *fiber.Ctx) error {
	a, err := s.widgetAgent(c)
	if err != nil {
		return err
	}
	t := s.tenantOf(c, a)
	if c.Query("v") == t.BrandVersion() {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	return c.SendString(t.BrandCSS())
}

func (s *Handler) handleChatLogo(c *fiber.Ctx) error {
	a, err := s.widgetAgent(c)
	if err != nil || s.Tenants == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	l, err := s.Tenants.Logo(c.UserContext(), a.TenantID)
	if err != nil {
		return err
	}
	return web.SendLogo(c, l, "public")
}

// sameOrigin refuses posts another site's page makes (the chat's own
// frame posts from this origin): middleware.
func (s *Handler) sameOrigin(c *fiber.Ctx) error {
	return s.CheckCSRF(c, true)
}

// handleChatStart opens a chat: {"page": "..."} -> 201 {"id", "token"}.
func (s *Handler) handleChatStart(c *fiber.Ctx) error {
	a, err := s.widgetAgent(c)
	if err != nil {
		return err
	}
	if s.LeadLimit != nil {
		if err := s.LeadLimit.Check(c); err != nil {
			return err
		}
	}
	var in struct {
		Page string `json:"page"`
	}
	if len(c.Body()) > 0 {
		if err := web.DecodeJSON(c.Body(), &in); err != nil {
			return err
		}
	}
	conv, tok, err := s.Agents.StartChat(c.UserContext(), a, in.Page)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": conv.ID, "token": tok})
}

// visitorChat is the chat of :id whose token the request carries
// (?token= or the JSON body's).
func (s *Handler) visitorChat(c *fiber.Ctx, token string) (*agents.Agent, *agents.Conversation, error) {
	a, err := s.widgetAgent(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Chat not found.")
	}
	conv, err := s.Agents.VisitorConversation(c.UserContext(), a, id, token)
	return a, conv, err
}

// handleChatMessage posts the visitor's message: {"text", "token"} ->
// 202; the reply streams on the events.
func (s *Handler) handleChatMessage(c *fiber.Ctx) error {
	var in struct {
		Text  string `json:"text"`
		Token string `json:"token"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	_, conv, err := s.visitorChat(c, in.Token)
	if err != nil {
		return err
	}
	if err := s.Agents.Send(c.UserContext(), conv, in.Text); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"ok": true})
}

// handleChatHistory is the chat as its visitor may read it again.
func (s *Handler) handleChatHistory(c *fiber.Ctx) error {
	_, conv, err := s.visitorChat(c, utils.CopyString(c.Query("token")))
	if err != nil {
		return err
	}
	msgs, err := s.Agents.VisitorTranscript(c.UserContext(), conv)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"id": conv.ID, "status": conv.Status, "messages": msgs})
}

// handleChatEvents streams the chat's events to its visitor: the
// agent's words as they arrive, whole messages and status changes;
// never tool calls or sources.
func (s *Handler) handleChatEvents(c *fiber.Ctx) error {
	_, conv, err := s.visitorChat(c, utils.CopyString(c.Query("token")))
	if err != nil {
		return err
	}
	return s.stream(c, conv, s.Agents.WatchVisitor(conv), true)
}

// Heartbeat is how often a quiet stream sends a comment (proxies close
// idle connections).
const Heartbeat = 15 * time.Second

// maxStream bounds one stream; the browser's EventSource reconnects.
const maxStream = 30 * time.Minute

// stream writes a subscription's events as server-sent events until the
// subscriber goes, the conversation ends, or the server shuts down (an
// ended conversation's stream says so at once).
// visitor drops the private events.
func (s *Handler) stream(c *fiber.Ctx, conv *agents.Conversation, sub *agents.Sub, visitor bool) error {
	s.init()
	if !conv.Active() { // nothing more will happen: say so and end
		s.Agents.Unwatch(sub)
		c.Set(fiber.HeaderContentType, "text/event-stream")
		c.Set(fiber.HeaderCacheControl, "no-store")
		b, _ := json.Marshal(agents.Event{Type: agents.EventStatus, ConversationID: conv.ID, Status: agents.StatusEnded, Outcome: conv.Outcome})
		return c.SendString("data: " + string(b) + "\n\n")
	}
	return web.SSE[agents.Event]{C: sub.C, Done: s.ctx.Done(), Streams: &s.live, Heartbeat: Heartbeat, Max: maxStream,
		Skip: func(ev agents.Event) bool {
			return visitor && (ev.Private || ev.Type == agents.EventTool || ev.Type == agents.EventSources)
		},
		Last:  func(ev agents.Event) bool { return ev.Type == agents.EventStatus && ev.Status == agents.StatusEnded },
		Close: func() { s.Agents.Unwatch(sub) },
	}.Serve(c)
}
