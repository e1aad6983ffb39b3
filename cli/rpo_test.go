package cli

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"orengen/backups"
)

// TestBackups_RPO measures the recovery point objective of the default
// file replica while leads are captured flat out: for each sync interval
// it runs serve (a child process) under 16 concurrent lead posters for a
// few seconds, records when every lead was acknowledged and when every
// level-0 LTX file reached the replica, then kills serve and its
// replicator with SIGKILL at once (the machine is gone: no final sync),
// restores the replica and counts the acknowledged leads it lacks.
//
// The lag of each lead is exact, not inferred from timestamps: the
// replica is restored as of each LTX file it received (every file's
// modification time is its creation time, so a restore at that time plus
// 1 ms holds exactly the files up to it), and a lead's lag is the time the
// first file holding it was seen in the replica minus its acknowledgement.
// Throughput is each setting's leads/s over the same load against a server
// without replication, in the same run. Slow (about a minute per setting)
// and CPU-bound, so it runs only with ORENGEN_BENCH=1; the figures go to
// docs/BENCHMARKS.md.
func TestBackups_RPO(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH") != "1" {
		t.Skip("RPO figures: set ORENGEN_BENCH=1")
	}
	load := 6 * time.Second
	if s := os.Getenv("ORENGEN_RPO_LOAD"); s != "" {
		load, _ = time.ParseDuration(s)
	}
	intervals := []string{"off", "default", "1s", "100ms", "50ms"}
	if s := os.Getenv("ORENGEN_RPO_INTERVALS"); s != "" {
		intervals = strings.Fields(s)
	}
	var base float64
	var rows []string
	for _, iv := range intervals {
		r := measureRPO(t, iv, load)
		if iv == "off" {
			base = r.rate
		}
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", r.rate/base)
		}
		shown := "-"
		if r.status != nil {
			shown = fmt.Sprintf("%d / %d ms", int(r.status.P50Seconds*1000), int(r.status.P99Seconds*1000))
		}
		row := fmt.Sprintf("| %s | %.0f | %s | %s | %s | %s | %d of %d (%.1f%%) | %s | %s |", iv, r.rate, ratio,
			ms(r.pct(0.5)), ms(r.pct(0.99)), ms(r.max()), r.missing, r.acked, 100*float64(r.missing)/float64(max(r.acked, 1)), ms(r.window), shown)
		if iv == "off" {
			row = fmt.Sprintf("| off (no replica) | %.0f | 1.00 | - | - | - | - | - | - |", r.rate)
		}
		rows = append(rows, row)
		t.Logf("FIGURE %s", row)
	}
	t.Logf("FIGURE table\n| sync interval | leads/s | ratio to no replica | lag p50 | lag p99 | lag max | acknowledged leads lost at kill -9 | loss window | shown on Backups (p50 / p99 bound) |\n|---|---|---|---|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

type rpoResult struct {
	rate           float64
	acked, missing int
	window         time.Duration // kill time minus the oldest lost acknowledgement
	lags           []time.Duration
	status         *backups.RPOStatus // what the replicator reported just before the kill
}

func (r rpoResult) pct(p float64) time.Duration {
	if len(r.lags) == 0 {
		return 0
	}
	return r.lags[int(p*float64(len(r.lags)-1))]
}

func (r rpoResult) max() time.Duration {
	if len(r.lags) == 0 {
		return 0
	}
	return r.lags[len(r.lags)-1]
}

// measureRPO runs one setting: "off" (no replica), "default" or a sync
// interval passed as --backup-sync-interval.
func measureRPO(t *testing.T, interval string, load time.Duration) rpoResult {
	dir := t.TempDir()
	data, bdir := filepath.Join(dir, "data"), filepath.Join(dir, "backups")
	args := []string{"--data-dir", data, "--backup-dir", bdir, "--lead-rate-limit", "-1", "--automation-workers", "1"}
	switch interval {
	case "off":
		args[3] = ""
	case "default":
	default:
		args = append(args, "--backup-sync-interval", interval)
	}
	cmd, addr, out := startServeChild(t, nil, args...)
	if interval != "off" { // wait until the replicator has the databases
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if st, err := backups.ReadStatus(data); err == nil && st.Ready && len(st.Databases) >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: replicator not ready:\n%s", interval, out.String())
			}
		}
	}

	// Watch the replica's level-0 directory: when each file arrived.
	l0 := filepath.Join(bdir, "orengen.db", "ltx", "0")
	seen := map[string]time.Time{}
	stopWatch := make(chan struct{})
	var wwg sync.WaitGroup
	if interval != "off" {
		wwg.Go(func() {
			for {
				select {
				case <-stopWatch:
					return
				case <-time.After(2 * time.Millisecond):
				}
				ents, _ := os.ReadDir(l0)
				now := time.Now()
				for _, e := range ents {
					if _, ok := seen[e.Name()]; !ok && strings.HasSuffix(e.Name(), ".ltx") {
						seen[e.Name()] = now
					}
				}
			}
		})
	}

	// Post leads flat out.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	acks := map[string]time.Time{}
	var seq atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var posted atomic.Int64
	t0 := time.Now()
	for w := 0; w < 16; w++ {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := seq.Add(1)
				email := fmt.Sprintf("rpo%d@example.com", n)
				body := fmt.Sprintf(`{"firstName":"Rpo","email":%q,"phone":"+1512555%04d","source":"rpo"}`, email, n%10000)
				req, _ := http.NewRequest("POST", "http://"+addr+"/webhook/lead-capture", strings.NewReader(body))
				req.Host = "localhost"
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // killed
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					at := time.Now()
					mu.Lock()
					acks[email] = at
					mu.Unlock()
					posted.Add(1)
				}
			}
		})
	}
	time.Sleep(load)
	elapsed := time.Since(t0)
	rate := float64(posted.Load()) / elapsed.Seconds()

	// The machine is gone: SIGKILL the replicator and serve together (the
	// replicator first, so serve's death cannot make it sync once more).
	st, _ := backups.ReadStatus(data)
	killAt := time.Now()
	if interval != "off" && st.PID > 0 {
		syscall.Kill(st.PID, syscall.SIGKILL)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()
	close(stopWatch)
	wwg.Wait()
	res := rpoResult{rate: rate, acked: len(acks)}
	for _, d := range st.Databases {
		if d.Name == "orengen.db" {
			res.status = d.RPO
		}
	}
	if interval == "off" {
		return res
	}

	// What the replica holds: restore it as it was after each file.
	type file struct {
		name string
		at   time.Time // seen in the replica
		ts   time.Time // creation time (the file's mtime)
	}
	var files []file
	for name, at := range seen {
		fi, err := os.Stat(filepath.Join(l0, name))
		if err != nil {
			continue // compacted away (not within a short run)
		}
		files = append(files, file{name, at, fi.ModTime()})
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	arrived := map[string]time.Time{}
	var lastID int64
	for i, f := range files {
		outDir := filepath.Join(dir, fmt.Sprintf("r%d", i))
		ts := f.ts.Add(time.Millisecond).UTC().Format(time.RFC3339Nano)
		if i == len(files)-1 {
			ts = "" // the latest: what a restore after the loss gives
		}
		a := []string{"restore", "--data-dir", data, "--backup-dir", bdir, "--db", "orengen.db", "--output", outDir}
		if ts != "" {
			a = append(a, "--timestamp", ts)
		}
		if o, err := runChild(t, a...); err != nil {
			if strings.Contains(o, "no backup") { // before the first lead
				continue
			}
			t.Fatalf("%s: restore as of %s: %v\n%s", interval, f.name, err, o)
		}
		db, err := sql.Open("sqlite3", "file:"+filepath.Join(outDir, "orengen.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(`SELECT id, email FROM leads WHERE id > ? AND source = 'rpo'`, lastID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var e string
			rows.Scan(&id, &e)
			lastID = max(lastID, id)
			if _, ok := arrived[e]; !ok {
				arrived[e] = f.at
			}
		}
		rows.Close()
		db.Close()
		os.RemoveAll(outDir)
	}
	for e, at := range acks {
		got, ok := arrived[e]
		if !ok {
			res.missing++
			res.window = max(res.window, killAt.Sub(at))
			continue
		}
		res.lags = append(res.lags, max(got.Sub(at), 0))
	}
	slices.Sort(res.lags)
	if len(res.lags) < res.acked/2 {
		t.Fatalf("%s: only %d of %d acknowledged leads reached the replica (%d files seen)", interval, len(res.lags), res.acked, len(files))
	}
	t.Logf("%s: %d leads acknowledged in %s (%.0f/s), %d LTX files; lag p50 %s p99 %s max %s; %d lost at kill -9 (oldest acknowledged %s before the kill)",
		interval, res.acked, elapsed.Round(time.Millisecond), rate, len(files), res.pct(0.5), res.pct(0.99), res.max(), res.missing, res.window.Round(time.Millisecond))
	return res
}
