package backups

import (
	"orengen/internal/realtest"

	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// The replicator runs Litestream (modernc SQLite) and the tests write with
// mattn/go-sqlite3, so the replicator always runs in a child process: this
// test binary re-executed with BACKUPS_TEST_CHILD set.
func TestMain(m *testing.M) {
	switch os.Getenv("BACKUPS_TEST_CHILD") {
	case "replicate":
		os.Exit(childReplicate())
	case "parent":
		os.Exit(childParent())
	}
	os.Exit(m.Run())
}

// childReplicate runs Replicate with the configuration in BT_* variables.
func childReplicate() int {
	var out io.Writer = os.Stderr
	if p := os.Getenv("BT_LOGFILE"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return 2
		}
		defer f.Close()
		out = io.MultiWriter(f, os.Stderr)
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	replicas, err := ParseReplicas(SplitReplicaSpecs(os.Getenv("BT_SPECS")), os.Getenv("BT_BACKUP_DIR"))
	if err != nil {
		logger.Error("parse replicas", "error", err)
		return 2
	}
	cfg := DefaultConfig(os.Getenv("BT_DATA"), replicas)
	cfg.Logger = logger
	if os.Getenv("BT_FAST") == "1" {
		cfg.SyncInterval = 100 * time.Millisecond
		cfg.MonitorInterval = 100 * time.Millisecond
		cfg.MirrorInterval = 100 * time.Millisecond
		cfg.MinCheckpointPageN = 50
		cfg.CheckpointInterval = 500 * time.Millisecond
		cfg.CompactionIntervals = []time.Duration{2 * time.Second, 10 * time.Second}
		cfg.ScanInterval = 300 * time.Millisecond
		cfg.StatusInterval = 200 * time.Millisecond
		cfg.ShutdownTimeout = 5 * time.Second
	}
	if err := Replicate(context.Background(), cfg, os.Stdin); err != nil {
		logger.Error("replicate", "error", err)
		return 1
	}
	return 0
}

// childParent plays serve: it supervises a replicator and waits to be
// killed.
func childParent() int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	env := append(os.Environ(), "BACKUPS_TEST_CHILD=replicate")
	s := NewSupervisor(os.Args[0], []string{"-test.run=^$"}, env, logger)
	if err := s.Start(); err != nil {
		logger.Error("start", "error", err)
		return 1
	}
	fmt.Fprintf(os.Stdout, "child %d\n", s.PID())
	select {}
}

// childEnv returns the environment for a replicator child.
func childEnv(dataDir, backupDir string, specs ...string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BACKUPS_TEST_CHILD=") && !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			env = append(env, kv)
		}
	}
	// GORACE: a -race binary sleeps 1 s at exit by default.
	return append(env, "GORACE=atexit_sleep_ms=0", "BACKUPS_TEST_CHILD=replicate", "BT_FAST=1", "BT_DATA="+dataDir,
		"BT_BACKUP_DIR="+backupDir, "BT_SPECS="+strings.Join(specs, ","))
}

// replicator is a running child replicator.
type testChild struct {
	cmd   *exec.Cmd
	stdin *os.File
	done  chan error
	out   *realtest.Buffer
}

func startReplicator(t *testing.T, env []string) *testChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = env
	out := &realtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &testChild{cmd: cmd, stdin: w.(*os.File), done: make(chan error, 1), out: out}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("replicator output:\n%s", out.String())
		}
	})
	return c
}

// waitReplicating waits until the child says it replicates (a loaded
// machine may take seconds to start it; a test timing its writes would
// otherwise count the start-up as replication time).
func (c *testChild) waitReplicating(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(c.out.String(), "msg=replicating") {
		if time.Now().After(deadline) {
			t.Fatalf("replicator not replicating after 60 s:\n%s", c.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the final sync.
func (c *testChild) stop(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		c.done <- err
		if strings.Contains(c.out.String(), "DATA RACE") {
			t.Errorf("race detected in the replicator:\n%s", c.out.String())
		}
		if err != nil {
			t.Fatalf("replicator exit: %v\n%s", err, c.out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("replicator did not stop\n%s", c.out.String())
	}
}

// openApp opens a database the way the app does (mattn, WAL).
func openApp(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000&_synchronous=NORMAL&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, ts INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// insertBatch inserts n rows in one transaction and returns the last id.
func insertBatch(t testing.TB, db *sql.DB, n int, pad string) int64 {
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	now := time.Now().UnixNano()
	for i := 0; i < n; i++ {
		res, err := tx.Exec(`INSERT INTO t (v, ts) VALUES (?, ?)`, pad, now)
		if err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
		id, _ = res.LastInsertId()
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return id
}

// writer inserts 50-row transactions until stopped; acked is the last
// committed id.
type writer struct {
	acked atomic.Int64
	stopc chan struct{}
	done  chan error
}

func startWriter(db *sql.DB, pause time.Duration) *writer {
	w := &writer{stopc: make(chan struct{}), done: make(chan error, 1)}
	pad := strings.Repeat("x", 300)
	go func() {
		for {
			select {
			case <-w.stopc:
				w.done <- nil
				return
			default:
			}
			tx, err := db.Begin()
			if err != nil {
				w.done <- err
				return
			}
			var id int64
			for i := 0; i < 50 && err == nil; i++ {
				var res sql.Result
				res, err = tx.Exec(`INSERT INTO t (v, ts) VALUES (?, ?)`, pad, time.Now().UnixNano())
				if err == nil {
					id, _ = res.LastInsertId()
				}
			}
			if err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
			if err != nil {
				w.done <- err
				return
			}
			w.acked.Store(id)
			time.Sleep(pause)
		}
	}()
	return w
}

func (w *writer) stop(t *testing.T) int64 {
	t.Helper()
	close(w.stopc)
	if err := <-w.done; err != nil {
		t.Fatalf("writer: %v", err)
	}
	return w.acked.Load()
}

// checkDB opens a restored database with mattn and returns its integrity
// result, row count and max id.
func checkDB(t *testing.T, path string) (integrity string, n, maxID int64) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil {
		t.Fatalf("integrity_check %s: %v", path, err)
	}
	if err := db.QueryRow(`SELECT count(*), coalesce(max(id), 0) FROM t`).Scan(&n, &maxID); err != nil {
		t.Fatalf("count %s: %v", path, err)
	}
	return integrity, n, maxID
}

// waitStatus polls the status file until ok returns true.
func waitStatus(t *testing.T, dataDir string, timeout time.Duration, what string, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last Status
	var lastErr error
	for time.Now().Before(deadline) {
		st, err := ReadStatus(dataDir)
		if err == nil && ok(st) {
			return st
		}
		last, lastErr = st, err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last status %+v err %v", what, last, lastErr)
	return last
}

// inSync reports whether every replica of db holds its local TXID.
func inSync(st Status, db string, replicas int) bool {
	for _, d := range st.Databases {
		if d.Name != db || d.LocalTXID == 0 || len(d.Replicas) != replicas {
			continue
		}
		for _, r := range d.Replicas {
			if !r.InSync || r.RemoteTXID < d.LocalTXID {
				return false
			}
		}
		return true
	}
	return false
}

func mustReplica(t *testing.T, spec string) Replica {
	t.Helper()
	r, err := ParseReplica(spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// processGone reports whether pid has exited (or is a zombie).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

func restoreOut(t *testing.T, r Replica, db string) string {
	t.Helper()
	out := t.TempDir()
	res, err := Restore(context.Background(), RestoreOptions{Replica: r, DBName: db, OutputDir: out})
	if err != nil {
		t.Fatalf("restore %s from %s: %v", db, r.Name, err)
	}
	if len(res) != 1 || res[0].Integrity != "ok" || res[0].Size <= 0 {
		t.Fatalf("restore result: %+v", res)
	}
	return filepath.Join(out, db)
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func openRO(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
