package store_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"orengen/store"
)

// mustOpenTLSDB opens a fresh database in a temp dir, closed at cleanup.
func mustOpenTLSDB(tb testing.TB) *store.DB {
	tb.Helper()
	db := store.NewDB(filepath.Join(tb.TempDir(), "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var certKeys = []string{
	"acme/ca.example/users/default/default.json",
	"acme/ca.example/users/default/default.key",
	"certificates/ca.example/a.test/a.test.crt",
	"certificates/ca.example/a.test/a.test.key",
	"certificates/ca.example/a.test/a.test.json",
	"certificates/ca.example/a_b.test/a_b.test.crt",
	"certificates/ca.example/ab.test/ab.test.crt",
	"certificates/ca.example/a.test.x/x.crt",
	"certificates/other/b.test/b.test.crt",
	"ocsp/a.test-1234",
	"last_clean.json",
}

func TestCertStorage_StoreLoadDeleteStat(t *testing.T) {
	ctx := context.Background()
	s := store.NewCertStorage(mustOpenTLSDB(t))

	t.Run("MissingKey", func(t *testing.T) {
		if _, err := s.Load(ctx, "nope/x"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Load missing: err=%v, want fs.ErrNotExist", err)
		}
		if _, err := s.Stat(ctx, "nope/x"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Stat missing: err=%v, want fs.ErrNotExist", err)
		}
		if _, err := s.List(ctx, "nope", false); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("List missing: err=%v, want fs.ErrNotExist", err)
		}
		if s.Exists(ctx, "nope") {
			t.Fatal("Exists(nope) = true")
		}
		if err := s.Delete(ctx, "nope"); err != nil {
			t.Fatalf("Delete missing: %v", err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		if err := s.Store(ctx, "a/b/c.crt", []byte("one")); err != nil {
			t.Fatal(err)
		}
		if err := s.Store(ctx, "a/b/c.crt", []byte("two")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "a/b/c.crt")
		if err != nil || string(got) != "two" {
			t.Fatalf("Load = %q, %v; want two", got, err)
		}
		fi, err := s.Stat(ctx, "a/b/c.crt")
		if err != nil || !fi.IsTerminal || fi.Size != 3 || fi.Key != "a/b/c.crt" || time.Since(fi.Modified) > time.Minute {
			t.Fatalf("Stat file = %+v, %v", fi, err)
		}
		di, err := s.Stat(ctx, "a/b")
		if err != nil || di.IsTerminal || di.Key != "a/b" {
			t.Fatalf("Stat dir = %+v, %v", di, err)
		}
		for _, k := range []string{"a", "a/b", "a/b/c.crt"} {
			if !s.Exists(ctx, k) {
				t.Fatalf("Exists(%s) = false", k)
			}
		}
		if s.Exists(ctx, "a/b/c") {
			t.Fatal("Exists of a key prefix that is not a path component")
		}
	})
	t.Run("DeleteDirectory", func(t *testing.T) {
		for _, k := range []string{"d/x/1", "d/x/2", "d/y", "dz"} {
			if err := s.Store(ctx, k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Delete(ctx, "d/x"); err != nil {
			t.Fatal(err)
		}
		if s.Exists(ctx, "d/x/1") || s.Exists(ctx, "d/x") {
			t.Fatal("d/x still exists after Delete")
		}
		if err := s.Delete(ctx, "d"); err != nil {
			t.Fatal(err)
		}
		if s.Exists(ctx, "d/y") {
			t.Fatal("d/y survived Delete(d)")
		}
		if !s.Exists(ctx, "dz") {
			t.Fatal("Delete(d) removed dz, which only shares a string prefix")
		}
	})
}

// TestCertStorage_ListLikeFileStorage stores the same keys in certmagic's
// own FileStorage and compares List for every prefix, both ways.
func TestCertStorage_ListLikeFileStorage(t *testing.T) {
	ctx := context.Background()
	s := store.NewCertStorage(mustOpenTLSDB(t))
	fsys := &certmagic.FileStorage{Path: t.TempDir()}
	for _, k := range certKeys {
		if err := s.Store(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
		if err := fsys.Store(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	prefixes := []string{"", "acme", "certificates", "certificates/ca.example", "certificates/ca.example/a.test", "ocsp", "last_clean.json", "certificates/ca.example/a.test/a.test.crt"}
	for _, p := range prefixes {
		for _, rec := range []bool{false, true} {
			want, werr := fsys.List(ctx, p, rec)
			got, gerr := s.List(ctx, p, rec)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("List(%q, %v): err=%v, FileStorage err=%v", p, rec, gerr, werr)
			}
			if !slices.Equal(got, want) {
				t.Errorf("List(%q, %v)\n got  %q\n want %q", p, rec, got, want)
			}
		}
	}
	for _, k := range append(prefixes, "certificates/ca.example/a", "nope") {
		if got, want := s.Exists(ctx, k), fsys.Exists(ctx, k); got != want {
			t.Errorf("Exists(%q) = %v, FileStorage says %v", k, got, want)
		}
		gi, gerr := s.Stat(ctx, k)
		wi, werr := fsys.Stat(ctx, k)
		if (gerr == nil) != (werr == nil) || gerr == nil && (gi.IsTerminal != wi.IsTerminal || gi.Key != wi.Key) {
			t.Errorf("Stat(%q) = %+v %v, FileStorage %+v %v", k, gi, gerr, wi, werr)
		}
	}
}

func TestCertStorage_Lock(t *testing.T) {
	ctx := context.Background()
	db := mustOpenTLSDB(t)

	t.Run("UnlockOnlyByHolder", func(t *testing.T) {
		a, b := store.NewCertStorage(db), store.NewCertStorage(db)
		if err := a.Lock(ctx, "issue_cert_x"); err != nil {
			t.Fatal(err)
		}
		if err := b.Unlock(ctx, "issue_cert_x"); err == nil {
			t.Fatal("b unlocked a's lock")
		}
		if ok, err := b.TryLock(ctx, "issue_cert_x"); err != nil || ok {
			t.Fatalf("b.TryLock while a holds it = %v, %v", ok, err)
		}
		if err := a.Unlock(ctx, "issue_cert_x"); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.TryLock(ctx, "issue_cert_x"); err != nil || !ok {
			t.Fatalf("b.TryLock after unlock = %v, %v", ok, err)
		}
		if err := b.Unlock(ctx, "issue_cert_x"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Contention", func(t *testing.T) {
		s := store.NewCertStorage(db)
		s.LockPoll = 10 * time.Millisecond
		var inside, maxInside, total atomic.Int32
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					if err := s.Lock(ctx, "contended"); err != nil {
						t.Error(err)
						return
					}
					n := inside.Add(1)
					if n > maxInside.Load() {
						maxInside.Store(n)
					}
					time.Sleep(5 * time.Millisecond)
					inside.Add(-1)
					total.Add(1)
					if err := s.Unlock(ctx, "contended"); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if maxInside.Load() != 1 || total.Load() != 10 {
			t.Fatalf("max holders at once = %d (want 1), critical sections = %d (want 10)", maxInside.Load(), total.Load())
		}
	})

	t.Run("WaitHonorsContext", func(t *testing.T) {
		a, b := store.NewCertStorage(db), store.NewCertStorage(db)
		b.LockPoll = 10 * time.Millisecond
		if err := a.Lock(ctx, "busy"); err != nil {
			t.Fatal(err)
		}
		defer a.Unlock(ctx, "busy")
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if err := b.Lock(cctx, "busy"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock on a held lock with a deadline: %v", err)
		}
	})

	t.Run("HeldLockIsRenewed", func(t *testing.T) {
		a, b := store.NewCertStorage(db), store.NewCertStorage(db)
		a.LockTTL = 150 * time.Millisecond
		if err := a.Lock(ctx, "renewed"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // > 3 TTLs: only renewal keeps it
		if ok, _ := b.TryLock(ctx, "renewed"); ok {
			t.Fatal("a live holder's lock was taken over")
		}
		if err := a.Unlock(ctx, "renewed"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ExpiresAfterCrash", func(t *testing.T) {
		// A process that died left its lock row behind; its lease ran out.
		tx, err := db.BeginTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO certmagic_locks (name, holder, expires_at) VALUES ('crashed', 'dead/1', ?), ('alive', 'other/1', ?)`,
			store.FormatTime(time.Now().Add(-time.Second)), store.FormatTime(time.Now().Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		s := store.NewCertStorage(db)
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := s.Lock(cctx, "crashed"); err != nil {
			t.Fatalf("stale lock not taken over: %v", err)
		}
		if err := s.Unlock(ctx, "crashed"); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.TryLock(ctx, "alive"); err != nil || ok {
			t.Fatalf("TryLock on another process's live lock = %v, %v", ok, err)
		}
	})

	t.Run("ExpiredLeaseIsLost", func(t *testing.T) {
		// A holder whose clock says its lease ran out (it stopped renewing,
		// e.g. a hung process) loses the lock to the next taker, and its
		// late Unlock does not remove the new holder's lock.
		clock := time.Now()
		db.Now = func() time.Time { return clock }
		defer func() { db.Now = time.Now }()
		a, b := store.NewCertStorage(db), store.NewCertStorage(db)
		a.LockTTL = time.Hour // no renewal during the test
		if err := a.Lock(ctx, "lease"); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(2 * time.Hour)
		if ok, err := b.TryLock(ctx, "lease"); err != nil || !ok {
			t.Fatalf("b.TryLock after a's lease expired = %v, %v", ok, err)
		}
		if err := a.Unlock(ctx, "lease"); err == nil {
			t.Fatal("a's late Unlock reported success")
		}
		if ok, _ := store.NewCertStorage(db).TryLock(ctx, "lease"); ok {
			t.Fatal("a's late Unlock released b's lock")
		}
		if err := b.Unlock(ctx, "lease"); err != nil {
			t.Fatal(err)
		}
	})
}
