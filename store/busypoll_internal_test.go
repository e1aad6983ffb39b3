package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// busyPollDB opens a one-connection pool on path whose connection waits for
// the write lock with setBusyPoll (timeout) or, when timeout is 0, with
// SQLite's default handler (the DSN's busy_timeout).
func busyPollDB(t *testing.T, path string, timeout time.Duration) *sql.DB {
	t.Helper()
	drv := &sqlite3.SQLiteDriver{}
	if timeout > 0 {
		drv.ConnectHook = func(c *sqlite3.SQLiteConn) error { return setBusyPoll(c, timeout) }
	}
	db := sql.OpenDB(dsnConnector{DSN(path, false), drv})
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

// holdWriteLock takes the write lock on another connection (another
// process, as far as SQLite's locks go) and lets it go after d.
func holdWriteLock(t *testing.T, holder *sql.DB, d time.Duration) <-chan struct{} {
	t.Helper()
	ctx := context.Background()
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(d)
		conn.ExecContext(ctx, `ROLLBACK`)
		conn.Close()
	}()
	return done
}

// TestBusyPoll: a write waiting for a lock another connection holds for
// 20 ms gets it when it is let go. SQLite's default handler retries 1, 3,
// 8, 18 and 33 ms after the first try, so it waits ~33 ms; the polling
// handler ~20 ms. Medians of 5, alternating, so both see the same machine.
func TestBusyPoll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	holder := busyPollDB(t, path, 0)
	if _, err := holder.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	polling, stepping := busyPollDB(t, path, DefaultBusyTimeout), busyPollDB(t, path, 0)
	wait := func(db *sql.DB) time.Duration {
		done := holdWriteLock(t, holder, 20*time.Millisecond)
		defer func() { <-done }()
		t0 := time.Now()
		if _, err := db.Exec(`INSERT INTO t (x) VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		return time.Since(t0)
	}
	var p, s []time.Duration
	var polls, stepPolls int64
	for i := 0; i < 5; i++ {
		n := busyPolls()
		p = append(p, wait(polling))
		polls += busyPolls() - n
		n = busyPolls()
		s = append(s, wait(stepping))
		stepPolls += busyPolls() - n
	}
	// The polling handler is the one that ran: ~80 polls per 20 ms wait.
	if polls < 5*20 || stepPolls != 0 {
		t.Errorf("busy polls: %d while the polling connection waited 5 times, %d while the default one did; want at least 100 and 0", polls, stepPolls)
	}
	med := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	if med(p) >= med(s) {
		t.Errorf("waiting for a 20 ms lock: polling %v (median of %v), SQLite's default %v (%v): want polling shorter", med(p), p, med(s), s)
	}
	if med(p) < 20*time.Millisecond {
		t.Errorf("polling got the lock after %v, before the holder let it go at 20 ms", med(p))
	}
	t.Logf("waiting for a 20 ms lock: polling %v, SQLite's default %v", med(p), med(s))
}

// TestBusyPoll_Timeout: the polling handler still gives up, after about
// its timeout, with SQLite's "database is locked".
func TestBusyPoll_Timeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	holder := busyPollDB(t, path, 0)
	if _, err := holder.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	polling := busyPollDB(t, path, 60*time.Millisecond)
	done := holdWriteLock(t, holder, 2*time.Second)
	defer func() { <-done }()
	t0 := time.Now()
	_, err := polling.Exec(`INSERT INTO t (x) VALUES (1)`)
	took := time.Since(t0)
	if err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("write while the lock is held for 2 s: %v, want database is locked", err)
	}
	if took < 60*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("gave up after %v, want about the 60 ms timeout", took)
	}
}
