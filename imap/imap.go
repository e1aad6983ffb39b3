// Package imap reads a tenant's mailbox over IMAP for Conversations
// (inbox.MailFetcher): github.com/emersion/go-imap v1 as the client (the
// served stable version; v2 is only a beta) and go-message to parse the
// MIME, bluemonday to sanitise HTML. Messages are read with UIDs above
// the last one imported; a changed UIDVALIDITY reads everything again.
// Messages over MaxMessage are imported from their headers only, with a
// note; attachments are stored within inbox.MaxAttachment (a larger one,
// or a program, is recorded by name, type and size with a note).
//
// imap imports app and app/inbox only.
package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	goimap "github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"
	_ "github.com/emersion/go-message/charset" // decodes ISO-8859-x, Windows-125x ... bodies
	"github.com/emersion/go-message/mail"
	"github.com/microcosm-cc/bluemonday"

	"orengen/app/inbox"
)

// Defaults.
const (
	DefaultMaxMessage = 25 << 20 // bytes of a message fetched whole
	DefaultTimeout    = 60 * time.Second
	batch             = 200 // messages per FETCH
)

// Fetcher implements inbox.MailFetcher.
type Fetcher struct {
	// Dial opens the TCP connection (the guarded dialer: a tenant's host
	// may not be a private address).
	Dial       func(ctx context.Context, network, address string) (net.Conn, error)
	MaxMessage int64
	Timeout    time.Duration // per command
	// TLS overrides the TLS settings (tests); nil: the system roots.
	TLS *tls.Config
}

var (
	_ inbox.MailFetcher = (*Fetcher)(nil)
	_ inbox.MailWatcher = (*Fetcher)(nil)
)

// IdleRestart is how often a watch ends its IDLE and starts it again
// (RFC 2177: servers may log out a client idle for 30 minutes); a dead
// connection is noticed within IdleRestart plus the command timeout.
var IdleRestart = 9 * time.Minute

func (f *Fetcher) connect(ctx context.Context, mb *inbox.Mailbox) (*client.Client, error) {
	addr := net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port))
	dial := f.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	cfg := f.TLS
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = mb.Host
	}
	if mb.Security == "tls" {
		conn = tls.Client(conn, cfg)
	}
	c, err := client.New(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("imap greeting: %w", err)
	}
	t := f.Timeout
	if t == 0 {
		t = DefaultTimeout
	}
	c.Timeout = t
	if mb.Security == "starttls" {
		if err := c.StartTLS(cfg); err != nil {
			c.Terminate()
			return nil, fmt.Errorf("imap STARTTLS: %w", err)
		}
	}
	return c, nil
}

// Fetch implements inbox.MailFetcher.
func (f *Fetcher) Fetch(ctx context.Context, mb *inbox.Mailbox, password string, fn func(uidValidity, uid uint32, e *inbox.Email) error) error {
	c, err := f.connect(ctx, mb)
	if err != nil {
		return err
	}
	defer c.Logout()
	stop := context.AfterFunc(ctx, func() { c.Terminate() })
	defer stop()
	if err := c.Login(mb.Username, password); err != nil {
		return fmt.Errorf("imap login as %s: %w", mb.Username, err)
	}
	st, err := c.Select("INBOX", true)
	if err != nil {
		return fmt.Errorf("imap select INBOX: %w", err)
	}
	from := mb.LastUID + 1
	if st.UidValidity != mb.UIDValidity {
		from = 1
	}
	if st.Messages == 0 || st.UidNext != 0 && from >= st.UidNext {
		return nil
	}
	// The UIDs and sizes of the new messages.
	set := new(goimap.SeqSet)
	set.AddRange(from, 0)
	type item struct {
		uid  uint32
		size uint32
	}
	var items []item
	ch := make(chan *goimap.Message, 64)
	done := make(chan error, 1)
	go func() { done <- c.UidFetch(set, []goimap.FetchItem{goimap.FetchUid, goimap.FetchRFC822Size}, ch) }()
	for m := range ch {
		if m.Uid >= from { // "n:*" always returns the last message
			items = append(items, item{m.Uid, m.Size})
		}
	}
	if err := <-done; err != nil {
		return fmt.Errorf("imap fetch sizes: %w", err)
	}
	max := f.MaxMessage
	if max == 0 {
		max = DefaultMaxMessage
	}
	whole := &goimap.BodySectionName{Peek: true}
	header := &goimap.BodySectionName{Peek: true, BodyPartName: goimap.BodyPartName{Specifier: goimap.HeaderSpecifier}}
	for i := 0; i < len(items); i += batch {
		part := items[i:min(i+batch, len(items))]
		small, big := new(goimap.SeqSet), new(goimap.SeqSet)
		sizes := map[uint32]uint32{}
		for _, it := range part {
			sizes[it.uid] = it.size
			if int64(it.size) > max {
				big.AddNum(it.uid)
			} else {
				small.AddNum(it.uid)
			}
		}
		got := map[uint32]*inbox.Email{}
		for _, q := range []struct {
			set *goimap.SeqSet
			sec *goimap.BodySectionName
		}{{small, whole}, {big, header}} {
			if q.set.Empty() {
				continue
			}
			ch := make(chan *goimap.Message, batch)
			done := make(chan error, 1)
			go func() { done <- c.UidFetch(q.set, []goimap.FetchItem{goimap.FetchUid, q.sec.FetchItem()}, ch) }()
			for m := range ch {
				r := m.GetBody(q.sec)
				if r == nil {
					continue
				}
				raw, _ := io.ReadAll(r)
				e := Parse(raw)
				if q.sec == header {
					e.Text = fmt.Sprintf("[This message is %d MB, over the %d MB limit: only its headers were imported. Read it in the mailbox.]", sizes[m.Uid]>>20, max>>20)
					e.Attachments = nil
				}
				got[m.Uid] = e
			}
			if err := <-done; err != nil {
				return fmt.Errorf("imap fetch messages: %w", err)
			}
		}
		for _, it := range part {
			e := got[it.uid]
			if e == nil {
				continue // expunged meanwhile
			}
			if err := fn(st.UidValidity, it.uid, e); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// Watch implements inbox.MailWatcher: it selects INBOX read-only on its
// own connection, idles, and calls changed for each mailbox update the
// server pushes (EXISTS: new mail). It returns inbox.ErrNoIdle when the
// server does not offer IDLE.
func (f *Fetcher) Watch(ctx context.Context, mb *inbox.Mailbox, password string, ready, changed func()) error {
	c, err := f.connect(ctx, mb)
	if err != nil {
		return err
	}
	updates := make(chan client.Update, 16)
	c.Updates = updates
	defer func() {
		// The client blocks on a full Updates channel: drain it while
		// logging out.
		quit := make(chan struct{})
		go func() {
			for {
				select {
				case <-updates:
				case <-quit:
					return
				}
			}
		}()
		c.Logout()
		close(quit)
	}()
	stop := context.AfterFunc(ctx, func() { c.Terminate() })
	defer stop()
	if err := c.Login(mb.Username, password); err != nil {
		return fmt.Errorf("imap login as %s: %w", mb.Username, err)
	}
	if ok, err := c.Support("IDLE"); err != nil {
		return fmt.Errorf("imap capability: %w", err)
	} else if !ok {
		return inbox.ErrNoIdle
	}
	if _, err := c.Select("INBOX", true); err != nil {
		return fmt.Errorf("imap select INBOX: %w", err)
	}
	// Each IDLE command may last until it is restarted: the deadline
	// (set per command from Timeout) must outlast the restart.
	c.Timeout = IdleRestart + c.Timeout
	end := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- c.Idle(end, &client.IdleOptions{LogoutTimeout: IdleRestart, PollInterval: -1}) }()
	ready()
	for {
		select {
		case u := <-updates:
			if _, ok := u.(*client.MailboxUpdate); ok {
				changed()
			}
		case err := <-done:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == nil {
				err = errors.New("the server ended IDLE")
			}
			return fmt.Errorf("imap idle: %w", err)
		case <-ctx.Done():
			close(end)
			<-done
			return ctx.Err()
		}
	}
}

// MaxText is how much of a body is kept.
const MaxText = 200000

// Parse reads an RFC 5322 message. It never fails: a message whose MIME
// cannot be read comes back Malformed with the raw start as its text.
func Parse(raw []byte) *inbox.Email {
	e := &inbox.Email{}
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && r == nil {
		return malformed(raw, e)
	}
	h := r.Header
	if id, err := h.MessageID(); err == nil {
		e.MessageID = id
	}
	e.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	e.References, _ = h.MsgIDList("References")
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		e.From, e.FromName = strings.ToLower(from[0].Address), from[0].Name
	}
	for _, k := range []string{"To", "Cc"} {
		if as, err := h.AddressList(k); err == nil {
			for _, a := range as {
				e.To = append(e.To, strings.ToLower(a.Address))
			}
		}
	}
	if s, err := h.Subject(); err == nil {
		e.Subject = s
	} else {
		e.Subject = h.Get("Subject")
	}
	e.Date, _ = h.Date()
	e.AutoReply = autoReply(h.Get("Auto-Submitted"), h.Get("Precedence"), h.Get("X-Autoreply"), h.Get("X-Autorespond"))
	var text, html strings.Builder
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if text.Len() == 0 && html.Len() == 0 {
				e.Malformed = true
				m := malformed(raw, &inbox.Email{})
				text.WriteString(m.Text)
			}
			break
		}
		switch ph := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := ph.ContentType()
			b, _ := io.ReadAll(io.LimitReader(p.Body, MaxText))
			switch {
			case ct == "text/html" && html.Len() == 0:
				html.Write(b)
			case strings.HasPrefix(ct, "text/plain") || ct == "":
				if text.Len() > 0 {
					text.WriteString("\n")
				}
				text.Write(b)
			default:
				// An inline image or file: stored like an attachment.
				rest, _ := io.ReadAll(io.LimitReader(p.Body, inbox.MaxAttachment+1-int64(len(b))))
				data := append(b, rest...)
				n, _ := io.Copy(io.Discard, p.Body)
				name := "inline-" + strconv.Itoa(len(e.Attachments)+1)
				if _, ext, ok := strings.Cut(ct, "/"); ok && ext != "" && len(ext) < 10 {
					name += "." + ext
				}
				e.Attachments = append(e.Attachments, inbox.KeepAttachment(name, ct, int64(len(data))+n, data))
			}
		case *mail.AttachmentHeader:
			name, _ := ph.Filename()
			ct, _, _ := ph.ContentType()
			data, _ := io.ReadAll(io.LimitReader(p.Body, inbox.MaxAttachment+1))
			n, _ := io.Copy(io.Discard, p.Body)
			a := inbox.KeepAttachment(name, ct, int64(len(data))+n, data)
			if !a.Stored {
				a.Data = nil
			}
			e.Attachments = append(e.Attachments, a)
		}
	}
	if html.Len() > 0 {
		e.HTML = inbox.SanitizeHTML(html.String())
	}
	e.Text = strings.TrimSpace(text.String())
	if e.Text == "" && html.Len() > 0 {
		e.Text = strings.TrimSpace(bluemonday.StrictPolicy().Sanitize(html.String()))
	}
	return e
}

func malformed(raw []byte, e *inbox.Email) *inbox.Email {
	e.Malformed = true
	n := min(len(raw), 20000)
	e.Text = strings.ToValidUTF8(string(raw[:n]), "\uFFFD")
	return e
}

// autoReply reads the headers RFC 3834 and common servers use to mark
// automatic messages.
func autoReply(autoSubmitted, precedence, xAutoreply, xAutorespond string) bool {
	a := strings.ToLower(strings.TrimSpace(autoSubmitted))
	if a != "" && a != "no" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(precedence)) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	return strings.TrimSpace(xAutoreply) != "" || strings.TrimSpace(xAutorespond) != ""
}
