package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"

	"orengen/app"
)

// Defaults for CertStorage locks.
const (
	// DefaultLockTTL is how long a lock lives without renewal: a lock left
	// by a process that crashed can be taken over after this long.
	DefaultLockTTL = 30 * time.Second
	// DefaultLockPoll is how often Lock retries a lock held elsewhere.
	DefaultLockPoll = time.Second
)

// CertStorage is certmagic's Storage on orengen.db: certificates, keys and
// ACME accounts are rows of certmagic_data, so Litestream replicates them
// and a restored server serves them without asking the CA again. Locks are
// rows of certmagic_locks with an expiry that a goroutine renews while the
// lock is held, so a lock held by a process that died expires.
type CertStorage struct {
	db *DB
	// LockTTL is the lifetime of a lock between renewals.
	LockTTL time.Duration
	// LockPoll is how often Lock retries.
	LockPoll time.Duration

	holder string // this instance's identity in certmagic_locks
	mu     sync.Mutex
	held   map[string]*heldLock
	seq    int
}

type heldLock struct {
	token string
	stop  context.CancelFunc
	done  chan struct{}
}

var (
	_ certmagic.Storage          = (*CertStorage)(nil)
	_ certmagic.TryLocker        = (*CertStorage)(nil)
	_ certmagic.LockLeaseRenewer = (*CertStorage)(nil)
)

// NewCertStorage returns a CertStorage on db.
func NewCertStorage(db *DB) *CertStorage {
	return &CertStorage{db: db, LockTTL: DefaultLockTTL, LockPoll: DefaultLockPoll, holder: app.RandomToken(12), held: map[string]*heldLock{}}
}

// String names the storage in certmagic's logs.
func (s *CertStorage) String() string { return "sqlite:" + s.db.Path }

// cleanKey removes leading and trailing slashes; certmagic's keys have
// none, and "" is the root.
func cleanKey(key string) string { return strings.Trim(key, "/") }

// childRange returns the bounds of the keys strictly under dir: every such
// key starts with dir+"/", and "0" is the byte after "/". A range (not
// LIKE) because keys contain "_", and it uses the primary key index.
func childRange(dir string) (lo, hi string) {
	if dir == "" {
		return "", "\xff"
	}
	return dir + "/", dir + "0"
}

// Store puts value at key, replacing any value there.
func (s *CertStorage) Store(ctx context.Context, key string, value []byte) error {
	key = cleanKey(key)
	if key == "" {
		return errors.New("certstorage: store: empty key")
	}
	if value == nil {
		value = []byte{}
	}
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO certmagic_data (key, value, modified) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, modified = excluded.modified`,
		key, value, FormatTime(s.db.Now()))
	if err != nil {
		return fmt.Errorf("certstorage: store %s: %w", key, err)
	}
	return nil
}

// Load returns the value at key, or an error wrapping fs.ErrNotExist.
func (s *CertStorage) Load(ctx context.Context, key string) ([]byte, error) {
	key = cleanKey(key)
	var v []byte
	err := s.db.read.QueryRowContext(ctx, `SELECT value FROM certmagic_data WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("certstorage: load %s: %w", key, fs.ErrNotExist)
	} else if err != nil {
		return nil, fmt.Errorf("certstorage: load %s: %w", key, err)
	}
	return v, nil
}

// Delete removes key and, if key is a directory, every key under it. A
// missing key is not an error.
func (s *CertStorage) Delete(ctx context.Context, key string) error {
	key = cleanKey(key)
	lo, hi := childRange(key)
	_, err := s.db.write.ExecContext(ctx, `DELETE FROM certmagic_data WHERE key = ? OR (key >= ? AND key < ?)`, key, lo, hi)
	if err != nil {
		return fmt.Errorf("certstorage: delete %s: %w", key, err)
	}
	return nil
}

// Exists reports whether key is a file or a directory.
func (s *CertStorage) Exists(ctx context.Context, key string) bool {
	key = cleanKey(key)
	lo, hi := childRange(key)
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT 1 FROM certmagic_data WHERE key = ? OR (key >= ? AND key < ?) LIMIT 1`, key, lo, hi).Scan(&n)
	return err == nil
}

// Stat describes key: a file (IsTerminal, with size and time) or a
// directory (the latest time of the files under it). A missing key is an
// error wrapping fs.ErrNotExist.
func (s *CertStorage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	key = cleanKey(key)
	var size int64
	var mod time.Time
	err := s.db.read.QueryRowContext(ctx, `SELECT length(value), modified FROM certmagic_data WHERE key = ?`, key).Scan(&size, Time{&mod})
	if err == nil {
		return certmagic.KeyInfo{Key: key, Modified: mod, Size: size, IsTerminal: true}, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return certmagic.KeyInfo{}, fmt.Errorf("certstorage: stat %s: %w", key, err)
	}
	lo, hi := childRange(key)
	var latest NullTime
	if err := s.db.read.QueryRowContext(ctx, `SELECT max(modified) FROM certmagic_data WHERE key >= ? AND key < ?`, lo, hi).Scan(&latest); err != nil {
		return certmagic.KeyInfo{}, fmt.Errorf("certstorage: stat %s: %w", key, err)
	}
	if latest.T == nil {
		return certmagic.KeyInfo{}, fmt.Errorf("certstorage: stat %s: %w", key, fs.ErrNotExist)
	}
	return certmagic.KeyInfo{Key: key, Modified: *latest.T, IsTerminal: false}, nil
}

// List returns the keys under prefix the way certmagic's FileStorage
// walks a directory: without recursion, the files and directories directly
// in prefix; with it, every file and directory below prefix. Both come in
// walk order (a directory before its contents, names sorted). A file as
// prefix lists nothing; a missing prefix is an error wrapping
// fs.ErrNotExist.
func (s *CertStorage) List(ctx context.Context, prefix string, recursive bool) ([]string, error) {
	prefix = cleanKey(prefix)
	lo, hi := childRange(prefix)
	rows, err := s.db.read.QueryContext(ctx, `SELECT key FROM certmagic_data WHERE key = ? OR (key >= ? AND key < ?)`, prefix, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("certstorage: list %s: %w", prefix, err)
	}
	defer rows.Close()
	found := false
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("certstorage: list %s: %w", prefix, err)
		}
		found = true
		if k == prefix {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(k, lo), "/")
		n := 1
		if recursive {
			n = len(parts)
		}
		for i := 1; i <= n; i++ {
			p := path.Join(prefix, path.Join(parts[:i]...))
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("certstorage: list %s: %w", prefix, err)
	}
	if !found && prefix != "" {
		return nil, fmt.Errorf("certstorage: list %s: %w", prefix, fs.ErrNotExist)
	}
	slices.SortFunc(out, func(a, b string) int {
		return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
	})
	return out, nil
}

// Lock takes the named lock, waiting while another holder has it and its
// lease has not expired. Honors ctx.
func (s *CertStorage) Lock(ctx context.Context, name string) error {
	for {
		ok, err := s.TryLock(ctx, name)
		if err != nil || ok {
			return err
		}
		t := time.NewTimer(s.LockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("certstorage: lock %s: %w", name, ctx.Err())
		case <-t.C:
		}
	}
}

// TryLock takes the named lock if it is free or its lease expired, and
// reports whether it did.
func (s *CertStorage) TryLock(ctx context.Context, name string) (bool, error) {
	s.mu.Lock()
	s.seq++
	token := fmt.Sprintf("%s/%d", s.holder, s.seq)
	s.mu.Unlock()
	now := s.db.Now()
	// Insert, or take over a lock whose lease has run out (its holder
	// crashed or hung); RowsAffected is 0 when a live holder has it.
	res, err := s.db.write.ExecContext(ctx, `INSERT INTO certmagic_locks (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE certmagic_locks.expires_at <= ?`,
		name, token, FormatTime(now.Add(s.lockTTL())), FormatTime(now))
	if err != nil {
		return false, fmt.Errorf("certstorage: lock %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	rctx, stop := context.WithCancel(context.Background())
	h := &heldLock{token: token, stop: stop, done: make(chan struct{})}
	s.mu.Lock()
	if old := s.held[name]; old != nil {
		old.stop() // a lease of ours that expired and was taken back
	}
	s.held[name] = h
	s.mu.Unlock()
	go s.keepAlive(rctx, name, h)
	return true, nil
}

func (s *CertStorage) lockTTL() time.Duration {
	if s.LockTTL <= 0 {
		return DefaultLockTTL
	}
	return s.LockTTL
}

// keepAlive extends the lease every third of its lifetime until Unlock.
func (s *CertStorage) keepAlive(ctx context.Context, name string, h *heldLock) {
	defer close(h.done)
	t := time.NewTicker(s.lockTTL() / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.extend(ctx, name, h.token, s.lockTTL()); err != nil {
				return
			}
		}
	}
}

func (s *CertStorage) extend(ctx context.Context, name, token string, d time.Duration) error {
	res, err := s.db.write.ExecContext(ctx, `UPDATE certmagic_locks SET expires_at = ? WHERE name = ? AND holder = ?`,
		FormatTime(s.db.Now().Add(d)), name, token)
	if err != nil {
		return fmt.Errorf("certstorage: renew lock %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("certstorage: renew lock %s: not held by this process (its lease expired and another holder took it)", name)
	}
	return nil
}

// RenewLockLease extends a lock this instance holds by leaseDuration.
func (s *CertStorage) RenewLockLease(ctx context.Context, name string, leaseDuration time.Duration) error {
	s.mu.Lock()
	h := s.held[name]
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("certstorage: renew lock %s: not held by this process", name)
	}
	return s.extend(ctx, name, h.token, leaseDuration)
}

// Unlock releases a lock this instance holds. It fails if the lock is not
// ours (never taken, or taken over after our lease expired), and leaves
// another holder's lock alone.
func (s *CertStorage) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	h := s.held[name]
	delete(s.held, name)
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("certstorage: unlock %s: not held by this process", name)
	}
	h.stop()
	<-h.done
	res, err := s.db.write.ExecContext(context.WithoutCancel(ctx), `DELETE FROM certmagic_locks WHERE name = ? AND holder = ?`, name, h.token)
	if err != nil {
		return fmt.Errorf("certstorage: unlock %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("certstorage: unlock %s: the lease expired and another holder took the lock", name)
	}
	return nil
}
