package calendar

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/ui/web"
)

// mountSync adds the calendar settings' sync forms: connect a CalDAV
// account, subscribe to an ICS feed, choose the account's calendars,
// sync now, disconnect, and a new private feed URL.
func (s *Handler) mountSync(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	r.Post("/calendar/calendars/:id/caldav", csrf, s.route(sc, s.handleConnectCalDAV))
	r.Post("/calendar/calendars/:id/feeds", csrf, s.route(sc, s.handleAddFeed))
	r.Post("/calendar/calendars/:id/feed-token", csrf, s.route(sc, s.handleRotateFeed))
	r.Post("/calendar/sources/:id/choose", csrf, s.route(sc, s.handleSourceChoose))
	r.Post("/calendar/sources/:id/sync", csrf, s.route(sc, s.handleSourceSync))
	r.Post("/calendar/sources/:id/delete", csrf, s.route(sc, s.handleSourceDelete))
}

// syncView is a calendar page's sync panel.
type syncView struct {
	On      bool
	Sources []*calendar.Source
	FeedURL string
}

func (s *Handler) syncOf(r *req, cl *calendar.Calendar) (syncView, error) {
	v := syncView{On: s.Sync != nil}
	if cl.FeedToken != "" && r.canEdit() {
		base := s.URL(web.HostPortal)
		if r.tenant.ID == app.HouseTenantID {
			base = s.URL(web.HostSite)
		}
		v.FeedURL = base + "/calendar-feed/" + cl.FeedToken + ".ics"
	}
	if s.Sync == nil {
		return v, nil
	}
	var err error
	v.Sources, err = s.Sync.FindSources(r.ctx, cl.ID)
	return v, err
}

func (s *Handler) toCalendar(r *req, id int64, kind, msg string) error {
	s.SetFlash(r.c, kind, msg)
	return r.c.Redirect(r.url("/calendar/calendars/"+strconv.FormatInt(id, 10), "")+"#sync", fiber.StatusSeeOther)
}

// syncResult redirects to the calendar with what happened: EINVALID and
// the like as an error flash naming the problem, EINTERNAL returned.
func (s *Handler) syncResult(r *req, calID int64, err error, ok string) error {
	if err != nil {
		if app.ErrorCode(err) == app.EINTERNAL {
			return err
		}
		return s.toCalendar(r, calID, "error", app.ErrorMessage(err))
	}
	return s.toCalendar(r, calID, "ok", ok)
}

func (s *Handler) syncCalendar(r *req) (*calendar.Calendar, error) {
	if err := r.requireEdit(); err != nil {
		return nil, err
	}
	if s.Sync == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Calendar sync is not available.")
	}
	return s.calendarOf(r)
}

func sourceStatus(src *calendar.Source) string {
	if src.LastError != "" {
		return "but the last sync failed: " + src.LastError
	}
	return "and synced"
}

func (s *Handler) handleConnectCalDAV(r *req) error {
	cl, err := s.syncCalendar(r)
	if err != nil {
		return err
	}
	src, err := s.Sync.ConnectCalDAV(r.ctx, cl.ID, utils.CopyString(r.c.FormValue("url")), utils.CopyString(r.c.FormValue("username")),
		utils.CopyString(r.c.FormValue("password")))
	if err != nil {
		return s.syncResult(r, cl.ID, err, "")
	}
	if src, err = s.Sync.FindSource(r.ctx, src.ID); err != nil {
		return err
	}
	return s.syncResult(r, cl.ID, nil, "CalDAV account connected "+sourceStatus(src)+". Choose which of its calendars count as busy and which one gets the bookings.")
}

func (s *Handler) handleAddFeed(r *req) error {
	cl, err := s.syncCalendar(r)
	if err != nil {
		return err
	}
	_, err = s.Sync.AddFeed(r.ctx, cl.ID, utils.CopyString(r.c.FormValue("url")))
	return s.syncResult(r, cl.ID, err, "Feed subscribed: its events count as busy.")
}

func (s *Handler) handleRotateFeed(r *req) error {
	if err := r.requireEdit(); err != nil {
		return err
	}
	cl, err := s.calendarOf(r)
	if err != nil {
		return err
	}
	_, err = s.Calendar.RotateFeedToken(r.ctx, cl.ID)
	return s.syncResult(r, cl.ID, err, "The calendar has a new feed URL; the old one no longer works.")
}

func (s *Handler) sourceOf(r *req) (*calendar.Source, error) {
	if err := r.requireEdit(); err != nil {
		return nil, err
	}
	if s.Sync == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Calendar sync is not available.")
	}
	id, err := web.ParamID(r.c, "id")
	if err != nil {
		return nil, err
	}
	return s.Sync.FindSource(r.ctx, id)
}

func (s *Handler) handleSourceChoose(r *req) error {
	src, err := s.sourceOf(r)
	if err != nil {
		return err
	}
	var busy []string
	for _, v := range r.c.Request().PostArgs().PeekMulti("busy") {
		busy = append(busy, string(v))
	}
	_, err = s.Sync.Choose(r.ctx, src.ID, busy, strings.TrimSpace(utils.CopyString(r.c.FormValue("target"))))
	if err == nil {
		_, err = s.Sync.SyncNow(r.ctx, src.ID)
	}
	return s.syncResult(r, src.CalendarID, err, "Calendar choices saved and synced.")
}

func (s *Handler) handleSourceSync(r *req) error {
	src, err := s.sourceOf(r)
	if err != nil {
		return err
	}
	if src, err = s.Sync.SyncNow(r.ctx, src.ID); err != nil {
		return s.syncResult(r, src.CalendarID, err, "")
	}
	if src.LastError != "" {
		return s.toCalendar(r, src.CalendarID, "error", "Sync failed: "+src.LastError)
	}
	return s.toCalendar(r, src.CalendarID, "ok", "Synced.")
}

func (s *Handler) handleSourceDelete(r *req) error {
	src, err := s.sourceOf(r)
	if err != nil {
		return err
	}
	return s.syncResult(r, src.CalendarID, s.Sync.Remove(r.ctx, src.ID), "Disconnected; its busy times no longer count.")
}

// handleFeed serves a calendar's private ICS feed (the secret in the URL
// is the only key: revoked by a new one).
func (s *Handler) handleFeed(c *fiber.Ctx) error {
	tok := strings.TrimSuffix(utils.CopyString(c.Params("token")), ".ics")
	_, data, err := s.Calendar.Feed(c.UserContext(), tok)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	c.Set("X-Robots-Tag", "noindex")
	return c.Send(data)
}
