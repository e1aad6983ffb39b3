package inbox_test

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
)

// TestService_OutOfHours: with business hours on (Monday to Friday,
// 9 to 5 in the tenant's timezone), a text inside them gets no automatic
// answer; one on Saturday gets the out-of-hours reply through Twilio,
// once: a second text within 12 hours does not; STOP never does; another
// tenant without hours is not answered; bad hours are refused naming the
// field.
func TestService_OutOfHours(t *testing.T) {
	e := newEnv(t)
	e.db.Now = func() time.Time { return e.now } // messages carry the test's clock
	ctx := e.owner(e.tA)
	if err := e.svc.SaveHours(ctx, &inbox.Hours{Enabled: true, Days: []int{1, 2, 3, 4, 5}, Open: "17:00", Close: "09:00", AwayText: "x"}); app.ErrorField(err) != "close" {
		t.Fatalf("close before open: %v", err)
	}
	if err := e.svc.SaveHours(ctx, &inbox.Hours{Enabled: true, Days: []int{1, 2, 3, 4, 5}, Open: "09:00", Close: "17:00"}); app.ErrorField(err) != "away_text" {
		t.Fatalf("no reply text: %v", err)
	}
	const away = "Thanks! We are closed now and answer from 9 am on weekdays."
	if err := e.svc.SaveHours(ctx, &inbox.Hours{Enabled: true, Days: []int{5, 1, 2, 3, 4, 1}, Open: "09:00", Close: "17:00", AwayText: away}); err != nil {
		t.Fatal(err)
	}
	if h, _ := e.svc.HoursSettings(ctx, 0); len(h.Days) != 5 || h.Days[0] != 1 || !h.Enabled {
		t.Fatalf("saved hours %+v", h)
	}
	// Monday 2027-01-04 15:00 UTC is 10:00 in New York: open.
	e.text(e.tA.ID, alice, numberA, "Are you open?", "SMh1")
	if n := len(e.tw.Messages()); n != 0 {
		t.Fatalf("%d replies inside business hours", n)
	}
	// Saturday 2027-01-09 at 11:00 in New York: closed.
	e.now = time.Date(2027, 1, 9, 16, 0, 0, 0, time.UTC)
	e.text(e.tA.ID, alice, numberA, "Anyone there?", "SMh2")
	sent := e.tw.WaitMessages(1, 3*time.Second)
	if len(sent) != 1 || sent[0].Get("Body") != away || sent[0].Get("To") != alice || sent[0].Get("From") != numberA {
		t.Fatalf("out-of-hours reply %v", sent)
	}
	e.now = e.now.Add(2 * time.Hour)
	e.text(e.tA.ID, alice, numberA, "Hello?", "SMh3")
	e.text(e.tA.ID, alice, numberA, "STOP", "SMh4")
	e.text(e.tB.ID, alice, "+15125550178", "B, are you open?", "SMh5")
	time.Sleep(100 * time.Millisecond)
	if n := len(e.tw.Messages()); n != 1 {
		t.Fatalf("%d texts sent, want the one reply", n)
	}
	c := e.list(ctx, inbox.Filter{Status: "all"})[0]
	ms, _ := e.svc.Messages(ctx, c.ID)
	found := false
	for _, m := range ms {
		found = found || (m.Direction == inbox.DirOut && m.Author == inbox.AwayActor && m.Body == away)
	}
	if !found {
		t.Fatalf("the reply is not in the thread: %+v", ms)
	}
}
