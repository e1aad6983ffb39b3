package calendar

import (
	"context"
)

// FreeAuditSlug is the seeded meeting the marketing site's "Book a free
// audit" links to (/book/free-audit on the site's host).
const FreeAuditSlug = "free-audit"

// FreeAudit returns the calendar and meeting a fresh house tenant starts
// with, so the seeded marketing site's "Book a free audit" books: a shared
// "Team" calendar open on weekdays 9:00 to 17:00 in Austin's zone (the
// seeded site's address; the owner changes both in Calendar settings),
// and a 30-minute "Free audit" by a video link made per booking, with
// four hours' notice, 30 days ahead, 10 minutes kept free after, and the
// guest's company asked and kept on their CRM person. Bookings email the
// owner (a tenant calendar's contact) and show in Nexus and the CRM.
func FreeAudit() (*Calendar, *EventType) {
	c := &Calendar{Name: "Team", OwnerKind: OwnerTenant, TimeZone: "America/Chicago", Availability: DefaultAvailability()}
	e := &EventType{Slug: FreeAuditSlug, Title: "Free audit",
		Description: "A 30-minute call: we map how leads reach you today and where they leak, and name the one change that pays back first.",
		Durations:   []int{30}, LocationKind: LocationGenerated, BufferAfter: 10, MinNotice: 4 * 60, WindowDays: 30,
		Questions:  []Question{{Key: "company", Label: "Company", Field: "company", Required: true}},
		Assignment: AssignSingle, Enabled: true}
	return c, e
}

// SeedFreeAudit creates FreeAudit in the tenant of ctx (the house tenant at
// first start) unless the tenant has a calendar already: the owner's
// calendars, and a deleted free audit, are never touched. It reports
// whether it created them.
func (s *Service) SeedFreeAudit(ctx context.Context) (bool, error) {
	cals, err := s.store.FindCalendars(ctx)
	if err != nil || len(cals) > 0 {
		return false, err
	}
	c, e := FreeAudit()
	if err := s.CreateCalendar(ctx, c); err != nil {
		return false, err
	}
	e.Hosts = []int64{c.ID}
	if err := s.SaveEventType(ctx, e); err != nil {
		return false, err
	}
	return true, nil
}
