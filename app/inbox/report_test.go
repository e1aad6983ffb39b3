package inbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
)

// wantMedian is the median the test expects, computed here from the
// script's own times (the middle value, the mean of the two middle ones
// for an even count).
func wantMedian(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2].Seconds()
	}
	return (s[n/2-1] + s[n/2]).Seconds() / 2
}

func gotSeconds(t *testing.T, what string, p *float64) float64 {
	t.Helper()
	if p == nil {
		t.Fatalf("%s: no median", what)
	}
	return *p
}

// TestService_Report plays a scripted day of tenant A's inbox on an
// injected clock (customers text, the team replies, assigns, closes; a
// customer reopens a closed thread; a person reopens one by hand; an
// automatic reply and a reply that failed to send) and checks the
// report's first-response and resolution medians, volume by channel and
// by hour in A's timezone and per assignee against figures computed
// from the script; B's conversation is never in A's report, and Nexus
// sees both or one.
func TestService_Report(t *testing.T) {
	e := newEnv(t)
	ctx := e.owner(e.tA)
	base := time.Date(2027, 1, 4, 14, 50, 0, 0, time.UTC) // 09:50 in New York
	at := func(d time.Duration) time.Time {
		e.now = base.Add(d)
		return e.now
	}
	e.db.Now = func() time.Time { return e.now }
	ny, _ := time.LoadLocation("America/New_York")
	var firsts, resolutions []time.Duration
	hours := make([]int, 24)
	opened := func(t0 time.Time) { hours[t0.In(ny).Hour()]++ }
	convOf := func(phone string) int64 {
		t.Helper()
		for _, c := range e.list(ctx, inbox.Filter{Status: "all"}) {
			if c.Address == phone {
				return c.ID
			}
		}
		t.Fatalf("no thread with %s", phone)
		return 0
	}
	reply := func(id int64) {
		t.Helper()
		if _, err := e.svc.Reply(ctx, id, "On it."); err != nil {
			t.Fatal(err)
		}
	}
	status := func(id int64, st string) {
		t.Helper()
		if _, err := e.svc.SetStatus(ctx, id, st); err != nil {
			t.Fatal(err)
		}
	}
	const bob, carol, dan = "+15125550143", "+15125550144", "+15125550145"

	// Alice: answered in 5 minutes, assigned to Ann, closed after an hour.
	t0 := at(0)
	opened(t0)
	e.text(e.tA.ID, alice, numberA, "Leak in the attic", "SMa1")
	a := convOf(alice)
	firsts = append(firsts, at(5*time.Minute).Sub(t0))
	reply(a)
	at(6 * time.Minute)
	if _, err := e.svc.Assign(ctx, a, "ann@alpha.test"); err != nil {
		t.Fatal(err)
	}
	at(7 * time.Minute)
	e.text(e.tA.ID, alice, numberA, "Thanks!", "SMa2") // a second message: not a new opening
	resolutions = append(resolutions, at(60*time.Minute).Sub(t0))
	status(a, inbox.StatusClosed)

	// Bob: an automatic reply first (does not count), then the team
	// after 30 minutes; assigned to Bo; still open.
	t1 := at(10 * time.Minute)
	opened(t1)
	e.text(e.tA.ID, bob, numberA, "Quote for gutters?", "SMb1")
	b := convOf(bob)
	at(11 * time.Minute)
	if err := e.st.AddMessage(ctx, e.tA.ID, b, &inbox.Message{Direction: inbox.DirOut, Author: inbox.AwayActor, Body: "We are closed."}); err != nil {
		t.Fatal(err)
	}
	firsts = append(firsts, at(40*time.Minute).Sub(t1))
	reply(b)
	if _, err := e.svc.Assign(ctx, b, "bo@alpha.test"); err != nil {
		t.Fatal(err)
	}

	// Carol: never answered, closed after 100 minutes (no first response).
	t2 := at(30 * time.Minute)
	opened(t2)
	e.text(e.tA.ID, carol, numberA, "Never mind", "SMc1")
	c := convOf(carol)
	resolutions = append(resolutions, at(130*time.Minute).Sub(t2))
	status(c, inbox.StatusClosed)

	// Alice writes again: her closed thread reopens, a new episode (still
	// Ann's); answered after 20 minutes and closed 3 hours after it opened.
	t3 := at(3 * time.Hour)
	opened(t3)
	e.text(e.tA.ID, alice, numberA, "The leak is back", "SMa3")
	firsts = append(firsts, at(3*time.Hour+20*time.Minute).Sub(t3))
	reply(a)
	resolutions = append(resolutions, at(6*time.Hour).Sub(t3))
	status(a, inbox.StatusClosed)

	// Carol's thread reopened by hand: an episode with no customer
	// message, so the team's note-like reply is no first response; closed
	// 50 minutes later.
	t4 := at(7 * time.Hour)
	opened(t4)
	status(c, inbox.StatusOpen)
	at(7*time.Hour + 10*time.Minute)
	reply(c)
	resolutions = append(resolutions, at(7*time.Hour+50*time.Minute).Sub(t4))
	status(c, inbox.StatusClosed)

	// Dan: a reply that could not be sent is no response; the one that
	// went out 45 minutes after his text is.
	t5 := at(8 * time.Hour)
	opened(t5)
	e.text(e.tA.ID, dan, numberA, "Are you insured?", "SMd1")
	d := convOf(dan)
	at(8*time.Hour + 5*time.Minute)
	failed := &inbox.Message{Direction: inbox.DirOut, Author: "user:owner@alpha.test", Body: "Yes", Status: inbox.DeliveryQueued}
	if err := e.st.AddMessage(ctx, e.tA.ID, d, failed); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetMessageDelivery(ctx, e.tA.ID, failed.ID, "", inbox.DeliveryFailed, "unreachable"); err != nil {
		t.Fatal(err)
	}
	firsts = append(firsts, at(8*time.Hour+45*time.Minute).Sub(t5))
	reply(d)

	// Tenant B: one thread, never in A's report.
	at(9 * time.Hour)
	e.text(e.tB.ID, "+15125550190", "+15125550111", "Teeth cleaning?", "SMB1")

	at(10 * time.Hour)
	r, err := e.svc.Report(ctx, inbox.ReportQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if r.TenantID != e.tA.ID || r.Timezone != "America/New_York" || r.To != "2027-01-04" || r.From != "2026-12-06" {
		t.Fatalf("report of %d, %s, %s..%s", r.TenantID, r.Timezone, r.From, r.To)
	}
	if r.Totals.Conversations != 6 || r.Totals.Responded != len(firsts) || r.Totals.Resolved != len(resolutions) {
		t.Fatalf("totals %+v, want 6 openings, %d responded, %d resolved", r.Totals, len(firsts), len(resolutions))
	}
	if got, want := gotSeconds(t, "first response", r.Totals.MedianFirstResponse), wantMedian(firsts); got != want {
		t.Fatalf("median first response %v s, want %v s", got, want)
	}
	if got, want := gotSeconds(t, "resolution", r.Totals.MedianResolution), wantMedian(resolutions); got != want {
		t.Fatalf("median resolution %v s, want %v s", got, want)
	}
	if !slices.Equal(r.Hours, hours) {
		t.Fatalf("by hour %v, want %v", r.Hours, hours)
	}
	for _, ch := range r.Channels {
		want := map[string]int{inbox.ChannelSMS: 6}[ch.Channel]
		if ch.Conversations != want {
			t.Fatalf("channel %s: %d conversations, want %d", ch.Channel, ch.Conversations, want)
		}
	}
	// Per assignee: Ann has Alice's two episodes (answered in 5 and 20
	// minutes, resolved in 60 and 180); Bo has Bob's; the rest unassigned.
	people := map[string]inbox.AssigneeFigures{}
	for _, p := range r.Assignees {
		people[p.Assignee] = p
	}
	ann := people["user:ann@alpha.test"]
	if ann.Conversations != 2 || gotSeconds(t, "ann first", ann.MedianFirstResponse) != wantMedian([]time.Duration{firsts[0], firsts[2]}) ||
		gotSeconds(t, "ann resolution", ann.MedianResolution) != wantMedian([]time.Duration{resolutions[0], resolutions[2]}) {
		t.Fatalf("ann %+v", ann)
	}
	bo := people["user:bo@alpha.test"]
	if bo.Conversations != 1 || gotSeconds(t, "bo first", bo.MedianFirstResponse) != firsts[1].Seconds() || bo.MedianResolution != nil || bo.Resolved != 0 {
		t.Fatalf("bo %+v", bo)
	}
	if un := people[""]; un.Conversations != 3 || r.Assignees[len(r.Assignees)-1].Assignee != "" {
		t.Fatalf("unassigned %+v (last: %q)", un, r.Assignees[len(r.Assignees)-1].Assignee)
	}

	// A period that ends before the day: nothing.
	r, err = e.svc.Report(ctx, inbox.ReportQuery{From: "2027-01-01", To: "2027-01-03"})
	if err != nil || r.Totals.Conversations != 0 || r.Totals.MedianFirstResponse != nil {
		t.Fatalf("earlier period: %+v %v", r, err)
	}
	// Bad periods name their field.
	for _, q := range []inbox.ReportQuery{{From: "yesterday"}, {To: "2027-13-01"}, {From: "2027-01-05", To: "2027-01-04"}, {From: "2025-01-01", To: "2027-01-04"}} {
		_, err := e.svc.Report(ctx, q)
		if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) == "" {
			t.Fatalf("%+v: %v", q, err)
		}
	}
	// A tenant's caller cannot ask for another tenant: TenantID is kept
	// for Nexus only.
	r, err = e.svc.Report(e.owner(e.tB), inbox.ReportQuery{TenantID: e.tA.ID})
	if err != nil || r.TenantID != e.tB.ID || r.Totals.Conversations != 1 {
		t.Fatalf("B's report: %+v %v", r, err)
	}
	// Nexus: every tenant, or one.
	r, err = e.svc.Report(e.admin(), inbox.ReportQuery{})
	if err != nil || r.TenantID != 0 || r.Totals.Conversations != 7 || r.Timezone != "" {
		t.Fatalf("all tenants: %+v %v", r, err)
	}
	r, err = e.svc.Report(e.admin(), inbox.ReportQuery{TenantID: e.tB.ID})
	if err != nil || r.TenantID != e.tB.ID || r.Totals.Conversations != 1 {
		t.Fatalf("nexus, B: %+v %v", r, err)
	}
	if _, err := e.svc.Report(context.Background(), inbox.ReportQuery{}); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("nobody: %v", err)
	}
}
