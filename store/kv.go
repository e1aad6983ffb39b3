package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nalgeon/redka"

	"orengen/app"
)

// KV is the redka key-value database (redka.db): sessions, rate-limit
// counters and caches. It is opened with the same mattn driver and DSN as
// orengen.db, so the process links one SQLite library.
type KV struct {
	Path string
	Now  func() time.Time
	// ReplicatorCheckpoints: as DB.ReplicatorCheckpoints.
	ReplicatorCheckpoints bool

	rdb   *redka.DB
	write *sql.DB
}

// NewKV returns a KV for the file at path; call Open next.
func NewKV(path string) *KV { return &KV{Path: path, Now: time.Now} }

// Open opens redka on its own write and read pools.
func (kv *KV) Open() error {
	w, r, err := openPools(kv.Path, 0, nil, kv.ReplicatorCheckpoints)
	if err != nil {
		return err
	}
	kv.write = w
	// An empty (non-nil) Pragma map stops redka from Exec'ing PRAGMAs on
	// the pools: ours are in the DSN.
	kv.rdb, err = redka.OpenDB(w, r, &redka.Options{DriverName: "sqlite3", Pragma: map[string]string{}})
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("open redka: %w", err)
	}
	return nil
}

// Close closes redka.
func (kv *KV) Close() error {
	if kv.rdb == nil {
		return nil
	}
	return kv.rdb.Close()
}

// CheckpointTruncate checkpoints redka.db's WAL and truncates it: see
// DB.CheckpointTruncate.
func (kv *KV) CheckpointTruncate(ctx context.Context) error {
	return checkpointTruncate(ctx, kv.write, kv.Path)
}

// Redka exposes the redka handle for other stores in this package.
func (kv *KV) Redka() *redka.DB { return kv.rdb }

// Ping checks the database answers.
func (kv *KV) Ping(ctx context.Context) error {
	_, err := kv.rdb.Key().Exists("ping")
	return err
}

// SessionStore implements app.SessionStore on redka strings with expiry.
type SessionStore struct{ kv *KV }

var _ app.SessionStore = (*SessionStore)(nil)

// NewSessionStore returns a SessionStore on kv.
func NewSessionStore(kv *KV) *SessionStore { return &SessionStore{kv: kv} }

// Session IDs are stored by hash, so a copy of redka.db cannot be replayed
// as cookies.
func sessionKey(id string) string { return "session:" + app.HashToken(id) }

type sessionRecord struct {
	AdminID   int64     `json:"admin_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

// CreateSession stores the session until it expires.
func (s *SessionStore) CreateSession(ctx context.Context, sess *app.Session) error {
	b, err := json.Marshal(sessionRecord{sess.AdminID, sess.CreatedAt, sess.ExpiresAt, sess.IP, sess.UserAgent})
	if err != nil {
		return err
	}
	ttl := sess.ExpiresAt.Sub(s.kv.Now())
	if ttl <= 0 {
		return app.Errorf(app.EINVALID, "Session already expired.")
	}
	return s.kv.rdb.Str().SetExpire(sessionKey(sess.ID), b, ttl)
}

// FindSession returns ENOTFOUND for unknown or expired sessions.
func (s *SessionStore) FindSession(ctx context.Context, id string) (*app.Session, error) {
	v, err := s.kv.rdb.Str().Get(sessionKey(id))
	if errors.Is(err, redka.ErrNotFound) {
		return nil, app.Errorf(app.ENOTFOUND, "Session not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	var r sessionRecord
	if err := json.Unmarshal(v.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	if !r.ExpiresAt.After(s.kv.Now()) {
		return nil, app.Errorf(app.ENOTFOUND, "Session not found.")
	}
	return &app.Session{ID: id, AdminID: r.AdminID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, IP: r.IP, UserAgent: r.UserAgent}, nil
}

// DeleteSession forgets the session.
func (s *SessionStore) DeleteSession(ctx context.Context, id string) error {
	_, err := s.kv.rdb.Key().Delete(sessionKey(id))
	return err
}

// RateLimiter implements app.RateLimiter with fixed windows: a counter
// whose key expires at the end of its window.
type RateLimiter struct{ kv *KV }

var _ app.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a RateLimiter on kv.
func NewRateLimiter(kv *KV) *RateLimiter { return &RateLimiter{kv: kv} }

// Hit counts one event in key's window, starting a window if none is open.
func (l *RateLimiter) Hit(ctx context.Context, key string, window time.Duration) (int, time.Time, error) {
	var n int
	var reset time.Time
	err := l.kv.rdb.UpdateContext(ctx, func(tx *redka.Tx) error {
		k, err := tx.Key().Get("rl:" + key)
		if errors.Is(err, redka.ErrNotFound) {
			reset = l.kv.Now().Add(window)
			n = 1
			return tx.Str().SetExpire("rl:"+key, 1, window)
		} else if err != nil {
			return err
		}
		n, err = tx.Str().Incr("rl:"+key, 1)
		if err != nil {
			return err
		}
		if k.ETime != nil {
			reset = time.UnixMilli(*k.ETime)
		}
		return nil
	})
	return n, reset, err
}

// Count returns the events in key's current window.
func (l *RateLimiter) Count(ctx context.Context, key string) (int, time.Time, error) {
	k, err := l.kv.rdb.Key().Get("rl:" + key)
	if errors.Is(err, redka.ErrNotFound) {
		return 0, time.Time{}, nil
	} else if err != nil {
		return 0, time.Time{}, err
	}
	v, err := l.kv.rdb.Str().Get("rl:" + key)
	if errors.Is(err, redka.ErrNotFound) {
		return 0, time.Time{}, nil
	} else if err != nil {
		return 0, time.Time{}, err
	}
	n, err := strconv.Atoi(v.String())
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("rate counter %q: %w", key, err)
	}
	var reset time.Time
	if k.ETime != nil {
		reset = time.UnixMilli(*k.ETime)
	}
	return n, reset, nil
}

// Reset forgets key.
func (l *RateLimiter) Reset(ctx context.Context, key string) error {
	_, err := l.kv.rdb.Key().Delete("rl:" + key)
	return err
}
