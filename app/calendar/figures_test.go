package calendar_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/store"
)

// TestCalendarFigures measures the issue #19 figures for
// docs/BENCHMARKS.md (make bench runs it with ORENGEN_BENCH_CALENDAR=1):
// free slots for a 30-day window across 10 host calendars holding 5,000
// synced events (p50/p99 of the whole service call: store reads and the
// computation), and booking requests per second with 50 concurrent
// requests for each slot, each slot booked exactly once.
func TestCalendarFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_CALENDAR") != "1" {
		t.Skip("calendar figures: set ORENGEN_BENCH_CALENDAR=1 (make bench)")
	}
	e := newCalEnv(t)
	e.Now = time.Now().UTC().Truncate(time.Minute)
	zones := []string{"Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "UTC"}
	cs := store.NewCalendarStore(e.DB)
	var hosts []int64
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 10 {
		c := e.calendar(t, e.Ctx, fmt.Sprintf("User %d", i), zones[i%len(zones)])
		hosts = append(hosts, c.ID)
		src := &calendar.Source{CalendarID: c.ID, Kind: calendar.SourceICS, URL: "https://example.test/feed.ics", NextSyncAt: e.Now.Add(time.Hour)}
		if err := cs.CreateSource(e.Ctx, src); err != nil {
			t.Fatal(err)
		}
		evs := make([]calendar.BusyEvent, 500)
		for j := range evs {
			s := e.Now.Add(time.Duration(rng.IntN(30*24*4)) * 15 * time.Minute)
			evs[j] = calendar.BusyEvent{UID: fmt.Sprintf("ev-%d-%d", i, j), Summary: "busy", Start: s, End: s.Add(time.Duration(1+rng.IntN(4)) * 15 * time.Minute)}
		}
		if err := cs.ReplaceFeed(e.Ctx, src.ID, evs); err != nil {
			t.Fatal(err)
		}
	}
	et := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Team call", Slug: "team", Durations: []int{30}, Hosts: hosts,
		Assignment: calendar.AssignRoundRobin, BufferBefore: 5, BufferAfter: 5, WindowDays: 60})

	const runs = 200
	lat := make([]time.Duration, runs)
	var slots []calendar.Slot
	for i := range lat {
		t0 := time.Now()
		var err error
		slots, err = e.Svc.FreeSlots(e.Ctx, et, 0, e.Now, e.Now.Add(30*24*time.Hour))
		lat[i] = time.Since(t0)
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(lat)
	busy, _ := e.Svc.Busy(e.Ctx, e.Now, e.Now.Add(31*24*time.Hour))
	t.Logf("FIGURE free slots, 30 days, 10 hosts, %d synced events: p50 %s p99 %s (%d runs, %d slots offered) GOMAXPROCS=%d",
		len(busy), lat[runs/2].Round(10*time.Microsecond), lat[runs*99/100].Round(10*time.Microsecond), runs, len(slots), runtime.GOMAXPROCS(0))
	if len(busy) < 4900 || len(slots) == 0 {
		t.Fatalf("setup: %d busy, %d slots", len(busy), len(slots))
	}

	// Booking: rounds of 50 concurrent requests for one slot each.
	single := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Solo call", Slug: "solo", Durations: []int{30}, Hosts: hosts[:1], WindowDays: 60})
	free, err := e.Svc.FreeSlots(e.Ctx, single, 0, e.Now.Add(24*time.Hour), e.Now.Add(40*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	const rounds, per = 20, 50
	if len(free) < rounds {
		t.Fatalf("only %d free slots", len(free))
	}
	var total time.Duration
	requests := 0
	for r := range rounds {
		start := free[r*len(free)/rounds].Start
		errs := make([]error, per)
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.Svc.Book(e.Ctx, guest(single, start, i))
			}()
		}
		wg.Wait()
		total += time.Since(t0)
		requests += per
		ok := 0
		for _, err := range errs {
			var ce *calendar.ConflictError
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &ce) || app.ErrorCode(err) != app.ECONFLICT:
				t.Fatalf("round %d: %v", r, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d of %d requests booked the slot, want exactly 1", r, ok, per)
		}
	}
	t.Logf("FIGURE booking: %d requests in %d rounds of %d concurrent for one slot: %.0f requests/s, each slot booked exactly once",
		requests, rounds, per, float64(requests)/total.Seconds())
}
