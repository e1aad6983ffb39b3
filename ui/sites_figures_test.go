package ui_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/sites"
)

var (
	reWrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reWrkPct  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)$`)
	reWrkNon  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

type wrkFig struct {
	rps      float64
	p50, p99 time.Duration
}

// wrkRun loads url with Host host for d (wrk -t2 -c32) and fails on any
// answer but 2xx.
func wrkRun(t *testing.T, addr, host, path string, d time.Duration) wrkFig {
	t.Helper()
	out, err := exec.Command("wrk", "-t2", "-c32", "-d"+strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-H", "Host: "+host,
		"-H", "Accept-Encoding: br, gzip", "-H", "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "http://"+addr+path).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	s := string(out)
	if m := reWrkNon.FindStringSubmatch(s); m != nil {
		t.Fatalf("wrk %s%s: %s answers were not 2xx\n%s", host, path, m[1], s)
	}
	var f wrkFig
	if m := reWrkRate.FindStringSubmatch(s); m != nil {
		f.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}
	for _, m := range reWrkPct.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		if m[1] == "50" {
			f.p50 = time.Duration(v * float64(unit[m[3]]))
		} else {
			f.p99 = time.Duration(v * float64(unit[m[3]]))
		}
	}
	if f.rps == 0 {
		t.Fatalf("wrk output: %s", s)
	}
	return f
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// TestSitesFigures measures, in one run on loopback: a published page's
// requests/s and latency beside the marketing page as the renderer it
// replaced served it (rendered once, compressed, from memory); the same
// page with and without analytics recording; analytics ingestion
// events/s; and the editor's save-to-live time. make bench runs it
// (ORENGEN_BENCH_SITES=1); the figures go to docs/BENCHMARKS.md.
func TestSitesFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_SITES") == "" {
		t.Skip("figures: ORENGEN_BENCH_SITES=1 (make bench)")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Fatal("wrk not installed")
	}
	e := newTenantEnv(t)
	e.Server.LeadRateLimit = -1
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	t.Cleanup(func() { e.Server.Shutdown(context.Background()) })
	addr := ln.Addr().String()
	host := e.A.T.Slug + "-site.localhost"
	window := 4 * time.Second
	fmt.Printf("load average at start: %s\n", loadavg())

	// The marketing page as the old renderer served it: the house site
	// out of the way, "/" on the marketing host is rendered once and kept.
	house := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID})
	hs, _ := e.App.Sites.ListSites(house)
	for _, s := range hs {
		if s.Domain == "localhost" {
			if err := e.App.Sites.DeleteSite(house, s.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec := e.App.Sites.Analytics
	wctx, stopWriter := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() { rec.Run(wctx); close(writerDone) }() // as serve runs it
	// Windows alternate, so the machine's load (other helpers' builds)
	// falls on both sides alike: on, off, on, off.
	static := wrkRun(t, addr, "localhost", "/", window)
	var on, off []wrkFig
	for i := 0; i < 2; i++ {
		on = append(on, wrkRun(t, addr, host, "/", window))
		e.App.Sites.Analytics = nil
		off = append(off, wrkRun(t, addr, host, "/", window))
		e.App.Sites.Analytics = rec
	}
	mean := func(fs []wrkFig) wrkFig {
		var m wrkFig
		for _, f := range fs {
			m.rps += f.rps / float64(len(fs))
			m.p50 += f.p50 / time.Duration(len(fs))
			m.p99 += f.p99 / time.Duration(len(fs))
		}
		return m
	}
	built, noAnalytics := mean(on), mean(off)
	stopWriter()
	<-writerDone
	fmt.Printf("load average at end of the wrk windows: %s\n", loadavg())
	today := time.Now().UTC().Format(time.DateOnly)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	during, err := e.App.Sites.Report(ctx, e.A.Site.ID, today, today)
	if err != nil {
		t.Fatal(err)
	}

	// Ingestion: 50,000 events written in batches.
	const n = 50000
	now := time.Now()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if !rec.Record(sites.Event{SiteID: e.A.Site.ID, Kind: sites.EventView, Day: now.UTC().Format(time.DateOnly), Path: "", Visitor: strconv.Itoa(i % 5000), Device: "desktop", At: now}) {
			if err := rec.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			i--
		}
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ingest := time.Since(t0)
	queued := n

	// Editor save to live: save a draft, publish, first GET that shows it.
	var lives []time.Duration
	for i := 0; i < 7; i++ {
		p, err := e.App.Sites.Page(ctx, e.A.SitePage.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("Version %d of the hero", i)
		p.Blocks[0].Heading = want
		t0 := time.Now()
		if _, err := e.App.Sites.SavePage(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Sites.Publish(ctx, e.A.Site.ID, ""); err != nil {
			t.Fatal(err)
		}
		for {
			req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
			req.Host = host
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			buf := make([]byte, 64<<10)
			for {
				k, err := resp.Body.Read(buf)
				b.Write(buf[:k])
				if err != nil {
					break
				}
			}
			resp.Body.Close()
			if strings.Contains(b.String(), want) {
				break
			}
			if time.Since(t0) > 10*time.Second {
				t.Fatal("publish not live after 10 s")
			}
		}
		lives = append(lives, time.Since(t0))
	}
	sort.Slice(lives, func(i, j int) bool { return lives[i] < lives[j] })
	rep, err := e.App.Sites.Report(ctx, e.A.Site.ID, now.UTC().Format(time.DateOnly), now.UTC().Format(time.DateOnly))
	if err != nil || rep.Views < during.Views+queued {
		t.Fatalf("report after ingestion: %v %+v", err, rep)
	}

	fmt.Printf("| published page (builder, tenant domain) | %.0f req/s | p50 %v | p99 %v |\n", built.rps, built.p50, built.p99)
	fmt.Printf("| marketing page, the renderer it replaced | %.0f req/s | p50 %v | p99 %v |\n", static.rps, static.p50, static.p99)
	fmt.Printf("| builder / replaced renderer | %.2f with analytics, %.2f without |\n", built.rps/static.rps, noAnalytics.rps/static.rps)
	fmt.Printf("| same page, analytics off | %.0f req/s | p50 %v | p99 %v | with / without analytics %.2f |\n", noAnalytics.rps, noAnalytics.p50, noAnalytics.p99, built.rps/noAnalytics.rps)
	fmt.Printf("| views recorded during the analytics-on window: %d of about %.0f served, %d dropped (queue full) |\n", during.Views, 2*built.rps*window.Seconds(), rec.Dropped.Load())
	fmt.Printf("| analytics ingestion | %d events in %v: %.0f events/s |\n", queued, ingest, float64(queued)/ingest.Seconds())
	fmt.Printf("| editor save to live (save draft + publish + first GET showing it) | median %v, max %v (7 runs) |\n", lives[len(lives)/2], lives[len(lives)-1])
	fmt.Printf("load average at end: %s\n", loadavg())
	// Honest failure: the builder's serving path (analytics aside, whose
	// cost is reported) must serve at least half as fast as the page it
	// is compared with, in the same run.
	if noAnalytics.rps < 0.5*static.rps {
		t.Errorf("published page %.0f req/s against %.0f for the old marketing page", noAnalytics.rps, static.rps)
	}
}
