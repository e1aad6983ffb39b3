package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"orengen/app"
)

// Probe reads a database file before it is opened (serve reads its
// identity and its pending migrations first), read-only and without
// migrating it, over one connection it keeps until Close.
//
// Keeping that connection open until the pools are open (serve closes the
// probe after DB.Open) is the point: SQLite rebuilds a database's WAL
// index by reading the whole WAL whenever a connection opens while no
// other connection has the file open, so each short-lived read before the
// open repeated that work (about 1,000 reads of a 4 MB WAL each time) and
// parsed the schema again.
type Probe struct {
	path string
	mu   sync.Mutex
	r    *sql.DB // nil until a read finds the file
}

// NewProbe returns a Probe of the database file at path; it opens nothing
// until a read, and never creates the file.
func NewProbe(path string) *Probe { return &Probe{path: path} }

// conn returns the probe's connection, nil while the file is missing (a
// restore may create it later).
func (p *Probe) conn() (*sql.DB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.r != nil {
		return p.r, nil
	}
	if _, err := os.Stat(p.path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	r, err := sql.Open("sqlite3", DSN(p.path, true))
	if err != nil {
		return nil, err
	}
	r.SetMaxOpenConns(1)
	r.SetMaxIdleConns(1)
	p.r = r
	return r, nil
}

// Identity returns the database's identity, nil when the file is missing
// or predates identities.
func (p *Probe) Identity(ctx context.Context) (*app.DatabaseIdentity, error) {
	r, err := p.conn()
	if err != nil || r == nil {
		return nil, err
	}
	id, err := scanIdentity(r.QueryRowContext(ctx, identityQuery))
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read database identity of %s: %w", p.path, err)
	}
	return id, nil
}

// Pending returns the names of migrations not yet applied; a missing file
// has every migration pending.
func (p *Probe) Pending(ctx context.Context) ([]string, error) {
	names, err := migrationNames()
	if err != nil {
		return nil, err
	}
	r, err := p.conn()
	if err != nil || r == nil {
		return names, err
	}
	applied := map[string]bool{}
	rows, err := r.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return names, nil
		}
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		applied[n] = true
	}
	var out []string
	for _, n := range names {
		if !applied[n] {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

// release hands the probe's connection, if it has one to path, over to
// the caller (DB.Open, as its read pool) and closes the probe.
func (p *Probe) release(path string) *sql.DB {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	r := p.r
	p.r = nil
	p.mu.Unlock()
	if r != nil && p.path != path {
		r.Close()
		r = nil
	}
	return r
}

// Close closes the probe's connection; it may be called more than once.
func (p *Probe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.r == nil {
		return nil
	}
	err := p.r.Close()
	p.r = nil
	return err
}
