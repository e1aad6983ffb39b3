package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"orengen/backups"
	"orengen/ui"
)

// startServeProcess runs `orengen serve` (this test binary) as a child
// process, so it can be killed with SIGKILL.
func startServeProcess(t *testing.T, dataDir, backupDir string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	return startServeChild(t, nil, "--data-dir", dataDir, "--backup-dir", backupDir)
}

// startServeChild runs `orengen serve` on a free loopback port as a child
// process with extra environment and flags, stopped with SIGTERM (so it
// stops its replicator) when the test ends.
func startServeChild(t *testing.T, env []string, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, append([]string{"serve", "--http-addr", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// SIGTERM lets serve stop its replicator before the temp dir goes.
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	})
	re := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return cmd, m[1], out
		}
	}
	t.Fatalf("serve did not start:\n%s", out.String())
	return nil, "", nil
}

// runChild runs an orengen command (this test binary) to completion and
// returns its standard output, with its standard error after it if it
// failed.
func runChild(t *testing.T, args ...string) (string, error) {
	t.Helper()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

type ack struct {
	email string
	at    time.Time
}

// postLeads posts leads until stop closes and returns the acknowledged
// ones (a 303 is the acknowledgement).
func postLeads(t *testing.T, addr string, stop <-chan struct{}, workers int) []ack {
	var mu sync.Mutex
	var acks []ack
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("w%d-%d@example.com", w, i)
				req, _ := http.NewRequest("POST", "http://"+addr+"/leads", strings.NewReader(url.Values{"first_name": {"Load"}, "email": {email}}.Encode()))
				req.Host = "localhost"
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := client.Do(req)
				if err != nil {
					return // the server was killed
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusSeeOther {
					mu.Lock()
					acks = append(acks, ack{email, time.Now()})
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	return acks
}

func leadEmails(t *testing.T, dbPath string) map[string]bool {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT email FROM leads")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var e string
		rows.Scan(&e)
		out[e] = true
	}
	var ic string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		t.Fatalf("integrity_check of %s: %q %v", dbPath, ic, err)
	}
	return out
}

// TestBackups_KillRestore: kill -9 of serve under write load loses no
// acknowledged write locally, and a restore from the replica has every
// write acknowledged at least 2 s before the kill.
func TestBackups_KillRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 and restore take ~15 s")
	}
	dir := t.TempDir()
	data, bdir := filepath.Join(dir, "data"), filepath.Join(dir, "backups")
	cmd, addr, out := startServeProcess(t, data, bdir)

	stop := make(chan struct{})
	var acks []ack
	done := make(chan struct{})
	go func() { acks = postLeads(t, addr, stop, 4); close(done) }()
	time.Sleep(4 * time.Second)
	killedAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	<-done
	if len(acks) < 100 {
		t.Fatalf("only %d leads acknowledged before the kill:\n%s", len(acks), out.String())
	}
	// The orphaned replicator notices its parent died, syncs and exits.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st, err := backups.ReadStatus(data)
		if err == nil && st.Stopped {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicator still running 15 s after the kill (status %+v, %v)", st, err)
		}
	}

	// Restore beside the data: every lead acknowledged ≥ 2 s before the kill.
	restored := filepath.Join(dir, "restored")
	if o, err := runChild(t, "restore", "--data-dir", data, "--backup-dir", bdir, "--db", "orengen.db", "--output", restored); err != nil {
		t.Fatalf("restore --output: %v\n%s", err, o)
	} else if !strings.Contains(o, "restored orengen.db from local") || !strings.Contains(o, "integrity ok") {
		t.Fatalf("restore output: %s", o)
	}
	got := leadEmails(t, filepath.Join(restored, "orengen.db"))
	old, missing := 0, 0
	for _, a := range acks {
		if killedAt.Sub(a.at) >= 2*time.Second {
			old++
			if !got[a.email] {
				missing++
			}
		}
	}
	if old == 0 || missing > 0 {
		t.Fatalf("restore after kill: %d of %d leads acknowledged ≥2 s before the kill are missing", missing, old)
	}

	// Restart on the same data: no acknowledged lead was lost locally.
	startServeProcess(t, data, bdir)
	local := leadEmails(t, filepath.Join(data, "orengen.db"))
	for _, a := range acks {
		if !local[a.email] {
			t.Fatalf("acknowledged lead %s lost locally after kill -9", a.email)
		}
	}
	t.Logf("%d leads acknowledged; %d of them ≥2 s before the kill, all in the replica; all %d present after restart", len(acks), old, len(acks))
}

// TestBackups_RestoreInPlaceAndDrill: serve with a file replica, stop, lose
// the data directory, restore it with `orengen restore`; a drill reports
// the rows; restoring over live data needs --force; a wrong replica says so.
func TestBackups_RestoreInPlaceAndDrill(t *testing.T) {
	dir := t.TempDir()
	data, bdir := filepath.Join(dir, "data"), filepath.Join(dir, "backups")
	addr, _, stop := MustRunMain(t, data, "--backup-dir", bdir)
	for i := 0; i < 25; i++ {
		req, _ := http.NewRequest("POST", "http://"+addr+"/leads", strings.NewReader(url.Values{"first_name": {"A"}, "email": {fmt.Sprintf("r%d@example.com", i)}}.Encode()))
		req.Host = "localhost"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil || resp.StatusCode != 303 {
			t.Fatalf("lead %d: %v %v", i, resp, err)
		}
		resp.Body.Close()
	}
	// /healthz reports replication.
	var health map[string]any
	_, body := get(t, addr, "nexus.localhost", "/healthz")
	json.Unmarshal([]byte(body), &health)
	if _, ok := health["replication"]; !ok {
		t.Errorf("healthz has no replication: %v", health)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Drill: restore to a temp file, check, count.
	o, err := runChild(t, "restore", "--drill", "--json", "--data-dir", data, "--backup-dir", bdir, "--replica", "local")
	if err != nil {
		t.Fatalf("drill: %v %s", err, o)
	}
	var dr backups.DrillResult
	if err := json.Unmarshal([]byte(o), &dr); err != nil || dr.Integrity != "ok" || dr.TableRows["leads"] != 25 {
		t.Fatalf("drill result %+v (%v) from %s", dr, err, o)
	}
	// Restoring over an existing database is refused without --force.
	if o, err := runChild(t, "restore", "--data-dir", data, "--backup-dir", bdir); err == nil || !strings.Contains(o, "--force") {
		t.Fatalf("restore over live data: %v %s", err, o)
	}
	// A wrong replica: a clear message, nothing touched.
	if o, err := runChild(t, "restore", "--data-dir", data, "--backup-dir", bdir, "--replica", "nope"); err == nil || !strings.Contains(o, `no replica named "nope"`) {
		t.Fatalf("unknown replica: %v %s", err, o)
	}
	empty := filepath.Join(dir, "empty-replica")
	os.MkdirAll(empty, 0o700)
	if o, err := runChild(t, "restore", "--data-dir", filepath.Join(dir, "elsewhere"), "--backup-dir", "", "--replica", "file://"+empty, "--db", "orengen.db"); err == nil || !strings.Contains(o, "holds no backup") {
		t.Fatalf("empty replica: %v %s", err, o)
	}
	// Lose the data directory; restore it in place.
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	o, err = runChild(t, "restore", "--data-dir", data, "--backup-dir", bdir)
	if err != nil || !strings.Contains(o, "restored orengen.db") || !strings.Contains(o, "restored redka.db") {
		t.Fatalf("restore: %v %s", err, o)
	}
	if n := len(leadEmails(t, filepath.Join(data, "orengen.db"))); n != 25 {
		t.Fatalf("restored %d leads, want 25", n)
	}
	// The data directory restore created and the databases are owner-only.
	for p, want := range map[string]os.FileMode{data: 0o700, filepath.Join(data, "orengen.db"): 0o600, filepath.Join(data, "redka.db"): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %o", p, fi.Mode().Perm(), err, want)
		}
	}
}

// TestBackups_RestoreIfMissing: a fresh data directory with a configured
// replica restores itself at first start (the new-VPS story: the same
// environment file, with its master key).
func TestBackups_RestoreIfMissing(t *testing.T) {
	dir := t.TempDir()
	data, bdir := filepath.Join(dir, "data"), filepath.Join(dir, "backups")
	envFile := filepath.Join(dir, "orengen.env")
	if err := os.WriteFile(envFile, []byte("ORENGEN_MASTER_KEY="+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _, stop := MustRunMain(t, data, "--backup-dir", bdir, "--config", envFile)
	req, _ := http.NewRequest("POST", "http://"+addr+"/leads", strings.NewReader("first_name=Keep&email=keep@example.com"))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("lead: %v %v", resp, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(data)
	addr, _, stop = MustRunMain(t, data, "--backup-dir", bdir, "--config", envFile)
	if _, body := get(t, addr, "localhost", "/healthz"); !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("healthz after restore: %s", body)
	}
	stop()
	if !leadEmails(t, filepath.Join(data, "orengen.db"))["keep@example.com"] {
		t.Fatal("the lead was not restored at first start")
	}
}

// TestBackups_RestorePointBeforeMigrations: when serve finds migrations to
// apply to an existing database, it ships everything first and records a
// restore point; restoring at that point gives the database as it was
// before the upgrade.
func TestBackups_RestorePointBeforeMigrations(t *testing.T) {
	dir := t.TempDir()
	data, bdir := filepath.Join(dir, "data"), filepath.Join(dir, "backups")
	_, _, stop := MustRunMain(t, data, "--backup-dir", bdir)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Make the database look like one from before migration 0004.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "orengen.db")+"?_journal_mode=WAL&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE backup_drills", "DROP TABLE restore_points", "DELETE FROM schema_migrations WHERE name = '0004_backups.sql'"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	addr, _, stop := MustRunMain(t, data, "--backup-dir", bdir)
	_, body := get(t, addr, "nexus.localhost", "/healthz")
	if !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("healthz: %s", body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	db, err = sql.Open("sqlite3", "file:"+filepath.Join(data, "orengen.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var txid, migrations, at string
	err = db.QueryRow("SELECT txid, migrations, point_time FROM restore_points WHERE db = 'orengen.db'").Scan(&txid, &migrations, &at)
	db.Close()
	if err != nil || txid == "" || !strings.Contains(migrations, "0004_backups.sql") {
		t.Fatalf("restore point: %q %q %v", txid, migrations, err)
	}
	// Roll back: restore at the restore point's time, beside the data.
	pt, _ := time.Parse(time.RFC3339Nano, at)
	out := filepath.Join(dir, "rollback")
	if o, err := runChild(t, "restore", "--data-dir", data, "--backup-dir", bdir, "--db", "orengen.db", "--output", out, "--timestamp", pt.UTC().Format(time.RFC3339Nano)); err != nil {
		t.Fatalf("restore at the point: %v %s", err, o)
	}
	rb, err := sql.Open("sqlite3", "file:"+filepath.Join(out, "orengen.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	var n int
	if err := rb.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'restore_points'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the rolled-back database has the upgrade's table (n=%d, %v)", n, err)
	}
}

// postSiteLead posts one lead to the marketing site's form.
func postSiteLead(t *testing.T, addr, email string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+"/leads", strings.NewReader(url.Values{"first_name": {"Keep"}, "email": {email}}.Encode()))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("lead: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestBackups_DefaultReplicaBesideDataDir: with no --backup-dir the file
// replica is next to the data directory, named after it (never the working
// directory), so a second data directory neither restores the first's
// data at its first start nor replicates into its replica.
func TestBackups_DefaultReplicaBesideDataDir(t *testing.T) {
	cfg, err := LoadConfig(newFlagSet("serve", "", io.Discard), []string{"--data-dir", "some/data"}, envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if abs, _ := filepath.Abs("some/data-backups"); cfg.BackupDir != abs {
		t.Fatalf("default backup dir %q, want %q", cfg.BackupDir, abs)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	addr, _, stop := MustRunMain(t, a, "--backup-dir", DefaultBackupDir)
	postSiteLead(t, addr, "only-a@example.com")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a-backups", "orengen.db")); err != nil {
		t.Fatalf("a's replica is not beside it: %v", err)
	}
	_, _, stop = MustRunMain(t, b, "--backup-dir", DefaultBackupDir)
	stop()
	if leadEmails(t, filepath.Join(b, "orengen.db"))["only-a@example.com"] {
		t.Fatal("a fresh data directory restored another one's data")
	}
	if _, err := os.Stat(filepath.Join(dir, "b-backups", "orengen.db")); err != nil {
		t.Fatalf("b's replica is not beside it: %v", err)
	}
}

// TestBackups_ForeignReplicaRefused: a replica records the database it
// belongs to. A fresh data directory pointed at another database's replica
// does not restore from it at start, another database does not replicate
// into it (both with a message that says what to do), and `orengen restore
// --force` takes its data on purpose, after which it replicates there.
func TestBackups_ForeignReplicaRefused(t *testing.T) {
	dir := t.TempDir()
	a, shared := filepath.Join(dir, "a"), filepath.Join(dir, "shared-backups")
	addr, _, stop := MustRunMain(t, a, "--backup-dir", shared)
	postSiteLead(t, addr, "from-a@example.com")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	serve := func(data string, extra ...string) (string, error) {
		var out, errb syncBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := Run(ctx, append([]string{"serve", "--data-dir", data, "--backup-dir", shared, "--http-addr", "127.0.0.1:0"}, extra...), &out, &errb, envFrom(nil))
		return errb.String(), err
	}
	// 1. A fresh data directory does not restore a's data at first start.
	b := filepath.Join(dir, "b")
	if _, err := serve(b); err == nil || !errors.Is(err, backups.ErrForeignReplica) ||
		!strings.Contains(err.Error(), "served from") || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), "orengen restore --force") {
		t.Fatalf("fresh data dir on a's replica: %v", err)
	}
	if _, err := os.Stat(filepath.Join(b, "orengen.db")); err == nil {
		t.Fatal("the refused start restored a database")
	}
	// 2. Another database does not replicate into a's replica.
	before, _ := os.ReadDir(filepath.Join(shared, "orengen.db", "ltx", "0"))
	if _, err := serve(b, "--restore-if-missing=false"); err == nil || !errors.Is(err, backups.ErrForeignReplica) ||
		!strings.Contains(err.Error(), "another database") || !strings.Contains(err.Error(), "Nothing was replicated") {
		t.Fatalf("second database on a's replica: %v", err)
	}
	if after, _ := os.ReadDir(filepath.Join(shared, "orengen.db", "ltx", "0")); len(after) != len(before) {
		t.Fatalf("the refused database wrote to the replica: %d level-0 files, were %d", len(after), len(before))
	}
	if id, err := backups.ReadIdentity(context.Background(), mustLocalReplica(t, shared)); err != nil || id == nil || id.DataDir != a {
		t.Fatalf("replica identity after the refusals: %+v %v", id, err)
	}
	// 3. restore takes it only with --force.
	c := filepath.Join(dir, "c")
	if o, err := runChild(t, "restore", "--data-dir", c, "--backup-dir", shared); err == nil || !strings.Contains(o, "pass --force") {
		t.Fatalf("restore from another data directory's replica without --force: %v %s", err, o)
	}
	if o, err := runChild(t, "restore", "--force", "--data-dir", c, "--backup-dir", shared); err != nil || !strings.Contains(o, "restored orengen.db") {
		t.Fatalf("restore --force: %v %s", err, o)
	}
	key, err := os.ReadFile(filepath.Join(a, "master.key")) // a's data comes with a's vault key
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c, "master.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _, stop = MustRunMain(t, c, "--backup-dir", shared)
	postSiteLead(t, addr, "from-c@example.com")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	got := leadEmails(t, filepath.Join(c, "orengen.db"))
	if !got["from-a@example.com"] || !got["from-c@example.com"] {
		t.Fatalf("restored data dir leads %v", got)
	}
	if id, _ := backups.ReadIdentity(context.Background(), mustLocalReplica(t, shared)); id == nil || id.DataDir != c {
		t.Fatalf("the replica follows its database to %s: %+v", c, id)
	}
}

func mustLocalReplica(t *testing.T, dir string) backups.Replica {
	t.Helper()
	rs, err := backups.ParseReplicas(nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	return rs[0]
}

// TestBackups_SyncIntervalSetting: --backup-sync-interval reaches the
// replicator, which reports it with the recovery point of recent writes
// (what Nexus > Backups shows); values outside 10ms-1m are refused.
func TestBackups_SyncIntervalSetting(t *testing.T) {
	var errb bytes.Buffer
	for _, bad := range []string{"5ms", "2m", "soon"} {
		err := Run(context.Background(), []string{"serve", "--data-dir", t.TempDir(), "--backup-sync-interval", bad}, io.Discard, &errb, envFrom(nil))
		if err == nil || !strings.Contains(err.Error(), "--backup-sync-interval") {
			t.Errorf("--backup-sync-interval %s: %v", bad, err)
		}
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr, _, stop := MustRunMain(t, data, "--backup-dir", filepath.Join(dir, "bk"), "--backup-sync-interval", "50ms")
	defer stop()
	for i := 0; i < 20; i++ {
		postSiteLead(t, addr, fmt.Sprintf("rpo%d@example.com", i))
		time.Sleep(20 * time.Millisecond)
	}
	var st backups.Status
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		st, err = backups.ReadStatus(data)
		if err == nil && len(st.Databases) > 0 && st.Databases[0].Name == "orengen.db" && st.Databases[0].RPO != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery point reported: %+v %v", st, err)
		}
	}
	if st.SyncIntervalSeconds != 0.05 {
		t.Errorf("replicator sync interval %vs, want 0.05", st.SyncIntervalSeconds)
	}
	if r := st.Databases[0].RPO; r.Uploads < 1 || r.MaxSeconds <= 0 || r.P99Seconds > r.MaxSeconds {
		t.Errorf("recovery point %+v", r)
	}
}

// TestBackupHealth_Restart: right after a restart the status file is the
// previous run's (stopped): /healthz reports the replicator starting, not
// degraded, and logs nothing; once this run's replicator reports, its
// status counts; a replicator that never reports is degraded and logged
// after backups.StaleAfter.
func TestBackupHealth_Restart(t *testing.T) {
	dir := t.TempDir()
	cfg := &Config{DataDir: dir}
	writeStatus := func(st backups.Status) {
		b, _ := json.Marshal(st)
		if err := os.WriteFile(filepath.Join(dir, backups.StatusFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	previous := time.Now().Add(-time.Hour)
	writeStatus(backups.Status{PID: 1, StartedAt: previous, UpdatedAt: previous, Stopped: true, Ready: true})

	started := time.Now()
	check := backupHealthSince(cfg, logger, started)
	val := func(it ui.HealthItem) map[string]any { v, _ := it.Value.(map[string]any); return v }
	if it := check(context.Background()); it.Status != "ok" || val(it)["starting"] != true {
		t.Errorf("just after the restart: %s %v, want ok and starting", it.Status, it.Value)
	}
	if logs.Len() != 0 {
		t.Errorf("logged just after the restart: %s", logs.String())
	}

	now := time.Now()
	writeStatus(backups.Status{PID: 2, StartedAt: now, UpdatedAt: now, Ready: true})
	if it := check(context.Background()); it.Status != "ok" || val(it)["starting"] != nil || val(it)["lag_seconds"] != 0.0 {
		t.Errorf("this run's replicator reported: %s %v, want ok with its lag", it.Status, it.Value)
	}

	writeStatus(backups.Status{PID: 1, StartedAt: previous, UpdatedAt: previous, Stopped: true, Ready: true})
	late := backupHealthSince(cfg, logger, time.Now().Add(-backups.StaleAfter-time.Second))
	if it := late(context.Background()); it.Status != "degraded" {
		t.Errorf("no report %s after the start: %s %v, want degraded", backups.StaleAfter, it.Status, it.Value)
	}
	if !strings.Contains(logs.String(), "replication lag over threshold") {
		t.Errorf("no warning once the replicator should have reported: %q", logs.String())
	}
}
