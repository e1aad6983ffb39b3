package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/twilio"
	"orengen/twilio/twiliotest"
	"orengen/ui"
)

// inboxFixtures holds, per test environment, B's inbox thread and canned
// reply for the isolation matrix (created on first use).
var inboxFixtures sync.Map

// inboxFixture returns the ID of B's inbox conversation (objInboxConv)
// or canned reply (objInboxCanned). The thread's text is one of B's
// markers, so a page of A's that showed it fails the matrix.
func (e *tenantEnv) inboxFixture(kind string) string {
	e.t.Helper()
	v, _ := inboxFixtures.LoadOrStore(e, &sync.Map{})
	ids := v.(*sync.Map)
	if id, ok := ids.Load(kind); ok {
		return id.(string)
	}
	ctx := context.Background()
	in := e.App.Inbox
	bctx := app.NewContextWithTenant(ctx, e.B.T)
	if err := in.InboundSMS(ctx, e.B.T.ID, map[string]string{"From": "+15125550177", "To": "+15125550178", "Body": e.B.T.Name + " secret service", "MessageSid": "SMisoB"}, true, false); err != nil {
		e.t.Fatal(err)
	}
	cs, err := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{TenantID: e.B.T.ID, Status: "all", Limit: 1})
	if err != nil || len(cs) != 1 {
		e.t.Fatalf("B's thread: %v %v", cs, err)
	}
	cr := &inbox.Canned{Name: "B canned", Body: "From " + e.B.T.Name}
	if err := in.SaveCanned(app.NewContextWithUser(bctx, e.B.Owner), cr); err != nil {
		e.t.Fatal(err)
	}
	ids.Store(objInboxConv, strconv.FormatInt(cs[0].ID, 10))
	ids.Store(objInboxCanned, strconv.FormatInt(cr.ID, 10))
	// B's email thread: an HTML message with a stored file (the frame
	// and download routes, objInboxEmail with :mid and :aid).
	pdf := []byte("%PDF-1.4 B's quote")
	ec, em, _, err := e.App.Stores.Inbox.Receive(ctx, &inbox.Inbound{TenantID: e.B.T.ID, Channel: inbox.ChannelEmail, Address: "bmail@bravo.test", Email: "bmail@bravo.test",
		Message: inbox.Message{Direction: inbox.DirIn, Subject: "Quote", Body: "See the quote", HTML: `<p>See the <b>quote</b> <img src="https://tracker.example/p.gif"></p>`,
			ProviderID: "isoB@bravo.test", Attachments: []inbox.Attachment{inbox.KeepAttachment("quote.pdf", "application/pdf", int64(len(pdf)), pdf)}}})
	if err != nil || len(em.Attachments) != 1 || em.Attachments[0].ID == 0 {
		e.t.Fatalf("B's email: %+v %v", em, err)
	}
	ids.Store(objInboxEmail, strconv.FormatInt(ec.ID, 10))
	ids.Store("inboxmsg", strconv.FormatInt(em.ID, 10))
	ids.Store("inboxatt", strconv.FormatInt(em.Attachments[0].ID, 10))
	id, _ := ids.Load(kind)
	return id.(string)
}

// inboxTwilio makes the inbox of e text through a loopback fake of
// Twilio's API (once per environment) and returns the fake.
func (e *tenantEnv) inboxTwilio() *twiliotest.Server {
	e.t.Helper()
	v, _ := inboxFixtures.LoadOrStore(e, &sync.Map{})
	ids := v.(*sync.Map)
	if tw, ok := ids.Load("twilio"); ok {
		return tw.(*twiliotest.Server)
	}
	const sid = "AC00000000000000000000000000000iso"
	tw := twiliotest.Start(sid, testTwilioToken)
	e.t.Cleanup(tw.Close)
	client := func() (*twilio.Client, error) {
		return twilio.New(twilio.Config{AccountSID: sid, AuthToken: testTwilioToken, From: "+15125550100", APIURL: tw.URL})
	}
	e.App.Inbox.Telephony = func(ctx context.Context, tenantID int64) (app.Telephony, error) { return client() }
	e.App.Inbox.TwilioFiles = func(ctx context.Context, tenantID int64) (inbox.TwilioFiles, error) { return client() }
	ids.Store("twilio", tw)
	return tw
}

// isoInboxRequest gives the Conversations API's moves valid bodies (a
// reply is texted through the fake Twilio).
func (e *tenantEnv) isoInboxRequest(r isoRoute, req *treq) {
	if r.Path == "/api/v1/inbox-hours" || r.Path == "/api/v1/inbox-inbound" || strings.HasPrefix(r.Path, "/api/v1/inbox-mailbox") { // admin keys name the tenant (B)
		if r.Host == ui.HostNexus {
			req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
		}
		if strings.HasPrefix(r.Path, "/api/v1/inbox-mailbox") && r.Host == ui.HostNexus { // B's mailbox, for the admin key to read
			if err := e.App.Inbox.Mail.Mailboxes.SaveMailbox(context.Background(), &inbox.Mailbox{TenantID: e.B.T.ID, Host: "127.0.0.1", Port: 1,
				Security: "none", Username: "help", Address: "help@b.test", Enabled: true}); err != nil {
				e.t.Fatal(err)
			}
		}
		if r.Method == "PUT" && r.Path == "/api/v1/inbox-hours" {
			req.JSON = `{"enabled":false,"days":[1,2,3],"open":"09:00","close":"17:00","away_text":""}`
		} else if r.Method == "PUT" && r.Path == "/api/v1/inbox-mailbox" {
			req.JSON = `{"enabled":true,"address":"help@iso.test","host":"127.0.0.1","port":1,"security":"none","username":"help"}`
		} else if r.Method == "PUT" {
			req.JSON = `{"enabled":true}`
		}
		return
	}
	if !strings.HasPrefix(r.Path, "/api/v1/conversations/") {
		return
	}
	if r.Method == "PATCH" {
		req.JSON = `{"status":"pending","add_labels":["vip"]}`
		return
	}
	switch r.Path[strings.LastIndex(r.Path, "/"):] {
	case "/messages":
		e.inboxTwilio()
		req.JSON = `{"text":"The agency here."}`
	case "/notes":
		req.JSON = `{"text":"A note of the agency."}`
	}
}

// inboxAPIFixture texts A twice (two threads) and returns the newest
// thread's ID, for the contract test.
func (e *tenantEnv) inboxAPIFixture() int64 {
	e.t.Helper()
	e.inboxTwilio()
	ctx := context.Background()
	for i, from := range []string{"+15125550161", "+15125550162"} {
		if err := e.App.Inbox.InboundSMS(ctx, e.A.T.ID, map[string]string{"From": from, "To": "+15125550160", "Body": "Contract text", "MessageSid": fmt.Sprintf("SMcontract%d", i)}, true, false); err != nil {
			e.t.Fatal(err)
		}
	}
	cs, err := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{TenantID: e.A.T.ID, Status: "all", Limit: 1})
	if err != nil || len(cs) != 1 {
		e.t.Fatalf("A's thread: %v %v", cs, err)
	}
	return cs[0].ID
}

var inboxThreadRE = regexp.MustCompile(`href="/inbox/(\d+)"`)

// TestInbox_SMS: a customer's text reaches the tenant owning the number
// (signed; a forged one is 403 and stored nowhere; a retry is stored
// once), shows in that tenant's inbox only, with the CRM card; the owner
// replies from the thread through Twilio's API from the tenant's number,
// and the delivery report marks it delivered. A text to a number no
// tenant owns is kept in the house inbox, marked, and shown in Nexus.
func TestInbox_SMS(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	const numberA, alice = "+15125550111", "+15125550142"
	tw := twiliotest.Start(sid, testTwilioToken)
	defer tw.Close()
	e := newTenantEnv(t, "--twilio-api-url", tw.URL)
	e.App.Integrations.TTL = time.Nanosecond // the secrets put below are read anew
	ctx := context.Background()
	for scope, kv := range map[app.VaultScope][2]string{app.GlobalScope: {app.SecretTwilioSID, sid}, app.TenantScope(e.A.T.ID): {app.SecretTwilioFrom, numberA}} {
		if err := e.App.Vault.Put(ctx, scope, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.App.Vault.Put(ctx, app.GlobalScope, app.SecretTwilioFrom, "+15125550100"); err != nil {
		t.Fatal(err)
	}
	a := map[string]string{"psid": e.A.Cookie}
	b := map[string]string{"psid": e.B.Cookie}
	text := func(path string, f url.Values, token string) int {
		t.Helper()
		st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: path, Form: f, Header: map[string]string{"X-Twilio-Signature": twilioSign(token, e.Server.URL("portal")+path, f)}})
		return st
	}
	f := url.Values{"From": {alice}, "To": {numberA}, "Body": {"Do you fix skylights?"}, "MessageSid": {"SMin1"}}
	if st := text("/twilio/sms", f, "wrong-token-0123456789abcdef0123"); st != 403 {
		t.Fatalf("forged text: %d", st)
	}
	if cs, _ := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{Status: "all", Limit: 10}); len(cs) != 0 {
		t.Fatalf("a forged text was stored: %+v", cs)
	}
	for i := 0; i < 2; i++ { // Twilio retries: one message
		if st := text("/twilio/sms", f, testTwilioToken); st != 200 {
			t.Fatalf("signed text: %d", st)
		}
	}
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox", Cookies: a})
	m := inboxThreadRE.FindStringSubmatch(body) // html/template writes + as &#43;: the number is matched without it
	if st != 200 || m == nil || !strings.Contains(body, alice[1:]) || !strings.Contains(body, "Do you fix skylights?") {
		t.Fatalf("A's inbox: %d %.2000s", st, body)
	}
	id := m[1]
	if _, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox", Cookies: b}); strings.Contains(body, "skylights") {
		t.Fatal("B's inbox shows A's text")
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/" + id, Cookies: b}); st != 404 {
		t.Fatalf("B opens A's thread: %d", st)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/" + id, Cookies: a})
	if st != 200 || strings.Count(body, "Do you fix skylights?") != 2 || !strings.Contains(body, "Open in the CRM") || !strings.Contains(body, `action="/inbox/`+id+`/reply"`) {
		// The text shows twice: the list's preview and the thread.
		t.Fatalf("thread: %d %.3000s", st, body)
	}
	// The portal nav has the entry.
	if !strings.Contains(body, `href="/inbox"`) {
		t.Fatal("no Conversations nav entry")
	}
	// A reply goes out from A's number to the customer.
	st, _, resp := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/" + id + "/reply", Form: url.Values{"text": {"Yes, we do. Free quote Thursday?"}}, Cookies: a, CSRF: true})
	if st != 303 || resp.Header.Get("Location") != "/inbox/"+id {
		t.Fatalf("reply: %d %q", st, resp.Header.Get("Location"))
	}
	sent := tw.WaitMessages(1, 3*time.Second)
	if len(sent) != 1 || sent[0].Get("From") != numberA || sent[0].Get("To") != alice || sent[0].Get("Body") != "Yes, we do. Free quote Thursday?" {
		t.Fatalf("sent: %v", sent)
	}
	cid, _ := strconv.ParseInt(id, 10, 64)
	ms, err := e.App.Stores.Inbox.FindMessages(ctx, e.A.T.ID, cid)
	if err != nil || len(ms) != 2 || ms[1].ProviderID == "" || ms[1].Status != "sent" {
		t.Fatalf("messages %+v %v", ms, err)
	}
	// The delivery report (signed, to the status URL the client gave
	// Twilio) marks it delivered.
	cb, _ := url.Parse(e.Server.TwilioCallbackURL(e.A.T.ID, fmt.Sprintf("inbox-%d", ms[1].ID)))
	if st := text(cb.RequestURI(), url.Values{"MessageSid": {ms[1].ProviderID}, "MessageStatus": {"delivered"}}, testTwilioToken); st != 204 {
		t.Fatalf("status callback: %d", st)
	}
	if _, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/" + id, Cookies: a}); !strings.Contains(body, `delivery-delivered`) {
		t.Fatalf("delivered not shown: %.3000s", body)
	}
	// Close, note, labels through the forms; bad input is a flash, not a 500.
	for _, p := range []struct {
		path string
		form url.Values
	}{{"/note", url.Values{"text": {"VIP roof"}}}, {"/labels", url.Values{"labels": {"quote, roof"}}}, {"/status", url.Values{"status": {"closed"}}}, {"/assign", url.Values{"assignee": {"not an address"}}}} {
		if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/" + id + p.path, Form: p.form, Cookies: a, CSRF: true}); st != 303 {
			t.Fatalf("%s: %d", p.path, st)
		}
	}
	c, _ := e.App.Stores.Inbox.FindConversation(ctx, e.A.T.ID, cid)
	if c.Status != "closed" || strings.Join(c.Labels, ",") != "quote,roof" || c.Assignee != "" {
		t.Fatalf("after the forms: %+v", c)
	}
	// A text to a number no tenant owns: the house inbox keeps it.
	f2 := url.Values{"From": {alice}, "To": {"+15125550999"}, "Body": {"anyone there?"}, "MessageSid": {"SMlost"}}
	if st := text("/twilio/sms", f2, testTwilioToken); st != 200 {
		t.Fatalf("unowned number: %d", st)
	}
	st, body, _ = e.admin("GET", "/inbox?tenant="+strconv.FormatInt(app.HouseTenantID, 10), nil)
	if st != 200 || !strings.Contains(body, "anyone there?") || !strings.Contains(body, "unrouted number") || strings.Contains(body, "skylights") {
		t.Fatalf("nexus house inbox: %d %.3000s", st, body)
	}
	// Nexus across tenants, searched (the list shows the last message).
	if _, body, _ := e.admin("GET", "/inbox?status=all&q=skylights", nil); !strings.Contains(body, "Free quote Thursday?") || strings.Contains(body, "anyone there?") {
		t.Fatalf("nexus search: %.3000s", body)
	}
}

// TestInbox_Mailbox: the owner connects the tenant's mailbox; the
// password goes to the vault and is never shown back; bad settings are
// named.
func TestInbox_Mailbox(t *testing.T) {
	e := newTenantEnv(t)
	a := map[string]string{"psid": e.A.Cookie}
	bad := url.Values{"address": {"help@alpha.test"}, "host": {"imap.alpha.test"}, "port": {"99999"}, "security": {"tls"}, "username": {"help"}, "password": {"pw-Secret-123"}}
	if st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/mailbox", Form: bad, Cookies: a, CSRF: true}); st != 200 || !strings.Contains(body, "Port must be 1 to 65535.") || strings.Contains(body, "pw-Secret-123") {
		t.Fatalf("bad port: %d %.2000s", st, body)
	}
	if _, err := e.App.Inbox.Mail.Mailboxes.FindMailbox(context.Background(), e.A.T.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("a refused form saved: %v", err)
	}
	good := bad
	good.Set("port", "993")
	good.Set("enabled", "1")
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/mailbox", Form: good, Cookies: a, CSRF: true}); st != 303 {
		t.Fatalf("save: %d", st)
	}
	mb, err := e.App.Inbox.Mail.Mailboxes.FindMailbox(context.Background(), e.A.T.ID)
	if err != nil || mb.Host != "imap.alpha.test" || mb.Port != 993 || !mb.Enabled {
		t.Fatalf("mailbox %+v %v", mb, err)
	}
	if pw := e.App.Integrations.Secret(context.Background(), e.A.T.ID, inbox.SecretIMAPPassword); pw != "pw-Secret-123" {
		t.Fatalf("vault has %q", pw)
	}
	if _, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/mailbox", Cookies: a}); !strings.Contains(body, "imap.alpha.test") || strings.Contains(body, "pw-Secret-123") {
		t.Fatalf("settings page: %.2000s", body)
	}
	if _, err := e.App.Inbox.Mail.Mailboxes.FindMailbox(context.Background(), e.B.T.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatal("B got A's mailbox")
	}
}

// TestInbox_API: the Conversations API lists, reads and moves threads
// through the same service as the pages: a reply reaches Twilio from the
// thread's number, labels are added and removed, a snooze needs a time,
// B's key sees none of A's, an admin key filters by tenant, and bad
// input is a 400 naming the field.
func TestInbox_API(t *testing.T) {
	e := newTenantEnv(t)
	tw := e.inboxTwilio()
	ctx := context.Background()
	for i := range 3 {
		f := map[string]string{"From": fmt.Sprintf("+1512555020%d", i), "To": "+15125550200", "Body": fmt.Sprintf("Question %d about gutters", i), "MessageSid": fmt.Sprintf("SMapi%d", i)}
		if err := e.App.Inbox.InboundSMS(ctx, e.A.T.ID, f, true, false); err != nil {
			t.Fatal(err)
		}
	}
	type page struct {
		Data []struct {
			ID       int64    `json:"id"`
			TenantID int64    `json:"tenant_id"`
			Address  string   `json:"address"`
			Labels   []string `json:"labels"`
			Status   string   `json:"status"`
			Assignee string   `json:"assignee"`
		} `json:"data"`
		Next *string `json:"next_cursor"`
	}
	get := func(host, path, key string) (int, page, string) {
		t.Helper()
		st, body, _ := e.do(treq{Host: host, Method: "GET", Path: path, Bearer: key})
		var p page
		_ = json.Unmarshal([]byte(body), &p)
		return st, p, body
	}
	// Paging: 2 then 1, no thread twice.
	st, p1, body := get("portal", "/api/v1/conversations?limit=2", e.A.KeyRead)
	if st != 200 || len(p1.Data) != 2 || p1.Next == nil {
		t.Fatalf("page 1: %d %s", st, body)
	}
	st, p2, body := get("portal", "/api/v1/conversations?limit=2&cursor="+url.QueryEscape(*p1.Next), e.A.KeyRead)
	if st != 200 || len(p2.Data) != 1 || p2.Next != nil || p2.Data[0].ID == p1.Data[0].ID || p2.Data[0].ID == p1.Data[1].ID {
		t.Fatalf("page 2: %d %s", st, body)
	}
	conv := p1.Data[0]
	path := "/api/v1/conversations/" + strconv.FormatInt(conv.ID, 10)
	// Search goes through the messages.
	if _, p, body := get("portal", "/api/v1/conversations?q=gutters+2", e.A.KeyRead); len(p.Data) != 1 || p.Data[0].Address != "+15125550202" {
		t.Fatalf("search: %s", body)
	}
	// B's key: nothing of A's.
	if _, p, _ := get("portal", "/api/v1/conversations?status=all", e.B.KeyRead); len(p.Data) != 0 {
		t.Fatalf("B's key lists A's threads: %+v", p.Data)
	}
	for _, x := range []string{path, path + "/messages"} {
		if st, _, _ := get("portal", x, e.B.KeyRead); st != 404 {
			t.Fatalf("B's key on %s: %d", x, st)
		}
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: path + "/messages", JSON: `{"text":"from B"}`, Bearer: e.B.KeyWrite}); st != 404 {
		t.Fatalf("B's key replies in A's thread: %d", st)
	}
	// Admin key: every tenant, or one with ?tenant=.
	if _, p, body := get("nexus", "/api/v1/conversations?tenant="+strconv.FormatInt(e.A.T.ID, 10), e.AdminKeyRead); len(p.Data) != 3 || p.Data[0].TenantID != e.A.T.ID {
		t.Fatalf("admin, tenant A: %s", body)
	}
	if _, p, body := get("nexus", "/api/v1/conversations?tenant="+strconv.FormatInt(e.B.T.ID, 10), e.AdminKeyRead); len(p.Data) != 0 {
		t.Fatalf("admin, tenant B: %s", body)
	}
	if st, _, body := get("portal", "/api/v1/conversations?tenant=1", e.A.KeyRead); st != 400 || !strings.Contains(body, `"field":"tenant"`) {
		t.Fatalf("tenant filter on a tenant key: %d %s", st, body)
	}
	// A reply is texted from the thread's number to the contact.
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: path + "/messages", JSON: `{"text":"Yes, free quotes on Thursday."}`, Bearer: e.A.KeyWrite})
	if st != 201 || !strings.Contains(body, `"direction":"out"`) || !strings.Contains(body, `"status":"sent"`) {
		t.Fatalf("reply: %d %s", st, body)
	}
	ms := tw.WaitMessages(1, 5*time.Second)
	if len(ms) != 1 || ms[0].Get("To") != conv.Address || ms[0].Get("From") != "+15125550200" || ms[0].Get("Body") != "Yes, free quotes on Thursday." {
		t.Fatalf("Twilio got %v", ms)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: path + "/messages", JSON: `{"text":"x"}`, Bearer: e.A.KeyRead}); st != 403 {
		t.Fatalf("read key replies: %d", st)
	}
	// A note, labels, assign, status.
	post := func(sub, js string) (int, string) {
		t.Helper()
		m := "POST"
		if sub == "" {
			m = "PATCH"
		}
		st, body, _ := e.do(treq{Host: "portal", Method: m, Path: path + sub, JSON: js, Bearer: e.A.KeyWrite})
		return st, body
	}
	if st, body := post("/notes", `{"text":"Prefers mornings."}`); st != 201 || !strings.Contains(body, `"direction":"note"`) {
		t.Fatalf("note: %d %s", st, body)
	}
	if st, body := post("", `{"add_labels":["VIP","roof"]}`); st != 200 || !strings.Contains(body, `"labels":["vip","roof"]`) {
		t.Fatalf("labels add: %d %s", st, body)
	}
	if st, body := post("", `{"remove_labels":["vip"]}`); st != 200 || !strings.Contains(body, `"labels":["roof"]`) {
		t.Fatalf("labels remove: %d %s", st, body)
	}
	if st, body := post("", `{"add_labels":"vip"}`); st != 400 || !strings.Contains(body, `"field":"add_labels"`) {
		t.Fatalf("labels wrong type: %d %s", st, body)
	}
	if st, body := post("", `{"assignee":"Sam@Alpha.test"}`); st != 200 || !strings.Contains(body, `"assignee":"user:sam@alpha.test"`) {
		t.Fatalf("assign: %d %s", st, body)
	}
	if st, body := post("", `{"assignee":"sam"}`); st != 400 || !strings.Contains(body, `"field":"assignee"`) {
		t.Fatalf("assign without assignee: %d %s", st, body)
	}
	if st, body := post("", `{"status":"snoozed"}`); st != 400 || !strings.Contains(body, `"field":"until"`) {
		t.Fatalf("snooze without until: %d %s", st, body)
	}
	if st, body := post("", `{"status":"asleep"}`); st != 400 || !strings.Contains(body, `"field":"status"`) {
		t.Fatalf("bad status: %d %s", st, body)
	}
	if st, body := post("", `{"status":"closed"}`); st != 200 || !strings.Contains(body, `"status":"closed"`) {
		t.Fatalf("close: %d %s", st, body)
	}
	if _, p, _ := get("portal", "/api/v1/conversations", e.A.KeyRead); len(p.Data) != 2 {
		t.Fatalf("the closed thread is still listed by default: %+v", p.Data)
	}
	if _, p, _ := get("portal", "/api/v1/conversations?status=closed&label=roof", e.A.KeyRead); len(p.Data) != 1 || p.Data[0].ID == 0 {
		t.Fatalf("closed with label roof: %+v", p.Data)
	}
	// The thread holds the text, the reply and the note, oldest first.
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: path + "/messages", Bearer: e.A.KeyRead})
	if st != 200 || strings.Index(body, "Question") > strings.Index(body, "free quotes") || strings.Index(body, "free quotes") > strings.Index(body, "Prefers mornings") {
		t.Fatalf("messages: %d %s", st, body)
	}
}

// inboxAttachmentFixture gives A an email with a stored file and returns
// the thread's and the file's IDs, for the contract test.
func (e *tenantEnv) inboxAttachmentFixture() (int64, int64) {
	e.t.Helper()
	data := []byte("%PDF-1.4 contract")
	c, m, _, err := e.App.Stores.Inbox.Receive(context.Background(), &inbox.Inbound{TenantID: e.A.T.ID, Channel: inbox.ChannelEmail, Address: "contract@example.com",
		Message: inbox.Message{Direction: inbox.DirIn, Subject: "Contract", Body: "File", ProviderID: "contract-file@example.com",
			Attachments: []inbox.Attachment{inbox.KeepAttachment("c.pdf", "application/pdf", int64(len(data)), data)}}})
	if err != nil || m.Attachments[0].ID == 0 {
		e.t.Fatalf("A's email with a file: %v", err)
	}
	return c.ID, m.Attachments[0].ID
}
