package imap_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/client"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/imap"
	"orengen/internal/realtest"
	"orengen/smtp"
	"orengen/store"
)

// appendMail delivers raw messages to the user's INBOX over IMAP, as
// another mail program would.
func appendMail(t *testing.T, d *realtest.DovecotServer, msgs ...string) {
	t.Helper()
	c, err := client.Dial(d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	if err := c.Login(d.User, d.Password); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := c.Append("INBOX", nil, time.Now(), strings.NewReader(strings.ReplaceAll(m, "\n", "\r\n"))); err != nil {
			t.Fatal(err)
		}
	}
}

func mailMsg(id, from, subject, body string, extra ...string) string {
	h := fmt.Sprintf("From: %s\nTo: help@alpha.test\nSubject: %s\nDate: Sat, 05 Dec 2026 10:00:00 +0000\n", from, subject)
	if id != "" {
		h += "Message-ID: <" + id + ">\n"
	}
	for _, x := range extra {
		h += x + "\n"
	}
	return h + "\n" + body + "\n"
}

type env struct {
	db   *store.DB
	st   *store.InboxStore
	crm  *store.CRMStores
	svc  *inbox.Service
	t    *app.Tenant
	mb   *inbox.Mailbox
	dove *realtest.DovecotServer
}

func newEnv(t *testing.T) *env {
	d := realtest.StartDovecot(t, "help@alpha.test", "s3cret-pass")
	e := &env{dove: d}
	e.db = store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := e.db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	e.t = &app.Tenant{Name: "Alpha Roofing", Slug: "alpha", Status: app.TenantActive, Timezone: "UTC", SupportEmail: "help@alpha.test"}
	if err := store.NewTenantStore(e.db).CreateTenant(context.Background(), e.t); err != nil {
		t.Fatal(err)
	}
	e.st, e.crm = store.NewInboxStore(e.db), store.NewCRMStores(e.db)
	e.svc = inbox.NewService(e.st, e.crm.People)
	e.svc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &imap.Fetcher{MaxMessage: 4000, Timeout: 10 * time.Second}
	e.svc.Mail = &inbox.Mail{Mailboxes: e.st, Fetcher: f, Watcher: f,
		Password: func(ctx context.Context, tenantID int64) (string, error) { return d.Password, nil }}
	e.mb = &inbox.Mailbox{TenantID: e.t.ID, Host: "127.0.0.1", Port: d.Port, Security: "none", Username: d.User, Address: "help@alpha.test", Enabled: true}
	if err := e.st.SaveMailbox(context.Background(), e.mb); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) poll(t *testing.T) int {
	t.Helper()
	mb, err := e.st.FindMailbox(context.Background(), e.t.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.Poll(context.Background(), mb)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) threads(t *testing.T) []*inbox.Conversation {
	t.Helper()
	cs, err := e.st.FindConversations(context.Background(), inbox.Filter{TenantID: e.t.ID, Status: "all", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestFetcher_Dovecot reads a real Dovecot mailbox: threads by
// References, the sender becomes a CRM person with the mail on their
// timeline, an auto-reply is labelled, malformed MIME and an oversized
// message are kept with a note; after Dovecot restarts only new mail is
// read, and a changed UIDVALIDITY reads everything again without storing
// anything twice.
func TestFetcher_Dovecot(t *testing.T) {
	e := newEnv(t)
	appendMail(t, e.dove,
		mailMsg("q1@cust.test", "Carol Diaz <Carol@Cust.test>", "Leaking skylight", "Water comes in when it rains."),
		mailMsg("q2@cust.test", "Carol Diaz <carol@cust.test>", "Re: Leaking skylight", "Also the gutter.", "In-Reply-To: <q1@cust.test>", "References: <q1@cust.test>"),
		mailMsg("ooo@cust.test", "Dan <dan@cust.test>", "Out of office", "I am away.", "Auto-Submitted: auto-replied"),
		"From: eve@cust.test\nSubject: broken\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\nno boundary at all\n",
		mailMsg("big@cust.test", "Fay <fay@cust.test>", "Photos", strings.Repeat("x", 6000)),
		"From: Gil <gil@cust.test>\nSubject: Invoice\nMessage-ID: <inv@cust.test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/html\n\n<p>See <b>attached</b><script>alert(1)</script></p>\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"invoice.pdf\"\n\n%PDF-1.4 fake\n--B--\n",
	)
	if n := e.poll(t); n != 6 {
		t.Fatalf("first poll stored %d, want 6", n)
	}
	cs := e.threads(t)
	if len(cs) != 5 {
		t.Fatalf("%d threads, want 5 (Carol's two messages in one)", len(cs))
	}
	by := map[string]*inbox.Conversation{}
	for _, c := range cs {
		by[c.Address] = c
	}
	carol := by["carol@cust.test"]
	if carol == nil || carol.ContactName != "Carol Diaz" || carol.Subject != "Leaking skylight" || carol.PersonID == 0 {
		t.Fatalf("carol's thread %+v", carol)
	}
	ms, _ := e.st.FindMessages(context.Background(), e.t.ID, carol.ID)
	if len(ms) != 2 || ms[1].InReplyTo != "q1@cust.test" || ms[0].ProviderID != "q1@cust.test" {
		t.Fatalf("carol's messages %+v", ms)
	}
	tctx := app.NewContextWithTenant(context.Background(), e.t)
	p, err := e.crm.People.FindPerson(tctx, carol.PersonID)
	if err != nil || !slices.Contains(p.Emails, "carol@cust.test") || p.FirstName != "Carol" {
		t.Fatalf("person %+v %v", p, err)
	}
	tl, _ := e.crm.Timeline.FindTimeline(tctx, app.RecordPerson, p.ID)
	if n := len(slices.DeleteFunc(tl, func(x *app.TimelineEntry) bool { return x.Kind != app.TimelineEmail })); n != 2 {
		t.Fatalf("%d email timeline entries, want 2", n)
	}
	if d := by["dan@cust.test"]; d == nil || !slices.Contains(d.Labels, "auto-reply") {
		t.Fatalf("auto-reply not labelled: %+v", d)
	}
	if eve := by["eve@cust.test"]; eve == nil {
		t.Fatal("malformed message lost")
	} else if ms, _ := e.st.FindMessages(context.Background(), e.t.ID, eve.ID); !strings.Contains(ms[0].Body, "could not be read") || !strings.Contains(ms[0].Body, "no boundary at all") {
		t.Fatalf("malformed body %q", ms[0].Body)
	}
	if fay := by["fay@cust.test"]; fay == nil {
		t.Fatal("oversized message lost")
	} else if ms, _ := e.st.FindMessages(context.Background(), e.t.ID, fay.ID); !strings.Contains(ms[0].Body, "over the") || strings.Contains(ms[0].Body, "xxxx") {
		t.Fatalf("oversized body %q", ms[0].Body)
	}
	gil := by["gil@cust.test"]
	ms, _ = e.st.FindMessages(context.Background(), e.t.ID, gil.ID)
	if len(ms[0].Attachments) != 1 || ms[0].Attachments[0].Name != "invoice.pdf" || ms[0].Attachments[0].Type != "application/pdf" ||
		strings.Contains(ms[0].HTML, "<script") || !strings.Contains(ms[0].HTML, "<b>attached</b>") {
		t.Fatalf("gil's message %+v html %q", ms[0].Attachments, ms[0].HTML)
	}
	// Nothing new: nothing read again.
	if n := e.poll(t); n != 0 {
		t.Fatalf("second poll stored %d", n)
	}
	// Dovecot restarts mid-way; new mail arrives; only it is read.
	e.dove.Stop()
	mb, _ := e.st.FindMailbox(context.Background(), e.t.ID)
	if _, err := e.svc.Poll(context.Background(), mb); err == nil {
		t.Fatal("a poll of a stopped server succeeded")
	}
	if mb, _ := e.st.FindMailbox(context.Background(), e.t.ID); mb.LastError == "" {
		t.Fatal("the poll error is not recorded on the mailbox")
	}
	e.dove.Start()
	appendMail(t, e.dove, mailMsg("q3@cust.test", "carol@cust.test", "Re: Leaking skylight", "Any news?", "References: <q1@cust.test> <q2@cust.test>"),
		mailMsg("h1@cust.test", "hal@cust.test", "Quote", "How much for a roof?"))
	if n := e.poll(t); n != 2 {
		t.Fatalf("after the restart stored %d, want 2", n)
	}
	if ms, _ := e.st.FindMessages(context.Background(), e.t.ID, carol.ID); len(ms) != 3 {
		t.Fatalf("carol's thread has %d messages, want 3", len(ms))
	}
	// A new UIDVALIDITY (the server lost its UID list): everything is
	// read again, nothing stored twice.
	e.dove.Stop()
	idx, _ := filepath.Glob(filepath.Join(e.dove.Maildir, "dovecot*"))
	for _, f := range idx { // the UID list and the indexes that remember UIDVALIDITY
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // UIDVALIDITY is a time in seconds
	e.dove.Start()
	before, _ := e.st.FindMailbox(context.Background(), e.t.ID)
	if n := e.poll(t); n != 0 {
		t.Fatalf("after UIDVALIDITY changed stored %d, want 0", n)
	}
	after, _ := e.st.FindMailbox(context.Background(), e.t.ID)
	if after.UIDValidity == before.UIDValidity || after.LastUID != 8 || after.Imported != 8 {
		t.Fatalf("position before %d/%d after %d/%d imported %d", before.UIDValidity, before.LastUID, after.UIDValidity, after.LastUID, after.Imported)
	}
	if n := len(e.threads(t)); n != 6 {
		t.Fatalf("%d threads, want 6", n)
	}
}

// TestReply_SMTP: a reply from an email thread goes out over the
// tenant's SMTP from the mailbox's address with In-Reply-To and
// References naming the customer's message.
func TestReply_SMTP(t *testing.T) {
	e := newEnv(t)
	sink := realtest.StartSMTP(t, realtest.Plain)
	cfg, err := smtp.ParseURL(sink.URL("help@alpha.test"))
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Mail.Mailer = func(ctx context.Context, tenantID int64) (app.Mailer, error) { return &smtp.Mailer{Config: *cfg}, nil }
	appendMail(t, e.dove, mailMsg("q1@cust.test", "Carol <carol@cust.test>", "Leaking skylight", "Water comes in.", "References: <older@cust.test>"))
	e.poll(t)
	c := e.threads(t)[0]
	ctx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.t), &app.User{ID: 1, TenantID: e.t.ID, Email: "owner@alpha.test", Role: app.UserRoleOwner})
	m, err := e.svc.Reply(ctx, c.ID, "We can come Tuesday.")
	if err != nil {
		t.Fatal(err)
	}
	var raw string
	for i := 0; i < 50 && raw == ""; i++ {
		if rs := sink.Raw(t); len(rs) > 0 {
			raw = rs[0]
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, want := range []string{"In-Reply-To: <q1@cust.test>", "References: <older@cust.test> <q1@cust.test>", "Subject: Re: Leaking skylight", "To: <carol@cust.test>", "Message-ID: <" + m.ProviderID + ">", "We can come Tuesday."} {
		if !strings.Contains(raw, want) {
			t.Errorf("sent mail lacks %q:\n%s", want, raw)
		}
	}
	// The customer answers the reply: the same thread.
	appendMail(t, e.dove, mailMsg("q2@cust.test", "carol@cust.test", "Re: Re: Leaking skylight", "Tuesday works.", "In-Reply-To: <"+m.ProviderID+">"))
	e.poll(t)
	if cs := e.threads(t); len(cs) != 1 {
		t.Fatalf("the answer to our reply opened %d threads", len(cs))
	}
}

// TestFetcher_DovecotAttachments: an HTML email with a PDF, an inline
// image and a program, read from a real Dovecot mailbox: the HTML is
// sanitised, the PDF and the image are stored with their bytes and
// download through the service; the program is listed, not stored;
// another tenant's caller finds none of them.
func TestFetcher_DovecotAttachments(t *testing.T) {
	e := newEnv(t)
	e.svc.Mail.Fetcher = &imap.Fetcher{MaxMessage: 1 << 20, Timeout: 10 * time.Second}
	pdf := "%PDF-1.4\n" + strings.Repeat("roof plan line\n", 200)
	appendMail(t, e.dove, "From: Ivy <ivy@cust.test>\nSubject: Plans\nMessage-ID: <plans@cust.test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"+
		"--B\nContent-Type: text/html\n\n<p onmouseover=\"x()\">The <b>plans</b> <img src=\"https://track.example/o.gif\"><script>alert(1)</script></p>\n"+
		"--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"plans.pdf\"\nContent-Transfer-Encoding: base64\n\n"+b64(pdf)+"\n"+
		"--B\nContent-Type: image/png\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n"+b64("\x89PNG\r\n\x1a\n tiny")+"\n"+
		"--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"invoice.exe\"\n\nMZ this is a program\n--B--\n")
	if n := e.poll(t); n != 1 {
		t.Fatalf("stored %d, want 1", n)
	}
	c := e.threads(t)[0]
	ms, _ := e.st.FindMessages(context.Background(), e.t.ID, c.ID)
	m := ms[0]
	if strings.Contains(m.HTML, "<script") || strings.Contains(m.HTML, "onmouseover") || !strings.Contains(m.HTML, "<b>plans</b>") {
		t.Fatalf("html %q", m.HTML)
	}
	if doc, blocked := inbox.DisplayHTML(m.HTML, false); blocked != 1 || strings.Contains(doc, "track.example") {
		t.Fatalf("display: %d blocked\n%s", blocked, doc)
	}
	if len(m.Attachments) != 3 {
		t.Fatalf("attachments %+v", m.Attachments)
	}
	owner := app.NewContextWithTenant(context.Background(), e.t)
	for i, want := range []struct {
		name, typ, data string
		stored          bool
	}{{"plans.pdf", "application/pdf", pdf, true}, {"inline-2.png", "image/png", "\x89PNG\r\n\x1a\n tiny", true}, {"invoice.exe", "application/octet-stream", "", false}} {
		a := m.Attachments[i]
		if a.Name != want.name || a.Type != want.typ || a.Stored != want.stored || (a.ID != 0) != want.stored {
			t.Fatalf("attachment %d: %+v, want %+v", i, a, want)
		}
		if !want.stored {
			if !strings.Contains(a.Note, "not stored") {
				t.Fatalf("refused file's note %q", a.Note)
			}
			continue
		}
		got, err := e.svc.Attachment(owner, c.ID, a.ID)
		if err != nil || string(got.Data) != want.data || got.Size != int64(len(want.data)) {
			t.Fatalf("download %s: %v %+v", a.Name, err, got)
		}
		other := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: e.t.ID + 1})
		if _, err := e.svc.Attachment(other, c.ID, a.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("another tenant downloads %s: %v", a.Name, err)
		}
	}
}

// TestParse_AttachmentCap: a file over inbox.MaxAttachment is listed
// with its size and a note, its bytes not kept; one at the cap is kept.
func TestParse_AttachmentCap(t *testing.T) {
	msg := func(n int) []byte {
		return []byte("From: a@b.test\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
			"--B\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"f.zip\"\r\n\r\n" + strings.Repeat("z", n) + "\r\n--B--\r\n")
	}
	big := imap.Parse(msg(inbox.MaxAttachment + 10))
	if len(big.Attachments) != 1 || big.Attachments[0].Stored || big.Attachments[0].Data != nil || big.Attachments[0].Size != inbox.MaxAttachment+10 ||
		!strings.Contains(big.Attachments[0].Note, "over the 10 MB limit") {
		t.Fatalf("over the cap: %+v", big.Attachments[0].Note)
	}
	ok := imap.Parse(msg(inbox.MaxAttachment))
	if len(ok.Attachments) != 1 || !ok.Attachments[0].Stored || len(ok.Attachments[0].Data) != inbox.MaxAttachment {
		t.Fatalf("at the cap: stored %v, %d bytes", ok.Attachments[0].Stored, len(ok.Attachments[0].Data))
	}
}

func b64(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.String()
}

// TestIMAPImportFigures imports a mailbox of ORENGEN_BENCH_IMAP_N
// messages (default 2,000) from a real Dovecot and reports messages per
// second, against reading the same mailbox without storing anything
// (the fetch and parse alone) in the same run. ORENGEN_BENCH_INBOX=1.
func TestIMAPImportFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_INBOX") != "1" {
		t.Skip("figures: ORENGEN_BENCH_INBOX=1")
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("ORENGEN_BENCH_IMAP_N")); err == nil && v > 0 {
		n = v
	}
	e := newEnv(t)
	e.svc.Mail.Fetcher = &imap.Fetcher{Timeout: 60 * time.Second}
	msgs := make([]string, n)
	for i := range msgs {
		msgs[i] = mailMsg(fmt.Sprintf("fig%d@cust.test", i), fmt.Sprintf("Cust %d <c%d@cust.test>", i%300, i%300), fmt.Sprintf("Question %d", i),
			strings.Repeat("Could you quote a roof repair for next week? ", 12))
	}
	t0 := time.Now()
	appendMail(t, e.dove, msgs...)
	appendTook := time.Since(t0)
	mb, _ := e.st.FindMailbox(context.Background(), e.t.ID)
	t0 = time.Now()
	read := 0
	if err := e.svc.Mail.Fetcher.Fetch(context.Background(), mb, e.dove.Password, func(_, _ uint32, _ *inbox.Email) error { read++; return nil }); err != nil || read != n {
		t.Fatalf("fetch only: %d %v", read, err)
	}
	fetchOnly := time.Since(t0)
	t0 = time.Now()
	if got := e.poll(t); got != n {
		t.Fatalf("imported %d of %d", got, n)
	}
	imp := time.Since(t0)
	t.Logf("IMAP import of %d messages: %v (%.0f messages/s); fetch and parse alone %v (%.0f/s; ratio %.1f); appending them to Dovecot took %v",
		n, imp.Round(time.Millisecond), float64(n)/imp.Seconds(), fetchOnly.Round(time.Millisecond), float64(n)/fetchOnly.Seconds(), imp.Seconds()/fetchOnly.Seconds(), appendTook.Round(time.Millisecond))
}

// TestWatch_DovecotIdle: with the poll an hour apart, a mailbox under
// IMAP IDLE reads new mail as Dovecot pushes it; when Dovecot restarts
// the watch says it is reconnecting, comes back by itself, and reads what
// arrived meanwhile; nothing is stored twice.
func TestWatch_DovecotIdle(t *testing.T) {
	e := newEnv(t)
	e.svc.Mail.Every = time.Hour
	e.svc.Mail.WatchRetry = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := e.svc.Start(ctx)
	defer func() { cancel(); <-done }()
	waitState := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if st, ok := e.svc.MailboxWatch(e.t.ID); ok && st.State == want {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("watch state %+v (%v), want %s", st, ok, want)
			}
		}
	}
	waitThreads := func(n int) time.Duration {
		t.Helper()
		start := time.Now()
		for deadline := start.Add(20 * time.Second); len(e.threads(t)) < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d threads after 20 s, want %d", len(e.threads(t)), n)
			}
		}
		return time.Since(start)
	}
	waitState(inbox.WatchLive)
	var lat []time.Duration
	for i := range 5 {
		appendMail(t, e.dove, mailMsg(fmt.Sprintf("idle%d@cust.test", i), fmt.Sprintf("c%d@cust.test", i), "Question", "Are you open today?"))
		lat = append(lat, waitThreads(i+1))
	}
	slices.Sort(lat)
	t.Logf("IDLE: new mail in the inbox %s after APPEND (median of 5; the poll is an hour apart)", lat[2].Round(time.Millisecond))

	e.dove.Stop()
	waitState(inbox.WatchReconnecting)
	if st, _ := e.svc.MailboxWatch(e.t.ID); st.Err == "" {
		t.Fatalf("reconnecting without a reason: %+v", st)
	}
	e.dove.Start()
	appendMail(t, e.dove, mailMsg("idle-after@cust.test", "late@cust.test", "Still there?", "Hello?"))
	waitState(inbox.WatchLive)
	waitThreads(6)
	appendMail(t, e.dove, mailMsg("idle-last@cust.test", "last@cust.test", "One more", "Hi"))
	waitThreads(7)
	time.Sleep(300 * time.Millisecond) // a second read, if any, would land now
	if n := len(e.threads(t)); n != 7 {
		t.Fatalf("%d threads, want 7", n)
	}
	var msgs int
	e.db.ReadDB().QueryRow(`SELECT count(*) FROM inbox_messages WHERE tenant_id = ?`, e.t.ID).Scan(&msgs)
	if msgs != 7 {
		t.Fatalf("%d messages stored, want 7 (one each)", msgs)
	}
	if mb, _ := e.st.FindMailbox(context.Background(), e.t.ID); mb.Imported != 7 {
		t.Fatalf("imported count %d, want 7", mb.Imported)
	}
}
