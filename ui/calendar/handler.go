// Package calendar serves the universal calendar's public pages: the
// booking page of an event type (/book/:slug) on the marketing site (the
// house tenant, e.g. the "free audit"), on app.DOMAIN (?tenant=) and on a
// tenant's custom domain (white label), and the guest's page behind the
// signed link of every email (/booking/:token: cancel, reschedule). The
// JSON API is in ui/api.
//
// It imports app, app/calendar and ui/web; never a store.
package calendar

import (
	"context"
	"embed"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/assets"
	"orengen/ui/web"
)

// Templates are this package's pages, parsed with web's layouts at boot.
//
//go:embed templates
var Templates embed.FS

// Handler serves the booking pages.
type Handler struct {
	*web.Kit
	Calendar *calendar.Service
	Tenants  *app.TenantService
	Users    *app.UserService // the portal's team, as calendar owners
	// Sync connects calendars to CalDAV accounts and ICS feeds (nil: no
	// sync forms).
	Sync *calendar.Syncer
	// SiteBooked tells the website builder that a booking was made from
	// the booking block of a site page (its slug): the page's conversion.
	// It returns the funnel's next step when the page is a step with
	// one (nil, or a host without a site: nothing to tell).
	SiteBooked func(c *fiber.Ctx, sitePage string) (next string, ok bool)
}

// MountPublic adds the booking pages to a public host (HostSite or
// HostPortal). They may be framed by any site (web.Embeddable): the
// embed snippet shows them inline or in a pop-up.
func (s *Handler) MountPublic(r fiber.Router, host string) {
	if s == nil || s.Calendar == nil {
		return
	}
	mark := func(c *fiber.Ctx) error { bookHost.Set(c, host); return c.Next() }
	r.Get("/book/embed.js", s.handleEmbedJS)
	r.Get("/book/:slug", web.Embeddable, mark, s.handleBookPage)
	r.Post("/book/:slug", web.Embeddable, mark, s.handleBook)
	r.Get("/booking/:token", web.Embeddable, mark, s.handleManage)
	r.Post("/booking/:token/cancel", web.Embeddable, mark, s.handleCancel)
	r.Post("/booking/:token/reschedule", web.Embeddable, mark, s.handleReschedule)
	r.Get("/calendar-feed/:token", s.handleFeed)
}

var bookHost = web.NewKey[string]("book_host")

// tenant is the tenant whose pages this request may see: the house tenant
// on the marketing host, the custom domain's tenant, else (app.DOMAIN)
// ?tenant= (an ID or slug). want, when not 0, must be it (a token's).
func (s *Handler) tenant(c *fiber.Ctx, want int64) (context.Context, *app.Tenant, error) {
	notFound := app.Errorf(app.ENOTFOUND, "Not found.")
	ctx := c.UserContext()
	host, _ := bookHost.Get(c)
	var t *app.Tenant
	var err error
	switch {
	case host == web.HostSite:
		t, err = s.Tenants.TenantByID(ctx, app.HouseTenantID)
	case web.DomainTenant(c) != nil:
		t = web.DomainTenant(c)
	case want != 0:
		t, err = s.Tenants.TenantByID(ctx, want)
	default:
		ref := utils.CopyString(c.Query("tenant"))
		if ref == "" {
			return nil, nil, notFound
		}
		t, err = s.Tenants.TenantByRef(ctx, ref)
	}
	if err != nil || t == nil || t.Status == app.TenantSuspended || (want != 0 && t.ID != want) {
		return nil, nil, notFound
	}
	return app.NewContextWithTenant(ctx, t), t, nil
}

// Day is one local date of slots on the page.
type Day struct {
	Label string
	Slots []SlotView
}

// SlotView is one offered start.
type SlotView struct {
	Value string // RFC 3339 UTC
	Label string // 15:04 in the visitor's zone
}

type bookPage struct {
	web.Layout
	Event     *calendar.EventType
	Action    string
	Query     string // tenant=... for app.DOMAIN
	TenantRef string
	Zone      string
	Zones     []string
	Minutes   int
	Week      string
	Prev      string
	Next      string
	Days      []Day
	Values    map[string]string
	Error     string
	Field     string
	Booking   *calendar.Booking
	When      string
	Manage    string
	Conflict  bool
	// FromSite and SitePage: the page was framed by a site page's
	// booking block (site_page in its address); Continue is the
	// funnel's next step once booked.
	FromSite bool
	SitePage string
	Continue string
}

// zones are offered in the time-zone picker besides the visitor's own.
var zones = []string{"UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Sao_Paulo",
	"Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Athens", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata",
	"Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"}

// layout shows the tenant's brand; on the tenant's own domain (or for
// its signed-in user) with its stylesheet and logo, which /brand.css and
// /logo serve there.
func (s *Handler) layout(c *fiber.Ctx, t *app.Tenant, title string) web.Layout {
	b := web.Brand{Name: t.BrandName()}
	if host, _ := bookHost.Get(c); host == web.HostPortal && web.Tenant(c) != nil && web.Tenant(c).ID == t.ID {
		b.CSSURL = "/brand.css?v=" + t.BrandVersion()
		if t.LogoHash != "" {
			b.LogoURL = "/logo?v=" + t.LogoHash
		}
	}
	return web.Layout{Title: title, Path: c.Path(), Tenant: t, Brand: b, Year: time.Now().Year()}
}

// page builds the booking page of an event type for a week in zone.
func (s *Handler) page(c *fiber.Ctx, ctx context.Context, t *app.Tenant, e *calendar.EventType, p *bookPage) error {
	loc, err := calendar.LoadZone("tz", p.Zone)
	if err != nil {
		p.Zone, loc = "UTC", time.UTC
	}
	now := time.Now().In(loc)
	week, err := time.ParseInLocation(time.DateOnly, p.Week, loc)
	if err != nil || week.Before(now.AddDate(0, 0, -1)) {
		y, m, d := now.Date()
		week = time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	p.Week = week.Format(time.DateOnly)
	slots, err := s.Calendar.FreeSlots(ctx, e, p.Minutes, week, week.AddDate(0, 0, 7))
	if err != nil {
		return err
	}
	p.Days = groupSlots(slots, loc)
	q := url.Values{}
	if t := c.Query("tenant"); t != "" {
		q.Set("tenant", utils.CopyString(t))
		p.Query, p.TenantRef = "tenant="+url.QueryEscape(t), utils.CopyString(t)
	}
	q.Set("tz", p.Zone)
	if p.FromSite {
		q.Set("site_page", p.SitePage)
	}
	if p.Minutes != 0 {
		q.Set("duration", strconv.Itoa(p.Minutes))
	}
	base := "/book/" + e.Slug
	q.Set("week", week.AddDate(0, 0, -7).Format(time.DateOnly))
	if !week.AddDate(0, 0, -7).Before(now.AddDate(0, 0, -7)) {
		p.Prev = base + "?" + q.Encode()
	}
	q.Set("week", week.AddDate(0, 0, 7).Format(time.DateOnly))
	p.Next = base + "?" + q.Encode()
	p.Event = e
	p.Action = base
	if p.Query != "" {
		p.Action += "?" + p.Query
	}
	p.Zones = zones
	p.Layout = s.layout(c, t, e.Title)
	return s.Render(c, "hosted/book", p)
}

// groupSlots groups slots by local date in loc.
func groupSlots(slots []calendar.Slot, loc *time.Location) []Day {
	var days []Day
	for _, sl := range slots {
		lt := sl.Start.In(loc)
		label := lt.Format("Monday 2 January")
		if len(days) == 0 || days[len(days)-1].Label != label {
			days = append(days, Day{Label: label})
		}
		d := &days[len(days)-1]
		d.Slots = append(d.Slots, SlotView{Value: sl.Start.UTC().Format(time.RFC3339), Label: lt.Format("15:04")})
	}
	return days
}

func (s *Handler) eventType(ctx context.Context, slug string) (*calendar.EventType, error) {
	e, err := s.Calendar.FindEventTypeBySlug(ctx, slug)
	if err != nil || !e.Enabled {
		return nil, app.Errorf(app.ENOTFOUND, "This booking page does not exist.")
	}
	return e, nil
}

func (s *Handler) handleBookPage(c *fiber.Ctx) error {
	ctx, t, err := s.tenant(c, 0)
	if err != nil {
		return err
	}
	e, err := s.eventType(ctx, utils.CopyString(c.Params("slug")))
	if err != nil {
		return err
	}
	minutes, _ := strconv.Atoi(c.Query("duration"))
	if _, err := e.Duration(minutes); err != nil {
		minutes = 0
	}
	return s.page(c, ctx, t, e, &bookPage{Zone: utils.CopyString(c.Query("tz")), Week: utils.CopyString(c.Query("week")), Minutes: minutes,
		FromSite: c.Context().QueryArgs().Has("site_page"), SitePage: utils.CopyString(c.Query("site_page"))})
}

func (s *Handler) handleBook(c *fiber.Ctx) error {
	ctx, t, err := s.tenant(c, 0)
	if err != nil {
		return err
	}
	e, err := s.eventType(ctx, utils.CopyString(c.Params("slug")))
	if err != nil {
		return err
	}
	vals := map[string]string{}
	for _, k := range append([]string{"name", "email", "phone", "notes", "start", "tz", "duration", "week"}, questionKeys(e)...) {
		vals[k] = utils.CopyString(c.FormValue(k))
	}
	minutes, _ := strconv.Atoi(vals["duration"])
	r := &calendar.BookRequest{EventTypeID: e.ID, Minutes: minutes, Name: vals["name"], Email: vals["email"], Phone: vals["phone"],
		TimeZone: vals["tz"], Notes: vals["notes"], Answers: map[string]string{}, Source: "booking page"}
	for _, k := range questionKeys(e) {
		r.Answers[k] = vals[k]
	}
	p := &bookPage{Zone: vals["tz"], Week: vals["week"], Minutes: minutes, Values: vals,
		FromSite: c.Request().PostArgs().Has("site_page"), SitePage: utils.CopyString(c.FormValue("site_page"))}
	start, perr := time.Parse(time.RFC3339, vals["start"])
	if perr != nil {
		err = app.FieldErrorf("start", "Choose a time.")
	} else {
		r.Start = start
		var b *calendar.Booking
		if b, err = s.Calendar.Book(ctx, r); err == nil {
			loc, _ := calendar.LoadZone("tz", r.TimeZone)
			p.Booking, p.Event, p.Layout = b, e, s.layout(c, t, e.Title)
			p.When = b.Start.In(loc).Format("Monday 2 January 2006, 15:04") + " to " + b.End.In(loc).Format("15:04 MST")
			p.Manage = "/booking/" + s.Calendar.Token(b)
			if p.FromSite && s.SiteBooked != nil {
				if next, ok := s.SiteBooked(c, p.SitePage); ok {
					p.Continue = next
				}
			}
			c.Status(fiber.StatusCreated)
			return s.Render(c, "hosted/booked", p)
		}
	}
	var ce *calendar.ConflictError
	switch {
	case errors.As(err, &ce):
		c.Status(fiber.StatusConflict)
		p.Conflict = true
	case app.ErrorCode(err) == app.EINVALID:
		c.Status(fiber.StatusUnprocessableEntity)
	default:
		return err
	}
	p.Error, p.Field = app.ErrorMessage(err), app.ErrorField(err)
	return s.page(c, ctx, t, e, p)
}

func questionKeys(e *calendar.EventType) []string {
	out := make([]string, 0, len(e.Questions))
	for _, q := range e.Questions {
		out = append(out, q.Key)
	}
	return out
}

type managePage struct {
	web.Layout
	Booking *calendar.Booking
	Event   *calendar.EventType
	When    string
	Zone    string
	Token   string
	Days    []Day
	Error   string
	Message string
}

// booking resolves a manage link's token on this host.
func (s *Handler) booking(c *fiber.Ctx) (context.Context, *app.Tenant, *calendar.Booking, int, string, error) {
	tok := utils.CopyString(c.Params("token"))
	tid, id, seq, err := s.Calendar.ParseToken(tok)
	if err != nil {
		return nil, nil, nil, 0, "", err
	}
	ctx, t, err := s.tenant(c, tid)
	if err != nil {
		return nil, nil, nil, 0, "", err
	}
	b, err := s.Calendar.FindBooking(ctx, id)
	if err != nil {
		return nil, nil, nil, 0, "", err
	}
	return ctx, t, b, seq, tok, nil
}

func (s *Handler) renderManage(c *fiber.Ctx, ctx context.Context, t *app.Tenant, b *calendar.Booking, tok string, p *managePage) error {
	loc, err := calendar.LoadZone("tz", b.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	p.Booking, p.Token, p.Zone = b, tok, loc.String()
	p.When = b.Start.In(loc).Format("Monday 2 January 2006, 15:04") + " to " + b.End.In(loc).Format("15:04 MST")
	if e, err := s.Calendar.FindEventType(ctx, b.EventTypeID); err == nil {
		p.Event = e
		if b.Active() && b.Start.After(time.Now()) {
			from := time.Now()
			slots, err := s.Calendar.FreeSlots(ctx, e, int(b.End.Sub(b.Start).Minutes()), from, from.AddDate(0, 0, 14))
			if err == nil {
				p.Days = groupSlots(slots, loc)
			}
		}
	}
	p.Layout = s.layout(c, t, b.Title)
	return s.Render(c, "hosted/booking", p)
}

func (s *Handler) handleManage(c *fiber.Ctx) error {
	ctx, t, b, seq, tok, err := s.booking(c)
	if err != nil {
		return err
	}
	p := &managePage{}
	if b.Sequence != seq && b.Active() {
		p.Error = "This booking was changed since this link was sent; use the link in the newest email."
	}
	return s.renderManage(c, ctx, t, b, tok, p)
}

func (s *Handler) handleCancel(c *fiber.Ctx) error {
	ctx, t, b, seq, tok, err := s.booking(c)
	if err != nil {
		return err
	}
	p := &managePage{}
	nb, err := s.Calendar.Cancel(ctx, b.ID, seq, utils.CopyString(c.FormValue("reason")), "guest:"+b.Email)
	if err != nil {
		if app.ErrorCode(err) == app.EINTERNAL {
			return err
		}
		c.Status(web.ErrorStatus(app.ErrorCode(err)))
		p.Error = app.ErrorMessage(err)
	} else {
		b, p.Message = nb, "Your appointment is cancelled. You will get an email confirming it."
	}
	return s.renderManage(c, ctx, t, b, tok, p)
}

func (s *Handler) handleReschedule(c *fiber.Ctx) error {
	ctx, t, b, seq, _, err := s.booking(c)
	if err != nil {
		return err
	}
	p := &managePage{}
	start, perr := time.Parse(time.RFC3339, utils.CopyString(c.FormValue("start")))
	if perr != nil {
		err = app.FieldErrorf("start", "Choose a new time.")
	} else {
		var nb *calendar.Booking
		if nb, err = s.Calendar.Reschedule(ctx, b.ID, seq, start); err == nil {
			// The old link is spent: continue on the new one.
			return c.Redirect("/booking/"+s.Calendar.Token(nb)+"?moved=1", fiber.StatusSeeOther)
		}
	}
	if app.ErrorCode(err) == app.EINTERNAL {
		return err
	}
	c.Status(web.ErrorStatus(app.ErrorCode(err)))
	p.Error = app.ErrorMessage(err)
	return s.renderManage(c, ctx, t, b, s.Calendar.Token(b), p)
}

func (s *Handler) handleEmbedJS(c *fiber.Ctx) error {
	f, ok := assets.Get("js/book-embed.js")
	if !ok {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return c.Send(f.Body())
}
