package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"
)

// OpenReadOnly opens an existing database file for reading only and
// creates nothing: no directory, no file, no migration, and no -wal or
// -shm file. While the database is in use (its -wal and -shm exist) it is
// read through them; otherwise it is opened immutable, because a read-only
// connection would create them, and files created by another user (say
// `orengen doctor` run as root) would lock the service out of its own
// database. The returned DB serves reads only (CertStorage.Load/List,
// DomainStore.FindDomains, ...); writes fail. A missing file is an error
// wrapping os.ErrNotExist.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_query_only", "on")
	q.Set("_busy_timeout", fmt.Sprint(DefaultBusyTimeout.Milliseconds()))
	_, werr := os.Stat(path + "-wal")
	_, serr := os.Stat(path + "-shm")
	if errors.Is(werr, os.ErrNotExist) || errors.Is(serr, os.ErrNotExist) {
		q.Set("immutable", "1")
	}
	dsn := "file:" + path + "?" + q.Encode()
	r, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(2)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// The "write" pool is read-only too, so a write fails with SQLite's
	// "attempt to write a readonly database" instead of a nil pointer.
	w, err := sql.Open("sqlite3", dsn)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	return &DB{Path: path, Now: time.Now, read: r, write: w}, nil
}
