package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/internal/realtest"
	"orengen/smtp"
	"orengen/twilio/twiliotest"
	"orengen/ui"
)

// bcPerson is a person of a broadcast test: its phone, email, consent
// and tags.
type bcPerson struct {
	First, Phone, Email string
	SMS, Mail           bool
	Tags                []string
}

// bcAudience creates people tagged tag in side's CRM and a saved view of
// them, and returns the view's ID and the people by first name.
func (e *tenantEnv) bcAudience(side *tenantSide, tag string, ps []bcPerson) (int64, map[string]*app.Person) {
	e.t.Helper()
	tctx := app.NewContextWithTenant(context.Background(), side.T)
	out := map[string]*app.Person{}
	for _, p := range ps {
		ap := &app.Person{FirstName: p.First, LastName: "Tester", Tags: append([]string{tag}, p.Tags...), Consent: app.Consent{SMS: p.SMS, Email: p.Mail}}
		if p.Phone != "" {
			ap.Phones = []string{p.Phone}
		}
		if p.Email != "" {
			ap.Emails = []string{p.Email}
		}
		if err := e.App.CRM.People.CreatePerson(tctx, ap); err != nil {
			e.t.Fatalf("person %s: %v", p.First, err)
		}
		out[p.First] = ap
	}
	v := &app.View{Name: "List " + tag, Object: app.RecordPerson, Columns: []string{"name"}, Where: app.Where{Conditions: []app.Condition{{Field: "tag", Op: "eq", Value: tag}}}}
	if err := e.App.CRM.Views.CreateView(tctx, v); err != nil {
		e.t.Fatal(err)
	}
	return v.ID, out
}

// runSender runs the broadcast sender until the test ends (or stop is
// called) and returns stop, which waits for it.
func (e *tenantEnv) runSender() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.App.Inbox.RunBroadcasts(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	e.t.Cleanup(stop)
	return stop
}

// waitBroadcast waits until the broadcast is no longer sending.
func (e *tenantEnv) waitBroadcast(tenantID, id int64, d time.Duration) *inbox.Broadcast {
	e.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(d)
	for {
		b, err := e.App.Inbox.Broadcasts.FindBroadcast(ctx, tenantID, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if b.Status != inbox.BroadcastSending {
			return b
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("broadcast %d still sending after %s: %+v", id, d, b.Report)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// bcTwilio starts a fake Twilio and gives side A's account its number.
func bcTwilio(t *testing.T, numberA string) (*twiliotest.Server, *tenantEnv) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	tw := twiliotest.Start(sid, testTwilioToken)
	t.Cleanup(tw.Close)
	e := newTenantEnv(t, "--twilio-api-url", tw.URL)
	e.App.Integrations.TTL = time.Nanosecond
	ctx := context.Background()
	for scope, kv := range map[app.VaultScope][2]string{app.GlobalScope: {app.SecretTwilioSID, sid}, app.TenantScope(e.A.T.ID): {app.SecretTwilioFrom, numberA}} {
		if err := e.App.Vault.Put(ctx, scope, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	return tw, e
}

// TestInbox_BroadcastSMS: a text to a saved view goes, through Twilio's
// API, only to the people with SMS consent and no STOP, once per number,
// with their fields filled; the skipped are counted by reason (preview
// and report alike); each text lands in the person's thread; Twilio's
// signed delivery reports, a reply and a STOP show in the report; a
// later broadcast skips who texted STOP; tenant B sees none of it.
func TestInbox_BroadcastSMS(t *testing.T) {
	const numberA = "+15125550111"
	tw, e := bcTwilio(t, numberA)
	ctx := context.Background()
	viewID, _ := e.bcAudience(e.A, "bc-sms", []bcPerson{
		{First: "Ann", Phone: "+15125550201", SMS: true},
		{First: "Bob", Phone: "+15125550202", SMS: true, Tags: []string{inbox.OptOutTag}},
		{First: "Cat", Phone: "+15125550203"},
		{First: "Dan", Email: "dan@example.com", SMS: true, Mail: true},
		{First: "Eve", Phone: "+15125550201", SMS: true}, // Ann's number
		{First: "Fay", Phone: "+15125550206", SMS: true},
	})
	a := map[string]string{"psid": e.A.Cookie}
	body := "Hi {{first_name}}, spring roof checks are open. Reply STOP to opt out."
	form := url.Values{"view_id": {strconv.FormatInt(viewID, 10)}, "channel": {"sms"}, "body": {body}, "rate": {"50"}}

	// Preview: counts and the first text, nothing sent.
	pf := url.Values{"action": {"preview"}}
	for k, v := range form {
		pf[k] = v
	}
	st, page, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/broadcasts", Form: pf, Cookies: a, CSRF: true})
	for _, want := range []string{"<strong>2</strong> of 6 people", "1 skipped: texted STOP", "1 skipped: no SMS consent", "1 skipped: no phone number",
		"1 skipped: same address as another recipient", "Hi Ann, spring roof checks"} {
		if st != 200 || !strings.Contains(page, want) {
			t.Errorf("preview lacks %q (status %d)", want, st)
		}
	}
	if n := len(tw.Messages()); n != 0 {
		t.Fatalf("the preview sent %d texts", n)
	}
	// Bad input names the field; a member may not send.
	bad := url.Values{"view_id": {strconv.FormatInt(viewID, 10)}, "channel": {"sms"}, "body": {strings.Repeat("x", 1601)}}
	if st, page, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/broadcasts", Form: bad, Cookies: a, CSRF: true}); st != 400 || !strings.Contains(page, "A text is at most 1600 characters.") {
		t.Fatalf("long text: %d", st)
	}
	member := e.portalSession(e.A.Member)
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/broadcasts", Form: form, Cookies: map[string]string{"psid": member}, CSRF: true}); st != 403 {
		t.Fatalf("member sends a broadcast: %d", st)
	}

	// Send from the page: queued, then sent by the background sender.
	st, _, resp := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/broadcasts", Form: form, Cookies: a, CSRF: true})
	loc := resp.Header.Get("Location")
	if st != 303 || !strings.HasPrefix(loc, "/inbox/broadcasts/") {
		t.Fatalf("create: %d %q", st, loc)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/inbox/broadcasts/"), 10, 64)
	e.runSender()
	b := e.waitBroadcast(e.A.T.ID, id, 10*time.Second)
	sent := tw.Messages()
	var got []string
	for _, m := range sent {
		if m.Get("From") != numberA {
			t.Errorf("sent from %s, want the tenant's number", m.Get("From"))
		}
		got = append(got, m.Get("To")+" "+m.Get("Body"))
	}
	slices.Sort(got)
	want := []string{"+15125550201 Hi Ann, spring roof checks are open. Reply STOP to opt out.", "+15125550206 Hi Fay, spring roof checks are open. Reply STOP to opt out."}
	if !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if r := b.Report; b.Status != inbox.BroadcastDone || r.Total != 6 || r.Sent != 2 || r.Skipped != 4 || r.Queued != 0 || r.Failed != 0 {
		t.Fatalf("report %s %+v", b.Status, r)
	}
	// Each text is in the person's thread (and on the CRM timeline).
	rs, err := e.App.Inbox.Broadcasts.FindRecipients(ctx, e.A.T.ID, id, inbox.RecipientSent, 10)
	if err != nil || len(rs) != 2 {
		t.Fatalf("sent recipients %+v %v", rs, err)
	}
	byName := map[string]*inbox.Recipient{}
	for _, r := range rs {
		byName[strings.Fields(r.Name)[0]] = r
		ms, err := e.App.Stores.Inbox.FindMessages(ctx, e.A.T.ID, r.ConversationID)
		if err != nil || len(ms) != 1 || ms[0].Direction != inbox.DirOut || !strings.HasPrefix(ms[0].Body, "Hi "+strings.Fields(r.Name)[0]) || ms[0].ProviderID == "" {
			t.Fatalf("thread of %s: %+v %v", r.Name, ms, err)
		}
		c, _ := e.App.Stores.Inbox.FindConversation(ctx, e.A.T.ID, r.ConversationID)
		if c.PersonID != r.PersonID || c.LocalAddress != numberA {
			t.Fatalf("thread %+v of recipient %+v", c, r)
		}
	}
	// Twilio's signed delivery reports: Ann's delivered, Fay's not.
	text := func(path string, f url.Values) int {
		t.Helper()
		st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: path, Form: f, Header: map[string]string{"X-Twilio-Signature": twilioSign(testTwilioToken, e.Server.URL("portal")+path, f)}})
		return st
	}
	for name, f := range map[string]url.Values{"Ann": {"MessageStatus": {"delivered"}}, "Fay": {"MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}} {
		r := byName[name]
		ms, _ := e.App.Stores.Inbox.FindMessages(ctx, e.A.T.ID, r.ConversationID)
		f.Set("MessageSid", ms[0].ProviderID)
		cb, _ := url.Parse(e.Server.TwilioCallbackURL(e.A.T.ID, fmt.Sprintf("inbox-%d", ms[0].ID)))
		if st := text(cb.RequestURI(), f); st != 204 {
			t.Fatalf("status callback for %s: %d", name, st)
		}
	}
	// Ann answers, Fay texts STOP: two replies, one opt-out.
	for i, in := range []url.Values{{"From": {"+15125550201"}, "Body": {"Yes please, Tuesday"}}, {"From": {"+15125550206"}, "Body": {"STOP"}}} {
		in.Set("To", numberA)
		in.Set("MessageSid", fmt.Sprintf("SMbcin%d", i))
		if st := text("/twilio/sms", in); st != 200 {
			t.Fatalf("inbound %d: %d", i, st)
		}
	}
	b, _ = e.App.Inbox.Broadcasts.FindBroadcast(ctx, e.A.T.ID, id)
	if r := b.Report; r.Sent != 2 || r.Delivered != 1 || r.Failed != 1 || r.Replies != 2 || r.OptedOut != 1 ||
		!slices.Contains(r.Reasons, inbox.ReasonCount{Status: inbox.RecipientFailed, Reason: "after sending: Twilio error 30003", Count: 1}) {
		t.Fatalf("report after callbacks %+v", r)
	}
	// The report page and the API say the same; B sees neither.
	st, page, _ = e.do(treq{Host: "portal", Method: "GET", Path: loc, Cookies: a})
	for _, want := range []string{"<th>Delivered</th><td>1", "<th>Replies</th><td>2", "<th>Opted out since</th><td>1", "1 skipped: texted STOP", "Twilio error 30003", "Cat Tester"} {
		if st != 200 || !strings.Contains(page, want) {
			t.Errorf("report page lacks %q (status %d)", want, st)
		}
	}
	st, page, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1" + strings.TrimPrefix(loc, "/inbox"), Bearer: e.A.KeyRead})
	var api struct {
		Data struct {
			Status string
			Report struct {
				Sent, Delivered, Failed, Skipped, Replies int
				OptedOut                                  int `json:"opted_out"`
			}
			Problems []struct{ Status, Reason string }
		}
	}
	if err := json.Unmarshal([]byte(page), &api); err != nil || st != 200 || api.Data.Report.Delivered != 1 || api.Data.Report.OptedOut != 1 || len(api.Data.Problems) != 4 {
		t.Fatalf("api: %d %s", st, page)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: loc, Cookies: map[string]string{"psid": e.B.Cookie}}); st != 404 {
		t.Fatalf("B opens A's broadcast: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1" + strings.TrimPrefix(loc, "/inbox"), Bearer: e.B.KeyRead}); st != 404 {
		t.Fatalf("B's key on A's broadcast: %d", st)
	}
	// A second broadcast through the API: Fay texted STOP, so only Ann.
	st, page, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/api/v1/broadcasts", Bearer: e.A.KeyWrite,
		JSON: fmt.Sprintf(`{"view_id":%d,"channel":"sms","body":"Last call, {{first_name}}","rate":50}`, viewID)})
	var created struct{ Data struct{ ID int64 } }
	if err := json.Unmarshal([]byte(page), &created); err != nil || st != 201 {
		t.Fatalf("api create: %d %s", st, page)
	}
	b = e.waitBroadcast(e.A.T.ID, created.Data.ID, 10*time.Second)
	if b.Report.Sent != 1 || !slices.Contains(b.Report.Reasons, inbox.ReasonCount{Status: inbox.RecipientSkipped, Reason: inbox.ReasonTextedStop, Count: 2}) {
		t.Fatalf("second broadcast %+v", b.Report)
	}
	if n := len(tw.Messages()); n != 3 {
		t.Fatalf("%d texts in all, want 3", n)
	}
	// Bad API input names the field.
	for js, field := range map[string]string{`{"view_id":"x"}`: "view_id", `{"view_id":1,"channel":"fax","body":"x"}`: "channel",
		fmt.Sprintf(`{"view_id":%d,"channel":"sms","body":"x","rate":500}`, viewID): "rate", fmt.Sprintf(`{"view_id":%d,"channel":"email","body":"x"}`, viewID): "subject"} {
		st, page, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/api/v1/broadcasts", Bearer: e.A.KeyWrite, JSON: js})
		if st != 400 || !strings.Contains(page, `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", js, st, page)
		}
	}
}

// TestInbox_BroadcastThrottle: the sender keeps to the broadcast's rate:
// the same texts never go out faster than the rate allows, and at a
// quarter of the rate they take clearly longer (a ratio measured in the
// same run: about 4 on an idle machine; on a loaded one each send can
// take longer than the 100 ms gap of the faster run, which then stretches
// too: 1.67 at load 17).
func TestInbox_BroadcastThrottle(t *testing.T) {
	tw, e := bcTwilio(t, "+15125550111")
	ctx := context.Background()
	var ps []bcPerson
	for i := 0; i < 6; i++ {
		ps = append(ps, bcPerson{First: fmt.Sprintf("P%d", i), Phone: fmt.Sprintf("+1512555030%d", i), SMS: true})
	}
	viewID, _ := e.bcAudience(e.A, "bc-rate", ps)
	e.runSender()
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, e.A.T), e.A.Owner)
	span := func(rate float64) time.Duration {
		b, err := e.App.Inbox.CreateBroadcast(actx, inbox.BroadcastInput{ViewID: viewID, Channel: "sms", Body: "Rate test", Rate: rate})
		if err != nil {
			t.Fatal(err)
		}
		e.waitBroadcast(e.A.T.ID, b.ID, 20*time.Second)
		rs, err := e.App.Inbox.Broadcasts.FindRecipients(ctx, e.A.T.ID, b.ID, inbox.RecipientSent, 10)
		if err != nil || len(rs) != 6 {
			t.Fatalf("rate %g: %d sent %v", rate, len(rs), err)
		}
		first, last := *rs[0].SentAt, *rs[0].SentAt
		for _, r := range rs {
			if r.SentAt.Before(first) {
				first = *r.SentAt
			}
			if r.SentAt.After(last) {
				last = *r.SentAt
			}
		}
		return last.Sub(first)
	}
	fast, slow := span(10), span(2.5)
	t.Logf("6 texts at 10/s over %s, at 2.5/s over %s (ratio %.2f)", fast, slow, float64(slow)/float64(fast))
	if fast < 475*time.Millisecond { // 5 gaps of 100 ms
		t.Errorf("at 10 a second 6 texts went out over %s, faster than the rate", fast)
	}
	if slow < 1900*time.Millisecond { // 5 gaps of 400 ms
		t.Errorf("at 2.5 a second 6 texts went out over %s, faster than the rate", slow)
	}
	if float64(slow)/float64(fast) < 1.5 {
		t.Errorf("a quarter of the rate took %.2f times as long, want about 4 (at least 1.5)", float64(slow)/float64(fast))
	}
	if n := len(tw.Messages()); n != 12 {
		t.Fatalf("%d texts, want 12", n)
	}
}

// TestInbox_BroadcastResume: a restart resumes a broadcast with its
// queued recipients and never texts anyone twice: the one a crash left
// between "recorded" and "sent" is marked failed (it may have gone
// out), the ones sent before the stop are not sent again. Cancel stops
// the rest.
func TestInbox_BroadcastResume(t *testing.T) {
	tw, e := bcTwilio(t, "+15125550111")
	ctx := context.Background()
	var ps []bcPerson
	for i := 0; i < 6; i++ {
		ps = append(ps, bcPerson{First: fmt.Sprintf("R%d", i), Phone: fmt.Sprintf("+1512555040%d", i), SMS: true})
	}
	viewID, _ := e.bcAudience(e.A, "bc-resume", ps)
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, e.A.T), e.A.Owner)
	b, err := e.App.Inbox.CreateBroadcast(actx, inbox.BroadcastInput{ViewID: viewID, Channel: "sms", Body: "Resume {{first_name}}", Rate: 10})
	if err != nil {
		t.Fatal(err)
	}
	// A crash: the first recipient's text was recorded, then the process
	// died before it was marked sent.
	st := e.App.Inbox.Broadcasts
	r0, err := st.NextRecipient(ctx, e.A.T.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	r0.Address = "+15125550400"
	if _, err := st.StartRecipient(ctx, r0, inbox.ChannelSMS, inbox.Thread{ThreadKey: "+15125550400|15125550111", Address: r0.Address, LocalAddress: "+15125550111"},
		&inbox.Message{Direction: inbox.DirOut, Body: "Resume R0", Status: inbox.DeliveryQueued}); err != nil {
		t.Fatal(err)
	}
	// The first run sends two, then stops (a restart).
	stop := e.runSender()
	tw.WaitMessages(2, 5*time.Second)
	stop()
	before := len(tw.Messages())
	if before < 2 || before > 5 {
		t.Fatalf("first run sent %d", before)
	}
	// The second run finishes.
	e.runSender()
	b = e.waitBroadcast(e.A.T.ID, b.ID, 10*time.Second)
	var to []string
	for _, m := range tw.Messages() {
		to = append(to, m.Get("To"))
	}
	slices.Sort(to)
	if len(to) != 5 || len(slices.Compact(slices.Clone(to))) != 5 || slices.Contains(to, "+15125550400") {
		t.Fatalf("texts to %v: want each of the 5 others once, none to the interrupted one", to)
	}
	if r := b.Report; r.Sent != 5 || r.Failed != 1 || !slices.Contains(r.Reasons, inbox.ReasonCount{Status: inbox.RecipientFailed, Reason: inbox.ReasonInterrupted, Count: 1}) {
		t.Fatalf("report %+v", r)
	}

	// Cancel: a slow broadcast stops after its first text.
	b, err = e.App.Inbox.CreateBroadcast(actx, inbox.BroadcastInput{ViewID: viewID, Channel: "sms", Body: "Slow", Rate: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	tw.WaitMessages(6, 5*time.Second)
	if s, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: fmt.Sprintf("/api/v1/broadcasts/%d/cancel", b.ID), Bearer: e.B.KeyWrite}); s != 404 {
		t.Fatalf("B cancels A's broadcast: %d", s)
	}
	if s, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: fmt.Sprintf("/api/v1/broadcasts/%d/cancel", b.ID), Bearer: e.A.KeyWrite}); s != 200 || !strings.Contains(body, `"status":"cancelled"`) || !strings.Contains(body, `"cancelled":5`) {
		t.Fatalf("cancel: %d %s", s, body)
	}
	if s, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: fmt.Sprintf("/api/v1/broadcasts/%d/cancel", b.ID), Bearer: e.A.KeyWrite}); s != 409 {
		t.Fatalf("cancel twice: %d", s)
	}
	if n := len(tw.Messages()); n != 6 {
		t.Fatalf("%d texts after the cancel, want 6", n)
	}
}

// isoBroadcastFixture is B's broadcast (created once per environment):
// its view name is one of B's markers.
func (e *tenantEnv) isoBroadcastFixture() string {
	e.t.Helper()
	v, _ := inboxFixtures.LoadOrStore(e, &sync.Map{})
	ids := v.(*sync.Map)
	if id, ok := ids.Load(objBroadcast); ok {
		return id.(string)
	}
	viewID, _ := e.bcAudience(e.B, "bc-iso", []bcPerson{{First: "Bea", Phone: "+15125550701", SMS: true}})
	b := &inbox.Broadcast{TenantID: e.B.T.ID, ViewID: viewID, ViewName: e.B.T.Name + " secret service", Channel: "sms", Body: "B's offer", Rate: 1, Status: inbox.BroadcastSending}
	if err := e.App.Inbox.Broadcasts.CreateBroadcast(context.Background(), b, []*inbox.Recipient{{PersonID: e.B.CRM.Person.ID, Name: "B person", Status: inbox.RecipientSkipped, Reason: "no phone number"}}); err != nil {
		e.t.Fatal(err)
	}
	id := strconv.FormatInt(b.ID, 10)
	ids.Store(objBroadcast, id)
	ids.Store("broadcastview", strconv.FormatInt(viewID, 10))
	return id
}

// isoBroadcastRequest names the tenant for admin keys and gives creates
// a body (B's view from A is a 400: another tenant's view is unknown).
func (e *tenantEnv) isoBroadcastRequest(r isoRoute, req *treq) {
	if r.Path == "/api/v1/inbox-quiet-hours" {
		if r.Host == ui.HostNexus {
			req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
		}
		if r.Method == "PUT" {
			req.JSON = `{"enabled":false,"start":"21:00","end":"08:00"}`
		}
		return
	}
	if !strings.HasPrefix(r.Path, "/api/v1/broadcasts") {
		return
	}
	if r.Host == ui.HostNexus {
		sep := "?"
		if strings.Contains(req.Path, "?") {
			sep = "&"
		}
		req.Path += sep + "tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
	if r.Method == "POST" {
		e.isoBroadcastFixture()
		v, _ := inboxFixtures.Load(e)
		view, _ := v.(*sync.Map).Load("broadcastview")
		req.JSON = `{"view_id":` + view.(string) + `,"channel":"sms","body":"x"}`
	}
}

// TestInbox_BroadcastEmailUnsubscribe: an email broadcast goes out over
// the tenant's SMTP (a real server, Mailpit) to the people with email
// consent, with the subject's fields filled, in a thread of its own, and
// with the RFC 8058 List-Unsubscribe headers and a footer naming the
// same signed link on the portal host. The link's page asks first (GET
// changes nothing); the one-click POST records the opt-out on the
// person; a forged signature, or one person's signature on another, is
// refused and records nothing; the next broadcast skips who left.
func TestInbox_BroadcastEmailUnsubscribe(t *testing.T) {
	e := newTenantEnv(t)
	sink := realtest.StartSMTP(t, realtest.Plain)
	cfg, err := smtp.ParseURL(sink.URL("news@alpha.test"))
	if err != nil {
		t.Fatal(err)
	}
	e.App.Inbox.Mail.Mailer = func(ctx context.Context, tenantID int64) (app.Mailer, error) { return &smtp.Mailer{Config: *cfg}, nil }
	ctx := context.Background()
	viewID, people := e.bcAudience(e.A, "bc-mail", []bcPerson{
		{First: "Gus", Email: "gus@example.com", Mail: true},
		{First: "Hal", Email: "hal@example.com", Mail: true},
		{First: "Ivy", Email: "ivy@example.com"}, // no email consent
		{First: "Jon", Phone: "+15125550501", SMS: true, Mail: true},
	})
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, e.A.T), e.A.Owner)
	e.runSender()
	b, err := e.App.Inbox.CreateBroadcast(actx, inbox.BroadcastInput{ViewID: viewID, Channel: "email", Subject: "Spring news for {{first_name}}", Body: "Dear {{first_name}},\nroof checks are open."})
	if err != nil {
		t.Fatal(err)
	}
	b = e.waitBroadcast(e.A.T.ID, b.ID, 10*time.Second)
	if r := b.Report; r.Sent != 2 || r.Skipped != 2 || r.Failed != 0 {
		t.Fatalf("report %+v", r)
	}
	var raws []string
	for i := 0; i < 50 && len(raws) < 2; i++ {
		if raws = sink.Raw(t); len(raws) < 2 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if len(raws) != 2 {
		t.Fatalf("%d emails arrived, want 2", len(raws))
	}
	links := map[string]string{}
	for _, raw := range raws {
		flat := strings.ReplaceAll(raw, "\r\n ", " ") // unfold headers
		who := "Gus"
		if strings.Contains(flat, "To: <hal@example.com>") {
			who = "Hal"
		}
		for _, want := range []string{"Subject: Spring news for " + who, "Dear " + who + ",", "List-Unsubscribe-Post: List-Unsubscribe=One-Click", "List-Unsubscribe: <"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s's email lacks %q:\n%s", who, want, raw)
			}
		}
		i := strings.Index(flat, "List-Unsubscribe: <")
		link := flat[i+len("List-Unsubscribe: <"):]
		link = link[:strings.Index(link, ">")]
		if !strings.Contains(sink.Text(t, messageID(t, sink, who)), "unsubscribe: "+link) {
			t.Errorf("%s's footer does not name the header's link %s", who, link)
		}
		links[who] = link
	}
	u, err := url.Parse(links["Gus"])
	if err != nil || !strings.HasPrefix(links["Gus"], e.App.Users.PortalURL(ctx, e.A.T)+"/unsubscribe?") || u.Query().Get("p") != strconv.FormatInt(people["Gus"].ID, 10) {
		t.Fatalf("link %q", links["Gus"])
	}
	// Each email is in its person's thread; a reply threads to it.
	rs, _ := e.App.Inbox.Broadcasts.FindRecipients(ctx, e.A.T.ID, b.ID, inbox.RecipientSent, 10)
	for _, r := range rs {
		ms, _ := e.App.Stores.Inbox.FindMessages(ctx, e.A.T.ID, r.ConversationID)
		if len(ms) != 1 || !strings.HasPrefix(ms[0].Subject, "Spring news for ") || !strings.Contains(ms[0].Body, "/unsubscribe?") || ms[0].Status != inbox.DeliverySent {
			t.Fatalf("thread of %s: %+v", r.Name, ms)
		}
	}
	gus := func() *app.Person {
		p, err := e.App.CRM.People.FindPerson(app.NewContextWithTenant(ctx, e.A.T), people["Gus"].ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	path := u.RequestURI()
	// The page asks; GET records nothing.
	if st, page, _ := e.do(treq{Host: "portal", Method: "GET", Path: path}); st != 200 || !strings.Contains(page, "Stop receiving these emails?") {
		t.Fatalf("unsubscribe page: %d", st)
	}
	if p := gus(); slices.Contains(p.Tags, inbox.EmailOptOutTag) || !p.Consent.Email {
		t.Fatal("opening the link unsubscribed")
	}
	// Forged: a changed signature, and Gus's signature on Hal.
	q := u.Query()
	sig := q.Get("s")
	forged := []url.Values{{"t": {q.Get("t")}, "p": {q.Get("p")}, "s": {strings.Repeat("0", len(sig))}},
		{"t": {q.Get("t")}, "p": {strconv.FormatInt(people["Hal"].ID, 10)}, "s": {sig}},
		{"t": {strconv.FormatInt(e.B.T.ID, 10)}, "p": {q.Get("p")}, "s": {sig}}}
	for _, f := range forged {
		if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/unsubscribe?" + f.Encode(), Form: url.Values{"List-Unsubscribe": {"One-Click"}}}); st != 404 {
			t.Errorf("forged %v: %d", f, st)
		}
	}
	hal, _ := e.App.CRM.People.FindPerson(app.NewContextWithTenant(ctx, e.A.T), people["Hal"].ID)
	if slices.Contains(hal.Tags, inbox.EmailOptOutTag) || !hal.Consent.Email {
		t.Fatal("a forged link unsubscribed Hal")
	}
	// RFC 8058 one-click: a POST of List-Unsubscribe=One-Click, no cookie,
	// no CSRF token.
	if st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: path, Form: url.Values{"List-Unsubscribe": {"One-Click"}}}); st != 200 || body != "Unsubscribed." {
		t.Fatalf("one-click: %d %q", st, body)
	}
	if p := gus(); !slices.Contains(p.Tags, inbox.EmailOptOutTag) || p.Consent.Email {
		t.Fatalf("after one-click: tags %v consent %+v", p.Tags, p.Consent)
	}
	if st, page, _ := e.do(treq{Host: "portal", Method: "POST", Path: path}); st != 200 || !strings.Contains(page, "You will get no more of these emails.") {
		t.Fatalf("unsubscribing twice: %d", st)
	}
	b, _ = e.App.Inbox.Broadcasts.FindBroadcast(ctx, e.A.T.ID, b.ID)
	if b.Report.OptedOut != 1 {
		t.Fatalf("opted out %d, want 1", b.Report.OptedOut)
	}
	// The next broadcast skips Gus.
	pv, err := e.App.Inbox.PreviewBroadcast(actx, inbox.BroadcastInput{ViewID: viewID, Channel: "email", Subject: "Again", Body: "More news"})
	if err != nil || pv.Send != 1 || !slices.Contains(pv.Skipped, inbox.ReasonCount{Status: inbox.RecipientSkipped, Reason: inbox.ReasonUnsubscribed, Count: 1}) {
		t.Fatalf("preview after the unsubscribe: %+v %v", pv, err)
	}
}

// messageID finds the Mailpit ID of the message to who.
func messageID(t *testing.T, sink *realtest.SMTPServer, who string) string {
	t.Helper()
	for _, m := range sink.Messages(t) {
		if strings.Contains(strings.ToLower(fmt.Sprint(m)), strings.ToLower(who)+"@example.com") {
			return m.ID
		}
	}
	t.Fatalf("no message to %s", who)
	return ""
}

// broadcastContractCalls adds the Broadcasts API to the contract test:
// A's view of one texting person, and a broadcast of it to read and
// cancel (no sender runs: it stays sending).
func (e *tenantEnv) broadcastContractCalls(calls map[string]contractCall, rk, wk string) {
	e.t.Helper()
	viewID, _ := e.bcAudience(e.A, "bc-contract", []bcPerson{{First: "Kim", Phone: "+15125550601", SMS: true}, {First: "Lee"}})
	actx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner)
	b, err := e.App.Inbox.CreateBroadcast(actx, inbox.BroadcastInput{ViewID: viewID, Channel: "sms", Body: "Hi {{first_name}}"})
	if err != nil {
		e.t.Fatal(err)
	}
	in := fmt.Sprintf(`{"view_id":%d,"channel":"sms","body":"Hello {{first_name}}","rate":2}`, viewID)
	one := "/api/v1/broadcasts/" + strconv.FormatInt(b.ID, 10)
	calls["getBroadcasts"] = contractCall{ui.HostPortal, "GET", "/api/v1/broadcasts", rk, "", 200}
	calls["postBroadcasts"] = contractCall{ui.HostPortal, "POST", "/api/v1/broadcasts", wk, in, 201}
	calls["postBroadcastsPreview"] = contractCall{ui.HostPortal, "POST", "/api/v1/broadcasts/preview", rk, in, 200}
	calls["getBroadcastsId"] = contractCall{ui.HostPortal, "GET", one, rk, "", 200}
	calls["postBroadcastsIdCancel"] = contractCall{ui.HostPortal, "POST", one + "/cancel", wk, "", 200}
	calls["getInboxQuietHours"] = contractCall{ui.HostPortal, "GET", "/api/v1/inbox-quiet-hours", rk, "", 200}
	calls["putInboxQuietHours"] = contractCall{ui.HostPortal, "PUT", "/api/v1/inbox-quiet-hours", wk, `{"enabled":true,"start":"21:30","end":"07:00"}`, 200}
}

// TestInbox_QuietHours: the owner sets the quiet window on its page (bad
// input names the field; a member may not); the API reads and sets the
// same; in the window a thread's reply box warns of it and a reply by
// hand still goes out; outside it there is no warning.
func TestInbox_QuietHours(t *testing.T) {
	tw, e := bcTwilio(t, "+15125550111")
	ctx := context.Background()
	a := map[string]string{"psid": e.A.Cookie}
	if st, page, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/quiet", Form: url.Values{"enabled": {"1"}, "start": {"21:00"}, "end": {"21:00"}}, Cookies: a, CSRF: true}); st != 400 ||
		!strings.Contains(page, "The window ends when it starts") {
		t.Fatalf("same start and end: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/quiet", Form: url.Values{"enabled": {"1"}, "start": {"21:00"}, "end": {"08:00"}},
		Cookies: map[string]string{"psid": e.portalSession(e.A.Member)}, CSRF: true}); st != 403 {
		t.Fatalf("member sets quiet hours: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/quiet", Form: url.Values{"enabled": {"1"}, "start": {"21:00"}, "end": {"08:00"}}, Cookies: a, CSRF: true}); st != 303 {
		t.Fatalf("save: %d", st)
	}
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/inbox-quiet-hours", Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(body, `"enabled":true,"start":"21:00","end":"08:00"`) {
		t.Fatalf("api: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/inbox-quiet-hours", Bearer: e.B.KeyRead}); st != 200 || !strings.Contains(body, `"enabled":false`) {
		t.Fatalf("B's quiet hours: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "PUT", Path: "/api/v1/inbox-quiet-hours", Bearer: e.A.KeyWrite, JSON: `{"enabled":true,"start":"9pm","end":"08:00"}`}); st != 400 || !strings.Contains(body, `"field":"start"`) {
		t.Fatalf("bad start: %d %s", st, body)
	}
	// A thread in the window (the tenant's timezone: UTC here) and out of it.
	if err := e.App.Inbox.InboundSMS(ctx, e.A.T.ID, map[string]string{"From": "+15125550801", "To": "+15125550111", "Body": "Are you open?", "MessageSid": "SMquiet1"}, true, false); err != nil {
		t.Fatal(err)
	}
	cs, _ := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{TenantID: e.A.T.ID, Status: "all", Limit: 1})
	thread := "/inbox/" + strconv.FormatInt(cs[0].ID, 10)
	loc, _ := time.LoadLocation(e.A.T.Timezone)
	if loc == nil {
		loc = time.UTC
	}
	night := time.Date(2027, 1, 5, 23, 0, 0, 0, loc)
	e.App.Inbox.Now = func() time.Time { return night }
	if _, page, _ := e.do(treq{Host: "portal", Method: "GET", Path: thread, Cookies: a}); !strings.Contains(page, "Quiet hours until Wed 08:00") {
		t.Fatalf("no quiet warning at night: %.2000s", page)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: thread + "/reply", Form: url.Values{"text": {"Yes, from 8."}}, Cookies: a, CSRF: true}); st != 303 || len(tw.WaitMessages(1, 3*time.Second)) != 1 {
		t.Fatalf("a reply by hand at night: %d, %d texts", st, len(tw.Messages()))
	}
	e.App.Inbox.Now = func() time.Time { return night.Add(10 * time.Hour) }
	if _, page, _ := e.do(treq{Host: "portal", Method: "GET", Path: thread, Cookies: a}); strings.Contains(page, "Quiet hours until") {
		t.Fatal("quiet warning in the day")
	}
}
