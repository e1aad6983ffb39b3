package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"orengen/app"
)

// TestInbox_BusinessHours: the owner sets business hours on the portal's
// page (a closing time before the opening is a
// 400 naming it, nothing saved); a text that arrives on a Saturday is
// answered with the out-of-hours reply through Twilio; tenant B's page
// shows its own defaults, not A's.
func TestInbox_BusinessHours(t *testing.T) {
	e := newTenantEnv(t)
	tw := e.inboxTwilio()
	e.App.Inbox.Now = func() time.Time { return time.Date(2027, 1, 9, 16, 0, 0, 0, time.UTC) } // a Saturday
	owner := map[string]string{"psid": e.A.Cookie}
	const away = "We are closed for the weekend; we answer Monday from 9."
	form := url.Values{"enabled": {"1"}, "days": {"1", "2", "3", "4", "5"}, "open": {"17:00"}, "close": {"09:00"}, "away_text": {away}}
	st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/hours", Form: form, Cookies: owner, CSRF: true})
	if st != 400 || !strings.Contains(body, "Closing time must be after the opening time.") {
		t.Fatalf("bad hours: %d", st)
	}
	if h, _ := e.App.Inbox.HoursSettings(app.NewContextWithTenant(context.Background(), e.A.T), 0); h.Enabled {
		t.Fatal("bad hours were saved")
	}
	form.Set("open", "09:00")
	form.Set("close", "17:00")
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/hours", Form: form, Cookies: owner, CSRF: true}); st != 303 {
		t.Fatalf("save: %d", st)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/hours", Cookies: owner})
	if !strings.Contains(body, `name="days" value="5" checked`) || strings.Contains(body, `name="days" value="6" checked`) || !strings.Contains(body, away) {
		t.Fatal("the page does not show the saved hours")
	}
	if _, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/hours", Cookies: map[string]string{"psid": e.B.Cookie}}); strings.Contains(body, away) {
		t.Fatal("B sees A's reply text")
	}
	// The same through the API: a bad day is a 400 naming it; the hours
	// read back as the page saved them.
	if st, body, _ := e.do(treq{Host: "portal", Method: "PUT", Path: "/api/v1/inbox-hours", JSON: `{"enabled":true,"days":[7],"open":"09:00","close":"17:00","away_text":"x"}`, Bearer: e.A.KeyWrite}); st != 400 || !strings.Contains(body, `"field":"days"`) {
		t.Fatalf("api bad day: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/inbox-hours", Bearer: e.A.KeyRead}); st != 200 || !strings.Contains(body, `"days":[1,2,3,4,5],"open":"09:00","close":"17:00"`) || !strings.Contains(body, `"enabled":true`) {
		t.Fatalf("api hours: %d %s", st, body)
	}
	if err := e.App.Inbox.InboundSMS(context.Background(), e.A.T.ID, map[string]string{"From": "+15125550188", "To": "+15125550100", "Body": "Open today?", "MessageSid": "SMweekend"}, true, false); err != nil {
		t.Fatal(err)
	}
	sent := tw.WaitMessages(1, 3*time.Second)
	if len(sent) != 1 || sent[0].Get("Body") != away || sent[0].Get("To") != "+15125550188" {
		t.Fatalf("out-of-hours reply: %v", sent)
	}
}
