// Package smtpd is the appliance's inbound mail listener for
// Conversations: customers (or a team's BCC and forwards) write to
// inbox+TOKEN@DOMAIN and the message lands in that tenant's inbox. It is
// a receiving MX only (github.com/emersion/go-smtp's server, the
// companion of the go-imap and go-message libraries the inbox already
// uses): no AUTH, no relay; a recipient is accepted only when Accept
// says so, so the listener can never forward mail anywhere.
//
// Off by default: serve starts it when --inbound-smtp-addr is set.
//
// smtpd imports no other orengen package.
package smtpd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// Defaults.
const (
	DefaultMaxMessage    = 25 << 20 // bytes; larger: 552 before the data is read
	DefaultMaxRecipients = 20
	DefaultTimeout       = 2 * time.Minute
	DefaultMaxSessions   = 50 // connections served at once; more wait for a free slot or time out
)

// Rejection is an error Accept or Deliver returns to refuse a recipient
// or a message with an SMTP code the sender sees (550 no such mailbox,
// 452 try later ...).
type Rejection struct {
	Code     int
	Enhanced [3]int
	Message  string
}

func (r *Rejection) Error() string { return r.Message }

// Server receives mail for the addresses Accept knows.
type Server struct {
	Addr   string // host:port to listen on
	Domain string // the name in the greeting (the appliance's DOMAIN)
	// Accept says whether rcpt (an address as the sender wrote it) is
	// one of ours: nil accepts it; a *Rejection refuses it with its code;
	// any other error is 451 (try later).
	Accept func(ctx context.Context, rcpt string) error
	// Deliver stores one message for one accepted recipient. raw is the
	// whole message with a Received line first. An error other than a
	// *Rejection is 451, so the sender retries later: nothing is lost.
	Deliver func(ctx context.Context, rcpt, from string, raw []byte) error
	// Limits (0: the defaults above).
	MaxMessage    int64
	MaxRecipients int
	Timeout       time.Duration
	Logger        *slog.Logger

	mu  sync.Mutex
	srv *gosmtp.Server
	ln  net.Listener
	lim *limitListener
}

// Listen opens the listening socket (so a bad address fails at start) and
// returns its address.
func (s *Server) Listen() (net.Addr, error) {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	return ln.Addr(), nil
}

// Serve answers connections until Close. Call Listen first.
func (s *Server) Serve() error {
	s.mu.Lock()
	ln := s.ln
	if ln == nil {
		s.mu.Unlock()
		return errors.New("smtpd: Serve before Listen")
	}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(s.session))
	srv.Domain = s.Domain
	srv.MaxMessageBytes = or64(s.MaxMessage, DefaultMaxMessage)
	srv.MaxRecipients = orInt(s.MaxRecipients, DefaultMaxRecipients)
	srv.ReadTimeout = orDur(s.Timeout, DefaultTimeout)
	srv.WriteTimeout = orDur(s.Timeout, DefaultTimeout)
	srv.ErrorLog = slogAdapter{s.logger()}
	s.srv = srv
	s.lim = &limitListener{Listener: ln, sem: make(chan struct{}, DefaultMaxSessions), conns: map[*releaseConn]struct{}{}}
	s.mu.Unlock()
	err := srv.Serve(s.lim)
	if errors.Is(err, gosmtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops listening and closes open sessions.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		err := s.srv.Close()
		s.lim.closeAll()
		return err
	}
	if s.ln != nil {
		return s.ln.Close()
	}
	return nil
}

// Shutdown stops listening and waits for the sessions to end until ctx
// is done, then closes those left (a message being stored finishes or
// its sender is told to retry).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.mu.Unlock()
	if srv == nil {
		if ln != nil {
			return ln.Close()
		}
		return nil
	}
	if err := srv.Shutdown(ctx); err != nil {
		s.lim.closeAll() // go-smtp's Close does nothing once Shutdown began
		return err
	}
	return nil
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) session(c *gosmtp.Conn) (gosmtp.Session, error) {
	remote := ""
	if a := c.Conn().RemoteAddr(); a != nil {
		remote = a.String()
	}
	return &session{s: s, remote: remote, helo: c.Hostname()}, nil
}

type session struct {
	s      *Server
	remote string
	helo   string
	from   string
	rcpts  []string
}

func (ss *session) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ss.s.Accept != nil {
		if err := ss.s.Accept(ctx, to); err != nil {
			return smtpErr(err)
		}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	buf.WriteString("Received: from " + sanitize(ss.helo) + " (" + sanitize(ss.remote) + ")\r\n\tby " + sanitize(ss.s.Domain) +
		" (orengen); " + time.Now().UTC().Format(time.RFC1123Z) + "\r\n")
	if _, err := io.Copy(&buf, r); err != nil {
		return err // ErrDataTooLarge: 552, the sender says the message is too big
	}
	raw := buf.Bytes()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, rcpt := range ss.rcpts {
		if err := ss.s.Deliver(ctx, rcpt, ss.from, raw); err != nil {
			ss.s.logger().Warn("smtpd: deliver", "rcpt", rcpt, "remote", ss.remote, "err", err)
			return smtpErr(err)
		}
	}
	return nil
}

func smtpErr(err error) error {
	var rej *Rejection
	if errors.As(err, &rej) {
		return &gosmtp.SMTPError{Code: rej.Code, EnhancedCode: gosmtp.EnhancedCode(rej.Enhanced), Message: rej.Message}
	}
	return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure storing the message; try again later."}
}

// sanitize keeps a value from the network on one header line.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			b[i] = '?'
		}
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// limitListener serves at most cap(sem) connections at once and knows
// the open ones.
type limitListener struct {
	net.Listener
	sem   chan struct{}
	mu    sync.Mutex
	conns map[*releaseConn]struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	rc := &releaseConn{Conn: c}
	rc.release = func() {
		l.mu.Lock()
		delete(l.conns, rc)
		l.mu.Unlock()
		<-l.sem
	}
	l.mu.Lock()
	l.conns[rc] = struct{}{}
	l.mu.Unlock()
	return rc, nil
}

func (l *limitListener) closeAll() {
	l.mu.Lock()
	cs := make([]*releaseConn, 0, len(l.conns))
	for c := range l.conns {
		cs = append(cs, c)
	}
	l.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

type releaseConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *releaseConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) {
	a.l.Debug("smtpd", "msg", fmt.Sprintf(format, v...))
}
func (a slogAdapter) Println(v ...any) { a.l.Debug("smtpd", "msg", fmt.Sprint(v...)) }

func or64(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}

func orInt(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

func orDur(v, d time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return d
}
