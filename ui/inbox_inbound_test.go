package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/smtp"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/inbox"
)

var inboundAddrRe = regexp.MustCompile(`inbox\+[a-z0-9]{16}@localhost`)

// sendMail writes raw to rcpt over SMTP on addr (net/smtp, a real
// client) and returns the server's answer to the first refused step.
func sendMail(addr, from, rcpt, raw string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.example.org"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(raw)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func smtpCode(err error) int {
	var te *textproto.Error
	if e, ok := err.(*textproto.Error); ok {
		te = e
		return te.Code
	}
	return 0
}

func mailMsg(from, to, subject, msgID, body string, extra ...string) string {
	h := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n", from, to, subject, msgID)
	for _, x := range extra {
		h += x + "\r\n"
	}
	return h + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
}

// TestInbox_InboundAddress: the owner turns on the inbound address on the
// mailbox page; over real SMTP (net/smtp to the appliance's listener) a
// customer's mail lands in A's inbox (never B's), a team member's BCC is
// kept as sent in the customer's thread and a forward is filed under the
// original sender; a second delivery of a Message-ID stores nothing;
// unknown, other-domain and switched-off recipients are refused at RCPT
// (550, no relay), a loop at DATA (554); the API shows and rotates the
// address, and the old one is refused.
func TestInbox_InboundAddress(t *testing.T) {
	e := newTenantEnv(t)
	owner := map[string]string{"psid": e.A.Cookie}
	_, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/mailbox", Cookies: owner})
	if !strings.Contains(body, "No inbound address yet.") || !strings.Contains(body, "--inbound-smtp-addr :25") {
		t.Fatal("the mailbox page does not offer the inbound address or does not say the listener is off")
	}
	e.App.Config.InboundSMTPAddr = "127.0.0.1:0"
	srv, err := e.App.ListenInboundSMTP()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	lis := e.App.Inbox.InboundListening()

	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/inbound", Form: url.Values{"action": {"enable"}}, Cookies: owner, CSRF: true}); st != 303 {
		t.Fatalf("turn on: %d", st)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/mailbox", Cookies: owner})
	addrA := inboundAddrRe.FindString(html.UnescapeString(body))
	if addrA == "" || strings.Contains(body, "--inbound-smtp-addr :25") {
		i := strings.Index(body, "Inbound address")
		t.Fatalf("the page shows no address, or says the listener is off: %s", body[max(i, 0):min(len(body), max(i, 0)+1500)])
	}
	if _, bodyB, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/mailbox", Cookies: map[string]string{"psid": e.B.Cookie}}); strings.Contains(bodyB, addrA) {
		t.Fatal("B's page shows A's address")
	}

	// A customer writes.
	if err := sendMail(lis, "dana@example.org", addrA, mailMsg("Dana Customer <dana@example.org>", addrA, "Quote for the roof", "m1@example.org", "Can you quote the roof repair?")); err != nil {
		t.Fatalf("customer mail: %v", err)
	}
	ctxA := app.NewContextWithTenant(context.Background(), e.A.T)
	ctxB := app.NewContextWithTenant(context.Background(), e.B.T)
	thread := func(ctx context.Context, address string) (*inbox.Conversation, []*inbox.Message) {
		t.Helper()
		cs, err := e.App.Inbox.Conversations(ctx, inbox.Filter{Status: "all", Channel: inbox.ChannelEmail})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Address == address {
				_, ms, err := e.App.Inbox.Thread(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				return c, ms
			}
		}
		return nil, nil
	}
	c, ms := thread(ctxA, "dana@example.org")
	if c == nil || len(ms) != 1 || ms[0].Direction != inbox.DirIn || !strings.Contains(ms[0].Body, "quote the roof") || c.PersonID == 0 || c.Unread != 1 {
		t.Fatalf("the customer's mail is not in A's inbox as an unread inbound message of a CRM person: %+v %+v", c, ms)
	}
	if c, _ := thread(ctxB, "dana@example.org"); c != nil {
		t.Fatal("B's inbox has A's mail")
	}
	// The same Message-ID again (a sender's retry): nothing more.
	if err := sendMail(lis, "dana@example.org", addrA, mailMsg("Dana Customer <dana@example.org>", addrA, "Quote for the roof", "m1@example.org", "Can you quote the roof repair?")); err != nil {
		t.Fatal(err)
	}
	if _, ms := thread(ctxA, "dana@example.org"); len(ms) != 1 {
		t.Fatalf("a resent message was stored again: %d messages", len(ms))
	}

	// The owner's reply to Dana, BCC'd to the inbound address: kept as
	// sent in Dana's thread, threaded by In-Reply-To, not unread.
	bcc := mailMsg(e.A.Owner.Email, "Dana Customer <dana@example.org>", "Re: Quote for the roof", "r1@"+e.A.T.Slug+".test", "The roof is 4,200 dollars.", "In-Reply-To: <m1@example.org>")
	if err := sendMail(lis, e.A.Owner.Email, addrA, bcc); err != nil {
		t.Fatalf("bcc: %v", err)
	}
	c, ms = thread(ctxA, "dana@example.org")
	if len(ms) != 2 || ms[1].Direction != inbox.DirOut || !strings.Contains(ms[1].Body, "4,200") || ms[1].Author != e.A.Owner.Email || c.Unread != 0 { // read when first shown; a BCC adds none
		t.Fatalf("the BCC is not the team's sent message in Dana's thread: %+v %+v unread %d", *ms[0], *ms[len(ms)-1], c.Unread)
	}
	// A forward of a customer's mail to the address alone.
	fwd := mailMsg(e.A.Owner.Email, addrA, "Fwd: Broken gutter", "f1@"+e.A.T.Slug+".test",
		"FYI\r\n\r\n---------- Forwarded message ---------\r\nFrom: Carol Client <carol@example.net>\r\nDate: Sun, 6 Dec 2026\r\nSubject: Broken gutter\r\n\r\nThe gutter fell off.")
	if err := sendMail(lis, e.A.Owner.Email, addrA, fwd); err != nil {
		t.Fatalf("forward: %v", err)
	}
	c, ms = thread(ctxA, "carol@example.net")
	if c == nil || len(ms) != 1 || ms[0].Direction != inbox.DirIn || ms[0].Subject != "Broken gutter" || !strings.Contains(ms[0].Body, "Forwarded by "+e.A.Owner.Email) || c.ContactName != "Carol Client" {
		t.Fatalf("the forward is not filed under the original sender: %+v %+v", c, ms)
	}

	// Refusals: an unknown token, another domain (no relay), a loop.
	if err := sendMail(lis, "x@example.org", "inbox+zzzzzzzzzzzzzzzz@localhost", mailMsg("x@example.org", "y", "s", "u1@x", "b")); smtpCode(err) != 550 {
		t.Fatalf("unknown token: %v", err)
	}
	if err := sendMail(lis, "x@example.org", "victim@example.com", mailMsg("x@example.org", "victim@example.com", "s", "u2@x", "b")); smtpCode(err) != 550 {
		t.Fatalf("relay: %v", err)
	}
	var loop []string
	for i := 0; i < inbox.MaxReceived+1; i++ {
		loop = append(loop, fmt.Sprintf("Received: from hop%d.example by hop%d.example; Mon, 07 Dec 2026 10:00:00 +0000", i, i+1))
	}
	if err := sendMail(lis, "x@example.org", addrA, mailMsg("Loop <loop@example.org>", addrA, "loop", "l1@x", "b", loop...)); smtpCode(err) != 554 {
		t.Fatalf("loop: %v", err)
	}
	if c, _ := thread(ctxA, "loop@example.org"); c != nil {
		t.Fatal("a looping message was stored")
	}

	// The API: the address and its count; rotate; the old one refused.
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/inbox-inbound", Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(body, `"address":"`+addrA+`"`) || !strings.Contains(body, `"received":3`) || !strings.Contains(body, `"listening":true`) {
		t.Fatalf("api: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "PUT", Path: "/api/v1/inbox-inbound", JSON: `{"enabled":"yes"}`, Bearer: e.A.KeyWrite}); st != 400 || !strings.Contains(body, `"field":"enabled"`) {
		t.Fatalf("api type mismatch: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "PUT", Path: "/api/v1/inbox-inbound", JSON: `{"enabled":true,"rotate":true}`, Bearer: e.A.KeyWrite})
	addrA2 := inboundAddrRe.FindString(body)
	if st != 200 || addrA2 == "" || addrA2 == addrA {
		t.Fatalf("rotate: %d %s", st, body)
	}
	if err := sendMail(lis, "dana@example.org", addrA, mailMsg("dana@example.org", addrA, "again", "m2@example.org", "b")); smtpCode(err) != 550 {
		t.Fatalf("the old address still works: %v", err)
	}
	if err := sendMail(lis, "erin@example.org", addrA2, mailMsg("Erin <erin@example.org>", addrA2, "Hello", "m3@example.org", "New address works.")); err != nil {
		t.Fatalf("new address: %v", err)
	}
	// Off: refused.
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/inbound", Form: url.Values{"action": {"disable"}}, Cookies: owner, CSRF: true}); st != 303 {
		t.Fatalf("turn off: %d", st)
	}
	if err := sendMail(lis, "erin@example.org", addrA2, mailMsg("erin@example.org", addrA2, "again", "m4@example.org", "b")); smtpCode(err) != 550 {
		t.Fatalf("a switched-off address still receives: %v", err)
	}
}
