package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/app/calendar"
)

// TestBrowser_CalendarBooking (issue #19): a visitor in Los Angeles books
// the agency's meeting on the marketing site, whose host calendar is in
// Berlin: the page detects the visitor's zone and shows the times in it,
// the confirmation says the booked time in it; the admin then sees the
// appointment in Nexus's calendar (in Berlin time) and on the CRM
// person's timeline.
func TestBrowser_CalendarBooking(t *testing.T) {
	ctx := newBrowserFor(t, 90*time.Second)
	dir := t.TempDir()
	bg := context.Background()
	a := openApp(t, dir)
	mustNexusOwner(t, a, "boss@example.com", "calendar browser password")
	hctx := app.NewContextWithTenant(bg, &app.Tenant{ID: app.HouseTenantID})
	var all calendar.Availability
	for d := range all.Weekly {
		all.Weekly[d] = []calendar.Span{{Start: 0, End: 1440}}
	}
	host := &calendar.Calendar{Name: "Berlin desk", OwnerKind: calendar.OwnerTenant, TimeZone: "Europe/Berlin", Availability: all}
	if err := a.Calendar.CreateCalendar(hctx, host); err != nil {
		t.Fatal(err)
	}
	et := &calendar.EventType{Title: "Strategy call", Slug: "strategy-call", Durations: []int{30}, MinNotice: 120, Hosts: []int64{host.ID}, Enabled: true}
	if err := a.Calendar.SaveEventType(hctx, et); err != nil {
		t.Fatal(err)
	}
	a.Close()

	addr, _, _ := MustRunMain(t, dir)
	port := addr[strings.LastIndex(addr, ":")+1:]
	site, nexus := "http://localhost:"+port, "http://nexus.localhost:"+port
	la, _ := time.LoadLocation("America/Los_Angeles")
	berlin := host.Location()

	var zone, slotValue, slotLabel string
	if err := chromedp.Run(ctx,
		emulation.SetTimezoneOverride("America/Los_Angeles"),
		chromedp.Navigate(site+"/book/strategy-call"),
		// booking.js reloads the page with the detected zone.
		chromedp.WaitVisible(`#tz[value="America/Los_Angeles"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="start"]`, chromedp.ByQuery),
		chromedp.Value("#tz", &zone, chromedp.ByQuery),
		chromedp.AttributeValue(`input[name="start"]`, "value", &slotValue, nil, chromedp.ByQuery),
		chromedp.Text(`label.slot`, &slotLabel, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	start, err := time.Parse(time.RFC3339, slotValue)
	if err != nil {
		t.Fatalf("slot value %q: %v", slotValue, err)
	}
	if want := start.In(la).Format("15:04"); strings.TrimSpace(slotLabel) != want {
		t.Fatalf("slot %s shown as %q, want Los Angeles time %s", slotValue, slotLabel, want)
	}
	var when string
	if err := chromedp.Run(ctx,
		chromedp.Click(`input[name="start"]`, chromedp.ByQuery),
		chromedp.SendKeys("#b_name", "Lena Visitor", chromedp.ByID),
		chromedp.SendKeys("#b_email", "lena@visitor.test", chromedp.ByID),
		chromedp.Submit("#b_name", chromedp.ByID),
		chromedp.WaitVisible("#booked-when", chromedp.ByID),
		chromedp.Text("#booked-when", &when, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "calendar-booked")
	if lt := start.In(la); !strings.Contains(when, lt.Format("15:04")) || !strings.Contains(when, lt.Format("MST")) {
		t.Fatalf("confirmation %q does not give the Los Angeles time %s", when, lt.Format("15:04 MST"))
	}

	// Nexus: the week of the booking in the host's calendar, in Berlin time.
	bt := start.In(berlin)
	var block string
	if err := chromedp.Run(ctx,
		loginTasks(nexus+"/login", "boss@example.com", "calendar browser password"),
		chromedp.WaitVisible("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(nexus+"/calendar?date="+bt.Format(time.DateOnly)),
		chromedp.WaitVisible(`li.cal-block[data-booking]`, chromedp.ByQuery),
		chromedp.Text(`li.cal-block[data-booking]`, &block, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "calendar-nexus")
	if !strings.Contains(block, bt.Format("15:04")+" Lena Visitor") {
		t.Fatalf("Nexus calendar block %q, want %s Lena Visitor", block, bt.Format("15:04"))
	}

	// The CRM person, created by the booking, with the appointment.
	var timeline string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(nexus+"/crm/people?q=lena%40visitor.test"),
		chromedp.WaitVisible(`main.content a[href^="/crm/people/"]`, chromedp.ByQuery),
		chromedp.Click(`main.content table a[href^="/crm/people/"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`main.content h1`, chromedp.ByQuery),
		chromedp.Sleep(200*time.Millisecond),
		chromedp.Text(`main.content`, &timeline, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	want := "Booked: Strategy call, " + start.UTC().Format("Mon 2 Jan 2006 15:04")
	if !strings.Contains(timeline, "Lena") || !strings.Contains(timeline, want) {
		t.Fatalf("person page lacks the appointment %q:\n%s", want, timeline)
	}
}
