package cli

import (
	"context"
	"encoding/json"
	"strconv"

	"orengen/app"
	"orengen/app/courses"
	"orengen/caldav"
	"orengen/certpdf"
	"orengen/store"
	"orengen/ui"
)

// wireCourses builds the members' area (#24): the course service over
// its store, member sign-ins throttled by their own login guard, links
// emailed through the tenant's mailer (else the appliance's) pointing at
// the tenant's portal host.
func (a *App) wireCourses(limiter app.RateLimiter, deviceKey []byte) {
	cs := store.NewCourseStore(a.DB)
	a.Stores.Courses = cs
	a.Courses = courses.NewService(cs.Stores())
	a.Courses.Community = cs
	a.Courses.Mailer = courseMailer{a}
	a.Courses.Limiter = limiter
	a.Courses.Logger = a.Logger
	a.Courses.Certificates = certpdf.Write
	a.Courses.Guard = &app.LoginGuard{Limiter: limiter, Scope: "member", Key: deviceKey}
	a.Courses.BaseURL = func(ctx context.Context, t *app.Tenant) string {
		if ds, err := a.Domains.DomainsByTenant(ctx, t.ID); err == nil && len(ds) > 0 {
			return a.Server.TenantURL(ds[0])
		}
		return a.Server.URL(ui.HostPortal)
	}
	a.Courses.Events = a.courseEvent
	a.Courses.ICS = caldav.ICS{} // community events as .ics
	if a.Engine != nil {
		a.Engine.Members = a.Courses // the enrol / grant / revoke access workflow steps
	}
	a.Courses.Tenant = func(ctx context.Context, id int64) (*app.Tenant, error) {
		return a.Tenants.TenantByID(ctx, id)
	}
	a.Server.Courses = a.Courses
}

// courseTriggers maps the members' area's events to workflow triggers.
var courseTriggers = map[string]string{
	courses.EventEnrolled:        app.TriggerCourseEnrolled,
	courses.EventLessonCompleted: app.TriggerLessonCompleted,
	courses.EventCourseCompleted: app.TriggerCourseCompleted,
	courses.EventQuizFailed:      app.TriggerQuizFailed,
}

// courseEvent queues the tenant's workflows listening for the event. A
// failure is logged, never the member's: the lesson is complete either
// way.
func (a *App) courseEvent(ctx context.Context, ev courses.Event) {
	if ev.Kind == courses.EventPosted {
		a.postedEvent(ctx, ev)
		return
	}
	trigger := courseTriggers[ev.Kind]
	if trigger == "" || a.Automations == nil || ev.Member == nil || ev.Course == nil {
		return
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	p := map[string]string{"member_id": i64(ev.Member.ID), "person_id": i64(ev.Member.PersonID), "email": ev.Member.Email, "name": ev.Member.Name,
		"course_id": i64(ev.Course.ID), "course_slug": ev.Course.Slug, "course_title": ev.Course.Title}
	if ev.Lesson != nil {
		p["lesson_id"], p["lesson_title"] = i64(ev.Lesson.ID), ev.Lesson.Title
	}
	payload, _ := json.Marshal(p)
	if _, err := a.Automations.Trigger(context.WithoutCancel(ctx), ev.TenantID, trigger, payload); err != nil {
		a.Logger.Error("course trigger", "trigger", trigger, "tenant", ev.TenantID, "err", err)
	}
}

// courseMailer sends a member's email through its tenant's mailer when
// it has one configured, else through the appliance's.
type courseMailer struct{ a *App }

func (m courseMailer) Send(ctx context.Context, msg *app.Message) error {
	if m.a.Integrations != nil {
		if tm, err := m.a.Integrations.Mailer(ctx, msg.TenantID); err == nil {
			return tm.Send(ctx, msg)
		}
	}
	return m.a.Mailer.Send(ctx, msg)
}

// Ping tests the appliance's mailer: a ping names no tenant (the hub
// tests each tenant's own).
func (m courseMailer) Ping(ctx context.Context) error { return m.a.Mailer.Ping(ctx) }

// postedEvent queues the tenant's workflows listening for a member's new
// community post.
func (a *App) postedEvent(ctx context.Context, ev courses.Event) {
	if a.Automations == nil || ev.Member == nil || ev.Space == nil || ev.Post == nil {
		return
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	payload, _ := json.Marshal(map[string]string{"member_id": i64(ev.Member.ID), "person_id": i64(ev.Member.PersonID), "email": ev.Member.Email,
		"name": ev.Member.Name, "space_id": i64(ev.Space.ID), "space_slug": ev.Space.Slug, "space_name": ev.Space.Name,
		"post_id": i64(ev.Post.ID), "post_title": ev.Post.Title, "post_body": ev.Post.Body})
	if _, err := a.Automations.Trigger(context.WithoutCancel(ctx), ev.TenantID, app.TriggerCommunityPosted, payload); err != nil {
		a.Logger.Error("community trigger", "tenant", ev.TenantID, "err", err)
	}
}
