package inbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"orengen/app/inbox"
	"orengen/store"
)

// fakeIMAP is a MailFetcher and MailWatcher per host: idle hosts accept
// IDLE after failing the first `fail` connections; the others have none.
type fakeIMAP struct {
	mu      sync.Mutex
	idle    map[string]bool
	fail    map[string]int
	watches map[string]int
	fetches map[string]int
}

func (f *fakeIMAP) Fetch(ctx context.Context, mb *inbox.Mailbox, pw string, fn func(uint32, uint32, *inbox.Email) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches[mb.Host]++
	return nil
}

func (f *fakeIMAP) Watch(ctx context.Context, mb *inbox.Mailbox, pw string, ready, changed func()) error {
	f.mu.Lock()
	f.watches[mb.Host]++
	n, idle, fail := f.watches[mb.Host], f.idle[mb.Host], f.fail[mb.Host]
	f.mu.Unlock()
	switch {
	case !idle:
		return inbox.ErrNoIdle
	case n <= fail:
		return errors.New("connection reset by peer")
	}
	ready()
	<-ctx.Done()
	return ctx.Err()
}

func (f *fakeIMAP) count(m map[string]int, host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return m[host]
}

// TestWatch_States: a server with IDLE that drops the first two
// connections is retried until it idles (live), and each change it
// pushes reads the mailbox; a server without IDLE is tried once and left
// to the poll; a disabled mailbox's watch stops. (That a pushed change
// reads the mail at once is TestWatch_DovecotIdle's, against Dovecot.)
func TestWatch_States(t *testing.T) {
	e := newEnv(t)
	st := store.NewInboxStore(e.db)
	f := &fakeIMAP{idle: map[string]bool{"idle.a.test": true}, fail: map[string]int{"idle.a.test": 2},
		watches: map[string]int{}, fetches: map[string]int{}}
	e.svc.Mail = &inbox.Mail{Mailboxes: st, Fetcher: f, Watcher: f, Every: 50 * time.Millisecond, WatchRetry: 10 * time.Millisecond,
		Password: func(context.Context, int64) (string, error) { return "pw", nil }}
	ctx := context.Background()
	mbA := &inbox.Mailbox{TenantID: e.tA.ID, Host: "idle.a.test", Port: 993, Security: "tls", Username: "a", Address: "help@alpha.test", Enabled: true}
	mbB := &inbox.Mailbox{TenantID: e.tB.ID, Host: "plain.b.test", Port: 993, Security: "tls", Username: "b", Address: "help@bravo.test", Enabled: true}
	for _, mb := range []*inbox.Mailbox{mbA, mbB} {
		if err := st.SaveMailbox(ctx, mb); err != nil {
			t.Fatal(err)
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	done := e.svc.Start(rctx)
	defer func() { cancel(); <-done }()
	wait := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	state := func(id int64) string {
		w, ok := e.svc.MailboxWatch(id)
		if !ok {
			return ""
		}
		return w.State
	}
	wait("A live", func() bool { return state(e.tA.ID) == inbox.WatchLive })
	if n := f.count(f.watches, "idle.a.test"); n != 3 {
		t.Fatalf("A connected %d times, want 3 (two failures, then IDLE)", n)
	}
	wait("B unsupported", func() bool { return state(e.tB.ID) == inbox.WatchUnsupported })
	time.Sleep(200 * time.Millisecond) // several sync rounds
	if n := f.count(f.watches, "plain.b.test"); n != 1 {
		t.Fatalf("a server without IDLE was tried %d times, want once", n)
	}
	if mb, err := e.svc.MailboxSettings(e.owner(e.tB), 0); err != nil || mb.Watch == nil || mb.Watch.State != inbox.WatchUnsupported {
		t.Fatalf("B's settings carry the watch: %+v %v", mb, err)
	}
	// Disabled: the watch ends and is forgotten.
	mbA.Enabled = false
	if err := st.SaveMailbox(ctx, mbA); err != nil {
		t.Fatal(err)
	}
	wait("A's watch stopped", func() bool { _, ok := e.svc.MailboxWatch(e.tA.ID); return !ok })
}
