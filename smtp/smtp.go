// Package smtp sends email over SMTP (go-mail): app.Mailer, configured by
// an smtp:// or smtps:// URL. It imports app (the interface and the
// outbox) and go-mail.
package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"orengen/app"
)

// Config is parsed from smtp://user:pass@host:port (STARTTLS when the
// server offers it) or smtps://user:pass@host:port (implicit TLS), with
// ?from=addr for the sender (default: no-reply@host).
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	SSL      bool
	From     string
	// Insecure (?tls=none) never tries STARTTLS.
	Insecure bool
}

// ParseURL parses an SMTP URL. Errors never contain the password.
func ParseURL(raw string) (*Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("SMTP URL is not a valid URL (smtp://user:pass@host:port or smtps://...)")
	}
	c := &Config{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		c.Port = 587
	case "smtps":
		c.Port, c.SSL = 465, true
	default:
		return nil, fmt.Errorf("SMTP URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if c.Host == "" {
		return nil, errors.New("SMTP URL needs a host")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port <= 0 || c.Port > 65535 {
			return nil, fmt.Errorf("SMTP URL port %q is not a port number", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	c.From = u.Query().Get("from")
	if c.From == "" {
		c.From = "no-reply@" + c.Host
	}
	if err := app.ValidateEmail("from", c.From); err != nil {
		return nil, fmt.Errorf("SMTP URL from=%q: %s", c.From, app.ErrorMessage(err))
	}
	c.Insecure = u.Query().Get("tls") == "none"
	return c, nil
}

// Mailer implements app.Mailer with go-mail and keeps the outbox
// record: every message is stored (status sent or failed) like LogMailer.
type Mailer struct {
	Config  Config
	Outbox  app.OutboxStore // optional
	Timeout time.Duration
	// Meter counts messages sent and failed (nil: not counted).
	Meter app.Meter
	// TLS overrides the TLS settings (nil: verify the server's certificate
	// against the system roots for Config.Host). Tests set it to trust a
	// loopback server's own certificate.
	TLS *tls.Config
	// KeepIdle, when set, keeps SMTP sessions open for the next messages
	// (up to maxKept) and reuses one if it was used within KeepIdle; 0
	// quits each session after its message. A Mailer that keeps sessions
	// must be Closed.
	KeepIdle time.Duration

	mu   sync.Mutex
	kept []*session // sessions kept open between messages, most recent last
}

// DefaultKeepIdle is serve's KeepIdle for the mailer of ORENGEN_SMTP_URL:
// servers drop idle sessions after a few minutes (RFC 5321 asks them to
// wait at least five).
const DefaultKeepIdle = 30 * time.Second

// maxKept bounds the sessions a Mailer keeps open (one per concurrent
// sender: the workflow workers).
const maxKept = 4

// session is an open SMTP session: greeted, upgraded to TLS and signed in.
type session struct {
	cl   *mail.Client
	sc   *gosmtp.Client
	used time.Time
}

var _ app.Mailer = (*Mailer)(nil)

// Send implements app.Mailer.
func (m *Mailer) Send(ctx context.Context, msg *app.Message) error {
	if err := app.ValidateEmail("to", msg.To); err != nil {
		return err
	}
	err := app.MeterSend(m.Meter, "email", m.send(ctx, msg))
	if m.Outbox != nil {
		status := "sent"
		if err != nil {
			status = "failed"
		}
		now := time.Now()
		om := &app.OutboxMessage{TenantID: msg.TenantID, To: msg.To, FromName: msg.FromName, Subject: msg.Subject, Body: msg.Text, Status: status}
		if err == nil {
			om.SentAt = &now
		}
		if oerr := m.Outbox.CreateOutboxMessage(context.WithoutCancel(ctx), om); oerr != nil && err == nil {
			return fmt.Errorf("record sent email in the outbox: %w", oerr)
		}
	}
	return err
}

func (m *Mailer) send(ctx context.Context, msg *app.Message) error {
	c := m.Config
	mm := mail.NewMsg()
	var err error
	if msg.FromName != "" {
		err = mm.FromFormat(msg.FromName, c.From)
	} else {
		err = mm.From(c.From)
	}
	if err != nil {
		return fmt.Errorf("email from: %w", err)
	}
	if err := mm.To(msg.To); err != nil {
		return fmt.Errorf("email to: %w", err)
	}
	mm.Subject(strings.Join(strings.Fields(msg.Subject), " "))
	if id := strings.Trim(msg.MessageID, "<> "); id != "" {
		mm.SetMessageIDWithValue(id)
	} else {
		mm.SetMessageID()
	}
	if msg.InReplyTo != "" {
		mm.SetGenHeader(mail.HeaderInReplyTo, msg.InReplyTo)
	}
	if msg.References != "" {
		mm.SetGenHeader(mail.HeaderReferences, msg.References)
	}
	for k, v := range msg.Headers {
		if !headerName(k) || strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("email header %q: not a valid header field", k)
		}
		mm.SetGenHeader(mail.Header(k), v)
	}
	mm.SetDate()
	mm.SetBodyString(mail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		mm.AddAlternativeString(mail.TypeTextHTML, msg.HTML)
	}
	for _, a := range msg.Attachments {
		if err := mm.AttachReader(a.Name, bytes.NewReader(a.Data), mail.WithFileContentType(mail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("email attachment: %w", err)
		}
	}
	if err := m.deliver(ctx, mm); err != nil {
		// go-mail's errors name the server and the SMTP reply, never the
		// password.
		return fmt.Errorf("send email via %s:%d: %w", c.Host, c.Port, err)
	}
	return nil
}

// deliver sends mm on the kept session, or on a new one, and keeps the
// session for the next message. A workflow's notify step sent each
// message on a new connection: connect, greet, TLS, sign in, quit, about
// 4 ms of a run's 7.5 on loopback and a TLS handshake each time with a
// real provider. A kept session that the server closed fails go-mail's
// NOOP check before anything is sent, and only then is the message sent
// on a new one; any later error is returned as is, never sent again.
func (m *Mailer) deliver(ctx context.Context, mm *mail.Msg) error {
	if s := m.take(); s != nil {
		err := s.cl.SendWithSMTPClient(s.sc, mm)
		if err == nil {
			m.keep(s)
			return nil
		}
		_ = s.cl.CloseWithSMTPClient(s.sc)
		var se *mail.SendError
		if !errors.As(err, &se) || se.Reason != mail.ErrConnCheck {
			return err
		}
	}
	cl, err := m.client()
	if err != nil {
		return err
	}
	sc, err := cl.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("dial failed: %w", err)
	}
	if err := cl.SendWithSMTPClient(sc, mm); err != nil {
		_ = cl.CloseWithSMTPClient(sc)
		return fmt.Errorf("send failed: %w", err)
	}
	if m.KeepIdle <= 0 {
		if err := cl.CloseWithSMTPClient(sc); err != nil {
			return fmt.Errorf("failed to close connection: %w", err)
		}
		return nil
	}
	m.keep(&session{cl: cl, sc: sc})
	return nil
}

// take returns the most recently used kept session and no longer keeps
// it (concurrent sends each use their own), or nil; sessions idle longer
// than KeepIdle are closed.
func (m *Mailer) take() *session {
	m.mu.Lock()
	var s *session
	var stale []*session
	for len(m.kept) > 0 && s == nil {
		s, m.kept = m.kept[len(m.kept)-1], m.kept[:len(m.kept)-1]
		if time.Since(s.used) > m.KeepIdle {
			stale, s = append(stale, s), nil
		}
	}
	m.mu.Unlock()
	for _, x := range stale {
		_ = x.cl.CloseWithSMTPClient(x.sc)
	}
	return s
}

// keep keeps s for the next message; past maxKept the least recently
// used session is closed.
func (m *Mailer) keep(s *session) {
	s.used = time.Now()
	m.mu.Lock()
	m.kept = append(m.kept, s)
	var old *session
	if len(m.kept) > maxKept {
		old, m.kept = m.kept[0], m.kept[1:]
	}
	m.mu.Unlock()
	if old != nil {
		_ = old.cl.CloseWithSMTPClient(old.sc)
	}
}

// Close quits the kept sessions.
func (m *Mailer) Close() error {
	m.mu.Lock()
	kept := m.kept
	m.kept = nil
	m.mu.Unlock()
	var errs []error
	for _, s := range kept {
		errs = append(errs, s.cl.CloseWithSMTPClient(s.sc))
	}
	return errors.Join(errs...)
}

// client returns a go-mail client for the configured server.
func (m *Mailer) client() (*mail.Client, error) {
	c := m.Config
	timeout := m.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(timeout)}
	switch {
	case c.SSL:
		opts = append(opts, mail.WithSSL())
	case c.Insecure:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if m.TLS != nil {
		opts = append(opts, mail.WithTLSConfig(m.TLS))
	}
	if c.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	cl, err := mail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return cl, nil
}

// Ping connects, greets, upgrades to TLS when offered, signs in when a
// user is configured, and quits without sending anything: the
// integrations hub's connection test.
func (m *Mailer) Ping(ctx context.Context) error {
	cl, err := m.client()
	if err != nil {
		return err
	}
	if err := cl.DialWithContext(ctx); err != nil {
		return fmt.Errorf("connect to %s:%d: %w", m.Config.Host, m.Config.Port, err)
	}
	if err := cl.Close(); err != nil {
		return fmt.Errorf("quit %s:%d: %w", m.Config.Host, m.Config.Port, err)
	}
	return nil
}

// headerName reports whether k is a header field name (RFC 5322: printable
// ASCII but colon), other than the ones the mailer sets itself.
func headerName(k string) bool {
	if k == "" || len(k) > 76 {
		return false
	}
	for _, r := range k {
		if r <= 32 || r >= 127 || r == ':' {
			return false
		}
	}
	switch strings.ToLower(k) {
	case "from", "to", "cc", "bcc", "subject", "message-id", "date", "in-reply-to", "references", "content-type", "mime-version", "content-transfer-encoding":
		return false
	}
	return true
}
