package courses

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// The staff's community pages in the portal: spaces (create, edit,
// archive, who sees them), each space's feed with hidden posts and the
// moderation buttons, the open reports, the word filter and flood limit,
// and community bans.

// CommunityOn reports whether the community is served.
func (s *Handler) CommunityOn() bool { return s.On() && s.Courses.Community != nil }

func (s *Handler) mountCommunityStaff(r fiber.Router, csrf fiber.Handler) {
	if s.Courses.Community == nil {
		return
	}
	r.Get("/community", s.handleStaffCommunity)
	r.Post("/community/spaces", csrf, s.handleSpaceCreate)
	r.Post("/community/settings", csrf, s.handleCommunitySettings)
	r.Get("/community/spaces/:id", s.handleSpaceEdit)
	r.Post("/community/spaces/:id", csrf, s.handleSpaceUpdate)
	r.Post("/community/spaces/:id/posts", csrf, s.handleStaffPost)
	r.Get("/community/posts/:id", s.handleStaffPostView)
	r.Post("/community/posts/:id/moderate", csrf, s.handleModerate)
	r.Post("/community/members/:id/ban", csrf, s.handleBan)
	r.Post("/community/comments/:id/moderate", csrf, s.handleCommentModerate) // moderation.go
	s.mountEventsStaff(r, csrf)                                               // events.go
}

type staffCommunityPage struct {
	web.Layout
	postsView
	Spaces   []*courses.Space
	Courses  []*courses.Course
	Reports  []*courses.Report
	Settings *courses.CommunitySettings
	Words    string
	Form     *courses.Space
	Errors   map[string]string
	Section  string
	Learn    string
}

// CourseTitle names a course of the page's list.
func (p *staffCommunityPage) CourseTitle(id int64) string { return courseTitle(p.Courses, id) }

func courseTitle(cs []*courses.Course, id int64) string {
	for _, c := range cs {
		if c.ID == id {
			return c.Title
		}
	}
	return fmt.Sprintf("course %d", id)
}

func (s *Handler) renderStaffCommunity(c *fiber.Ctx, p *staffCommunityPage) error {
	ctx := c.UserContext()
	var err error
	if p.Spaces, err = s.Courses.Spaces(ctx); err != nil {
		return err
	}
	if p.Courses, err = s.Courses.Courses(ctx); err != nil {
		return err
	}
	if p.Reports, err = s.Courses.Reports(ctx); err != nil {
		return err
	}
	if p.Settings == nil {
		if p.Settings, err = s.Courses.Settings(ctx); err != nil {
			return err
		}
		p.Words = strings.Join(p.Settings.BannedWords, "\n")
	}
	if p.Form == nil {
		p.Form = &courses.Space{Access: courses.AccessAll}
	}
	p.Learn = strings.Replace(s.learnBase(c), "/learn", "/learn/community", 1)
	p.Layout = s.Layout(c, web.HostPortal, "Community")
	return s.Render(c, "portal/community_home", p)
}

func (s *Handler) handleStaffCommunity(c *fiber.Ctx) error {
	return s.renderStaffCommunity(c, &staffCommunityPage{})
}

func spaceForm(c *fiber.Ctx, sp *courses.Space) {
	sp.Name = utils.CopyString(c.FormValue("name"))
	sp.Slug = utils.CopyString(c.FormValue("slug"))
	sp.Description = utils.CopyString(c.FormValue("description"))
	sp.Access = utils.CopyString(c.FormValue("access"))
	sp.CourseID, _ = strconv.ParseInt(c.FormValue("course_id"), 10, 64)
	sp.Tag = utils.CopyString(c.FormValue("tag"))
}

func (s *Handler) handleSpaceCreate(c *fiber.Ctx) error {
	sp := &courses.Space{}
	spaceForm(c, sp)
	if err := s.Courses.CreateSpace(c.UserContext(), sp); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderStaffCommunity(c, &staffCommunityPage{Form: sp, Errors: errs(err, "name"), Section: "space"})
	}
	s.SetFlash(c, "ok", "Space created.")
	return c.Redirect(fmt.Sprintf("/community/spaces/%d", sp.ID), fiber.StatusSeeOther)
}

func (s *Handler) handleCommunitySettings(c *fiber.Ctx) error {
	words := utils.CopyString(c.FormValue("banned_words"))
	flood, perr := strconv.Atoi(strings.TrimSpace(c.FormValue("flood_limit")))
	if perr != nil {
		flood = -1 // SaveSettings names the field
	}
	if _, err := s.Courses.SaveSettings(c.UserContext(), words, flood); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderStaffCommunity(c, &staffCommunityPage{Settings: &courses.CommunitySettings{FloodLimit: flood}, Words: words,
			Errors: errs(err, "banned_words"), Section: "settings"})
	}
	s.SetFlash(c, "ok", "Moderation settings saved.")
	return c.Redirect("/community", fiber.StatusSeeOther)
}

type staffSpacePage struct {
	web.Layout
	postsView
	Space   *courses.Space
	Form    *courses.Space
	Courses []*courses.Course
	Feed    *courses.Feed
	Errors  map[string]string
	Section string
	Title   string
	Body    string
	// Events of the space (upcoming, cancelled included), the new event's
	// form and the calendars it may show on.
	Events    []*courses.CommunityEvent
	EventForm *eventForm
	Calendars []*courses.EventCalendar
	Zone      string
}

// CourseTitle names a course of the page's list.
func (p *staffSpacePage) CourseTitle(id int64) string { return courseTitle(p.Courses, id) }

func (s *Handler) renderStaffSpace(c *fiber.Ctx, id int64, p *staffSpacePage) error {
	ctx := c.UserContext()
	b, err := before(c)
	if err != nil {
		return err
	}
	if p.Space, p.Feed, err = s.Courses.SpaceFeed(ctx, id, b); err != nil {
		return err
	}
	if p.Courses, err = s.Courses.Courses(ctx); err != nil {
		return err
	}
	if p.Form == nil {
		cp := *p.Space
		p.Form = &cp
	}
	if s.Courses.EventsOn() {
		if p.Events, err = s.Courses.SpaceEvents(ctx, id, false); err != nil {
			return err
		}
		if p.Calendars, err = s.Courses.EventCalendars(ctx); err != nil {
			return err
		}
		if p.EventForm == nil {
			p.EventForm = &eventForm{CalendarID: courses.DefaultEventCalendar(p.Calendars), Capacity: "0"}
		}
		p.Zone = courses.TenantZone(app.TenantFromContext(ctx)).String()
	}
	p.Layout = s.Layout(c, web.HostPortal, p.Space.Name)
	return s.Render(c, "portal/community_space", p)
}

func (s *Handler) handleSpaceEdit(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return s.renderStaffSpace(c, id, &staffSpacePage{})
}

func (s *Handler) handleSpaceUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	sp, err := s.Courses.Space(c.UserContext(), id)
	if err != nil {
		return err
	}
	spaceForm(c, sp)
	switch {
	case c.FormValue("archived") != "" && sp.ArchivedAt == nil:
		now := time.Now()
		sp.ArchivedAt = &now
	case c.FormValue("archived") == "":
		sp.ArchivedAt = nil
	}
	if err := s.Courses.UpdateSpace(c.UserContext(), sp); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderStaffSpace(c, id, &staffSpacePage{Form: sp, Errors: errs(err, "name"), Section: "space"})
	}
	s.SetFlash(c, "ok", "Space saved.")
	return c.Redirect(fmt.Sprintf("/community/spaces/%d", id), fiber.StatusSeeOther)
}

func (s *Handler) handleStaffPost(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	title, body := utils.CopyString(c.FormValue("title")), utils.CopyString(c.FormValue("body"))
	if _, err := s.Courses.CreateStaffPost(c.UserContext(), id, title, body); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderStaffSpace(c, id, &staffSpacePage{Errors: errs(err, "body"), Section: "post", Title: title, Body: body})
	}
	s.SetFlash(c, "ok", "Posted.")
	return c.Redirect(fmt.Sprintf("/community/spaces/%d", id), fiber.StatusSeeOther)
}

type staffPostPage struct {
	web.Layout
	postsView
	Post     *courses.Post
	Comments []*courses.Comment
}

func (s *Handler) handleStaffPostView(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	p := &staffPostPage{}
	if p.Post, p.Comments, err = s.Courses.StaffPost(c.UserContext(), id); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostPortal, "Post")
	return s.Render(c, "portal/community_post", p)
}

func (s *Handler) handleModerate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	action := utils.CopyString(c.FormValue("action"))
	p, err := s.Courses.Moderate(c.UserContext(), id, action)
	if err != nil {
		return err
	}
	msg := map[string]string{courses.ModHide: "Post hidden: members no longer see it.", courses.ModUnhide: "Post shown again.",
		courses.ModPin: "Post pinned.", courses.ModUnpin: "Post unpinned.", courses.ModDismiss: "Reports dismissed; the post stays."}[action]
	s.SetFlash(c, "ok", msg)
	if back := web.SafeNext(c.FormValue("back")); back != "" && back != "/" {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/community/spaces/%d", p.SpaceID), fiber.StatusSeeOther)
}

func (s *Handler) handleBan(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	banned := c.FormValue("banned") == "1"
	m, err := s.Courses.BanFromCommunity(c.UserContext(), id, banned)
	if err != nil {
		return err
	}
	if banned {
		s.SetFlash(c, "ok", m.DisplayName()+" is banned from the community; their courses stay open.")
	} else {
		s.SetFlash(c, "ok", m.DisplayName()+" may take part in the community again.")
	}
	return c.Redirect(fmt.Sprintf("/courses/members/%d", id), fiber.StatusSeeOther)
}
