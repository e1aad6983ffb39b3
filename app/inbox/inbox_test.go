package inbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/store"
	"orengen/twilio"
	"orengen/twilio/twiliotest"
)

const (
	twSID   = "AC11111111111111111111111111111111"
	twToken = "tok0123456789abcdef0123456789abcd"
	numberA = "+15125550100" // tenant A's number
	houseNo = "+15125550199" // the house tenant's own number
	alice   = "+15125550142"
)

// env is the inbox on a real SQLite file and the loopback Twilio API.
type env struct {
	t      *testing.T
	db     *store.DB
	crm    *store.CRMStores
	tw     *twiliotest.Server
	svc    *inbox.Service
	st     *store.InboxStore // the service's store, for set-up and checks
	tA, tB *app.Tenant
	now    time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, now: time.Date(2027, 1, 4, 15, 0, 0, 0, time.UTC)}
	e.db = store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := e.db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	ts := store.NewTenantStore(e.db)
	for i, name := range []string{"Alpha Roofing", "Bravo Dental"} {
		tn := &app.Tenant{Name: name, Slug: strings.ToLower(strings.Fields(name)[0]), Status: app.TenantActive, Timezone: "America/New_York", SupportEmail: "team@" + strings.ToLower(strings.Fields(name)[0]) + ".test"}
		if err := ts.CreateTenant(context.Background(), tn); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.tA = tn
		} else {
			e.tB = tn
		}
	}
	e.crm = store.NewCRMStores(e.db)
	e.tw = twiliotest.Start(twSID, twToken)
	t.Cleanup(e.tw.Close)
	e.st = store.NewInboxStore(e.db)
	e.svc = inbox.NewService(e.st, e.crm.People)
	e.svc.Tenants = ts
	e.svc.Telephony = func(ctx context.Context, tenantID int64) (app.Telephony, error) {
		from := numberA
		if tenantID == app.HouseTenantID {
			from = houseNo
		}
		return twilio.New(twilio.Config{AccountSID: twSID, AuthToken: twToken, From: from, APIURL: e.tw.URL})
	}
	e.svc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.svc.Now = func() time.Time { return e.now }
	return e
}

func (e *env) owner(t *app.Tenant) context.Context {
	ctx := app.NewContextWithTenant(context.Background(), t)
	return app.NewContextWithUser(ctx, &app.User{ID: 1, TenantID: t.ID, Email: "owner@" + t.Slug + ".test", Role: app.UserRoleOwner})
}

func (e *env) admin() context.Context {
	return app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1, Email: "boss@agency.test"})
}

func (e *env) text(tenant int64, from, to, body, sid string) {
	e.t.Helper()
	if err := e.svc.InboundSMS(context.Background(), tenant, map[string]string{"From": from, "To": to, "Body": body, "MessageSid": sid}, true, false); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) list(ctx context.Context, f inbox.Filter) []*inbox.Conversation {
	e.t.Helper()
	cs, err := e.svc.Conversations(ctx, f)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func TestService_InboundSMS(t *testing.T) {
	e := newEnv(t)
	ctx := e.owner(e.tA)
	sub, _ := e.svc.Subscribe(ctx)
	subB, _ := e.svc.Subscribe(e.owner(e.tB))
	e.text(e.tA.ID, "(512) 555-0142", numberA, "Is the roof inspection free?", "SM001")
	select {
	case ev := <-sub.C:
		if ev.Type != inbox.EventMessage || ev.Direction != inbox.DirIn {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(time.Second):
		t.Fatal("no live event for A's inbox")
	}
	select {
	case ev := <-subB.C:
		t.Fatalf("B's inbox heard A's text: %+v", ev)
	default:
	}
	// A retry of the same MessageSid: nothing stored twice.
	e.text(e.tA.ID, alice, numberA, "Is the roof inspection free?", "SM001")
	e.text(e.tA.ID, alice, numberA, "And do you work Saturdays?", "SM002")
	cs := e.list(ctx, inbox.Filter{})
	if len(cs) != 1 {
		t.Fatalf("%d conversations, want one thread", len(cs))
	}
	c := cs[0]
	if c.Channel != inbox.ChannelSMS || c.Address != alice || c.LocalAddress != numberA || c.Unread != 2 || c.Status != inbox.StatusOpen || c.PersonID == 0 || c.LastPreview != "And do you work Saturdays?" {
		t.Fatalf("conversation %+v", c)
	}
	// The person was created with the phone, and both texts are on their timeline.
	pctx := app.NewContextWithTenant(context.Background(), e.tA)
	p, err := e.crm.People.FindPerson(pctx, c.PersonID)
	if err != nil || !slices.Contains(p.Phones, alice) {
		t.Fatalf("person %+v %v", p, err)
	}
	tl, _ := e.crm.Timeline.FindTimeline(pctx, app.RecordPerson, p.ID)
	n := 0
	for _, en := range tl {
		if en.Kind == app.TimelineSMS && en.RefType == "conversation" && en.RefID == c.ID {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d SMS entries on the timeline, want 2: %+v", n, tl)
	}
	// Another tenant cannot read it; Nexus can.
	if _, _, err := e.svc.Thread(e.owner(e.tB), c.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B read A's thread: %v", err)
	}
	if len(e.list(e.owner(e.tB), inbox.Filter{})) != 0 {
		t.Fatal("B lists A's conversation")
	}
	if len(e.list(e.admin(), inbox.Filter{})) != 1 || len(e.list(e.admin(), inbox.Filter{TenantID: e.tB.ID})) != 0 {
		t.Fatal("Nexus filter by tenant")
	}
	_, ms, err := e.svc.Thread(ctx, c.ID)
	if err != nil || len(ms) != 2 || ms[0].ProviderID != "SM001" || ms[1].Body != "And do you work Saturdays?" {
		t.Fatalf("messages %+v %v", ms, err)
	}
	if c2, _ := e.svc.Conversation(ctx, c.ID); c2.Unread != 0 {
		t.Fatalf("opened thread still unread: %d", c2.Unread)
	}
	// Search over messages; filters.
	if got := e.list(ctx, inbox.Filter{Query: "saturdays"}); len(got) != 1 {
		t.Fatalf("search: %d", len(got))
	}
	if got := e.list(ctx, inbox.Filter{Query: "chimney"}); len(got) != 0 {
		t.Fatalf("search for a word in no message: %d", len(got))
	}
	if got := e.list(e.owner(e.tB), inbox.Filter{Query: "saturdays"}); len(got) != 0 {
		t.Fatal("B's search finds A's message")
	}
	if got := e.list(ctx, inbox.Filter{Channel: inbox.ChannelEmail}); len(got) != 0 {
		t.Fatal("channel filter")
	}
	if _, err := e.svc.Conversations(ctx, inbox.Filter{Status: "bogus"}); app.ErrorField(err) != "status" {
		t.Fatalf("bad status: %v", err)
	}
}

func TestService_ReplySMS(t *testing.T) {
	e := newEnv(t)
	ctx := e.owner(e.tA)
	e.text(e.tA.ID, alice, numberA, "Can you come Tuesday?", "SM100")
	c := e.list(ctx, inbox.Filter{})[0]
	m, err := e.svc.Reply(ctx, c.ID, "Yes, 9am works.")
	if err != nil {
		t.Fatal(err)
	}
	sent := e.tw.WaitMessages(1, 2*time.Second)
	if len(sent) != 1 || sent[0].Get("To") != alice || sent[0].Get("From") != numberA || sent[0].Get("Body") != "Yes, 9am works." {
		t.Fatalf("sent %v", sent)
	}
	if m.Status != inbox.DeliverySent || !strings.HasPrefix(m.ProviderID, "SM") {
		t.Fatalf("reply %+v", m)
	}
	// Delivery reports: delivered, then a late "sent" that must not undo it.
	for _, st := range []string{"delivered", "sent"} {
		if err := e.svc.SMSStatus(context.Background(), e.tA.ID, map[string]string{"MessageSid": m.ProviderID, "MessageStatus": st}); err != nil {
			t.Fatal(err)
		}
	}
	// Another tenant's callback with the same SID changes nothing of A's.
	_ = e.svc.SMSStatus(context.Background(), e.tB.ID, map[string]string{"MessageSid": m.ProviderID, "MessageStatus": "failed"})
	ms, _ := e.svc.Messages(ctx, c.ID)
	if len(ms) != 2 || ms[1].Direction != inbox.DirOut || ms[1].Status != "delivered" || ms[1].Author != "user:owner@alpha.test" {
		t.Fatalf("messages %+v", ms[1])
	}
	// The reply is on the person's timeline.
	tl, _ := e.crm.Timeline.FindTimeline(app.NewContextWithTenant(context.Background(), e.tA), app.RecordPerson, c.PersonID)
	if !slices.ContainsFunc(tl, func(en *app.TimelineEntry) bool {
		return en.Kind == app.TimelineSMS && strings.Contains(en.Body, "sent to "+alice) && strings.Contains(en.Body, "9am")
	}) {
		t.Fatalf("no outbound entry: %+v", tl)
	}
	// B cannot reply in A's thread; empty and oversized replies are refused.
	if _, err := e.svc.Reply(e.owner(e.tB), c.ID, "hi"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B replied: %v", err)
	}
	if _, err := e.svc.Reply(ctx, c.ID, "  "); app.ErrorField(err) != "text" {
		t.Fatalf("empty: %v", err)
	}
	if _, err := e.svc.Reply(ctx, c.ID, strings.Repeat("x", 1601)); app.ErrorField(err) != "text" {
		t.Fatalf("long: %v", err)
	}
	// A Twilio failure is recorded on the message and returned.
	e.svc.Telephony = func(ctx context.Context, tenantID int64) (app.Telephony, error) {
		return twilio.New(twilio.Config{AccountSID: twSID, AuthToken: "wrong", From: numberA, APIURL: e.tw.URL})
	}
	if _, err := e.svc.Reply(ctx, c.ID, "Still there?"); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatal("a refused send reported success")
	}
	ms, _ = e.svc.Messages(ctx, c.ID)
	if last := ms[len(ms)-1]; last.Status != inbox.DeliveryFailed || last.Error == "" {
		t.Fatalf("failed send recorded as %+v", last)
	}
}

func TestService_SMSConsent(t *testing.T) {
	e := newEnv(t)
	ctx := e.owner(e.tA)
	e.text(e.tA.ID, alice, numberA, "Hello", "SM1")
	e.text(e.tA.ID, alice, numberA, "stop", "SM2")
	c := e.list(ctx, inbox.Filter{})[0]
	pctx := app.NewContextWithTenant(context.Background(), e.tA)
	p, _ := e.crm.People.FindPerson(pctx, c.PersonID)
	if p.Consent.SMS || !slices.Contains(p.Tags, inbox.OptOutTag) {
		t.Fatalf("STOP not recorded: %+v %v", p.Consent, p.Tags)
	}
	if _, err := e.svc.Reply(ctx, c.ID, "Sorry to see you go"); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("reply to an opted-out person: %v", err)
	}
	if len(e.tw.Messages()) != 0 {
		t.Fatal("texted a person who opted out")
	}
	// YES from an opted-out sender is START.
	e.text(e.tA.ID, alice, numberA, "Yes", "SM3")
	p, _ = e.crm.People.FindPerson(pctx, c.PersonID)
	if !p.Consent.SMS || slices.Contains(p.Tags, inbox.OptOutTag) {
		t.Fatalf("START not recorded: %+v %v", p.Consent, p.Tags)
	}
	if _, err := e.svc.Reply(ctx, c.ID, "Welcome back"); err != nil {
		t.Fatal(err)
	}
	// HELP is answered with the tenant's name and support address.
	e.text(e.tA.ID, alice, numberA, "HELP", "SM4")
	sent := e.tw.WaitMessages(2, 2*time.Second)
	if len(sent) != 2 || !strings.Contains(sent[1].Get("Body"), "Alpha Roofing") || !strings.Contains(sent[1].Get("Body"), "team@alpha.test") {
		t.Fatalf("help: %v", sent)
	}
	// With an agent on the number the agent records consent: the inbox
	// keeps the thread only, labelled.
	e.text(e.tA.ID, "+15125550143", numberA, "hi", "SM5")
	if err := e.svc.InboundSMS(context.Background(), e.tA.ID, map[string]string{"From": "+15125550144", "To": numberA, "Body": "STOP", "MessageSid": "SM6"}, true, true); err != nil {
		t.Fatal(err)
	}
	cs := e.list(ctx, inbox.Filter{Label: "ai agent"})
	if len(cs) != 1 || cs[0].Address != "+15125550144" {
		t.Fatalf("agent thread: %+v", cs)
	}
	p2, _ := e.crm.People.FindPerson(pctx, cs[0].PersonID)
	if slices.Contains(p2.Tags, inbox.OptOutTag) {
		t.Fatal("the inbox recorded consent the agent records")
	}
}

func TestService_Unrouted(t *testing.T) {
	e := newEnv(t)
	// To the house's own number: routed; to another number: kept, marked.
	if err := e.svc.InboundSMS(context.Background(), app.HouseTenantID, map[string]string{"From": alice, "To": houseNo, "Body": "hi", "MessageSid": "SMh1"}, false, false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.InboundSMS(context.Background(), app.HouseTenantID, map[string]string{"From": alice, "To": "+15125550777", "Body": "lost?", "MessageSid": "SMh2"}, false, false); err != nil {
		t.Fatal(err)
	}
	cs := e.list(e.admin(), inbox.Filter{TenantID: app.HouseTenantID})
	if len(cs) != 2 {
		t.Fatalf("%d house conversations", len(cs))
	}
	for _, c := range cs {
		want := c.LocalAddress == "+15125550777"
		if c.Unrouted != want || slices.Contains(c.Labels, "unrouted number") != want {
			t.Fatalf("conversation to %s: unrouted %v labels %v", c.LocalAddress, c.Unrouted, c.Labels)
		}
	}
}

func TestService_Workflow(t *testing.T) {
	e := newEnv(t)
	ctx := e.owner(e.tA)
	e.text(e.tA.ID, alice, numberA, "first", "SM1")
	c := e.list(ctx, inbox.Filter{})[0]
	if _, err := e.svc.Assign(ctx, c.ID, "me"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetLabels(ctx, c.ID, []string{"Billing, urgent", "billing"}); err != nil {
		t.Fatal(err)
	}
	if got := e.list(ctx, inbox.Filter{Assignee: "me", Label: "urgent"}); len(got) != 1 || got[0].Assignee != "user:owner@alpha.test" || !slices.Equal(got[0].Labels, []string{"billing", "urgent"}) {
		t.Fatalf("assigned and labelled: %+v", got)
	}
	if _, err := e.svc.SetLabels(ctx, c.ID, []string{"<script>"}); app.ErrorField(err) != "labels" {
		t.Fatalf("bad label: %v", err)
	}
	if _, err := e.svc.Assign(ctx, c.ID, "nobody"); app.ErrorField(err) != "assignee" {
		t.Fatalf("bad assignee: %v", err)
	}
	if _, err := e.svc.AddNote(ctx, c.ID, "Called back, left voicemail"); err != nil {
		t.Fatal(err)
	}
	// Notes stay private: not on the timeline, not sent.
	tl, _ := e.crm.Timeline.FindTimeline(app.NewContextWithTenant(context.Background(), e.tA), app.RecordPerson, c.PersonID)
	for _, en := range tl {
		if strings.Contains(en.Body, "voicemail") {
			t.Fatal("a private note reached the timeline")
		}
	}
	// Closed: out of the default list; a new text reopens it.
	if _, err := e.svc.SetStatus(ctx, c.ID, inbox.StatusClosed); err != nil {
		t.Fatal(err)
	}
	if len(e.list(ctx, inbox.Filter{})) != 0 || len(e.list(ctx, inbox.Filter{Status: inbox.StatusClosed})) != 1 {
		t.Fatal("closed filter")
	}
	e.text(e.tA.ID, alice, numberA, "one more thing", "SM2")
	if got := e.list(ctx, inbox.Filter{}); len(got) != 1 || got[0].Status != inbox.StatusOpen || got[0].ID != c.ID {
		t.Fatalf("reopened: %+v", got)
	}
	// Snooze: refused in the past; reopens when its time comes.
	if _, err := e.svc.Snooze(ctx, c.ID, e.now.Add(-time.Minute)); app.ErrorField(err) != "until" {
		t.Fatalf("snooze in the past: %v", err)
	}
	if _, err := e.svc.Snooze(ctx, c.ID, e.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := e.list(ctx, inbox.Filter{Status: inbox.StatusSnoozed}); len(got) != 1 || got[0].SnoozedUntil == nil {
		t.Fatalf("snoozed: %+v", got)
	}
	st := store.NewInboxStore(e.db)
	if n, _ := st.WakeSnoozed(context.Background(), e.now.Add(30*time.Minute)); n != 0 {
		t.Fatal("woke early")
	}
	if n, _ := st.WakeSnoozed(context.Background(), e.now.Add(2*time.Hour)); n != 1 {
		t.Fatal("did not wake")
	}
	// Canned replies fill in the person's fields.
	if err := e.svc.SaveCanned(ctx, &inbox.Canned{Name: "Thanks", Body: "Thanks {{name}}, we text {{phone}}."}); err != nil {
		t.Fatal(err)
	}
	cr, _ := e.svc.CannedReplies(ctx, 0)
	if len(cr) != 1 {
		t.Fatal("canned")
	}
	if crB, _ := e.svc.CannedReplies(e.owner(e.tB), 0); len(crB) != 0 {
		t.Fatal("B sees A's canned replies")
	}
	if got := inbox.FillCanned(cr[0].Body, c, e.svc.Person(ctx, c)); got != "Thanks "+alice+", we text "+alice+"." {
		t.Fatalf("filled: %q", got)
	}
	if err := e.svc.DeleteCanned(e.owner(e.tB), 0, cr[0].ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B deleted A's canned reply: %v", err)
	}
}

// TestService_WebhookEvents: a text in and a reply out each leave a
// timeline entry, in the message's transaction, that the webhooks turn
// into message.received and message.sent naming the message.
func TestService_WebhookEvents(t *testing.T) {
	e := newEnv(t)
	ctx := e.owner(e.tA)
	e.text(e.tA.ID, alice, numberA, "Do you clean gutters?", "SMwh1")
	c := e.list(ctx, inbox.Filter{})[0]
	m, err := e.svc.Reply(ctx, c.ID, "We do.")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := e.svc.Messages(ctx, c.ID)
	if err != nil || len(ms) != 2 {
		t.Fatalf("messages %v %v", ms, err)
	}
	entries, err := e.crm.Timeline.FindTimeline(app.NewContextWithTenant(context.Background(), e.tA), app.RecordPerson, c.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for _, en := range entries {
		name, payload := app.EventFor(en)
		var ev struct {
			Event string         `json:"event"`
			Data  map[string]any `json:"data"`
		}
		if err := json.Unmarshal(payload, &ev); err != nil || ev.Event != name {
			t.Fatalf("payload %s: %v", payload, err)
		}
		got[name] = ev.Data
	}
	in, out := got["message.received"], got["message.sent"]
	if in == nil || out == nil {
		t.Fatalf("events %v", got)
	}
	if in["message_id"] != float64(ms[0].ID) || in["conversation_id"] != float64(c.ID) || in["channel"] != "sms" || in["direction"] != "in" || in["person_id"] != float64(c.PersonID) {
		t.Fatalf("message.received %v", in)
	}
	if out["message_id"] != float64(m.ID) || out["direction"] != "out" || !strings.Contains(out["body"].(string), "We do.") {
		t.Fatalf("message.sent %v", out)
	}
	if !slices.Contains(app.WebhookEvents, "message.received") {
		t.Fatal("message.received cannot be subscribed to")
	}
}

// TestRunBroadcasts_StoppedAtOnce: a serve stopped right after it started
// cancels the sender's first step (marking failed what a previous run left
// sending); that is a stop, logged as nothing, not an error ("broadcasts
// interrupted by a restart ... context canceled" was logged at ERROR).
func TestRunBroadcasts_StoppedAtOnce(t *testing.T) {
	e := newEnv(t)
	e.svc.Broadcasts = e.st
	var logs bytes.Buffer
	e.svc.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() { e.svc.RunBroadcasts(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunBroadcasts did not return after its context ended")
	}
	if logs.Len() != 0 {
		t.Errorf("logged when stopped at once: %s", logs.String())
	}
}
