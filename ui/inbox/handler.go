// Package inbox serves Conversations: the portal's inbox (the tenant's
// own threads) and Nexus's (every tenant's, filterable by tenant): the
// list with filters and search, a thread with the contact's CRM card,
// the reply box, assign, labels, close/reopen, snooze, private notes,
// canned replies, the take-over of an agent's chat, and the live stream
// (SSE) that refreshes an open inbox when something changes.
//
// inbox imports app, app/inbox and ui/web; never a store.
package inbox

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/ui/web"
)

// Templates are this package's pages and partials.
//
//go:embed templates
var Templates embed.FS

// NavItem is the inbox's entry in the portal's and Nexus's navigation.
var NavItem = web.NavItem{Label: "Conversations", Path: "/inbox"}

// Heartbeat is how often an idle live stream sends a comment.
var Heartbeat = 20 * time.Second

const maxStream = 30 * time.Minute

// Handler serves the inbox pages.
type Handler struct {
	*web.Kit
	Inbox   *inbox.Service // nil: no routes
	Tenants *app.TenantService

	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	live   web.Streams
}

func (s *Handler) init() {
	s.once.Do(func() { s.ctx, s.cancel = context.WithCancel(context.Background()) })
}

// On reports whether the inbox is wired.
func (s *Handler) On() bool { return s != nil && s.Inbox != nil }

// Shutdown ends the live streams and waits for them.
func (s *Handler) Shutdown() {
	if s == nil {
		return
	}
	s.init()
	s.cancel()
	s.live.Wait()
}

type pageFn func(c *fiber.Ctx, sc web.Scope) error

func (s *Handler) page(sc web.Scope, fn pageFn) fiber.Handler {
	return func(c *fiber.Ctx) error { return fn(c, sc) }
}

// Mount adds the inbox behind the host's sign-in. Every page and post
// goes through the service, which scopes it to the caller's tenant.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if !s.On() {
		return
	}
	r.Get("/inbox", s.page(sc, s.handleList))
	r.Get("/inbox/events", s.page(sc, s.handleEvents))
	r.Get("/inbox/canned", s.page(sc, s.handleCanned))
	r.Post("/inbox/canned", csrf, s.page(sc, s.handleCannedSave))
	r.Post("/inbox/canned/:id/delete", csrf, s.page(sc, s.handleCannedDelete))
	r.Get("/inbox/mailbox", s.page(sc, s.handleMailbox))
	r.Post("/inbox/mailbox", csrf, s.page(sc, s.handleMailboxSave))
	r.Post("/inbox/mailbox/poll", csrf, s.page(sc, s.handleMailboxPoll))
	r.Post("/inbox/inbound", csrf, s.page(sc, s.handleInbound))
	r.Get("/inbox/hours", s.page(sc, s.handleHours))
	r.Post("/inbox/hours", csrf, s.page(sc, s.handleHoursSave))
	s.mountBroadcasts(r, csrf, sc) // broadcast.go: before /inbox/:id
	s.mountQuiet(r, csrf, sc)      // quiet.go
	s.mountReportsAndCalls(r, sc)
	r.Get("/inbox/:id", s.page(sc, s.handleThread))
	r.Get("/inbox/:id/messages/:mid/frame", s.page(sc, s.handleMessageFrame))
	r.Get("/inbox/:id/attachments/:aid", s.page(sc, s.handleAttachment))
	r.Post("/inbox/:id/reply", csrf, s.page(sc, s.formAction("text", func(ctx context.Context, id int64, v string) error { return drop(s.Inbox.Reply(ctx, id, v)) })))
	r.Post("/inbox/:id/note", csrf, s.page(sc, s.formAction("text", func(ctx context.Context, id int64, v string) error { return drop(s.Inbox.AddNote(ctx, id, v)) })))
	r.Post("/inbox/:id/assign", csrf, s.page(sc, s.formAction("assignee", func(ctx context.Context, id int64, v string) error { return drop(s.Inbox.Assign(ctx, id, v)) })))
	r.Post("/inbox/:id/labels", csrf, s.page(sc, s.formAction("labels", func(ctx context.Context, id int64, v string) error {
		return drop(s.Inbox.SetLabels(ctx, id, []string{v}))
	})))
	r.Post("/inbox/:id/status", csrf, s.page(sc, s.formAction("status", func(ctx context.Context, id int64, v string) error { return drop(s.Inbox.SetStatus(ctx, id, v)) })))
	r.Post("/inbox/:id/snooze", csrf, s.page(sc, s.handleSnooze))
	r.Post("/inbox/:id/takeover", csrf, s.page(sc, s.handleTakeover(true)))
	r.Post("/inbox/:id/handback", csrf, s.page(sc, s.handleTakeover(false)))
}

// filterForm is the list's filters as the query string carries them.
type filterForm struct {
	Status, Channel, Assignee, Label, Q, Tenant string
}

func (f filterForm) query() string {
	v := url.Values{}
	for k, x := range map[string]string{"status": f.Status, "channel": f.Channel, "assignee": f.Assignee, "label": f.Label, "q": f.Q, "tenant": f.Tenant} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

type cannedView struct {
	ID         int64
	Name, Body string
}

// inboxPage is the inbox: the list, and the open thread when there is one.
type inboxPage struct {
	web.Layout
	Nexus         bool
	Tenants       map[int64]string
	TenantList    []*app.Tenant
	Filter        filterForm
	Query         string // the filters as a query string, kept on links
	Statuses      []string
	Channels      []string
	Conversations []*inbox.Conversation
	Next          string
	Conv          *inbox.Conversation
	Messages      []*inbox.Message
	// Images shows the remote images of emails (?images=1); Blocked
	// counts, per message, those not shown.
	Images  bool
	Blocked map[int64]int
	Person  *app.Person
	Canned  []cannedView
	// QuietNote warns of the tenant's quiet hours above the reply box.
	QuietNote string
	Me        string
	Error     string
}

func (s *Handler) tenantNames(c *fiber.Ctx, sc web.Scope, p *inboxPage) {
	p.Tenants = map[int64]string{}
	if !sc.Nexus() || s.Tenants == nil {
		return
	}
	ts, err := s.Tenants.ListTenants(c.UserContext())
	if err != nil {
		return
	}
	p.TenantList = ts
	for _, t := range ts {
		p.Tenants[t.ID] = t.BrandName()
	}
}

func (s *Handler) list(c *fiber.Ctx, sc web.Scope, p *inboxPage) error {
	p.Filter = filterForm{Status: utils.CopyString(c.Query("status")), Channel: utils.CopyString(c.Query("channel")), Assignee: utils.CopyString(c.Query("assignee")),
		Label: utils.CopyString(c.Query("label")), Q: utils.CopyString(c.Query("q")), Tenant: utils.CopyString(c.Query("tenant"))}
	p.Query = p.Filter.query()
	p.Statuses, p.Channels = inbox.Statuses, inbox.Channels
	p.Nexus = sc.Nexus()
	p.Me = app.ActorFromContext(c.UserContext())
	f := inbox.Filter{Status: p.Filter.Status, Channel: p.Filter.Channel, Assignee: p.Filter.Assignee, Label: p.Filter.Label, Query: p.Filter.Q}
	if p.Filter.Tenant != "" {
		id, err := strconv.ParseInt(p.Filter.Tenant, 10, 64)
		if err != nil || id <= 0 {
			return app.FieldErrorf("tenant", "Tenant must be a tenant ID.")
		}
		f.TenantID = id
	}
	if b := c.Query("before"); b != "" {
		at, id, ok := strings.Cut(b, "_")
		t, err := time.Parse(time.RFC3339Nano, at)
		n, err2 := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil || err2 != nil {
			return app.FieldErrorf("before", "Invalid page cursor.")
		}
		f.BeforeAt, f.BeforeID = t, n
	}
	f.Limit = 50
	cs, err := s.Inbox.Conversations(c.UserContext(), f)
	if err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			p.Error = app.ErrorMessage(err)
			cs = nil
		} else {
			return err
		}
	}
	p.Conversations = cs
	if len(cs) == f.Limit {
		last := cs[len(cs)-1]
		q := p.Filter.query()
		sep := "?"
		if q != "" {
			sep = "&"
		}
		p.Next = "/inbox" + q + sep + "before=" + url.QueryEscape(last.LastMessageAt.UTC().Format(time.RFC3339Nano)+"_"+strconv.FormatInt(last.ID, 10))
	}
	s.tenantNames(c, sc, p)
	return nil
}

func (s *Handler) handleList(c *fiber.Ctx, sc web.Scope) error {
	p := &inboxPage{}
	if err := s.list(c, sc, p); err != nil {
		return err
	}
	p.Layout = s.Layout(c, sc.Host, "Conversations")
	return s.Render(c, sc.Page("inbox"), p)
}

func (s *Handler) handleThread(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	conv, ms, err := s.Inbox.Thread(ctx, id)
	if err != nil {
		return err
	}
	p := &inboxPage{Conv: conv, Messages: ms, Images: c.Query("images") == "1"}
	if !p.Images {
		for _, m := range ms {
			if m.HTML == "" {
				continue
			}
			if _, n := inbox.DisplayHTML(m.HTML, false); n > 0 {
				if p.Blocked == nil {
					p.Blocked = map[int64]int{}
				}
				p.Blocked[m.ID] = n
			}
		}
	}
	if err := s.list(c, sc, p); err != nil {
		return err
	}
	p.Person = s.Inbox.Person(ctx, conv)
	if conv.Channel == inbox.ChannelSMS {
		p.QuietNote = s.Inbox.QuietNote(ctx, conv.TenantID) // quiet.go: warned, may still send
	}
	if cr, err := s.Inbox.CannedReplies(ctx, conv.TenantID); err == nil {
		for _, x := range cr {
			p.Canned = append(p.Canned, cannedView{ID: x.ID, Name: x.Name, Body: inbox.FillCanned(x.Body, conv, p.Person)})
		}
	}
	p.Layout = s.Layout(c, sc.Host, "Conversation with "+conv.Who())
	return s.Render(c, sc.Page("inbox"), p)
}

// handleMessageFrame is the document of an email's HTML in the thread's
// frame: sanitised again, in a sandbox with its own CSP (no script, no
// form, no request but images, and remote ones only with ?images=1),
// framed only by the inbox's own pages.
func (s *Handler) handleMessageFrame(c *fiber.Ctx, sc web.Scope) error {
	id, mid, err := threadChild(c, "mid")
	if err != nil {
		return err
	}
	images := c.Query("images") == "1"
	doc, _, err := s.Inbox.MessageHTML(c.UserContext(), id, mid, images)
	if err != nil {
		return err
	}
	img := "data: cid:"
	if images {
		img = "data: cid: https: http:"
	}
	c.Set("Content-Security-Policy", "default-src 'none'; img-src "+img+"; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox")
	c.Set("X-Frame-Options", "SAMEORIGIN")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(doc)
}

// threadChild reads a thread's ID and one of its message's or file's
// (child names the path parameter); either one bad is not found.
func threadChild(c *fiber.Ctx, child string) (id, childID int64, err error) {
	if id, err = web.ParamID(c, "id"); err != nil {
		return 0, 0, err
	}
	if childID, err = web.ParamID(c, child); err != nil {
		return 0, 0, err
	}
	return id, childID, nil
}

// handleAttachment downloads a stored file of a thread (as an
// attachment, inert: web.SendAttachment).
func (s *Handler) handleAttachment(c *fiber.Ctx, sc web.Scope) error {
	id, aid, err := threadChild(c, "aid")
	if err != nil {
		return err
	}
	a, err := s.Inbox.Attachment(c.UserContext(), id, aid)
	if err != nil {
		return err
	}
	return web.SendAttachment(c, a.Name, web.InertType(a.Data), false, a.Data, "private, no-store")
}

// back redirects to the thread, keeping the list's filters.
func (s *Handler) back(c *fiber.Ctx, id int64) error {
	q := ""
	if b := c.FormValue("back"); strings.HasPrefix(b, "?") && len(b) < 1000 {
		q = b
	}
	return c.Redirect(fmt.Sprintf("/inbox/%d%s", id, q), fiber.StatusSeeOther)
}

// act runs a thread action: a user error (EINVALID, ECONFLICT) is a flash
// on the thread, anything else the error page.
func (s *Handler) act(c *fiber.Ctx, fn func(ctx context.Context, id int64) error) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	// Another tenant's thread is 404 whatever the form holds.
	if _, err := s.Inbox.Conversation(c.UserContext(), id); err != nil {
		return err
	}
	if err := fn(c.UserContext(), id); err != nil {
		switch app.ErrorCode(err) {
		case app.EINVALID, app.ECONFLICT:
			s.SetFlash(c, "error", app.ErrorMessage(err))
		default:
			return err
		}
	}
	return s.back(c, id)
}

// formAction is a thread action taking one form field.
func (s *Handler) formAction(field string, fn func(ctx context.Context, id int64, v string) error) pageFn {
	return func(c *fiber.Ctx, sc web.Scope) error {
		v := utils.CopyString(c.FormValue(field))
		return s.act(c, func(ctx context.Context, id int64) error { return fn(ctx, id, v) })
	}
}

// drop keeps an action's error only.
func drop[T any](_ T, err error) error { return err }

func (s *Handler) handleSnooze(c *fiber.Ctx, sc web.Scope) error {
	v := utils.CopyString(c.FormValue("until"))
	return s.act(c, func(ctx context.Context, id int64) error {
		var until time.Time
		switch v {
		case "1h":
			until = time.Now().Add(time.Hour)
		case "4h":
			until = time.Now().Add(4 * time.Hour)
		case "1d":
			until = time.Now().Add(24 * time.Hour)
		case "1w":
			until = time.Now().Add(7 * 24 * time.Hour)
		default:
			return app.FieldErrorf("until", "Choose how long to snooze.")
		}
		_, err := s.Inbox.Snooze(ctx, id, until)
		return err
	})
}

func (s *Handler) handleTakeover(take bool) pageFn {
	return func(c *fiber.Ctx, sc web.Scope) error {
		return s.act(c, func(ctx context.Context, id int64) error { return s.Inbox.TakeOver(ctx, id, take) })
	}
}

// tenantChoice is the tenant a Nexus settings page shows: the one given,
// else ?tenant=, else the first; with the list to choose from. In the
// portal it is the session's tenant (0 here).
func (s *Handler) tenantChoice(c *fiber.Ctx, sc web.Scope, tenant int64) (bool, []*app.Tenant, int64, error) {
	if !sc.Nexus() || s.Tenants == nil {
		return sc.Nexus(), nil, tenant, nil
	}
	ts, err := s.Tenants.ListTenants(c.UserContext())
	if err != nil {
		return true, nil, tenant, err
	}
	if tenant == 0 {
		if v, err := strconv.ParseInt(c.Query("tenant"), 10, 64); err == nil && v > 0 {
			tenant = v
		} else if len(ts) > 0 {
			tenant = ts[0].ID
		}
	}
	return true, ts, tenant, nil
}

// cannedPage lists and edits canned replies.
type cannedPage struct {
	web.Layout
	Nexus      bool
	TenantList []*app.Tenant
	Tenant     int64
	Canned     []*inbox.Canned
	Errors     map[string]string
	Form       inbox.Canned
}

func (s *Handler) canned(c *fiber.Ctx, sc web.Scope, p *cannedPage) error {
	var err error
	if p.Nexus, p.TenantList, p.Tenant, err = s.tenantChoice(c, sc, p.Tenant); err != nil {
		return err
	}
	cr, err := s.Inbox.CannedReplies(c.UserContext(), p.Tenant)
	if err != nil {
		return err
	}
	p.Canned = cr
	p.Layout = s.Layout(c, sc.Host, "Canned replies")
	return s.Render(c, sc.Page("inbox_canned"), p)
}

func (s *Handler) handleCanned(c *fiber.Ctx, sc web.Scope) error {
	return s.canned(c, sc, &cannedPage{})
}

func (s *Handler) handleCannedSave(c *fiber.Ctx, sc web.Scope) error {
	cr := &inbox.Canned{Name: utils.CopyString(c.FormValue("name")), Body: utils.CopyString(c.FormValue("body"))}
	if v := c.FormValue("tenant_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return app.FieldErrorf("tenant_id", "Tenant must be a tenant ID.")
		}
		cr.TenantID = id
	}
	if err := s.Inbox.SaveCanned(c.UserContext(), cr); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		return s.canned(c, sc, &cannedPage{Tenant: cr.TenantID, Form: *cr, Errors: map[string]string{web.FieldOr(err, "name"): app.ErrorMessage(err)}})
	}
	s.SetFlash(c, "success", "Canned reply saved.")
	q := ""
	if sc.Nexus() {
		q = "?tenant=" + strconv.FormatInt(cr.TenantID, 10)
	}
	return c.Redirect("/inbox/canned"+q, fiber.StatusSeeOther)
}

func (s *Handler) handleCannedDelete(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	tid, _ := strconv.ParseInt(c.FormValue("tenant_id"), 10, 64)
	if err := s.Inbox.DeleteCanned(c.UserContext(), tid, id); err != nil {
		return err
	}
	s.SetFlash(c, "success", "Canned reply deleted.")
	q := ""
	if sc.Nexus() {
		q = "?tenant=" + strconv.FormatInt(tid, 10)
	}
	return c.Redirect("/inbox/canned"+q, fiber.StatusSeeOther)
}

// handleEvents is the live stream of the caller's inbox (SSE): one event
// per change; the page refreshes what it shows.
func (s *Handler) handleEvents(c *fiber.Ctx, sc web.Scope) error {
	s.init()
	sub, err := s.Inbox.Subscribe(c.UserContext())
	if err != nil {
		return err
	}
	if !strings.Contains(c.Get(fiber.HeaderAccept), "text/event-stream") {
		// Only an event stream is served (EventSource asks for one);
		// anything else gets no content rather than a request held open.
		s.Inbox.Unsubscribe(sub)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return web.SSE[inbox.Event]{C: sub.C, Done: s.ctx.Done(), Streams: &s.live, Heartbeat: Heartbeat, Max: maxStream,
		Close: func() { s.Inbox.Unsubscribe(sub) }}.Serve(c)
}

// mailboxPage is the email settings: the IMAP mailbox and its state.
type mailboxPage struct {
	web.Layout
	Nexus      bool
	TenantList []*app.Tenant
	Tenant     int64
	Mailbox    *inbox.Mailbox
	// Inbound is the tenant's inbox+TOKEN@DOMAIN address (nil: the
	// appliance has none configured); InboundListen the listener's
	// address ("": off).
	Inbound       *inbox.InboundAddress
	InboundListen string
	InboundDomain string
	Errors        map[string]string
}

func (s *Handler) mailbox(c *fiber.Ctx, sc web.Scope, p *mailboxPage) error {
	var err error
	if p.Nexus, p.TenantList, p.Tenant, err = s.tenantChoice(c, sc, p.Tenant); err != nil {
		return err
	}
	if p.Mailbox == nil {
		mb, err := s.Inbox.MailboxSettings(c.UserContext(), p.Tenant)
		switch {
		case err == nil:
			p.Mailbox = mb
		case app.ErrorCode(err) == app.ENOTFOUND:
			p.Mailbox = &inbox.Mailbox{Port: 993, Security: "tls", Enabled: true}
		default:
			return err
		}
	}
	if a, err := s.Inbox.InboundSettings(c.UserContext(), p.Tenant); err == nil {
		p.Inbound, p.InboundListen = a, s.Inbox.InboundListening()
		p.InboundDomain = s.Inbox.Mail.InboundDomain
	}
	p.Layout = s.Layout(c, sc.Host, "Email mailbox")
	return s.Render(c, sc.Page("inbox_mailbox"), p)
}

func (s *Handler) handleMailbox(c *fiber.Ctx, sc web.Scope) error {
	return s.mailbox(c, sc, &mailboxPage{})
}

func (s *Handler) handleMailboxSave(c *fiber.Ctx, sc web.Scope) error {
	if !sc.Nexus() {
		if err := web.RequireOwner(c, "connect the mailbox"); err != nil {
			return err
		}
	}
	port, _ := strconv.Atoi(c.FormValue("port"))
	mb := &inbox.Mailbox{Host: utils.CopyString(c.FormValue("host")), Port: port, Security: utils.CopyString(c.FormValue("security")),
		Username: utils.CopyString(c.FormValue("username")), Address: utils.CopyString(c.FormValue("address")), Enabled: c.FormValue("enabled") != ""}
	if v := c.FormValue("tenant_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return app.FieldErrorf("tenant_id", "Tenant must be a tenant ID.")
		}
		mb.TenantID = id
	}
	if err := s.Inbox.SaveMailbox(c.UserContext(), mb, utils.CopyString(c.FormValue("password"))); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		return s.mailbox(c, sc, &mailboxPage{Tenant: mb.TenantID, Mailbox: mb, Errors: map[string]string{web.FieldOr(err, "host"): app.ErrorMessage(err)}})
	}
	s.SetFlash(c, "success", "Mailbox saved. New mail is read as it arrives where the server offers IMAP IDLE, else every minute.")
	return c.Redirect(mailboxURL(sc, mb.TenantID), fiber.StatusSeeOther)
}

func mailboxURL(sc web.Scope, tenantID int64) string {
	if sc.Nexus() {
		return "/inbox/mailbox?tenant=" + strconv.FormatInt(tenantID, 10)
	}
	return "/inbox/mailbox"
}

// handleInbound turns the tenant's inbound address on or off, or gives
// it a new token.
func (s *Handler) handleInbound(c *fiber.Ctx, sc web.Scope) error {
	if !sc.Nexus() {
		if err := web.RequireOwner(c, "change the inbound address"); err != nil {
			return err
		}
	}
	tid, _ := strconv.ParseInt(c.FormValue("tenant_id"), 10, 64)
	var enabled, rotate bool
	switch c.FormValue("action") {
	case "enable":
		enabled = true
	case "rotate":
		enabled, rotate = true, true
	case "disable":
	default:
		return app.FieldErrorf("action", "Action must be enable, rotate or disable.")
	}
	a, err := s.Inbox.SetInbound(c.UserContext(), tid, enabled, rotate)
	if err != nil {
		return err
	}
	switch {
	case rotate:
		s.SetFlash(c, "success", "New inbound address: "+a.Address+". Mail to the old one is refused from now on.")
	case enabled:
		s.SetFlash(c, "success", "Inbound address on: "+a.Address)
	default:
		s.SetFlash(c, "success", "Inbound address off: mail to it is refused.")
	}
	return c.Redirect(mailboxURL(sc, a.TenantID)+"#inbound", fiber.StatusSeeOther)
}

// handleMailboxPoll reads the mailbox now and says what happened.
func (s *Handler) handleMailboxPoll(c *fiber.Ctx, sc web.Scope) error {
	tid, _ := strconv.ParseInt(c.FormValue("tenant_id"), 10, 64)
	mb, err := s.Inbox.MailboxSettings(c.UserContext(), tid)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Minute)
	defer cancel()
	n, err := s.Inbox.PollTenant(ctx, mb.TenantID)
	if err != nil {
		s.SetFlash(c, "error", "The mailbox could not be read; the error is shown below.")
	} else {
		s.SetFlash(c, "success", fmt.Sprintf("%d new messages.", n))
	}
	return c.Redirect(mailboxURL(sc, mb.TenantID), fiber.StatusSeeOther)
}

// hoursPage is the business hours and the out-of-hours reply.
type hoursPage struct {
	web.Layout
	Nexus      bool
	TenantList []*app.Tenant
	Tenant     int64
	Hours      *inbox.Hours
	Errors     map[string]string
}

// DayNames are the weekdays in the order of time.Weekday.
func (hoursPage) DayNames() []string {
	return []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
}

func (s *Handler) hours(c *fiber.Ctx, sc web.Scope, p *hoursPage) error {
	var err error
	if p.Nexus, p.TenantList, p.Tenant, err = s.tenantChoice(c, sc, p.Tenant); err != nil {
		return err
	}
	if p.Hours == nil {
		if p.Hours, err = s.Inbox.HoursSettings(c.UserContext(), p.Tenant); err != nil {
			return err
		}
	}
	p.Layout = s.Layout(c, sc.Host, "Business hours")
	return s.Render(c, sc.Page("inbox_hours"), p)
}

func (s *Handler) handleHours(c *fiber.Ctx, sc web.Scope) error { return s.hours(c, sc, &hoursPage{}) }

// handleHoursSave stores the hours (the tenant's owner; any admin in
// Nexus). Bad input re-renders the form naming the field, with 400.
func (s *Handler) handleHoursSave(c *fiber.Ctx, sc web.Scope) error {
	if !sc.Nexus() {
		if err := web.RequireOwner(c, "set business hours"); err != nil {
			return err
		}
	}
	h := &inbox.Hours{Enabled: c.FormValue("enabled") != "", Open: utils.CopyString(c.FormValue("open")), Close: utils.CopyString(c.FormValue("close")),
		AwayText: utils.CopyString(c.FormValue("away_text")), Days: []int{}}
	args := c.Request().PostArgs()
	for _, v := range args.PeekMulti("days") {
		d, err := strconv.Atoi(string(v))
		if err != nil {
			return app.FieldErrorf("days", "Days are 0 (Sunday) to 6 (Saturday).")
		}
		h.Days = append(h.Days, d)
	}
	if v := c.FormValue("tenant_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return app.FieldErrorf("tenant_id", "Tenant must be a tenant ID.")
		}
		h.TenantID = id
	}
	if err := s.Inbox.SaveHours(c.UserContext(), h); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.hours(c, sc, &hoursPage{Tenant: h.TenantID, Hours: h, Errors: map[string]string{web.FieldOr(err, "open"): app.ErrorMessage(err)}})
	}
	s.SetFlash(c, "success", "Business hours saved.")
	u := "/inbox/hours"
	if sc.Nexus() {
		u += "?tenant=" + strconv.FormatInt(h.TenantID, 10)
	}
	return c.Redirect(u, fiber.StatusSeeOther)
}
