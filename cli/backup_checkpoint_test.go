package cli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"orengen/backups"
	"orengen/store"
)

// walSalts returns the salts in the WAL header of the database at path
// (they change when the WAL restarts), or "" while there is no WAL.
func walSalts(path string) string {
	f, err := os.Open(path + "-wal")
	if err != nil {
		return ""
	}
	defer f.Close()
	h := make([]byte, 32)
	if n, _ := f.Read(h); n < 32 {
		return ""
	}
	return string(h[16:24])
}

// replicatorChild returns the pid of a child process of serve other than
// old, or 0.
func replicatorChild(servePID, old int) int {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(servePID) + "/task/*/children")
	for _, p := range tasks {
		b, _ := os.ReadFile(p)
		for _, f := range strings.Fields(string(b)) {
			if pid, _ := strconv.Atoi(f); pid != 0 && pid != old {
				return pid
			}
		}
	}
	return 0
}

// TestBackups_ReplicatorKilledUnderLeads kills serve's replicator child
// three times while leads keep coming (the supervisor's backoff makes the
// gaps 0.5, 1 and 2 s, thousands of WAL pages of leads with no replicator).
// serve leaves checkpoints to the replicator, so it never restarts the WAL
// while none runs (the header's salts stay as they were at each kill until
// the new child is started), and a restore after a clean stop holds every
// acknowledged lead. With SQLite's automatic checkpoint on serve's writer,
// the WAL restarted in the gaps and restores lacked pages (issue #13, "no
// lost lead"; backups' TestSupervisor_ChildKilled found it).
func TestBackups_ReplicatorKilledUnderLeads(t *testing.T) {
	if testing.Short() {
		t.Skip("three replicator kills under load and a restore take ~15 s")
	}
	dir := t.TempDir()
	data, bdir := filepath.Join(dir, "data"), filepath.Join(dir, "backups")
	cmd, addr, out := startServeProcess(t, data, bdir)
	dbPath := filepath.Join(data, "orengen.db")

	stop := make(chan struct{})
	var acks []ack
	done := make(chan struct{})
	go func() { acks = postLeads(t, addr, stop, 4); close(done) }()
	readyPID := func(old int) int {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if st, err := backups.ReadStatus(data); err == nil && st.Ready && !st.Stopped && st.PID != 0 && st.PID != old {
				return st.PID
			}
		}
		t.Fatalf("no replicator ready (other than %d):\n%s", old, out.String())
		return 0
	}
	pid := readyPID(0)
	time.Sleep(time.Second)
	gaps := 0
	for kill := 0; kill < 3; kill++ {
		salts := walSalts(dbPath)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		// Until the supervisor starts the next child, nothing but serve
		// touches the WAL.
		for replicatorChild(cmd.Process.Pid, pid) == 0 {
			if s := walSalts(dbPath); s != salts {
				t.Fatalf("kill %d: serve restarted the WAL %v after the replicator died, with no replicator running", kill+1, time.Since(t0).Round(time.Millisecond))
			}
			if time.Since(t0) > 20*time.Second {
				t.Fatalf("kill %d: replicator not restarted:\n%s", kill+1, out.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
		gaps++
		pid = readyPID(pid)
	}
	time.Sleep(time.Second)
	close(stop)
	<-done
	if len(acks) < 100 || gaps != 3 {
		t.Fatalf("only %d leads acknowledged over %d kills:\n%s", len(acks), gaps, out.String())
	}
	// A clean stop: serve drains, syncs and stops its replicator.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	restored := filepath.Join(dir, "restored")
	if o, err := runChild(t, "restore", "--data-dir", data, "--backup-dir", bdir, "--db", "orengen.db", "--output", restored); err != nil {
		t.Fatalf("restore --output: %v\n%s", err, o)
	}
	got := leadEmails(t, filepath.Join(restored, "orengen.db"))
	missing := 0
	for _, a := range acks {
		if !got[a.email] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("restore after three replicator kills and a clean stop: %d of %d acknowledged leads missing", missing, len(acks))
	}
	t.Logf("%d leads acknowledged over three replicator kills; all in the restore", len(acks))
}

// TestWALValve: with checkpoints left to the replicator, a WAL over its
// bound is checkpointed and truncated only while the replicator is not
// running, keeping every row, and the log says what happened.
func TestWALValve(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var logs bytes.Buffer
	a := &App{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	a.DB = store.NewDB(filepath.Join(dir, "orengen.db"))
	a.DB.ReplicatorCheckpoints = true
	if err := a.DB.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.DB.Close()
	a.KV = store.NewKV(filepath.Join(dir, "redka.db"))
	a.KV.ReplicatorCheckpoints = true
	if err := a.KV.Open(); err != nil {
		t.Fatal(err)
	}
	defer a.KV.Close()
	tx, err := a.DB.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE blobs (b BLOB); INSERT INTO blobs SELECT randomblob(100000) FROM generate_series(1, 20)"); err != nil {
		// No generate_series in this build: a recursive CTE.
		if _, err = tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS blobs (b BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 20) INSERT INTO blobs SELECT randomblob(100000) FROM n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	walSize := func(p string) int64 {
		fi, err := os.Stat(p + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	before := walSize(a.DB.Path)
	const limit = 1 << 20
	if before <= limit {
		t.Fatalf("WAL is %d bytes after 2 MB of writes; the test needs it over %d", before, limit)
	}
	a.checkWALs(ctx, func() bool { return true }, limit)
	if n := walSize(a.DB.Path); n != before {
		t.Fatalf("the valve checkpointed while the replicator ran: WAL %d → %d bytes", before, n)
	}
	a.checkWALs(ctx, func() bool { return false }, 4*before)
	if n := walSize(a.DB.Path); n != before {
		t.Fatalf("the valve checkpointed a WAL under its bound: %d → %d bytes", before, n)
	}
	a.checkWALs(ctx, func() bool { return false }, limit)
	if n := walSize(a.DB.Path); n != 0 {
		t.Fatalf("WAL is %d bytes after the valve with no replicator, want 0", n)
	}
	var rows int
	if err := a.DB.ReadDB().QueryRowContext(ctx, "SELECT count(*) FROM blobs").Scan(&rows); err != nil || rows != 20 {
		t.Fatalf("%d rows after the valve, want 20 (%v)", rows, err)
	}
	if !strings.Contains(logs.String(), "db=orengen.db") || !strings.Contains(logs.String(), "new snapshot") || strings.Contains(logs.String(), "db=redka.db") {
		t.Fatalf("valve log:\n%s", logs.String())
	}
}
