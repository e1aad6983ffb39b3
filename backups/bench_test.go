package backups

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// TestBenchFigures measures replication lag, restore time of a 1 GB database
// and write throughput with and without the replicator, with the default
// intervals. It is slow and disk-hungry (about 4 GB), so it runs only with
// ORENGEN_BENCH=1:
//
//	ORENGEN_BENCH=1 go test -tags sqlite_fts5 -run TestBenchFigures -v ./backups
func TestBenchFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH") != "1" {
		t.Skip("set ORENGEN_BENCH=1 to measure the backup figures")
	}
	t.Logf("machine: %d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format(time.RFC3339))
	t.Run("Throughput", benchThroughput)
	t.Run("Lag", benchLag)
	t.Run("Restore1GB", benchRestore1GB)
}

// defaultEnv is childEnv with the production intervals.
func defaultEnv(dataDir, backupDir string, specs ...string) []string {
	env := childEnv(dataDir, backupDir, specs...)
	for i, kv := range env {
		if kv == "BT_FAST=1" {
			env[i] = "BT_FAST=0"
		}
	}
	return env
}

func benchThroughput(t *testing.T) {
	const d = 5 * time.Second
	run := func(replicate bool) float64 {
		data, local := t.TempDir(), t.TempDir()
		db := openApp(t, filepath.Join(data, "orengen.db"))
		var c *testChild
		if replicate {
			c = startReplicator(t, defaultEnv(data, local))
			waitStatus(t, data, 10*time.Second, "replicating", func(s Status) bool { return len(s.Databases) == 1 })
		}
		w := startWriter(db, 0)
		time.Sleep(d)
		rows := w.stop(t)
		db.Close()
		if c != nil {
			st, _ := ReadStatus(data)
			c.stop(t)
			if errs := st.Errors(); len(errs) > 0 {
				t.Fatalf("replication failed while measuring: %v", errs)
			}
		}
		if rows == 0 {
			t.Fatalf("no rows written in %s (replicate %v)", d, replicate)
		}
		return float64(rows) / d.Seconds()
	}
	without := run(false)
	with := run(true)
	t.Logf("FIGURE write throughput (50-row txns of 300-byte rows, one writer, %s each): without replication %.0f rows/s, with %.0f rows/s, ratio %.2f",
		d, without, with, with/without)
}

// benchLag commits a 10-row transaction every 20 ms and measures, for each,
// the time until the replica holds an LTX file created after the commit.
func benchLag(t *testing.T) {
	data, local := t.TempDir(), t.TempDir()
	db := openApp(t, filepath.Join(data, "orengen.db"))
	c := startReplicator(t, defaultEnv(data, local))
	waitStatus(t, data, 10*time.Second, "replicating", func(s Status) bool { return len(s.Databases) == 1 })

	l0 := litestream.LTXLevelDir(filepath.Join(local, "orengen.db"), 0)
	type arrival struct{ created, seen time.Time }
	var (
		mu       sync.Mutex
		arrivals []arrival
		seen     = map[string]bool{}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			ents, _ := os.ReadDir(l0)
			now := time.Now()
			for _, e := range ents {
				if seen[e.Name()] || strings.HasSuffix(e.Name(), ".tmp") {
					continue
				}
				f, err := os.Open(filepath.Join(l0, e.Name()))
				if err != nil {
					continue
				}
				hdr, _, err := ltx.PeekHeader(f)
				f.Close()
				if err != nil {
					continue
				}
				seen[e.Name()] = true
				mu.Lock()
				arrivals = append(arrivals, arrival{time.UnixMilli(hdr.Timestamp), now})
				mu.Unlock()
			}
		}
	})
	var commits []time.Time
	pad := strings.Repeat("y", 300)
	for t0 := time.Now(); time.Since(t0) < 10*time.Second; {
		insertBatch(t, db, 10, pad)
		commits = append(commits, time.Now())
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	db.Close()
	c.stop(t)

	slices.SortFunc(arrivals, func(a, b arrival) int { return a.created.Compare(b.created) })
	var lags []time.Duration
	for _, tc := range commits {
		// The first LTX file read from the WAL after the commit holds it.
		for _, a := range arrivals {
			if !a.created.Before(tc.Truncate(time.Millisecond)) {
				lags = append(lags, a.seen.Sub(tc))
				break
			}
		}
	}
	if len(lags) < len(commits)*9/10 {
		t.Fatalf("matched %d of %d commits to replica files", len(lags), len(commits))
	}
	slices.Sort(lags)
	pct := func(p float64) time.Duration { return lags[int(p*float64(len(lags)-1))].Round(time.Millisecond) }
	t.Logf("FIGURE replication lag commit -> file replica (monitor %s, sync %s; %d commits over 10 s): p50 %s, p90 %s, p99 %s, max %s",
		DefaultMonitorInterval, DefaultSyncInterval, len(lags), pct(0.5), pct(0.9), pct(0.99), lags[len(lags)-1].Round(time.Millisecond))
}

func benchRestore1GB(t *testing.T) {
	data, local := t.TempDir(), t.TempDir()
	path := filepath.Join(data, "orengen.db")
	db := openApp(t, path)
	if _, err := db.Exec(`CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for i := 0; i < 16; i++ { // 16 transactions of 64 x 1 MiB random blobs
		if _, err := db.Exec(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 64)
			INSERT INTO blobs (b) SELECT randomblob(1048576) FROM n`); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	t.Logf("generated %d MB in %s", fileSize(path)>>20, time.Since(t0).Round(time.Millisecond))

	c := startReplicator(t, defaultEnv(data, local))
	waitStatus(t, data, 60*time.Second, "replicating", func(s Status) bool { return len(s.Databases) == 1 })
	t1 := time.Now()
	if _, err := SyncNow(context.Background(), data, 5*time.Minute); err != nil {
		t.Fatalf("SyncNow: %v", err)
	}
	t.Logf("initial replication of the 1 GB database: %s", time.Since(t1).Round(time.Millisecond))
	c.stop(t)

	out := t.TempDir()
	res, err := Restore(context.Background(), RestoreOptions{Replica: mustReplica(t, local), DBName: "orengen.db", OutputDir: out})
	if err != nil {
		t.Fatal(err)
	}
	chk, err := sql.Open("sqlite3", "file:"+filepath.Join(out, "orengen.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer chk.Close()
	var n int
	if err := chk.QueryRow(`SELECT count(*) FROM blobs`).Scan(&n); err != nil || n != 1024 {
		t.Fatalf("restored blobs %d %v", n, err)
	}
	t.Logf("FIGURE restore of a %d MB database from the file replica (incl. full integrity_check): %s",
		res[0].Size>>20, res[0].Duration.Round(time.Millisecond))
}
