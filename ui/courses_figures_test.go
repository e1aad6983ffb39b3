package ui_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"orengen/app"
)

// TestCoursesFigures measures on loopback, in one run: the lesson page
// of signed-in members (each view checks enrolment, drip and
// prerequisites, and records the member's progress: a write), beside the
// same course's landing page (reads only) as its peer; 32 connections
// from 16 members for a few seconds each, alternating. make bench runs
// it (ORENGEN_BENCH_COURSES=1); the figures go to docs/BENCHMARKS.md.
func TestCoursesFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_COURSES") == "" {
		t.Skip("figures: ORENGEN_BENCH_COURSES=1 (make bench)")
	}
	e := newTenantEnv(t)
	a := e.courseFixture(e.A.T, e.A.Owner)
	ctx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner)
	var cookies []string
	for i := range 16 {
		email := "bench" + strconv.Itoa(i) + "@alpha.test"
		if _, err := e.App.Courses.Invite(ctx, email, "Bench "+strconv.Itoa(i), a.Course.ID); err != nil {
			t.Fatal(err)
		}
		sess, _, err := e.App.Courses.RedeemLink(app.NewContextWithTenant(context.Background(), e.A.T), e.memberToken(email))
		if err != nil {
			t.Fatal(err)
		}
		cookies = append(cookies, sess.ID)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	t.Cleanup(func() { e.Server.Shutdown(context.Background()) })
	base := "http://" + ln.Addr().String()
	lesson := "/learn/lessons/" + strconv.FormatInt(a.Lessons[0].ID, 10)
	landing := "/learn/c/" + a.Course.Slug + "?tenant=" + e.A.T.Slug
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	run := func(path string, member bool, d time.Duration) (rps float64, p50, p99 time.Duration) {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		end := time.Now().Add(d)
		for w := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				for i := 0; time.Now().Before(end); i++ {
					req, _ := http.NewRequest("GET", base+path, nil)
					req.Host = "app.localhost"
					if member {
						req.AddCookie(&http.Cookie{Name: "msid", Value: cookies[(w+i)%len(cookies)]})
					}
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						t.Errorf("%s: %d", path, resp.StatusCode)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) == 0 {
			t.Fatal("no requests")
		}
		return float64(len(lat)) / d.Seconds(), lat[len(lat)/2], lat[len(lat)*99/100]
	}
	window := 3 * time.Second
	run(lesson, true, time.Second) // warm up
	type fig struct{ rps, p50, p99 float64 }
	var les, land fig
	for range 2 {
		r, p50, p99 := run(lesson, true, window)
		les.rps, les.p50, les.p99 = les.rps+r/2, les.p50+float64(p50.Microseconds())/2000, les.p99+float64(p99.Microseconds())/2000
		r, p50, p99 = run(landing, false, window)
		land.rps, land.p50, land.p99 = land.rps+r/2, land.p50+float64(p50.Microseconds())/2000, land.p99+float64(p99.Microseconds())/2000
	}
	fmt.Printf("lesson page (member, progress recorded): %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", les.rps, les.p50, les.p99)
	fmt.Printf("landing page (peer, reads only):        %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", land.rps, land.p50, land.p99)
	fmt.Printf("lesson/landing p50 ratio: %.2f\n", les.p50/land.p50)
	eng, err := e.App.Courses.Engagement(ctx, a.Course.ID)
	if err != nil || eng.Lessons[0].Started < 16 {
		t.Errorf("progress not recorded: %+v %v", eng, err)
	}
}
