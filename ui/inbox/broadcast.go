package inbox

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/ui/web"
)

// Broadcasts (issue #18) in the portal: the list with each broadcast's
// progress, the form (a saved view of people, the channel, the text with
// {{first_name}}-style fields; Preview counts who gets it and who is
// skipped and why, without sending), the report of one broadcast with
// its failed and skipped recipients, and Cancel. Owners create and
// cancel; the team reads. And the public unsubscribe page of broadcast
// emails (MountPublic).

// mountBroadcasts adds the broadcast pages (the portal only: a broadcast
// belongs to one tenant). They go before /inbox/:id.
func (s *Handler) mountBroadcasts(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if sc.Nexus() || s.Inbox.Broadcasts == nil {
		return
	}
	r.Get("/inbox/broadcasts", s.page(sc, s.handleBroadcasts))
	r.Get("/inbox/broadcasts/new", s.page(sc, s.handleBroadcastNew))
	r.Post("/inbox/broadcasts", csrf, s.page(sc, s.handleBroadcastCreate))
	r.Get("/inbox/broadcasts/:id", s.page(sc, s.handleBroadcast))
	r.Post("/inbox/broadcasts/:id/cancel", csrf, s.page(sc, s.handleBroadcastCancel))
}

type broadcastsPage struct {
	web.Layout
	Broadcasts []*inbox.Broadcast
}

func (s *Handler) handleBroadcasts(c *fiber.Ctx, sc web.Scope) error {
	bs, err := s.Inbox.BroadcastList(c.UserContext(), 0)
	if err != nil {
		return err
	}
	p := &broadcastsPage{Broadcasts: bs}
	p.Layout = s.Layout(c, sc.Host, "Broadcasts")
	return s.Render(c, sc.Page("inbox_broadcasts"), p)
}

// broadcastForm is the form's fields as typed.
type broadcastForm struct {
	ViewID, Channel, Subject, Body, Rate string
}

func (f broadcastForm) input() (inbox.BroadcastInput, error) {
	in := inbox.BroadcastInput{Channel: f.Channel, Subject: f.Subject, Body: f.Body}
	if f.ViewID != "" {
		id, err := strconv.ParseInt(f.ViewID, 10, 64)
		if err != nil {
			return in, app.FieldErrorf("view_id", "Choose a saved view of people.")
		}
		in.ViewID = id
	}
	if r := strings.TrimSpace(f.Rate); r != "" {
		v, err := strconv.ParseFloat(r, 64)
		if err != nil {
			return in, app.FieldErrorf("rate", "Rate is a number of messages a second, like 1 or 0.5.")
		}
		in.Rate = v
	}
	return in, nil
}

type broadcastNewPage struct {
	web.Layout
	Views       []*app.View
	Form        broadcastForm
	Preview     *inbox.BroadcastPreview
	Errors      map[string]string
	SMSRate     float64
	EmailRate   float64
	FieldsHint  string
	MaxSMSChars int
}

func (s *Handler) broadcastNew(c *fiber.Ctx, sc web.Scope, p *broadcastNewPage) error {
	var err error
	if p.Views, err = s.Inbox.BroadcastViews(c.UserContext(), 0); err != nil {
		return err
	}
	if p.Form.Channel == "" {
		p.Form.Channel = inbox.ChannelSMS
	}
	p.SMSRate, p.EmailRate, p.MaxSMSChars = inbox.DefaultSMSRate, inbox.DefaultEmailRate, inbox.MaxReply
	p.FieldsHint = "{{first_name}}, {{last_name}}, {{name}}, {{email}}, {{phone}}"
	p.Layout = s.Layout(c, sc.Host, "New broadcast")
	return s.Render(c, sc.Page("inbox_broadcast_new"), p)
}

func (s *Handler) handleBroadcastNew(c *fiber.Ctx, sc web.Scope) error {
	if err := web.RequireOwner(c, "send broadcasts"); err != nil {
		return err
	}
	return s.broadcastNew(c, sc, &broadcastNewPage{Form: broadcastForm{ViewID: utils.CopyString(c.Query("view_id"))}})
}

// handleBroadcastCreate previews (action=preview: counts, nothing sent)
// or queues the broadcast. Bad input re-renders the form naming the
// field, with 400.
func (s *Handler) handleBroadcastCreate(c *fiber.Ctx, sc web.Scope) error {
	if err := web.RequireOwner(c, "send broadcasts"); err != nil {
		return err
	}
	f := broadcastForm{ViewID: utils.CopyString(c.FormValue("view_id")), Channel: utils.CopyString(c.FormValue("channel")),
		Subject: utils.CopyString(c.FormValue("subject")), Body: utils.CopyString(c.FormValue("body")), Rate: utils.CopyString(c.FormValue("rate"))}
	p := &broadcastNewPage{Form: f}
	in, err := f.input()
	if err == nil {
		if c.FormValue("action") == "preview" {
			if p.Preview, err = s.Inbox.PreviewBroadcast(c.UserContext(), in); err == nil {
				return s.broadcastNew(c, sc, p)
			}
		} else {
			var b *inbox.Broadcast
			if b, err = s.Inbox.CreateBroadcast(c.UserContext(), in); err == nil {
				s.SetFlash(c, "success", fmt.Sprintf("Broadcast queued: %d to send, %d skipped.", b.Report.Queued, b.Report.Skipped))
				return c.Redirect(fmt.Sprintf("/inbox/broadcasts/%d", b.ID), fiber.StatusSeeOther)
			}
		}
	}
	if app.ErrorCode(err) != app.EINVALID {
		return err
	}
	c.Status(fiber.StatusBadRequest)
	p.Errors = map[string]string{web.FieldOr(err, "body"): app.ErrorMessage(err)}
	return s.broadcastNew(c, sc, p)
}

type broadcastPage struct {
	web.Layout
	Broadcast *inbox.Broadcast
	// Problems are the failed and skipped recipients (at most 500 each).
	Failed, Skipped []*inbox.Recipient
}

func (s *Handler) handleBroadcast(c *fiber.Ctx, sc web.Scope) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := &broadcastPage{}
	if p.Broadcast, err = s.Inbox.Broadcast(ctx, 0, id); err != nil {
		return err
	}
	if p.Failed, err = s.Inbox.BroadcastRecipients(ctx, 0, id, inbox.RecipientFailed); err != nil {
		return err
	}
	if p.Skipped, err = s.Inbox.BroadcastRecipients(ctx, 0, id, inbox.RecipientSkipped); err != nil {
		return err
	}
	p.Layout = s.Layout(c, sc.Host, "Broadcast")
	return s.Render(c, sc.Page("inbox_broadcast"), p)
}

func (s *Handler) handleBroadcastCancel(c *fiber.Ctx, sc web.Scope) error {
	if err := web.RequireOwner(c, "cancel broadcasts"); err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Inbox.CancelBroadcast(c.UserContext(), 0, id); err != nil {
		if app.ErrorCode(err) != app.ECONFLICT {
			return err
		}
		s.SetFlash(c, "error", app.ErrorMessage(err))
	} else {
		s.SetFlash(c, "success", "Broadcast cancelled: nobody still queued gets it.")
	}
	return c.Redirect(fmt.Sprintf("/inbox/broadcasts/%d", id), fiber.StatusSeeOther)
}

// MountPublic adds the unsubscribe page of broadcast emails to the
// portal host, outside the sign-in and without CSRF: the signed link is
// the proof, and a mail program's RFC 8058 one-click POST carries no
// token. GET only asks to confirm (mail scanners open links).
func (s *Handler) MountPublic(r fiber.Router) {
	if !s.On() || s.Inbox.Broadcasts == nil {
		return
	}
	r.Get(inbox.UnsubscribePath, s.handleUnsubscribeView)
	r.Post(inbox.UnsubscribePath, s.handleUnsubscribe)
}

type unsubscribePage struct {
	web.Layout
	T, P, S string
	Done    bool
}

// unsubscribeLink reads the link's tenant, person and signature.
func unsubscribeLink(c *fiber.Ctx) (tid, pid int64, sig string, p *unsubscribePage) {
	p = &unsubscribePage{T: utils.CopyString(c.Query("t")), P: utils.CopyString(c.Query("p")), S: utils.CopyString(c.Query("s"))}
	tid, _ = strconv.ParseInt(p.T, 10, 64)
	pid, _ = strconv.ParseInt(p.P, 10, 64)
	return tid, pid, p.S, p
}

func (s *Handler) handleUnsubscribeView(c *fiber.Ctx) error {
	tid, pid, sig, p := unsubscribeLink(c)
	if err := s.Inbox.CheckUnsubscribe(c.UserContext(), tid, pid, sig); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostPortal, "Unsubscribe")
	return s.Render(c, web.PortalScope.Page("inbox_unsubscribe"), p)
}

// handleUnsubscribe records the opt-out: the page's button, or a mail
// program's one-click POST (List-Unsubscribe=One-Click), which gets a
// plain 200.
func (s *Handler) handleUnsubscribe(c *fiber.Ctx) error {
	tid, pid, sig, p := unsubscribeLink(c)
	if err := s.Inbox.UnsubscribeEmail(c.UserContext(), tid, pid, sig); err != nil {
		return err
	}
	if c.FormValue("List-Unsubscribe") == "One-Click" {
		return c.SendString("Unsubscribed.")
	}
	p.Done = true
	p.Layout = s.Layout(c, web.HostPortal, "Unsubscribed")
	return s.Render(c, web.PortalScope.Page("inbox_unsubscribe"), p)
}

// Broadcasts says whether the inbox links to the broadcasts (the
// portal's; a broadcast belongs to one tenant).
func (p inboxPage) Broadcasts() bool { return !p.Nexus }
