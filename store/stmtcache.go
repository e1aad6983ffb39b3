package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxCachedStmts bounds the write connection's prepared statements: the
// hot writes are a few dozen statements; queries built at run time (IN
// lists, filters) past the bound run unprepared.
const maxCachedStmts = 512

// stmtCache keeps statements prepared on the write connection by their
// text, so a write that runs thousands of times (a form submission's ten
// statements) is parsed once. A statement missed inside a transaction is
// prepared after it, when the single write connection is free again.
type stmtCache struct {
	mu        sync.Mutex
	m         map[string]*sql.Stmt
	want      map[string]struct{}
	preparing atomic.Bool
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if len(c.m)+len(c.want) < maxCachedStmts {
		if c.want == nil {
			c.want = map[string]struct{}{}
		}
		c.want[query] = struct{}{}
	}
	return nil
}

// prepareWanted prepares the statements missed so far, in the background
// (at most one pass at a time).
func (c *stmtCache) prepareWanted(write *sql.DB) {
	c.mu.Lock()
	n := len(c.want)
	c.mu.Unlock()
	if n == 0 || !c.preparing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.preparing.Store(false)
		c.mu.Lock()
		qs := make([]string, 0, len(c.want))
		for q := range c.want {
			qs = append(qs, q)
		}
		c.want = nil
		c.mu.Unlock()
		for _, q := range qs {
			st, err := write.PrepareContext(context.Background(), q)
			if err != nil {
				continue // a closed database, or a statement that fails anyway: it runs unprepared
			}
			c.mu.Lock()
			if c.m == nil {
				c.m = map[string]*sql.Stmt{}
			}
			if _, dup := c.m[q]; dup {
				st.Close()
			} else {
				c.m[q] = st
			}
			c.mu.Unlock()
		}
	}()
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m, c.want = nil, nil
}

// Commit commits, then prepares the statements the cache missed.
func (tx *Tx) Commit() error {
	err := tx.Tx.Commit()
	tx.db.stmts.prepareWanted(tx.db.write)
	return err
}

// Rollback rolls back (ErrTxDone after a commit), then prepares the
// statements the cache missed.
func (tx *Tx) Rollback() error {
	err := tx.Tx.Rollback()
	tx.db.stmts.prepareWanted(tx.db.write)
	return err
}

// stmt returns the transaction's handle of a cached statement, or nil.
// Only ExecContext and QueryRowContext use it: a statement is one
// cursor, so a query whose rows stay open while the same text runs again
// must not share it.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := tx.local[query]; ok {
		return st
	}
	parent := tx.db.stmts.get(query)
	if parent == nil {
		return nil
	}
	st := tx.Tx.StmtContext(ctx, parent)
	if tx.local == nil {
		tx.local = map[string]*sql.Stmt{}
	}
	tx.local[query] = st
	return st
}

// ExecContext runs query in the transaction, prepared once per database.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryRowContext runs query in the transaction, prepared once per database.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// queryAll runs a query whose rows are all read (by scan) and closed
// before anything else runs, so it may use the cached statement.
func (tx *Tx) queryAll(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	var rows *sql.Rows
	var err error
	if st := tx.stmt(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = tx.Tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Exec is ExecContext without a context.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return tx.ExecContext(context.Background(), query, args...)
}

// QueryRow is QueryRowContext without a context.
func (tx *Tx) QueryRow(query string, args ...any) *sql.Row {
	return tx.QueryRowContext(context.Background(), query, args...)
}
