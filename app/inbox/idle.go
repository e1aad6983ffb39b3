package inbox

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
)

// ErrNoIdle is what a MailWatcher returns when the server does not offer
// IMAP IDLE (RFC 2177): the mailbox is then only polled.
var ErrNoIdle = errors.New("the IMAP server does not offer IDLE")

// MailWatcher holds a mailbox open with IMAP IDLE (package imap
// implements it). Watch calls ready once the server idles, changed when
// the server says the mailbox changed (new mail), and returns when ctx
// ends (ctx.Err()), when the connection fails (the error) or at once
// with ErrNoIdle.
type MailWatcher interface {
	Watch(ctx context.Context, mb *Mailbox, password string, ready, changed func()) error
}

// Watch states, shown on the mailbox page.
const (
	WatchLive         = "live"         // IDLE: new mail is read as it arrives
	WatchUnsupported  = "unsupported"  // the server has no IDLE: polled
	WatchReconnecting = "reconnecting" // the IDLE connection failed: polled until it is back
)

// WatchState is how a tenant's mailbox is followed now.
type WatchState struct {
	State string
	Since time.Time
	Err   string // why it is reconnecting
}

// watchRetry bounds the wait before an IDLE connection is opened again.
const (
	watchRetryMin = 2 * time.Second
	watchRetryMax = 5 * time.Minute
)

// MailboxWatch returns how the tenant's mailbox is followed: false when
// no IDLE connection was tried (polled only).
func (s *Service) MailboxWatch(tenantID int64) (WatchState, bool) {
	v, ok := s.watches.Load(tenantID)
	if !ok {
		return WatchState{}, false
	}
	w := v.(*mailWatch)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state, true
}

// PollTenant reads the tenant's mailbox once with its saved position
// (the IDLE watcher's and the poller's reads take turns, so a message is
// never fetched by both).
func (s *Service) PollTenant(ctx context.Context, tenantID int64) (int, error) {
	mu, _ := s.pollLocks.LoadOrStore(tenantID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	mb, err := s.Mail.Mailboxes.FindMailbox(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	if !mb.Enabled {
		return 0, nil
	}
	return s.Poll(ctx, mb)
}

// mailWatch is one mailbox's IDLE goroutine.
type mailWatch struct {
	key    string // the settings it was started with
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	state  WatchState
}

func (w *mailWatch) set(state, errText string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state.State != state {
		w.state.Since = at
	}
	w.state.State, w.state.Err = state, errText
}

func watchKey(mb *Mailbox) string {
	return mb.Host + "\x00" + mb.Username + "\x00" + mb.Security + "\x00" + strconv.Itoa(mb.Port)
}

// syncWatches starts an IDLE goroutine for each enabled mailbox without
// one (or whose settings changed) and stops those of mailboxes that are
// gone or disabled.
func (s *Service) syncWatches(ctx context.Context, w MailWatcher) {
	mbs, err := s.Mail.Mailboxes.FindMailboxes(ctx)
	if err != nil {
		return
	}
	want := map[int64]*Mailbox{}
	for _, mb := range mbs {
		want[mb.TenantID] = mb
	}
	s.watches.Range(func(k, v any) bool {
		mw := v.(*mailWatch)
		if mb, ok := want[k.(int64)]; !ok || watchKey(mb) != mw.key {
			mw.cancel()
			<-mw.done
			s.watches.Delete(k)
		}
		return true
	})
	for id, mb := range want {
		if _, ok := s.watches.Load(id); ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		mw := &mailWatch{key: watchKey(mb), cancel: cancel, done: make(chan struct{})}
		s.watches.Store(id, mw)
		go s.watch(wctx, w, mw, mb)
	}
}

// stopWatches ends every IDLE goroutine.
func (s *Service) stopWatches() {
	s.watches.Range(func(k, v any) bool {
		mw := v.(*mailWatch)
		mw.cancel()
		<-mw.done
		s.watches.Delete(k)
		return true
	})
}

// watch keeps one mailbox under IDLE until ctx ends: each change reads
// the new mail at once; a failed connection is opened again after a
// growing wait (the minute poll covers the gap); a server without IDLE
// leaves the mailbox to the poll.
func (s *Service) watch(ctx context.Context, w MailWatcher, mw *mailWatch, mb *Mailbox) {
	defer close(mw.done)
	retry := s.Mail.WatchRetry
	if retry <= 0 {
		retry = watchRetryMin
	}
	wait := retry
	// Changes are coalesced: a burst of new mail is read by one poll.
	kick := make(chan struct{}, 1)
	reader := make(chan struct{})
	go func() {
		defer close(reader)
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
				if _, err := s.PollTenant(ctx, mb.TenantID); err != nil && ctx.Err() == nil {
					s.logger().Warn("inbox: read mailbox after IDLE", "tenant_id", mb.TenantID, "err", err)
				}
			}
		}
	}()
	defer func() { <-reader }()
	for ctx.Err() == nil {
		pw, err := s.Mail.Password(appliance(ctx), mb.TenantID)
		if err == nil && pw != "" {
			started := s.now()
			poll := func() {
				select {
				case kick <- struct{}{}:
				default:
				}
			}
			err = w.Watch(ctx, mb, pw, func() {
				// Idling: what came while it was down is read now.
				mw.set(WatchLive, "", s.now())
				poll()
			}, poll)
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, ErrNoIdle) {
				mw.set(WatchUnsupported, "", s.now())
				return
			}
			if s.now().Sub(started) > time.Minute {
				wait = retry // it was up a while: a fresh failure
			}
		} else {
			err = errors.New("no mailbox password in the vault")
		}
		msg := "IDLE connection lost"
		if err != nil {
			msg = truncate(err.Error(), 200)
		}
		mw.set(WatchReconnecting, msg, s.now())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, watchRetryMax)
	}
}
