package courses

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/app/wiki"
	"orengen/ui/web"
)

// Mount adds the staff's course pages to the portal's signed-in group.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if !s.On() {
		return
	}
	if sc.Nexus() {
		s.mountNexus(r) // nexus.go
		return
	}
	r.Get("/courses", s.handleCourses)
	r.Post("/courses", csrf, s.handleCourseCreate)
	r.Get("/courses/members", s.handleMembers)
	r.Post("/courses/members", csrf, s.handleMemberInvite)
	r.Get("/courses/members/:id", s.handleMember)
	r.Post("/courses/members/:id/status", csrf, s.handleMemberStatus)
	r.Get("/courses/:id", s.handleCourseEdit)
	r.Post("/courses/:id", csrf, s.handleCourseUpdate)
	r.Post("/courses/:id/modules", csrf, s.handleModuleCreate)
	r.Post("/courses/:id/lessons", csrf, s.handleLessonCreate)
	r.Post("/courses/:id/enrol", csrf, s.handleEnrol)
	r.Get("/courses/:id/lessons/:lesson", s.handleLessonEdit)
	r.Post("/courses/:id/lessons/:lesson", csrf, s.handleLessonUpdate)
	r.Post("/courses/:id/lessons/:lesson/delete", csrf, s.handleLessonDelete)
	s.mountCommunityStaff(r, csrf) // community_staff.go
	s.mountFiles(r, csrf)          // files.go
}

type coursesPage struct {
	web.Layout
	Courses []*courses.Course
	Form    *courses.Course
	Errors  map[string]string
	// Learn is the members' area address of the tenant.
	Learn string
}

func errs(err error, def string) map[string]string {
	return map[string]string{web.FieldOr(err, def): app.ErrorMessage(err)}
}

func (s *Handler) learnBase(c *fiber.Ctx) string {
	if web.DomainTenant(c) != nil {
		return "/learn"
	}
	if t := web.Tenant(c); t != nil {
		return "/learn?tenant=" + t.Slug
	}
	return "/learn"
}

func (s *Handler) renderCourses(c *fiber.Ctx, p *coursesPage) error {
	var err error
	if p.Courses, err = s.Courses.Courses(c.UserContext()); err != nil {
		return err
	}
	if p.Form == nil {
		p.Form = &courses.Course{}
	}
	p.Learn = s.learnBase(c)
	p.Layout = s.Layout(c, web.HostPortal, "Courses")
	return s.Render(c, "portal/courses_list", p)
}

func (s *Handler) handleCourses(c *fiber.Ctx) error { return s.renderCourses(c, &coursesPage{}) }

func courseForm(c *fiber.Ctx, cr *courses.Course) {
	cr.Title = utils.CopyString(c.FormValue("title"))
	cr.Slug = utils.CopyString(c.FormValue("slug"))
	cr.Summary = utils.CopyString(c.FormValue("summary"))
	cr.Description = utils.CopyString(c.FormValue("description"))
	cr.Published = c.FormValue("published") != ""
	cr.OpenEnrolment = c.FormValue("open_enrolment") != ""
}

func (s *Handler) handleCourseCreate(c *fiber.Ctx) error {
	cr := &courses.Course{}
	courseForm(c, cr)
	if err := s.Courses.CreateCourse(c.UserContext(), cr); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderCourses(c, &coursesPage{Form: cr, Errors: errs(err, "title")})
	}
	s.SetFlash(c, "ok", "Course created. Add a module, then lessons.")
	return c.Redirect(fmt.Sprintf("/courses/%d", cr.ID), fiber.StatusSeeOther)
}

type courseEditPage struct {
	web.Layout
	Course     *courses.Course
	Form       *courses.Course
	Lesson     *courses.Lesson // the new-lesson form
	Enrolments []enrolmentRow
	Members    []*courses.Member
	Engagement *courses.Engagement
	Chart      *web.Chart
	Errors     map[string]string
	Section    string // which form the errors belong to
	Learn      string
}

type enrolmentRow struct {
	Member    *courses.Member
	Enrolment *courses.Enrolment
}

func (s *Handler) renderCourse(c *fiber.Ctx, id int64, p *courseEditPage) error {
	ctx := c.UserContext()
	cr, err := s.Courses.Course(ctx, id)
	if err != nil {
		return err
	}
	p.Course = cr
	if p.Form == nil {
		cp := *cr
		p.Form = &cp
	}
	if p.Lesson == nil {
		p.Lesson = &courses.Lesson{}
	}
	if p.Engagement, err = s.Courses.Engagement(ctx, id); err != nil {
		return err
	}
	p.Chart = EngagementChart(p.Engagement)
	es, err := s.Courses.Enrolments(ctx, id)
	if err != nil {
		return err
	}
	ms, err := s.Courses.Members(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]*courses.Member{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	for _, e := range es {
		if m := byID[e.MemberID]; m != nil {
			p.Enrolments = append(p.Enrolments, enrolmentRow{Member: m, Enrolment: e})
		}
	}
	p.Members = ms
	p.Learn = strings.Replace(s.learnBase(c), "/learn", "/learn/c/"+cr.Slug, 1)
	p.Layout = s.Layout(c, web.HostPortal, cr.Title)
	return s.Render(c, "portal/courses_course", p)
}

// EngagementChart is a course's lessons as stacked bars: members who
// completed each lesson, and those who started it but stopped there (the
// drop-off).
func EngagementChart(e *courses.Engagement) *web.Chart {
	ch := &web.Chart{ID: "course-engagement", Title: "Engagement per lesson", Stacked: true,
		Description: "Members who completed each lesson, and who started it without completing it (drop-off).",
		Empty:       "No member has opened a lesson yet."}
	done := web.ChartSeries{Name: "Completed"}
	drop := web.ChartSeries{Name: "Started, not completed"}
	for i, l := range e.Lessons {
		ch.Categories = append(ch.Categories, fmt.Sprintf("%d. %s", i+1, l.Title))
		done.Values = append(done.Values, float64(l.Completed))
		drop.Values = append(drop.Values, float64(l.Started-l.Completed))
	}
	ch.Series = []web.ChartSeries{done, drop}
	return ch
}

func (s *Handler) handleCourseEdit(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return s.renderCourse(c, id, &courseEditPage{})
}

func (s *Handler) handleCourseUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	cr, err := s.Courses.Course(c.UserContext(), id)
	if err != nil {
		return err
	}
	courseForm(c, cr)
	if err := s.Courses.UpdateCourse(c.UserContext(), cr); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderCourse(c, id, &courseEditPage{Form: cr, Errors: errs(err, "title"), Section: "course"})
	}
	s.SetFlash(c, "ok", "Course saved.")
	return c.Redirect(fmt.Sprintf("/courses/%d", id), fiber.StatusSeeOther)
}

func (s *Handler) handleModuleCreate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Courses.AddModule(c.UserContext(), id, utils.CopyString(c.FormValue("title"))); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderCourse(c, id, &courseEditPage{Errors: map[string]string{"module_title": app.ErrorMessage(err)}, Section: "module"})
	}
	s.SetFlash(c, "ok", "Module added.")
	return c.Redirect(fmt.Sprintf("/courses/%d", id), fiber.StatusSeeOther)
}

func lessonForm(c *fiber.Ctx, l *courses.Lesson) error {
	l.Title = utils.CopyString(c.FormValue("title"))
	l.Body = utils.CopyString(c.FormValue("body"))
	l.VideoURL = utils.CopyString(c.FormValue("video_url"))
	l.DripDate = utils.CopyString(c.FormValue("drip_date"))
	var err error
	num := func(field, label string) int64 {
		v := strings.TrimSpace(c.FormValue(field))
		if v == "" {
			return 0
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n < 0 {
			if err == nil {
				err = app.FieldErrorf(field, "%s must be a whole number.", label)
			}
			return 0
		}
		return n
	}
	l.ModuleID = num("module_id", "Module")
	l.PrerequisiteID = num("prerequisite_id", "Prerequisite")
	days := num("drip_days", "Days after enrolment")
	if days > courses.MaxDripDays {
		days = courses.MaxDripDays + 1 // Validate names the range
	}
	l.DripDays = int(days)
	l.Quiz = nil
	if src := strings.TrimSpace(c.FormValue("quiz")); src != "" && err == nil {
		pass := int(num("pass_mark", "Pass mark"))
		if pass == 0 && err == nil {
			pass = courses.DefaultPassMark
		}
		if err == nil {
			l.Quiz, err = courses.ParseQuiz(src, pass)
		}
	}
	return err
}

func (s *Handler) handleLessonCreate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	l := &courses.Lesson{}
	err = lessonForm(c, l)
	if err == nil {
		err = s.Courses.AddLesson(c.UserContext(), id, l)
	}
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderCourse(c, id, &courseEditPage{Lesson: l, Errors: errs(err, "title"), Section: "lesson"})
	}
	s.SetFlash(c, "ok", "Lesson added.")
	return c.Redirect(fmt.Sprintf("/courses/%d/lessons/%d", id, l.ID), fiber.StatusSeeOther)
}

type lessonEditPage struct {
	web.Layout
	Course *courses.Course
	Lesson *courses.Lesson
	Errors map[string]string
	// Files are the lesson's video and downloads; FileError is why an
	// upload posted whole was refused.
	Files     []*courses.LessonFile
	FileError string
	// MaxVideo and MaxFile are the caps, for the upload forms.
	MaxVideo, MaxFile string
	ChunkSize         string
	AcceptedVideos    string
	AcceptedFiles     string
}

func (s *Handler) renderLessonEdit(c *fiber.Ctx, courseID int64, p *lessonEditPage) error {
	cr, err := s.Courses.Course(c.UserContext(), courseID)
	if err != nil {
		return err
	}
	p.Course = cr
	if p.Files, err = s.Courses.LessonFiles(c.UserContext(), courseID, p.Lesson.ID); err != nil {
		return err
	}
	p.MaxVideo, p.MaxFile = app.FormatBytes(s.Courses.MaxUpload(courses.FileVideo)), app.FormatBytes(s.Courses.MaxUpload(courses.FileDownload))
	p.ChunkSize, p.AcceptedVideos, p.AcceptedFiles = app.FormatBytes(web.UploadChunkSize), courses.AcceptedVideos, wiki.AcceptedFiles
	p.Layout = s.Layout(c, web.HostPortal, p.Lesson.Title)
	return s.Render(c, "portal/courses_lesson", p)
}

func (s *Handler) lessonParams(c *fiber.Ctx) (int64, *courses.Lesson, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return 0, nil, err
	}
	lid, err := web.ParamID(c, "lesson")
	if err != nil {
		return 0, nil, err
	}
	l, err := s.Courses.Lesson(c.UserContext(), id, lid)
	return id, l, err
}

func (s *Handler) handleLessonEdit(c *fiber.Ctx) error {
	id, l, err := s.lessonParams(c)
	if err != nil {
		return err
	}
	return s.renderLessonEdit(c, id, &lessonEditPage{Lesson: l})
}

func (s *Handler) handleLessonUpdate(c *fiber.Ctx) error {
	id, l, err := s.lessonParams(c)
	if err != nil {
		return err
	}
	err = lessonForm(c, l)
	if err == nil {
		err = s.Courses.UpdateLesson(c.UserContext(), id, l)
	}
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderLessonEdit(c, id, &lessonEditPage{Lesson: l, Errors: errs(err, "title")})
	}
	s.SetFlash(c, "ok", "Lesson saved.")
	return c.Redirect(fmt.Sprintf("/courses/%d/lessons/%d", id, l.ID), fiber.StatusSeeOther)
}

func (s *Handler) handleLessonDelete(c *fiber.Ctx) error {
	id, l, err := s.lessonParams(c)
	if err != nil {
		return err
	}
	if err := s.Courses.DeleteLesson(c.UserContext(), id, l.ID); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Lesson deleted.")
	return c.Redirect(fmt.Sprintf("/courses/%d", id), fiber.StatusSeeOther)
}

// handleEnrol invites an email (a new or existing member) into the
// course.
func (s *Handler) handleEnrol(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.Courses.Invite(c.UserContext(), utils.CopyString(c.FormValue("email")), utils.CopyString(c.FormValue("name")), id)
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderCourse(c, id, &courseEditPage{Errors: errs(err, "email"), Section: "enrol"})
	}
	s.SetFlash(c, "ok", m.Email+" is enrolled and has been emailed a sign-in link.")
	return c.Redirect(fmt.Sprintf("/courses/%d", id), fiber.StatusSeeOther)
}

type membersPage struct {
	web.Layout
	Members []*courses.Member
	Courses []*courses.Course
	Email   string
	Name    string
	Errors  map[string]string
}

func (s *Handler) renderMembers(c *fiber.Ctx, p *membersPage) error {
	ctx := c.UserContext()
	var err error
	if p.Members, err = s.Courses.Members(ctx); err != nil {
		return err
	}
	if p.Courses, err = s.Courses.Courses(ctx); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostPortal, "Members")
	return s.Render(c, "portal/courses_members", p)
}

func (s *Handler) handleMembers(c *fiber.Ctx) error { return s.renderMembers(c, &membersPage{}) }

func (s *Handler) handleMemberInvite(c *fiber.Ctx) error {
	p := &membersPage{Email: utils.CopyString(c.FormValue("email")), Name: utils.CopyString(c.FormValue("name"))}
	var courseID int64
	if v := c.FormValue("course_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			c.Status(fiber.StatusUnprocessableEntity)
			p.Errors = map[string]string{"course_id": "Choose a course."}
			return s.renderMembers(c, p)
		}
		courseID = n
	}
	m, err := s.Courses.Invite(c.UserContext(), p.Email, p.Name, courseID)
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		p.Errors = errs(err, "email")
		return s.renderMembers(c, p)
	}
	s.SetFlash(c, "ok", m.Email+" has been emailed a sign-in link.")
	return c.Redirect(fmt.Sprintf("/courses/members/%d", m.ID), fiber.StatusSeeOther)
}

type memberPage struct {
	web.Layout
	Member   *courses.Member
	Progress []*courses.MemberProgress
}

func (s *Handler) handleMember(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	m, prog, err := s.Courses.Member(c.UserContext(), id)
	if err != nil {
		return err
	}
	p := &memberPage{Member: m, Progress: prog}
	p.Layout = s.Layout(c, web.HostPortal, m.DisplayName())
	return s.Render(c, "portal/courses_member", p)
}

// handleMemberStatus suspends or reactivates a member.
func (s *Handler) handleMemberStatus(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.Courses.SetMemberStatus(c.UserContext(), id, utils.CopyString(c.FormValue("status")))
	if err != nil {
		return err
	}
	msg := m.Email + " is active again."
	if m.Status == courses.MemberBanned {
		msg = m.Email + " is suspended and signed out."
	}
	s.SetFlash(c, "ok", msg)
	return c.Redirect(fmt.Sprintf("/courses/members/%d", m.ID), fiber.StatusSeeOther)
}
