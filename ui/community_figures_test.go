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
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/courses"
	"orengen/store"
)

// TestCommunityFigures measures on loopback, in one run, with 100,000
// posts in one space: the space's feed (first page, with pinned posts
// and reactions) and a page deep in it (keyset cursor half-way), beside
// the lesson page as the peer; then members browsing a mix of pages
// (community home, feed, post, lesson) for requests/s and the process's
// RSS. make bench runs it (ORENGEN_BENCH_COMMUNITY=1); the figures go to
// docs/BENCHMARKS.md.
func TestCommunityFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_COMMUNITY") == "" {
		t.Skip("figures: ORENGEN_BENCH_COMMUNITY=1 (make bench)")
	}
	e := newTenantEnv(t)
	a := e.courseFixture(e.A.T, e.A.Owner)
	tctx := app.NewContextWithTenant(context.Background(), e.A.T)
	ctx := app.NewContextWithUser(tctx, e.A.Owner)
	sp := &courses.Space{Name: "Busy"}
	if err := e.App.Courses.CreateSpace(ctx, sp); err != nil {
		t.Fatal(err)
	}
	const posts = 100_000
	t0 := time.Now()
	if err := e.DB.Update(tctx, func(tx *store.Tx) error {
		st, err := tx.PrepareContext(tctx, `INSERT INTO community_posts (tenant_id, space_id, member_id, author_name, title, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := 1; i <= posts; i++ {
			if _, err := st.ExecContext(tctx, e.A.T.ID, sp.ID, a.Member.ID, "Bench", "Post "+strconv.Itoa(i), "Some **markdown** text of post "+strconv.Itoa(i)+", about a sentence long.", store.FormatTime(time.Now())); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("inserted %d posts in %s\n", posts, time.Since(t0).Round(time.Millisecond))
	var ids []int64
	rows, err := e.DB.ReadDB().Query(`SELECT id FROM community_posts WHERE space_id = ? ORDER BY id`, sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	mid := ids[len(ids)/2]
	for _, id := range []int64{ids[len(ids)-1], ids[len(ids)-2], mid} {
		if _, err := e.App.Courses.Moderate(ctx, id, courses.ModPin); err != nil && id != mid {
			t.Fatal(err)
		}
		e.App.Courses.Community.ToggleReaction(tctx, id, a.Member.ID, "like")
	}
	var cookies []string
	for i := range 16 {
		email := "cbench" + strconv.Itoa(i) + "@alpha.test"
		if _, err := e.App.Courses.Invite(ctx, email, "Bench "+strconv.Itoa(i), a.Course.ID); err != nil {
			t.Fatal(err)
		}
		sess, _, err := e.App.Courses.RedeemLink(tctx, e.memberToken(email))
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
	feed := "/learn/community/s/" + sp.Slug
	deep := feed + "?before=" + strconv.FormatInt(mid, 10)
	post := "/learn/community/posts/" + strconv.FormatInt(mid, 10)
	lesson := "/learn/lessons/" + strconv.FormatInt(a.Lessons[0].ID, 10)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	run := func(paths []string, d time.Duration) (rps float64, p50, p99 time.Duration) {
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
					path := paths[(w+i)%len(paths)]
					req, _ := http.NewRequest("GET", base+path, nil)
					req.Host = "app.localhost"
					req.AddCookie(&http.Cookie{Name: "msid", Value: cookies[(w+i)%len(cookies)]})
					t1 := time.Now()
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
					mine = append(mine, time.Since(t1))
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
	run([]string{feed, lesson}, time.Second) // warm up
	type fig struct{ rps, p50, p99 float64 }
	add := func(f *fig, paths ...string) {
		r, p50, p99 := run(paths, window)
		f.rps, f.p50, f.p99 = f.rps+r/2, f.p50+float64(p50.Microseconds())/2000, f.p99+float64(p99.Microseconds())/2000
	}
	var fFeed, fDeep, fLesson, fMix fig
	for range 2 {
		add(&fFeed, feed)
		add(&fDeep, deep)
		add(&fLesson, lesson)
	}
	for range 2 {
		add(&fMix, "/learn/community", feed, post, lesson, deep)
	}
	fmt.Printf("space feed, first page (100,000 posts, pinned, reactions): %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", fFeed.rps, fFeed.p50, fFeed.p99)
	fmt.Printf("space feed, page at post 50,000 (keyset):                 %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", fDeep.rps, fDeep.p50, fDeep.p99)
	fmt.Printf("lesson page (peer):                                        %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", fLesson.rps, fLesson.p50, fLesson.p99)
	fmt.Printf("feed/lesson p50 ratio: %.2f; deep/lesson: %.2f\n", fFeed.p50/fLesson.p50, fDeep.p50/fLesson.p50)
	fmt.Printf("members browsing (home, feed, post, lesson, deep page; 16 members, 32 connections): %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", fMix.rps, fMix.p50, fMix.p99)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
				fmt.Println("test process (server and client)", strings.Join(strings.Fields(l), " "))
			}
		}
	}
}
