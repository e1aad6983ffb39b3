package cli

import (
	"context"

	"orengen/app"
	"orengen/app/courses"
	"orengen/certpdf"
	"orengen/store"
	"orengen/ui"
)

// wireCourses builds the members' area (#24): the course service over
// its store, member sign-ins throttled by their own login guard, links
// emailed through the tenant's mailer (else the appliance's) pointing at
// the tenant's portal host.
func (a *App) wireCourses(limiter app.RateLimiter, deviceKey []byte) {
	a.Courses = &courses.Service{Store: store.NewCourseStore(a.DB), Mailer: courseMailer{a}, Limiter: limiter, Logger: a.Logger, Certificates: certpdf.Write,
		Guard: &app.LoginGuard{Limiter: limiter, Scope: "member", Key: deviceKey},
		BaseURL: func(ctx context.Context, t *app.Tenant) string {
			if ds, err := a.Domains.DomainsByTenant(ctx, t.ID); err == nil && len(ds) > 0 {
				return a.Server.TenantURL(ds[0])
			}
			return a.Server.URL(ui.HostPortal)
		}}
	a.Server.Courses = a.Courses
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
