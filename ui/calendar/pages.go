package calendar

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/ui/web"
)

// The calendar pages of the portal (a tenant's users) and Nexus (any
// tenant, ?tenant=, the agency's own by default): the universal calendar
// (week and month with every calendar side by side, drag to reschedule),
// the bookings list, and the settings (calendars with their availability,
// event types).

// NavItem is the calendar's navigation entry.
var NavItem = web.NavItem{Label: "Calendar", Path: "/calendar"}

// On reports whether the calendar pages are served.
func (s *Handler) On() bool { return s != nil && s.Calendar != nil }

// Mount adds the calendar pages behind the host's sign-in.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if !s.On() {
		return
	}
	r.Get("/calendar", s.route(sc, s.handleView))
	r.Get("/calendar/bookings", s.route(sc, s.handleBookings))
	r.Post("/calendar/bookings/:id/cancel", csrf, s.route(sc, s.handleBookingCancel))
	r.Post("/calendar/bookings/:id/reschedule", csrf, s.route(sc, s.handleBookingMove))
	r.Post("/calendar/bookings/:id/confirm", csrf, s.route(sc, s.handleBookingConfirm))
	r.Post("/calendar/bookings/:id/no-show", csrf, s.route(sc, s.handleBookingNoShow))
	r.Get("/calendar/settings", s.route(sc, s.handleSettings))
	r.Post("/calendar/calendars", csrf, s.route(sc, s.handleCalendarCreate))
	r.Get("/calendar/calendars/:id", s.route(sc, s.handleCalendarEdit))
	r.Post("/calendar/calendars/:id", csrf, s.route(sc, s.handleCalendarSave))
	r.Get("/calendar/event-types/new", s.route(sc, s.handleEventTypeEdit))
	r.Post("/calendar/event-types", csrf, s.route(sc, s.handleEventTypeSave))
	r.Get("/calendar/event-types/:id", s.route(sc, s.handleEventTypeEdit))
	r.Post("/calendar/event-types/:id", csrf, s.route(sc, s.handleEventTypeSave))
	r.Post("/calendar/event-types/:id/delete", csrf, s.route(sc, s.handleEventTypeDelete))
	s.mountSync(r, csrf, sc)
}

// req is one calendar page request: its tenant's context and where its
// links point (Nexus carries ?tenant=).
type req struct {
	c      *fiber.Ctx
	sc     web.Scope
	ctx    context.Context
	tenant *app.Tenant
}

// Q is the query string that keeps the tenant ("" in the portal).
func (r *req) Q() string {
	if !r.sc.Nexus() {
		return ""
	}
	return "tenant=" + strconv.FormatInt(r.tenant.ID, 10)
}

// url joins path and the tenant query with more query (already encoded).
func (r *req) url(path, more string) string {
	q := r.Q()
	if more != "" {
		if q != "" {
			q += "&"
		}
		q += more
	}
	if q == "" {
		return path
	}
	return path + "?" + q
}

// canEdit: Nexus admins and portal owners change settings; every
// signed-in user of the tenant sees the calendar and handles bookings.
func (r *req) canEdit() bool {
	if r.sc.Nexus() {
		return true
	}
	u := web.User(r.c)
	return u != nil && u.Role == app.UserRoleOwner
}

func (r *req) requireEdit() error {
	if !r.canEdit() {
		return app.Errorf(app.EFORBIDDEN, "Only the account's owners change calendars and meetings.")
	}
	return nil
}

// route resolves the tenant: the signed-in user's in the portal; in Nexus
// ?tenant= (or the form's tenant; ID or slug), else the house tenant.
func (s *Handler) route(sc web.Scope, fn func(r *req) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		r := &req{c: c, sc: sc, ctx: ctx}
		if !sc.Nexus() {
			r.tenant = app.TenantFromContext(ctx)
			if r.tenant == nil {
				return app.Errorf(app.EUNAUTHORIZED, "Sign in.")
			}
			return fn(r)
		}
		ref := strings.TrimSpace(utils.CopyString(c.Query("tenant", c.FormValue("tenant"))))
		if ref == "" {
			ref = strconv.FormatInt(app.HouseTenantID, 10)
		}
		t, err := s.Tenants.TenantByRef(ctx, ref)
		if err != nil {
			return err
		}
		r.tenant, r.ctx = t, app.NewContextWithTenant(ctx, t)
		c.SetUserContext(r.ctx)
		return fn(r)
	}
}

// pageBase is what every calendar page shows.
type pageBase struct {
	web.Layout
	Nexus   bool
	Q       string
	Tab     string
	CanEdit bool
	Cal     *app.Tenant
	Tenants []*app.Tenant
}

func (s *Handler) base(r *req, title, tab string) pageBase {
	p := pageBase{Layout: s.Layout(r.c, r.sc.Host, title), Nexus: r.sc.Nexus(), Q: r.Q(), Tab: tab, CanEdit: r.canEdit(), Cal: r.tenant}
	if r.sc.Nexus() {
		p.Tenants, _ = s.Tenants.ListTenants(r.ctx)
	}
	return p
}

// Block is a booking in a view cell.
type Block struct {
	ID       int64
	Label    string // 15:04 Name
	Title    string
	Time     string // 15:04 in the view's zone (drag keeps it)
	Local    string // 2006-01-02T15:04 in the view's zone
	Status   string
	Calendar string
	Key      string // unique on the page (a booking shows once per host)
	Busy     bool   // a synced event, not a booking
	Event    int64  // a community event (Busy too): its page
}

// Cell is one calendar's day.
type Cell struct {
	Date     string
	Calendar int64
	Blocks   []Block
}

// Row is one calendar's week.
type Row struct {
	Calendar *calendar.Calendar
	Cells    []Cell
}

// MonthDay is a day of the month view.
type MonthDay struct {
	Date    string
	Day     int
	InMonth bool
	Today   bool
	Blocks  []Block
}

type viewPage struct {
	pageBase
	View      string
	Zone      string
	Zones     []string
	Date      string
	Label     string
	Prev      string
	Next      string
	Today     string
	Days      []time.Time
	Rows      []Row
	Weeks     [][]MonthDay
	Calendars []*calendar.Calendar
}

// handleView is the universal calendar: ?view=week (a row per calendar,
// a column per day) or month, ?date= inside it, ?tz= the zone shown (the
// first calendar's by default).
func (s *Handler) handleView(r *req) error {
	c := r.c
	cals, err := s.Calendar.FindCalendars(r.ctx)
	if err != nil {
		return err
	}
	p := &viewPage{pageBase: s.base(r, "Calendar", "view"), View: "week", Calendars: cals, Zones: zones}
	if c.Query("view") == "month" {
		p.View = "month"
	}
	p.Zone = utils.CopyString(c.Query("tz"))
	if p.Zone == "" && len(cals) > 0 {
		p.Zone = cals[0].TimeZone
	}
	loc, err := calendar.LoadZone("tz", p.Zone)
	if err != nil {
		p.Zone, loc = "UTC", time.UTC
	}
	if !slices.Contains(p.Zones, p.Zone) {
		p.Zones = append([]string{p.Zone}, p.Zones...)
	}
	now := time.Now().In(loc)
	day, err := time.ParseInLocation(time.DateOnly, c.Query("date"), loc)
	if err != nil {
		day = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	}
	var from, to time.Time
	if p.View == "week" {
		from = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // Monday
		to = from.AddDate(0, 0, 7)
		p.Label = from.Format("2 Jan") + " – " + to.AddDate(0, 0, -1).Format("2 Jan 2006")
		p.Prev, p.Next = from.AddDate(0, 0, -7).Format(time.DateOnly), to.Format(time.DateOnly)
	} else {
		first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, loc)
		from = first.AddDate(0, 0, -((int(first.Weekday()) + 6) % 7))
		to = from.AddDate(0, 0, 42)
		p.Label = first.Format("January 2006")
		p.Prev, p.Next = first.AddDate(0, -1, 0).Format(time.DateOnly), first.AddDate(0, 1, 0).Format(time.DateOnly)
	}
	p.Date, p.Today = day.Format(time.DateOnly), now.Format(time.DateOnly)
	bs, err := s.Calendar.FindBookings(r.ctx, calendar.BookingFilter{From: from.UTC(), To: to.UTC(), Active: true, Limit: 5000})
	if err != nil {
		return err
	}
	busy, err := s.Calendar.Busy(r.ctx, from.UTC(), to.UTC())
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, cl := range cals {
		names[cl.ID] = cl.Name
	}
	// blocks[calendar][date]
	blocks := map[int64]map[string][]Block{}
	add := func(cal int64, t time.Time, b Block) {
		if blocks[cal] == nil {
			blocks[cal] = map[string][]Block{}
		}
		d := t.In(loc).Format(time.DateOnly)
		blocks[cal][d] = append(blocks[cal][d], b)
	}
	for _, b := range bs {
		lt := b.Start.In(loc)
		for _, h := range b.Hosts {
			add(h, b.Start, Block{ID: b.ID, Label: lt.Format("15:04") + " " + b.Name, Title: b.Title + " with " + b.Name + ", " + lt.Format("15:04") + "–" + b.End.In(loc).Format("15:04"),
				Time: lt.Format("15:04"), Local: lt.Format("2006-01-02T15:04"), Status: b.Status, Calendar: names[h], Key: fmt.Sprintf("%d-%d", b.ID, h)})
		}
	}
	for _, bz := range busy {
		lt := bz.Start.In(loc)
		summary := bz.Summary
		if summary == "" {
			summary = "Busy"
		}
		kind := " (synced), "
		if bz.EventID != 0 {
			kind = " (community event), "
		}
		add(bz.CalendarID, bz.Start, Block{Label: lt.Format("15:04") + " " + summary, Title: summary + kind + lt.Format("15:04") + "–" + bz.End.In(loc).Format("15:04"),
			Time: lt.Format("15:04"), Busy: true, Calendar: names[bz.CalendarID], Event: bz.EventID, Key: fmt.Sprintf("event-%d", bz.EventID)})
	}
	for _, m := range blocks {
		for _, bl := range m {
			slices.SortStableFunc(bl, func(a, b Block) int { return strings.Compare(a.Time, b.Time) })
		}
	}
	if p.View == "week" {
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			p.Days = append(p.Days, d)
		}
		for _, cl := range cals {
			row := Row{Calendar: cl}
			for _, d := range p.Days {
				ds := d.Format(time.DateOnly)
				row.Cells = append(row.Cells, Cell{Date: ds, Calendar: cl.ID, Blocks: blocks[cl.ID][ds]})
			}
			p.Rows = append(p.Rows, row)
		}
	} else {
		for w := 0; w < 6; w++ {
			var week []MonthDay
			for i := 0; i < 7; i++ {
				d := from.AddDate(0, 0, w*7+i)
				ds := d.Format(time.DateOnly)
				md := MonthDay{Date: ds, Day: d.Day(), InMonth: d.Month() == day.Month(), Today: ds == p.Today}
				for _, cl := range cals {
					md.Blocks = append(md.Blocks, blocks[cl.ID][ds]...)
				}
				slices.SortStableFunc(md.Blocks, func(a, b Block) int { return strings.Compare(a.Time, b.Time) })
				week = append(week, md)
			}
			p.Weeks = append(p.Weeks, week)
		}
	}
	return s.Render(c, r.sc.Page("calendar_view"), p)
}

// BookingRow is a line of the bookings list.
type BookingRow struct {
	*calendar.Booking
	When    string
	Local   string
	Hosts   string
	Past    bool
	Started bool
}

type bookingsPage struct {
	pageBase
	Show     string
	Zone     string
	Bookings []BookingRow
}

// handleBookings lists bookings: ?show=upcoming (default), past or
// cancelled, times in ?tz= (the first calendar's zone by default).
func (s *Handler) handleBookings(r *req) error {
	cals, err := s.Calendar.FindCalendars(r.ctx)
	if err != nil {
		return err
	}
	p := &bookingsPage{pageBase: s.base(r, "Bookings", "bookings"), Show: r.c.Query("show", "upcoming")}
	p.Zone = utils.CopyString(r.c.Query("tz"))
	if p.Zone == "" && len(cals) > 0 {
		p.Zone = cals[0].TimeZone
	}
	loc, err := calendar.LoadZone("tz", p.Zone)
	if err != nil {
		p.Zone, loc = "UTC", time.UTC
	}
	names := map[int64]string{}
	for _, cl := range cals {
		names[cl.ID] = cl.Name
	}
	now := time.Now()
	f := calendar.BookingFilter{From: now, To: now.AddDate(1, 0, 0), Active: true, Limit: 500}
	switch p.Show {
	case "past":
		f.From, f.To = now.AddDate(0, -6, 0), now
	case "cancelled":
		f.From, f.To, f.Active = now.AddDate(0, -6, 0), now.AddDate(1, 0, 0), false
	default:
		p.Show = "upcoming"
	}
	bs, err := s.Calendar.FindBookings(r.ctx, f)
	if err != nil {
		return err
	}
	if p.Show == "past" {
		slices.Reverse(bs)
	}
	for _, b := range bs {
		if p.Show == "cancelled" && b.Status != calendar.StatusCancelled {
			continue
		}
		hs := make([]string, 0, len(b.Hosts))
		for _, h := range b.Hosts {
			hs = append(hs, names[h])
		}
		lt := b.Start.In(loc)
		p.Bookings = append(p.Bookings, BookingRow{Booking: b, When: lt.Format("Mon 2 Jan 2006, 15:04") + "–" + b.End.In(loc).Format("15:04"),
			Local: lt.Format("2006-01-02T15:04"), Hosts: strings.Join(hs, ", "), Past: !b.End.After(now), Started: !b.Start.After(now)})
	}
	return s.Render(r.c, r.sc.Page("calendar_bookings"), p)
}

// back is where a booking action returns: the page it came from (a
// calendar path) or the bookings list.
func (s *Handler) back(r *req, msg string) error {
	to := utils.CopyString(r.c.FormValue("back"))
	if !strings.HasPrefix(to, "/calendar") || strings.HasPrefix(to, "//") {
		to = r.url("/calendar/bookings", "")
	}
	s.SetFlash(r.c, "ok", msg)
	return r.c.Redirect(to, fiber.StatusSeeOther)
}

// backError returns to the page with the error as the flash, or returns
// an internal error.
func (s *Handler) backError(r *req, err error) error {
	if app.ErrorCode(err) == app.EINTERNAL {
		return err
	}
	msg := app.ErrorMessage(err)
	var ce *calendar.ConflictError
	if errors.As(err, &ce) && len(ce.Next) > 0 {
		msg += " Free: " + ce.Next[0].Start.UTC().Format("Mon 2 Jan 15:04 MST")
	}
	to := utils.CopyString(r.c.FormValue("back"))
	if !strings.HasPrefix(to, "/calendar") || strings.HasPrefix(to, "//") {
		to = r.url("/calendar/bookings", "")
	}
	s.SetFlash(r.c, "error", msg)
	return r.c.Redirect(to, fiber.StatusSeeOther)
}

func (s *Handler) bookingOf(r *req) (*calendar.Booking, error) {
	id, err := web.ParamID(r.c, "id")
	if err != nil {
		return nil, err
	}
	return s.Calendar.FindBooking(r.ctx, id)
}

func actor(r *req) string {
	if a := web.Admin(r.c); a != nil {
		return "admin:" + a.Email
	}
	if u := web.User(r.c); u != nil {
		return "user:" + u.Email
	}
	return "calendar"
}

func (s *Handler) handleBookingCancel(r *req) error {
	b, err := s.bookingOf(r)
	if err != nil {
		return err
	}
	if _, err := s.Calendar.Cancel(r.ctx, b.ID, -1, utils.CopyString(r.c.FormValue("reason")), actor(r)); err != nil {
		return s.backError(r, err)
	}
	return s.back(r, fmt.Sprintf("Booking #%d with %s cancelled; the guest gets an email.", b.ID, b.Name))
}

// handleBookingMove reschedules to start (RFC 3339) or to local
// (2006-01-02T15:04, a datetime-local field) in tz.
func (s *Handler) handleBookingMove(r *req) error {
	b, err := s.bookingOf(r)
	if err != nil {
		return err
	}
	start, err := formTime(r.c)
	if err != nil {
		return s.backError(r, err)
	}
	nb, err := s.Calendar.Reschedule(r.ctx, b.ID, -1, start)
	if err != nil {
		return s.backError(r, err)
	}
	loc, _ := time.LoadLocation(utils.CopyString(r.c.FormValue("tz")))
	if loc == nil {
		loc = time.UTC
	}
	return s.back(r, fmt.Sprintf("Booking #%d with %s moved to %s; the guest gets an email.", nb.ID, nb.Name, nb.Start.In(loc).Format("Mon 2 Jan 15:04 MST")))
}

// formTime reads start (RFC 3339) or local + tz. Returns EINVALID naming
// "start" or "tz".
func formTime(c *fiber.Ctx) (time.Time, error) {
	if v := c.FormValue("start"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, app.FieldErrorf("start", "The new time is not a time like 2026-12-07T10:00:00Z.")
		}
		return t, nil
	}
	loc, err := calendar.LoadZone("tz", utils.CopyString(c.FormValue("tz")))
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", c.FormValue("local"), loc)
	if err != nil {
		return time.Time{}, app.FieldErrorf("start", "Choose the new date and time.")
	}
	return t, nil
}

func (s *Handler) handleBookingConfirm(r *req) error {
	b, err := s.bookingOf(r)
	if err != nil {
		return err
	}
	if _, err := s.Calendar.Confirm(r.ctx, b.ID, actor(r)); err != nil {
		return s.backError(r, err)
	}
	return s.back(r, fmt.Sprintf("Booking #%d with %s confirmed.", b.ID, b.Name))
}

func (s *Handler) handleBookingNoShow(r *req) error {
	b, err := s.bookingOf(r)
	if err != nil {
		return err
	}
	mark := r.c.FormValue("no_show") != "0"
	if _, err := s.Calendar.MarkNoShow(r.ctx, b.ID, mark, actor(r)); err != nil {
		return s.backError(r, err)
	}
	if mark {
		return s.back(r, fmt.Sprintf("%s marked as a no-show.", b.Name))
	}
	return s.back(r, fmt.Sprintf("%s's no-show mark removed.", b.Name))
}

// Owner is a choice of whose calendar a new one is.
type Owner struct {
	Value string // tenant, admin:ID or user:ID
	Label string
}

type settingsPage struct {
	pageBase
	Calendars  []*calendar.Calendar
	EventTypes []*calendar.EventType
	Owners     []Owner
	Zones      []string
	Values     map[string]string
	Errors     map[string]string
	BookBase   string
}

func (s *Handler) owners(r *req) []Owner {
	out := []Owner{{Value: "tenant", Label: "The team (shared)"}}
	if a := web.Admin(r.c); r.sc.Nexus() && a != nil && r.tenant.ID == app.HouseTenantID {
		out = append(out, Owner{Value: "admin:" + strconv.FormatInt(a.ID, 10), Label: "Me (" + a.Email + ")"})
	}
	if !r.sc.Nexus() || r.tenant.ID != app.HouseTenantID {
		if us, err := s.Users.ListUsers(r.ctx); err == nil {
			for _, u := range us {
				l := u.Name
				if l == "" {
					l = u.Email
				}
				out = append(out, Owner{Value: "user:" + strconv.FormatInt(u.ID, 10), Label: l})
			}
		}
	}
	return out
}

func (s *Handler) handleSettings(r *req) error {
	return s.renderSettings(r, nil, nil)
}

func (s *Handler) renderSettings(r *req, vals, errs map[string]string) error {
	cals, err := s.Calendar.FindCalendars(r.ctx)
	if err != nil {
		return err
	}
	ets, err := s.Calendar.FindEventTypes(r.ctx)
	if err != nil {
		return err
	}
	if vals == nil {
		vals = map[string]string{"time_zone": "UTC"}
	}
	p := &settingsPage{pageBase: s.base(r, "Calendar settings", "settings"), Calendars: cals, EventTypes: ets, Owners: s.owners(r), Zones: zones,
		Values: vals, Errors: errs}
	p.BookBase = s.bookBase(r)
	return s.Render(r.c, r.sc.Page("calendar_settings"), p)
}

// bookBase is where the tenant's booking pages are: the marketing site
// for the agency, else app.DOMAIN with ?tenant=.
func (s *Handler) bookBase(r *req) string {
	if r.tenant.ID == app.HouseTenantID {
		return s.URL(web.HostSite) + "/book/"
	}
	return s.URL(web.HostPortal) + "/book/"
}

func (s *Handler) handleCalendarCreate(r *req) error {
	if err := r.requireEdit(); err != nil {
		return err
	}
	vals := map[string]string{}
	for _, k := range []string{"name", "time_zone", "owner"} {
		vals[k] = utils.CopyString(r.c.FormValue(k))
	}
	cl := &calendar.Calendar{Name: vals["name"], TimeZone: vals["time_zone"], Availability: calendar.DefaultAvailability()}
	kind, id, _ := strings.Cut(vals["owner"], ":")
	cl.OwnerKind = kind
	cl.OwnerID, _ = strconv.ParseInt(id, 10, 64)
	if !slices.ContainsFunc(s.owners(r), func(o Owner) bool { return o.Value == vals["owner"] }) {
		return web.FormError(r.c, app.FieldErrorf("owner", "Choose whose calendar it is."), "name", func(e map[string]string) error { return s.renderSettings(r, vals, e) })
	}
	if err := s.Calendar.CreateCalendar(r.ctx, cl); err != nil {
		return web.FormError(r.c, err, "name", func(e map[string]string) error { return s.renderSettings(r, vals, e) })
	}
	s.SetFlash(r.c, "ok", "Calendar "+cl.Name+" created with Monday to Friday, 09:00 to 17:00; set its hours below.")
	return r.c.Redirect(r.url("/calendar/calendars/"+strconv.FormatInt(cl.ID, 10), ""), fiber.StatusSeeOther)
}

// Weekday is a row of the weekly hours form.
type Weekday struct {
	Key   string
	Label string
	Hours string
}

type calendarPage struct {
	pageBase
	Calendar  *calendar.Calendar
	Weekdays  []Weekday
	Overrides string
	Holidays  string
	Zones     []string
	Errors    map[string]string
	Sync      syncView
}

var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func (s *Handler) calendarOf(r *req) (*calendar.Calendar, error) {
	id, err := web.ParamID(r.c, "id")
	if err != nil {
		return nil, err
	}
	return s.Calendar.FindCalendar(r.ctx, id)
}

func (s *Handler) handleCalendarEdit(r *req) error {
	cl, err := s.calendarOf(r)
	if err != nil {
		return err
	}
	return s.renderCalendar(r, cl, nil, nil)
}

// renderCalendar shows cl's form; form (when not nil) is what was posted.
func (s *Handler) renderCalendar(r *req, cl *calendar.Calendar, form map[string]string, errs map[string]string) error {
	p := &calendarPage{pageBase: s.base(r, cl.Name, "settings"), Calendar: cl, Zones: zones, Errors: errs}
	var err error
	if p.Sync, err = s.syncOf(r, cl); err != nil {
		return err
	}
	if !slices.Contains(p.Zones, cl.TimeZone) {
		p.Zones = append([]string{cl.TimeZone}, p.Zones...)
	}
	for _, d := range weekOrder {
		key := strings.ToLower(d.String())
		h := calendar.FormatSpans(cl.Availability.Weekly[d])
		if form != nil {
			h = form[key]
		}
		p.Weekdays = append(p.Weekdays, Weekday{Key: key, Label: d.String(), Hours: h})
	}
	p.Overrides, p.Holidays = calendar.FormatOverrides(cl.Availability.Overrides), calendar.FormatHolidays(cl.Availability.Holidays)
	if form != nil {
		p.Overrides, p.Holidays = form["overrides"], form["holidays"]
	}
	return s.Render(r.c, r.sc.Page("calendar_calendar"), p)
}

func (s *Handler) handleCalendarSave(r *req) error {
	if err := r.requireEdit(); err != nil {
		return err
	}
	cl, err := s.calendarOf(r)
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"name", "time_zone", "overrides", "holidays"} {
		form[k] = utils.CopyString(r.c.FormValue(k))
	}
	nc := *cl
	nc.Name, nc.TimeZone = form["name"], form["time_zone"]
	fail := func(err error) error {
		return web.FormError(r.c, err, "name", func(e map[string]string) error {
			view := *cl
			view.Name, view.TimeZone = form["name"], form["time_zone"]
			return s.renderCalendar(r, &view, form, e)
		})
	}
	var av calendar.Availability
	for _, d := range weekOrder {
		key := strings.ToLower(d.String())
		form[key] = utils.CopyString(r.c.FormValue(key))
		if av.Weekly[d], err = calendar.ParseSpans("weekly."+key, form[key]); err != nil {
			return fail(err)
		}
	}
	if av.Overrides, err = calendar.ParseOverrides(form["overrides"]); err != nil {
		return fail(err)
	}
	if av.Holidays, err = calendar.ParseHolidays(form["holidays"]); err != nil {
		return fail(err)
	}
	nc.Availability = av
	if err := s.Calendar.UpdateCalendar(r.ctx, &nc); err != nil {
		return fail(err)
	}
	s.SetFlash(r.c, "ok", "Calendar "+nc.Name+" saved.")
	return r.c.Redirect(r.url("/calendar/calendars/"+strconv.FormatInt(cl.ID, 10), ""), fiber.StatusSeeOther)
}

type eventTypePage struct {
	pageBase
	Event     *calendar.EventType
	Calendars []*calendar.Calendar
	Values    map[string]string
	Errors    map[string]string
	BookURL   string
}

// Checked reports whether calendar id hosts the event type.
func (p *eventTypePage) Checked(id int64) bool {
	return slices.Contains(p.Event.Hosts, id)
}

func (s *Handler) eventTypeOf(r *req) (*calendar.EventType, error) {
	if r.c.Params("id") == "" {
		return &calendar.EventType{Durations: []int{30}, Enabled: true, LocationKind: calendar.LocationGenerated, Assignment: calendar.AssignSingle}, nil
	}
	id, err := web.ParamID(r.c, "id")
	if err != nil {
		return nil, err
	}
	return s.Calendar.FindEventType(r.ctx, id)
}

func eventTypeValues(e *calendar.EventType) map[string]string {
	i := strconv.Itoa
	ds := make([]string, len(e.Durations))
	for k, d := range e.Durations {
		ds[k] = i(d)
	}
	b := func(v bool) string {
		if v {
			return "1"
		}
		return ""
	}
	return map[string]string{"title": e.Title, "slug": e.Slug, "description": e.Description, "durations": strings.Join(ds, ", "),
		"location_kind": e.LocationKind, "location": e.Location, "buffer_before": i(e.BufferBefore), "buffer_after": i(e.BufferAfter),
		"min_notice": i(e.MinNotice), "window_days": i(e.WindowDays), "daily_limit": i(e.DailyLimit), "slot_step": i(e.SlotStep),
		"questions": calendar.FormatQuestions(e.Questions), "requires_confirmation": b(e.RequiresConfirmation), "assignment": e.Assignment,
		"create_deal": b(e.CreateDeal), "deal_pipeline": e.DealPipeline, "enabled": b(e.Enabled)}
}

func (s *Handler) handleEventTypeEdit(r *req) error {
	e, err := s.eventTypeOf(r)
	if err != nil {
		return err
	}
	return s.renderEventType(r, e, eventTypeValues(e), nil)
}

func (s *Handler) renderEventType(r *req, e *calendar.EventType, vals, errs map[string]string) error {
	cals, err := s.Calendar.FindCalendars(r.ctx)
	if err != nil {
		return err
	}
	title := "New meeting"
	if e.ID != 0 {
		title = e.Title
	}
	p := &eventTypePage{pageBase: s.base(r, title, "settings"), Event: e, Calendars: cals, Values: vals, Errors: errs}
	if e.ID != 0 {
		p.BookURL = s.bookBase(r) + e.Slug
		if r.tenant.ID != app.HouseTenantID {
			p.BookURL += "?tenant=" + url.QueryEscape(r.tenant.Slug)
		}
	}
	return s.Render(r.c, r.sc.Page("calendar_event_type"), p)
}

var eventTypeFields = []string{"title", "slug", "description", "durations", "location_kind", "location", "buffer_before", "buffer_after",
	"min_notice", "window_days", "daily_limit", "slot_step", "questions", "requires_confirmation", "assignment", "create_deal", "deal_pipeline", "enabled"}

func (s *Handler) handleEventTypeSave(r *req) error {
	if err := r.requireEdit(); err != nil {
		return err
	}
	old, err := s.eventTypeOf(r)
	if err != nil {
		return err
	}
	vals := map[string]string{}
	for _, k := range eventTypeFields {
		vals[k] = utils.CopyString(r.c.FormValue(k))
	}
	e := &calendar.EventType{ID: old.ID, Title: vals["title"], Slug: vals["slug"], Description: vals["description"], LocationKind: vals["location_kind"],
		Location: vals["location"], RequiresConfirmation: vals["requires_confirmation"] != "", Assignment: vals["assignment"],
		CreateDeal: vals["create_deal"] != "", DealPipeline: vals["deal_pipeline"], Enabled: vals["enabled"] != ""}
	view := *e
	fail := func(err error) error {
		return web.FormError(r.c, err, "title", func(m map[string]string) error { return s.renderEventType(r, &view, vals, m) })
	}
	for _, h := range r.c.Request().PostArgs().PeekMulti("hosts") {
		id, err := strconv.ParseInt(string(h), 10, 64)
		if err != nil {
			return fail(app.FieldErrorf("hosts", "Choose host calendars from the list."))
		}
		e.Hosts = append(e.Hosts, id)
	}
	view.Hosts = e.Hosts
	for _, f := range []struct {
		key string
		dst *int
	}{{"buffer_before", &e.BufferBefore}, {"buffer_after", &e.BufferAfter}, {"min_notice", &e.MinNotice}, {"window_days", &e.WindowDays},
		{"daily_limit", &e.DailyLimit}, {"slot_step", &e.SlotStep}} {
		v := strings.TrimSpace(vals[f.key])
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fail(app.FieldErrorf(f.key, "%s must be a whole number.", strings.ReplaceAll(f.key, "_", " ")))
		}
		*f.dst = n
	}
	if e.Durations, err = calendar.ParseDurations(vals["durations"]); err != nil {
		return fail(err)
	}
	if e.Questions, err = calendar.ParseQuestions(vals["questions"]); err != nil {
		return fail(err)
	}
	if err := s.Calendar.SaveEventType(r.ctx, e); err != nil {
		return fail(err)
	}
	s.SetFlash(r.c, "ok", "Meeting "+e.Title+" saved.")
	return r.c.Redirect(r.url("/calendar/event-types/"+strconv.FormatInt(e.ID, 10), ""), fiber.StatusSeeOther)
}

func (s *Handler) handleEventTypeDelete(r *req) error {
	if err := r.requireEdit(); err != nil {
		return err
	}
	e, err := s.eventTypeOf(r)
	if err != nil {
		return err
	}
	if err := s.Calendar.DeleteEventType(r.ctx, e.ID); err != nil {
		return s.backError(r, err)
	}
	s.SetFlash(r.c, "ok", "Meeting "+e.Title+" deleted.")
	return r.c.Redirect(r.url("/calendar/settings", ""), fiber.StatusSeeOther)
}
