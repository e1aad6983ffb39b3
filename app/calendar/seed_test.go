package calendar_test

import (
	"testing"
	"time"

	"orengen/app/calendar"
)

// The seeded free audit (the marketing site's "Book a free audit") is
// created once, only for a tenant with no calendar, and books: weekday
// slots from 9:00 Austin time, four hours' notice, the company required.
func TestService_SeedFreeAudit(t *testing.T) {
	e := newCalEnv(t)
	if ok, err := e.Svc.SeedFreeAudit(e.Ctx); err != nil || !ok {
		t.Fatalf("first seed: %v %v", ok, err)
	}
	if ok, err := e.Svc.SeedFreeAudit(e.Ctx); err != nil || ok {
		t.Fatalf("second seed: %v %v", ok, err)
	}
	e.calendar(t, e.B, "Own", "UTC")
	if ok, err := e.Svc.SeedFreeAudit(e.B); err != nil || ok {
		t.Fatalf("a tenant with its own calendar was seeded: %v %v", ok, err)
	}
	et, err := e.St.FindEventTypeBySlug(e.Ctx, calendar.FreeAuditSlug)
	if err != nil || !et.Enabled || len(et.Hosts) != 1 {
		t.Fatalf("free audit %+v %v", et, err)
	}
	// e.Now is Friday 2026-12-04 12:00 UTC (06:00 in Austin): four hours'
	// notice makes 10:00 the first start that day.
	slots, err := e.Svc.FreeSlots(e.Ctx, et, 0, e.Now, e.Now.Add(4*24*time.Hour))
	if err != nil || len(slots) == 0 {
		t.Fatalf("slots: %d %v", len(slots), err)
	}
	austin, _ := time.LoadLocation("America/Chicago")
	if got := slots[0].Start.In(austin).Format("Mon 15:04"); got != "Fri 10:00" {
		t.Fatalf("first slot %s, want Fri 10:00", got)
	}
	for _, s := range slots {
		if wd := s.Start.In(austin).Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Fatalf("weekend slot %s", s.Start)
		}
	}
	r := guest(et, slots[0].Start, 0)
	if _, err := e.Svc.Book(e.Ctx, r); err == nil {
		t.Fatal("booked without the required company")
	}
	r.Answers = map[string]string{"company": "Acme"}
	if _, err := e.Svc.Book(e.Ctx, r); err != nil {
		t.Fatal(err)
	}
}
