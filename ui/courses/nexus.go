package courses

import (
	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// Nexus > Growth > Courses (issue #24): every client's courses with
// their engagement (enrolled, started, completed), and a course's
// drop-off per lesson as a chart; read-only (a client's staff edit them
// in the portal).

func (s *Handler) mountNexus(r fiber.Router) {
	r.Get("/courses", s.handleNexusCourses)
	r.Get("/courses/tenants/:tenant/courses/:id", s.handleNexusCourse)
}

// nexusCourseRow is one course of one client in the overview.
type nexusCourseRow struct {
	Tenant     *app.Tenant
	Course     *courses.Course
	Engagement *courses.Engagement
}

// CompletionPct is the share of enrolled members who completed.
func (r nexusCourseRow) CompletionPct() int {
	if r.Engagement.Enrolled == 0 {
		return 0
	}
	return r.Engagement.Completed * 100 / r.Engagement.Enrolled
}

type nexusCoursesPage struct {
	web.Layout
	Rows    []nexusCourseRow
	Clients int // clients with at least one course
}

func (s *Handler) handleNexusCourses(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ts, err := s.Tenants.ListTenants(ctx)
	if err != nil {
		return err
	}
	p := &nexusCoursesPage{}
	for _, t := range ts {
		tctx := app.NewContextWithTenant(ctx, t)
		cs, err := s.Courses.Courses(tctx)
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			p.Clients++
		}
		for _, cr := range cs {
			e, err := s.Courses.Engagement(tctx, cr.ID)
			if err != nil {
				return err
			}
			p.Rows = append(p.Rows, nexusCourseRow{Tenant: t, Course: cr, Engagement: e})
		}
	}
	p.Layout = s.Layout(c, web.HostNexus, "Courses")
	return s.Render(c, "nexus/courses_overview", p)
}

type nexusCoursePage struct {
	web.Layout
	Tenant     *app.Tenant
	Course     *courses.Course
	Engagement *courses.Engagement
	Chart      *web.Chart
}

func (s *Handler) handleNexusCourse(c *fiber.Ctx) error {
	tid, err := web.ParamID(c, "tenant")
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	t, err := s.Tenants.TenantByID(ctx, tid)
	if err != nil {
		return err
	}
	tctx := app.NewContextWithTenant(ctx, t)
	p := &nexusCoursePage{Tenant: t}
	if p.Course, err = s.Courses.Course(tctx, id); err != nil {
		return err
	}
	if p.Engagement, err = s.Courses.Engagement(tctx, id); err != nil {
		return err
	}
	p.Chart = EngagementChart(p.Engagement)
	p.Layout = s.Layout(c, web.HostNexus, p.Course.Title+" · "+t.BrandName())
	return s.Render(c, "nexus/courses_engagement", p)
}
