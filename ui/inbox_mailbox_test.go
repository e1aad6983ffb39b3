package ui_test

import (
	"strings"
	"testing"
)

// TestAPI_InboxMailbox: a tenant connects its IMAP mailbox through the
// API (type mismatches and bad values refused with the field named; the
// password is never returned), another tenant's key does not see it, a
// read of an address the guarded dialer refuses answers with the reason
// (kept as last_error), and the mailbox page then says how mail is
// followed.
func TestAPI_InboxMailbox(t *testing.T) {
	e := newTenantEnv(t)
	put := func(body string) (int, string) {
		st, b, _ := e.do(treq{Host: "portal", Method: "PUT", Path: "/api/v1/inbox-mailbox", JSON: body, Bearer: e.A.KeyWrite})
		return st, b
	}
	if st, b, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/inbox-mailbox", Bearer: e.A.KeyRead}); st != 404 || !strings.Contains(b, "PUT /api/v1/inbox-mailbox") {
		t.Fatalf("no mailbox yet: %d %s", st, b)
	}
	for _, c := range []struct{ body, field string }{
		{`{"enabled":true,"address":"help@a.test","host":"imap.a.test","port":"993","security":"tls","username":"help"}`, "port"},
		{`{"enabled":true,"address":"help@a.test","host":"imap.a.test","port":993,"security":"ssl","username":"help"}`, "security"},
		{`{"enabled":true,"address":"not an address","host":"imap.a.test","port":993,"security":"tls","username":"help"}`, "address"},
		{`{"address":"help@a.test","host":"imap.a.test","port":993,"security":"tls","username":"help"}`, "enabled"},
	} {
		if st, b := put(c.body); st != 400 || !strings.Contains(b, `"field":"`+c.field+`"`) {
			t.Fatalf("%s: %d %s", c.body, st, b)
		}
	}
	st, b := put(`{"enabled":true,"address":"help@a.test","host":"127.0.0.1","port":1993,"security":"none","username":"help","password":"hunter2-secret"}`)
	if st != 200 || !strings.Contains(b, `"host":"127.0.0.1"`) || !strings.Contains(b, `"watch":"polled"`) || strings.Contains(b, "hunter2") {
		t.Fatalf("save: %d %s", st, b)
	}
	if st, b, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/inbox-mailbox", Bearer: e.B.KeyRead}); st != 404 || strings.Contains(b, "help@a.test") {
		t.Fatalf("tenant B sees A's mailbox: %d %s", st, b)
	}
	if st, b, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/api/v1/inbox-mailbox/poll", Bearer: e.A.KeyRead}); st != 403 {
		t.Fatalf("read key polls: %d %s", st, b)
	}
	st, b, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/api/v1/inbox-mailbox/poll", Bearer: e.A.KeyWrite})
	if st != 200 || !strings.Contains(b, `"new_messages":0`) || !strings.Contains(b, `"error":"The mailbox could not be read: `) || strings.Contains(b, "hunter2") {
		t.Fatalf("poll of a refused address: %d %s", st, b)
	}
	st, b, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/inbox-mailbox", Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(b, `"last_error":"`) || strings.Contains(b, `"last_error":""`) || !strings.Contains(b, `"last_poll_at":"`) {
		t.Fatalf("after the failed read: %d %s", st, b)
	}
	st, b, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/mailbox", Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 || !strings.Contains(b, `id="mailbox-watch"`) || !strings.Contains(b, "read every minute") {
		t.Fatalf("mailbox page: %d %.3000s", st, b)
	}
}
