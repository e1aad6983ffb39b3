package backups

import (
	"orengen/internal/realtest"

	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReplicate_Soak writes for a few seconds with frequent checkpoints while
// the child replicates to the local file replica and mirrors to a second
// one, then restores from both and compares.
func TestReplicate_Soak(t *testing.T) {
	for i := 1; i <= 3; i++ {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			data, local, mirror := t.TempDir(), t.TempDir(), t.TempDir()
			path := filepath.Join(data, "orengen.db")
			db := openApp(t, path)
			c := startReplicator(t, childEnv(data, local, "copy="+mirror))
			c.waitReplicating(t)
			w := startWriter(db, 5*time.Millisecond)
			time.Sleep(3 * time.Second)
			acked := w.stop(t)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			c.stop(t)

			st, err := ReadStatus(data)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Stopped || !inSync(st, "orengen.db", 2) {
				t.Errorf("final status not stopped/in sync: %+v", st)
			}
			// The recovery point of 3 s of continuous writes, shipped every
			// 100 ms: every upload waited a while (its bound counts from the
			// previous file's WAL read), the worst less than the whole test.
			if st.SyncIntervalSeconds != 0.1 {
				t.Errorf("status sync interval %v, want 0.1", st.SyncIntervalSeconds)
			}
			if r := st.Databases[0].RPO; r == nil || r.Uploads < 3 || r.P50Seconds <= 0.001 || r.P50Seconds > r.P99Seconds || r.P99Seconds > r.MaxSeconds || r.MaxSeconds > 10 {
				t.Errorf("recovery point of 3 s of writes: %+v", r)
			}
			ic, n, maxID := checkDB(t, path)
			if ic != "ok" || n != acked || maxID != acked {
				t.Fatalf("source: integrity=%s rows=%d max=%d acked=%d", ic, n, maxID, acked)
			}
			for _, spec := range []string{local, mirror} {
				out := restoreOut(t, mustReplica(t, spec), "orengen.db")
				ic, n, maxID := checkDB(t, out)
				if ic != "ok" || n != acked || maxID != acked {
					t.Fatalf("restore from %s: integrity=%s rows=%d max=%d, want %d", spec, ic, n, maxID, acked)
				}
			}
			t.Logf("acked %d rows; restored %d from the primary and the mirror", acked, acked)
			if os.Getenv("BT_DEBUG") != "" {
				t.Log(c.out.String())
			}
		})
	}
}

// TestReplicate_PointInTime restores to a time between two batches, and
// checks that SyncNow reports a restore point that a restore reaches.
func TestReplicate_PointInTime(t *testing.T) {
	data, local := t.TempDir(), t.TempDir()
	path := filepath.Join(data, "orengen.db")
	db := openApp(t, path)
	c := startReplicator(t, childEnv(data, local))
	waitStatus(t, data, 10*time.Second, "replicator up", func(s Status) bool { return len(s.Databases) == 1 })

	lastA := insertBatch(t, db, 100, "a")
	points, err := SyncNow(context.Background(), data, 10*time.Second)
	if err != nil {
		t.Fatalf("SyncNow: %v", err)
	}
	if len(points) != 1 || points[0].DB != "orengen.db" || points[0].TXID == 0 || len(points[0].Replicas) != 1 {
		t.Fatalf("restore points: %+v", points)
	}
	t.Logf("restore point: %s txid %s at %s", points[0].DB, points[0].TXIDString(), points[0].Time)
	time.Sleep(1100 * time.Millisecond)
	between := time.Now()
	time.Sleep(1100 * time.Millisecond)
	lastB := insertBatch(t, db, 100, "b")
	points2, err := SyncNow(context.Background(), data, 10*time.Second)
	if err != nil || points2[0].TXID <= points[0].TXID {
		t.Fatalf("second SyncNow: %+v %v", points2, err)
	}

	r := mustReplica(t, local)
	// Latest: A and B.
	if _, n, _ := checkDB(t, restoreOut(t, r, "orengen.db")); n != lastB {
		t.Fatalf("latest restore: %d rows, want %d", n, lastB)
	}
	// At the noted time: only A.
	out := t.TempDir()
	res, err := Restore(context.Background(), RestoreOptions{Replica: r, DBName: "orengen.db", OutputDir: out, Timestamp: between})
	if err != nil {
		t.Fatalf("point-in-time restore: %v", err)
	}
	ic, n, maxID := checkDB(t, filepath.Join(out, "orengen.db"))
	if ic != "ok" || n != lastA || maxID != lastA {
		t.Fatalf("point-in-time restore: integrity=%s rows=%d max=%d, want only batch A (%d rows)", ic, n, maxID, lastA)
	}
	if res[0].PointInTime.After(between) || res[0].TXID < points[0].TXID {
		t.Fatalf("result %+v: point in time after %s or txid before the restore point %d", res[0], between, points[0].TXID)
	}
	// Before the first backup there is nothing to restore.
	if _, err := Restore(context.Background(), RestoreOptions{Replica: r, DBName: "orengen.db", OutputDir: t.TempDir(),
		Timestamp: time.Now().Add(-time.Hour)}); !errors.Is(err, ErrNoBackup) {
		t.Fatalf("restore before any backup: %v", err)
	}
	db.Close()
	c.stop(t)
}

// TestRestore_Refuses checks the guards: an existing database needs Force, a
// database a replicator holds is refused even with Force, an empty replica
// is ErrNoBackup, and none of these touches a file.
func TestRestore_Refuses(t *testing.T) {
	data, local := t.TempDir(), t.TempDir()
	path := filepath.Join(data, "orengen.db")
	db := openApp(t, path)
	insertBatch(t, db, 10, "x")
	c := startReplicator(t, childEnv(data, local))
	waitStatus(t, data, 10*time.Second, "in sync", func(s Status) bool { return inSync(s, "orengen.db", 1) })
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := mustReplica(t, local)
	ctx := context.Background()

	_, err = Restore(ctx, RestoreOptions{DataDir: data, Replica: r, DBName: "orengen.db"})
	if !errors.Is(err, ErrDatabaseExists) {
		t.Fatalf("restore over existing db without force: %v", err)
	}
	_, err = Restore(ctx, RestoreOptions{DataDir: data, Replica: r, DBName: "orengen.db", Force: true})
	if !errors.Is(err, ErrDatabaseInUse) {
		t.Fatalf("restore over db held by the replicator: %v", err)
	}
	_, err = Restore(ctx, RestoreOptions{DataDir: data, Replica: r, Force: true}) // all dbs
	if !errors.Is(err, ErrDatabaseInUse) {
		t.Fatalf("restore all over db held by the replicator: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("refused restore changed the database")
	}

	empty := mustReplica(t, t.TempDir())
	out := filepath.Join(t.TempDir(), "out")
	_, err = Restore(ctx, RestoreOptions{Replica: empty, DBName: "orengen.db", OutputDir: out})
	if !errors.Is(err, ErrNoBackup) || !strings.Contains(err.Error(), "no backup found") {
		t.Fatalf("restore from empty replica: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "orengen.db")); !os.IsNotExist(err) {
		t.Fatalf("empty-replica restore created a file: %v", err)
	}
	if _, err := Restore(ctx, RestoreOptions{Replica: empty, OutputDir: out}); !errors.Is(err, ErrNoBackup) {
		t.Fatalf("restore all from empty replica: %v", err)
	}
	if _, err := Drill(ctx, empty, "orengen.db"); !errors.Is(err, ErrNoBackup) {
		t.Fatalf("drill on empty replica: %v", err)
	}
	db.Close()
	c.stop(t)

	// Stopped: Force replaces it, and the stale WAL goes with it.
	insertAfter := openApp(t, path)
	insertBatch(t, insertAfter, 5, "late") // not replicated: the replicator is stopped
	insertAfter.Close()
	res, err := Restore(ctx, RestoreOptions{DataDir: data, Replica: r, DBName: "orengen.db", Force: true})
	if err != nil {
		t.Fatalf("forced restore: %v", err)
	}
	if ic, n, _ := checkDB(t, path); ic != "ok" || n != 10 {
		t.Fatalf("forced restore: integrity=%s rows=%d, want 10 (%+v)", ic, n, res)
	}
}

// TestReplicate_NewDatabasesAndRestoreIfMissing covers several databases,
// one created after the replicator started, then a fresh data directory
// filled by RestoreIfMissing, and a drill.
func TestReplicate_NewDatabasesAndRestoreIfMissing(t *testing.T) {
	data, local := t.TempDir(), t.TempDir()
	a := openApp(t, filepath.Join(data, "orengen.db"))
	insertBatch(t, a, 120, "a")
	c := startReplicator(t, childEnv(data, local))
	waitStatus(t, data, 10*time.Second, "orengen.db replicated", func(s Status) bool { return inSync(s, "orengen.db", 1) })

	b := openApp(t, filepath.Join(data, "redka.db"))
	insertBatch(t, b, 7, "b")
	waitStatus(t, data, 10*time.Second, "redka.db picked up", func(s Status) bool { return len(s.Databases) == 2 })
	points, err := SyncNow(context.Background(), data, 10*time.Second)
	if err != nil || len(points) != 2 || points[1].DB != "redka.db" || points[1].TXID == 0 {
		t.Fatalf("SyncNow: %+v %v", points, err)
	}
	st := waitStatus(t, data, 10*time.Second, "status after sync", func(s Status) bool {
		return inSync(s, "redka.db", 1) && inSync(s, "orengen.db", 1)
	})
	for _, d := range st.Databases {
		r := d.Replicas[0]
		if r.Name != "local" || !r.Primary || r.LastError != "" || r.LastSyncAt.IsZero() || st.MaxLag() > 5*time.Second {
			t.Errorf("status %s: %+v (max lag %s)", d.Name, r, st.MaxLag())
		}
	}
	a.Close()
	b.Close()
	c.stop(t)

	replicas, err := ParseReplicas(nil, local)
	if err != nil {
		t.Fatal(err)
	}
	fresh := t.TempDir()
	res, err := RestoreIfMissing(context.Background(), fresh, "", replicas, nil)
	if err != nil {
		t.Fatalf("RestoreIfMissing: %v", err)
	}
	if len(res) != 2 || res[0].DB != "orengen.db" || res[1].DB != "redka.db" {
		t.Fatalf("RestoreIfMissing results: %+v", res)
	}
	if _, n, _ := checkDB(t, filepath.Join(fresh, "orengen.db")); n != 120 {
		t.Fatalf("orengen.db: %d rows", n)
	}
	if _, n, _ := checkDB(t, filepath.Join(fresh, "redka.db")); n != 7 {
		t.Fatalf("redka.db: %d rows", n)
	}
	again, err := RestoreIfMissing(context.Background(), fresh, "", replicas, nil)
	if err != nil || len(again) != 0 {
		t.Fatalf("second RestoreIfMissing: %+v %v", again, err)
	}

	dr, err := Drill(context.Background(), replicas[0], "orengen.db")
	if err != nil {
		t.Fatalf("drill: %v", err)
	}
	if dr.Rows != 120 || dr.TableRows["t"] != 120 || dr.Integrity != "ok" || dr.Tables != 1 || dr.Size <= 0 {
		t.Fatalf("drill: %+v", dr)
	}
}

// TestSupervisor_ChildKilled kills the replicator with SIGKILL mid-write:
// the supervisor restarts it and the replica ends up with every row.
func TestSupervisor_ChildKilled(t *testing.T) {
	data, local := t.TempDir(), t.TempDir()
	db := openApp(t, filepath.Join(data, "orengen.db"))
	// Checkpoints are left to the replicator, as serve leaves them
	// (store.DB.ReplicatorCheckpoints). With SQLite's automatic
	// checkpoint on, the writer checkpointed while no replicator ran, and
	// a restore then lacked rows in the middle of the table, integrity
	// ok (10 of 22,650 in CI under -race; 3 in 40 runs here against 0 in
	// 48 with it off). cli's TestBackups_ReplicatorKilledUnderLeads checks
	// serve does the same.
	if _, err := db.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
		t.Fatal(err)
	}
	var logs realtest.Buffer
	s := NewSupervisor(os.Args[0], []string{"-test.run=^$"}, childEnv(data, local), slogTo(&logs))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(10 * time.Second)
	w := startWriter(db, 5*time.Millisecond)
	waitStatus(t, data, 10*time.Second, "replicating", func(s Status) bool { return len(s.Databases) == 1 })
	time.Sleep(time.Second)
	pid := s.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Starts() < 2 || s.PID() == 0 || s.PID() == pid {
		if time.Now().After(deadline) {
			t.Fatalf("not restarted; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	acked := w.stop(t)
	// What this test checks is that the restarted replicator ships every
	// write, including those made while no replicator ran. The status's
	// local TXID is what the replicator has read from the WAL, so an
	// "in sync" status can predate the last writes: force a sync (as serve
	// does before migrations) and then wait for the replica to be in sync
	// (the final sync on stop is checked by the soak and parent-kill tests).
	if _, err := SyncNow(context.Background(), data, 15*time.Second); err != nil {
		t.Fatalf("sync after the restart: %v; logs:\n%s", err, logs.String())
	}
	waitStatus(t, data, 15*time.Second, "replica in sync after the restart", func(st Status) bool {
		return len(st.Databases) == 1 && len(st.Databases[0].Replicas) > 0 && st.Databases[0].Replicas[0].InSync &&
			st.Databases[0].Replicas[0].RemoteTXID == st.Databases[0].LocalTXID && st.PID == s.PID()
	})
	db.Close()
	if err := s.Stop(15 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if strings.Contains(logs.String(), "DATA RACE") {
		t.Errorf("race detected in the replicator:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "replicator exited unexpectedly") || !strings.Contains(logs.String(), "signal: killed") {
		t.Errorf("supervisor did not log the exit:\n%s", logs.String())
	}
	out := restoreOut(t, mustReplica(t, local), "orengen.db")
	// max(id) beside count(*): the writer commits 50 rows a transaction,
	// so a late sync loses a multiple of 50 from the top, and anything
	// else is a page restored at the wrong version.
	if ic, n, maxID := checkDB(t, out); ic != "ok" || n != acked || maxID != acked {
		t.Fatalf("restore after child kill: integrity=%s rows=%d max(id)=%d, want %d", ic, n, maxID, acked)
	}
}

// TestSupervisor_ParentKilled runs the supervisor in a re-executed parent
// process and kills that with SIGKILL mid-write: the orphaned replicator
// gets SIGTERM (Pdeathsig) or stdin EOF, syncs and exits, and the replica
// holds every row acknowledged before the kill.
func TestSupervisor_ParentKilled(t *testing.T) {
	data, local := t.TempDir(), t.TempDir()
	db := openApp(t, filepath.Join(data, "orengen.db"))
	childLog := filepath.Join(t.TempDir(), "child.log") // its stderr dies with the parent
	env := append(childEnv(data, local), "BT_LOGFILE="+childLog)
	for i, kv := range env {
		if kv == "BACKUPS_TEST_CHILD=replicate" {
			env[i] = "BACKUPS_TEST_CHILD=parent"
		}
	}
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = env
	var out realtest.Buffer
	parent.Stdout, parent.Stderr = &out, &out
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	parentDone := make(chan struct{})
	go func() { parent.Wait(); close(parentDone) }()
	defer func() { parent.Process.Kill(); <-parentDone }()

	w := startWriter(db, 5*time.Millisecond)
	st := waitStatus(t, data, 15*time.Second, "replicating", func(s Status) bool { return len(s.Databases) == 1 })
	child := st.PID
	time.Sleep(1500 * time.Millisecond)
	ackedAtKill := w.acked.Load()
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-parentDone
	t0 := time.Now()
	for !processGone(child) {
		if time.Since(t0) > 15*time.Second {
			t.Fatalf("orphaned replicator %d still running; output:\n%s", child, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("orphan exited %s after the parent's kill", time.Since(t0).Round(time.Millisecond))
	w.stop(t)
	db.Close()
	// The child's log went to the dead parent; its last status tells how it
	// ended: Stopped is written only after the final sync and store close.
	st, err := ReadStatus(data)
	if err != nil || !st.Stopped || st.PID != child {
		t.Errorf("final status: %+v %v", st, err)
	}
	logb, _ := os.ReadFile(childLog)
	if !strings.Contains(string(logb), "final sync") {
		t.Errorf("no final sync in the child's log:\n%s", logb)
	}
	if os.Getenv("BT_DEBUG") != "" {
		t.Logf("child log:\n%s", logb)
	}
	restored := restoreOut(t, mustReplica(t, local), "orengen.db")
	ic, n, _ := checkDB(t, restored)
	if ic != "ok" {
		t.Fatalf("integrity: %s", ic)
	}
	var present int64
	if err := openRO(t, restored).QueryRow(`SELECT count(*) FROM t WHERE id <= ?`, ackedAtKill).Scan(&present); err != nil {
		t.Fatal(err)
	}
	if present != ackedAtKill {
		t.Fatalf("restore holds %d of %d rows acknowledged before the kill (total %d)", present, ackedAtKill, n)
	}
}

// TestReplicate_MirrorDown checks that an unreachable secondary replica
// shows its error and lag in the status, fails SyncNow by name, and does not
// hold back the primary.
func TestReplicate_MirrorDown(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "client")
	keygen := realtest.LookPath(t, "ssh-keygen", "apt-get install -y openssh-client")
	if b, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, b)
	}
	port := realtest.FreePort(t) // nothing listens there
	data, local := t.TempDir(), t.TempDir()
	db := openApp(t, filepath.Join(data, "orengen.db"))
	insertBatch(t, db, 20, "x")
	c := startReplicator(t, childEnv(data, local, "dead=sftp://u@127.0.0.1:"+strconv.Itoa(port)+"/b?key="+key))
	points, err := SyncNow(context.Background(), data, 15*time.Second)
	if err == nil || !strings.Contains(err.Error(), "dead: ") {
		t.Fatalf("SyncNow with a dead mirror: %v", err)
	}
	if len(points) != 1 || strings.Join(points[0].Replicas, ",") != "local" {
		t.Fatalf("restore points: %+v", points)
	}
	st := waitStatus(t, data, 10*time.Second, "mirror error and lag", func(s Status) bool {
		return len(s.Databases) == 1 && len(s.Databases[0].Replicas) == 2 &&
			s.Databases[0].Replicas[1].LastError != "" && s.Databases[0].Replicas[1].LagSeconds > 0.5
	})
	if p := st.Databases[0].Replicas[0]; !p.InSync || p.LastError != "" {
		t.Fatalf("primary held back by the dead mirror: %+v", p)
	}
	if st.MaxLag() < 500*time.Millisecond || len(st.Errors()) != 1 {
		t.Fatalf("MaxLag %s errors %v", st.MaxLag(), st.Errors())
	}
	t.Logf("dead mirror: %s", st.Errors()[0])
	db.Close()
	c.stop(t)
}

// TestSyncNow_ReplicatorJustDied: a replicator killed a moment ago leaves
// a fresh status naming its PID. SyncNow waits for the restarted one's
// status instead of failing on the dead PID (CI failed this way when the
// restarted child was slow to start), then signals the new one.
func TestSyncNow_ReplicatorJustDied(t *testing.T) {
	data := t.TempDir()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := writeStatus(data, Status{PID: gone.Process.Pid, StartedAt: now, UpdatedAt: now, Ready: true}); err != nil {
		t.Fatal(err)
	}
	// The "restarted replicator" is this process: it answers the signal
	// with a status whose SyncSeq moved on.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, SyncSignal)
	defer signal.Stop(sig)
	go func() {
		time.Sleep(300 * time.Millisecond)
		writeStatus(data, Status{PID: os.Getpid(), StartedAt: time.Now(), UpdatedAt: time.Now(), Ready: true})
		<-sig
		writeStatus(data, Status{PID: os.Getpid(), StartedAt: time.Now(), UpdatedAt: time.Now(), Ready: true, SyncSeq: 1,
			RestorePoints: []RestorePoint{{DB: "orengen.db"}}})
	}()
	points, err := SyncNow(context.Background(), data, 5*time.Second)
	if err != nil {
		t.Fatalf("SyncNow with a just-dead replicator's status: %v", err)
	}
	if len(points) != 1 || points[0].DB != "orengen.db" {
		t.Fatalf("restore points: %+v, want the new replicator's", points)
	}
}
