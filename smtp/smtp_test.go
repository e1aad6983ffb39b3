package smtp

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/internal/realtest"
)

func TestParseSMTPURL(t *testing.T) {
	c, err := ParseURL("smtps://bot%40ex.com:s3cr%3At@mail.example.com?from=hello@example.com")
	if err != nil || c.Port != 465 || !c.SSL || c.Username != "bot@ex.com" || c.Password != "s3cr:t" || c.From != "hello@example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err = ParseURL("smtp://mail.example.com:2525"); err != nil || c.Port != 2525 || c.SSL || c.From != "no-reply@mail.example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"http://u:topsecret@h", "smtp://u:topsecret@:25", "smtp://u:topsecret@h:99999", "smtp://u:topsecret@h?from=nope", "smtp://u:topsecret@h:25\x7f"} {
		_, err := ParseURL(bad)
		if err == nil {
			t.Errorf("%q: accepted", bad)
		} else if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%q: error shows the password: %v", bad, err)
		}
	}
}

// outboxRecorder keeps what the mailer records (the outbox is the store's
// job; here only the status matters).
type outboxRecorder struct{ got []*app.OutboxMessage }

func (o *outboxRecorder) CreateOutboxMessage(_ context.Context, m *app.OutboxMessage) error {
	o.got = append(o.got, m)
	return nil
}
func (o *outboxRecorder) FindOutboxMessages(context.Context, int) ([]*app.OutboxMessage, int, error) {
	return o.got, len(o.got), nil
}
func (o *outboxRecorder) FindOutboxMessageByID(context.Context, int64) (*app.OutboxMessage, error) {
	return nil, app.Errorf(app.ENOTFOUND, "no")
}

// TestSMTPMailer_Mailpit sends through a real SMTP server (Mailpit) that
// requires authentication and TLS, once with STARTTLS on a submission-style
// port and once with implicit TLS (smtps): the right credentials deliver
// the message with its sender name, subject and body; a wrong password is
// refused, nothing arrives, the outbox says failed and the error does not
// show the password.
func TestSMTPMailer_Mailpit(t *testing.T) {
	for _, mode := range []string{realtest.STARTTLS, realtest.SMTPS} {
		t.Run(mode, func(t *testing.T) {
			srv := realtest.StartSMTP(t, mode)
			meter := &countMeter{}
			scheme := "smtp"
			if mode == realtest.SMTPS {
				scheme = "smtps"
			}
			mailer := func(password string) (*Mailer, *outboxRecorder) {
				raw := fmt.Sprintf("%s://%s:%s@%s:%d?from=bot@example.test", scheme, url.PathEscape(srv.Username), url.PathEscape(password), srv.Host, srv.Port)
				c, err := ParseURL(raw)
				if err != nil {
					t.Fatal(err)
				}
				ob := &outboxRecorder{}
				return &Mailer{Config: *c, Outbox: ob, TLS: srv.TLS, Timeout: 10 * time.Second, Meter: meter}, ob
			}
			ctx := context.Background()
			subject := "Lead " + mode
			good, ob := mailer(srv.Password)
			if err := good.Send(ctx, &app.Message{FromName: "Acme Co", To: "owner@example.test", Subject: subject, Text: "A new lead arrived: Ada."}); err != nil {
				t.Fatalf("send with the right password: %v", err)
			}
			if len(ob.got) != 1 || ob.got[0].Status != "sent" || ob.got[0].SentAt == nil {
				t.Fatalf("outbox after a sent message: %+v", ob.got)
			}
			msgs := srv.Messages(t)
			if len(msgs) != 1 || msgs[0].Subject != subject || msgs[0].From.Address != "bot@example.test" || msgs[0].From.Name != "Acme Co" ||
				len(msgs[0].To) != 1 || msgs[0].To[0].Address != "owner@example.test" {
				t.Fatalf("mailpit received %+v", msgs)
			}
			if body := srv.Text(t, msgs[0].ID); !strings.Contains(body, "A new lead arrived: Ada.") {
				t.Fatalf("body %q", body)
			}

			const wrong = "not-the-Pa55word"
			bad, ob := mailer(wrong)
			err := bad.Send(ctx, &app.Message{To: "owner@example.test", Subject: "must not arrive", Text: "x"})
			if err == nil {
				t.Fatal("a wrong password was accepted")
			}
			if strings.Contains(err.Error(), wrong) {
				t.Fatalf("the error shows the password: %v", err)
			}
			if len(ob.got) != 1 || ob.got[0].Status != "failed" {
				t.Fatalf("outbox after a refused message: %+v", ob.got)
			}
			if n := len(srv.Messages(t)); n != 1 {
				t.Fatalf("%d messages after the refused one, want 1", n)
			}

			// A client that does not trust the server's certificate
			// delivers nothing.
			untrusted, _ := mailer(srv.Password)
			untrusted.TLS = nil
			if err := untrusted.Send(ctx, &app.Message{To: "owner@example.test", Subject: "untrusted", Text: "x"}); err == nil {
				t.Fatal("sent to a server whose certificate is not trusted")
			}
			if n := len(srv.Messages(t)); n != 1 {
				t.Fatalf("%d messages after the untrusted attempt, want 1", n)
			}
			if meter.sent["email sent"] != 1 || meter.sent["email failed"] != 2 {
				t.Fatalf("counted %v, want 1 sent and 2 failed", meter.sent)
			}
		})
	}
}

// countMeter records MessageSent calls (the metrics exporter's side is
// tested in ui).
type countMeter struct {
	mu   sync.Mutex
	sent map[string]int
}

func (m *countMeter) RunFinished(string)          {}
func (m *countMeter) StepFinished(string, string) {}
func (m *countMeter) WebhookDelivered(string)     {}
func (m *countMeter) MessageSent(channel, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sent == nil {
		m.sent = map[string]int{}
	}
	m.sent[channel+" "+outcome]++
}

// TestSMTPMailer_Ping: the connection test signs in over STARTTLS with the
// right password and sends nothing; a wrong password fails without
// showing it.
func TestSMTPMailer_Ping(t *testing.T) {
	srv := realtest.StartSMTP(t, realtest.STARTTLS)
	mailer := func(password string) *Mailer {
		c, err := ParseURL(fmt.Sprintf("smtp://%s:%s@%s:%d?from=bot@example.test", url.PathEscape(srv.Username), url.PathEscape(password), srv.Host, srv.Port))
		if err != nil {
			t.Fatal(err)
		}
		return &Mailer{Config: *c, TLS: srv.TLS, Timeout: 10 * time.Second}
	}
	ctx := context.Background()
	if err := mailer(srv.Password).Ping(ctx); err != nil {
		t.Fatalf("ping with the right password: %v", err)
	}
	const wrong = "not-the-Pa55word"
	err := mailer(wrong).Ping(ctx)
	if err == nil {
		t.Fatal("a wrong password passed the test")
	}
	if strings.Contains(err.Error(), wrong) {
		t.Fatalf("the error shows the password: %v", err)
	}
	if msgs := srv.Messages(t); len(msgs) != 0 {
		t.Fatalf("a ping sent %d messages", len(msgs))
	}
}

// countingProxy forwards TCP connections to addr and counts them; drop
// closes the open ones (the server hanging up an idle session).
type countingProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	n     int
	conns []net.Conn
}

func newCountingProxy(t *testing.T, addr string) *countingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.drop() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.n++
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *countingProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *countingProxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *countingProxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestSMTPMailer_KeepsSession: with KeepIdle, messages share one SMTP
// session (STARTTLS and AUTH once); when the server has dropped it, the
// next message goes once, on a new session; Close quits; without
// KeepIdle every message has a session of its own.
func TestSMTPMailer_KeepsSession(t *testing.T) {
	srv := realtest.StartSMTP(t, realtest.STARTTLS)
	px := newCountingProxy(t, fmt.Sprintf("%s:%d", srv.Host, srv.Port))
	c, err := ParseURL(fmt.Sprintf("smtp://%s:%s@%s:%d?from=bot@example.test", url.PathEscape(srv.Username), url.PathEscape(srv.Password), srv.Host, px.port()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	send := func(m *Mailer, subject string) {
		t.Helper()
		if err := m.Send(ctx, &app.Message{To: "owner@example.test", Subject: subject, Text: "x"}); err != nil {
			t.Fatalf("send %s: %v", subject, err)
		}
	}
	kept := &Mailer{Config: *c, TLS: srv.TLS, Timeout: 10 * time.Second, KeepIdle: time.Minute}
	for _, s := range []string{"one", "two", "three"} {
		send(kept, s)
	}
	if n := px.count(); n != 1 {
		t.Fatalf("3 messages with KeepIdle took %d connections, want 1", n)
	}
	px.drop()
	send(kept, "four")
	if n := px.count(); n != 2 {
		t.Fatalf("after the server dropped the session: %d connections, want 2", n)
	}
	if err := kept.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	plain := &Mailer{Config: *c, TLS: srv.TLS, Timeout: 10 * time.Second}
	send(plain, "five")
	send(plain, "six")
	if n := px.count(); n != 4 {
		t.Fatalf("2 messages without KeepIdle: %d connections in all, want 4", n)
	}
	var subjects []string
	for _, m := range srv.Messages(t) {
		subjects = append(subjects, m.Subject)
	}
	slices.Sort(subjects)
	if want := []string{"five", "four", "one", "six", "three", "two"}; !slices.Equal(subjects, want) {
		t.Fatalf("mailpit received %q, want each message once: %q", subjects, want)
	}
}
