package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// TestLeadCapture_Load measures /webhook/lead-capture on loopback:
// sustained leads/s (each committed with its run before the 201), p99 at a
// fixed 1,000 leads/s, and workflow steps/s against a fake Twilio and an
// SMTP sink. Run with ORENGEN_LOAD=1 (it takes ~30 s and both cores).
func TestLeadCapture_Load(t *testing.T) {
	if os.Getenv("ORENGEN_LOAD") != "1" {
		t.Skip("load figures: set ORENGEN_LOAD=1")
	}
	if os.Getenv("ORENGEN_LOAD_WORKERS") == "" {
		os.Setenv("ORENGEN_LOAD_WORKERS", "2")
	}
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	tw, sink := newFakeTwilio(t), newSMTPSink(t)
	cfgFile := filepath.Join(dir, "orengen.env")
	os.WriteFile(cfgFile, []byte("ORENGEN_SMTP_URL=smtp://"+sink.ln.Addr().String()+"?from=bot@example.com\n"), 0o600)
	addr, _, stop := MustRunMain(t, dir, "--config", cfgFile, "--twilio-api-url", tw.srv.URL, "--lead-rate-limit", "-1", "--log-level", "warn", "--automation-workers", os.Getenv("ORENGEN_LOAD_WORKERS"))
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	var seq atomic.Int64
	post := func() (time.Duration, error) {
		n := seq.Add(1)
		body := fmt.Sprintf(`{"firstName":"Load","lastName":"Test","email":"load%d@example.com","phone":"+1512555%04d","source":"load"}`, n, n%10000)
		req, _ := http.NewRequest("POST", "http://"+addr+"/webhook/lead-capture", strings.NewReader(body))
		req.Host = "localhost"
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(t0), nil
	}

	if os.Getenv("ORENGEN_LOAD_WRK") == "1" { // wrk's own figure first, on a fresh queue
		script := filepath.Join(dir, "post.lua")
		os.WriteFile(script, []byte(`wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Host"] = "localhost"
local n = 0
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
local tid = math.random(1, 1e9)
request = function()
  n = n + 1
  return wrk.format(nil, "/webhook/lead-capture", nil, string.format('{"firstName":"W","email":"w%d_%d@example.com","phone":"+1512555%04d","source":"wrk"}', tid, n, n % 10000))
end
`), 0o600)
		out, err := exec.Command("wrk", "-t2", "-c64", "-d10s", "--latency", "-s", script, "http://"+addr+"/").CombinedOutput()
		t.Logf("wrk (err %v):\n%s", err, out)
	}
	if f := os.Getenv("ORENGEN_LOAD_PROFILE"); f != "" {
		pf, _ := os.Create(f)
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	// 1. Sustained: 32 concurrent posters for 5 s.
	var ok, failed atomic.Int64
	deadline := time.Now().Add(5 * time.Second)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, err := post(); err != nil {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	if os.Getenv("ORENGEN_LOAD_PROFILE") != "" {
		pprof.StopCPUProfile()
	}
	t.Logf("sustained: %d leads in %v = %.0f leads/s (%d failed)", ok.Load(), el.Round(time.Millisecond), float64(ok.Load())/el.Seconds(), failed.Load())

	// 2. Fixed rate: 1,000 leads/s for 5 s, latency of each.
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	tick := time.NewTicker(time.Millisecond)
	end := time.Now().Add(5 * time.Second)
	for time.Now().Before(end) {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := post()
			if err != nil {
				errs.Add(1)
				return
			}
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}()
	}
	tick.Stop()
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		t.Logf("at 1000/s: %d leads, p50 %v p99 %v max %v (%d errors)", len(lat), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1], errs.Load())
	}

	// 3. Workflow steps/s: drain the queue (contact, if, call, notify).
	db := openDataDB(t, dir)
	ws := store.NewWorkflowStore(db)
	count := func(status string) int {
		var n int
		runs, _ := ws.FindRuns(context.Background(), app.RunFilter{Status: status, Limit: 1})
		if len(runs) > 0 {
			db.ReadDB().QueryRow(`SELECT count(*) FROM runs WHERE status = ?`, status).Scan(&n)
		}
		return n
	}
	var steps0 int
	db.ReadDB().QueryRow(`SELECT count(*) FROM run_steps WHERE status = 'succeeded'`).Scan(&steps0)
	t1 := time.Now()
	for time.Since(t1) < 20*time.Second && count(app.RunQueued) > 0 {
		time.Sleep(200 * time.Millisecond)
	}
	var steps1 int
	db.ReadDB().QueryRow(`SELECT count(*) FROM run_steps WHERE status = 'succeeded'`).Scan(&steps1)
	el = time.Since(t1)
	t.Logf("workflow: %d steps in %v = %.0f steps/s; runs left queued %d, succeeded %d, failed %d; emails %d",
		steps1-steps0, el.Round(time.Millisecond), float64(steps1-steps0)/el.Seconds(), count(app.RunQueued), count(app.RunSucceeded), count(app.RunFailed), len(sink.messages()))
}
