package calendar_test

import (
	"testing"
	"time"

	"orengen/app/calendar"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func allDay() calendar.Availability {
	var a calendar.Availability
	for d := range a.Weekly {
		a.Weekly[d] = []calendar.Span{{Start: 0, End: 1440}}
	}
	return a
}

func hourly() *calendar.EventType {
	return &calendar.EventType{ID: 1, Durations: []int{60}, Assignment: calendar.AssignSingle, WindowDays: 400, Hosts: []int64{1}}
}

// countOn counts slots whose start falls on the local date.
func countOn(slots []calendar.Slot, loc *time.Location, date string) int {
	n := 0
	for _, s := range slots {
		if s.Start.In(loc).Format(time.DateOnly) == date {
			n++
		}
	}
	return n
}

// On the days clocks change, a calendar open all day offers as many
// hourly slots as the day has hours (23 in spring, 25 in autumn), and
// office hours stay at the same wall-clock time on both sides of the
// change, so their UTC start moves by an hour.
func TestFreeSlots_DST(t *testing.T) {
	for _, tc := range []struct {
		zone                 string
		spring, autumn       string // the change days
		beforeDay, afterDay  string // weekdays either side of the spring change
		beforeUTC, afterUTC  int    // 09:00 local in UTC hours
		beforeOffset, offset int
	}{
		{"America/New_York", "2026-03-08", "2026-11-01", "2026-03-06", "2026-03-09", 14, 13, -5, -4},
		{"Europe/Berlin", "2026-03-29", "2026-10-25", "2026-03-27", "2026-03-30", 8, 7, 1, 2},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			loc := mustZone(t, tc.zone)
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			open := &calendar.Calendar{ID: 1, TimeZone: tc.zone, Availability: allDay()}
			slots := calendar.FreeSlots(calendar.Query{Event: hourly(), Duration: time.Hour, From: now, To: now.AddDate(0, 11, 0), Now: now},
				[]calendar.Host{{Calendar: open}})
			if got := countOn(slots, loc, tc.spring); got != 23 {
				t.Errorf("%s (spring change): %d hourly slots, want 23", tc.spring, got)
			}
			if got := countOn(slots, loc, tc.autumn); got != 25 {
				t.Errorf("%s (autumn change): %d hourly slots, want 25", tc.autumn, got)
			}
			if got := countOn(slots, loc, "2026-06-10"); got != 24 {
				t.Errorf("an ordinary day: %d hourly slots, want 24", got)
			}

			office := &calendar.Calendar{ID: 1, TimeZone: tc.zone, Availability: calendar.DefaultAvailability()}
			slots = calendar.FreeSlots(calendar.Query{Event: hourly(), Duration: time.Hour, From: now, To: now.AddDate(0, 4, 0), Now: now},
				[]calendar.Host{{Calendar: office}})
			first := map[string]time.Time{}
			for _, s := range slots {
				d := s.Start.In(loc).Format(time.DateOnly)
				if _, ok := first[d]; !ok {
					first[d] = s.Start
				}
			}
			for day, wantUTC := range map[string]int{tc.beforeDay: tc.beforeUTC, tc.afterDay: tc.afterUTC} {
				s, ok := first[day]
				if !ok {
					t.Fatalf("no slot on %s", day)
				}
				if s.UTC().Hour() != wantUTC || s.In(loc).Hour() != 9 {
					t.Errorf("%s: first slot %s (UTC %s), want 09:00 local = %02d:00 UTC", day, s.In(loc), s.UTC(), wantUTC)
				}
				if countOn(slots, loc, day) != 8 {
					t.Errorf("%s: %d slots, want 8 (09:00-17:00)", day, countOn(slots, loc, day))
				}
			}
			if countOn(slots, loc, tc.spring) != 0 {
				t.Errorf("the Sunday of the change has office slots")
			}
		})
	}
}

func monday(t *testing.T, loc *time.Location, h, m int) time.Time {
	return time.Date(2026, 12, 7, h, m, 0, 0, loc)
}

func TestFreeSlots_BuffersNoticeLimit(t *testing.T) {
	loc := mustZone(t, "Europe/London")
	cal := &calendar.Calendar{ID: 1, TimeZone: "Europe/London", Availability: calendar.DefaultAvailability()}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	from, to := monday(t, loc, 0, 0), monday(t, loc, 23, 0)
	e := &calendar.EventType{ID: 1, Durations: []int{30}, Assignment: calendar.AssignSingle, Hosts: []int64{1}}
	starts := func(q calendar.Query, hosts ...calendar.Host) []string {
		var out []string
		for _, s := range calendar.FreeSlots(q, hosts) {
			out = append(out, s.Start.In(loc).Format("15:04"))
		}
		return out
	}
	busy := calendar.Host{Calendar: cal, Busy: []calendar.Interval{{monday(t, loc, 10, 0), monday(t, loc, 11, 0)}}}

	t.Run("Busy", func(t *testing.T) {
		got := starts(calendar.Query{Event: e, Duration: 30 * time.Minute, From: from, To: to, Now: now}, busy)
		if has(got, "10:00") || has(got, "10:30") || !has(got, "09:30") || !has(got, "11:00") || len(got) != 14 {
			t.Errorf("slots %v: want 16 half hours minus 10:00 and 10:30", got)
		}
	})
	t.Run("Buffers", func(t *testing.T) {
		b := *e
		b.BufferBefore, b.BufferAfter = 15, 15
		got := starts(calendar.Query{Event: &b, Duration: 30 * time.Minute, From: from, To: to, Now: now}, busy)
		for _, no := range []string{"09:30", "10:00", "10:30", "11:00"} {
			if has(got, no) {
				t.Errorf("slot %s offered although its buffer touches the 10:00-11:00 meeting: %v", no, got)
			}
		}
		if !has(got, "09:00") || !has(got, "11:30") {
			t.Errorf("slots %v: want 09:00 and 11:30 (buffers clear)", got)
		}
	})
	t.Run("MinNotice", func(t *testing.T) {
		b := *e
		b.MinNotice = 120
		got := starts(calendar.Query{Event: &b, Duration: 30 * time.Minute, From: from, To: to, Now: monday(t, loc, 8, 10)}, calendar.Host{Calendar: cal})
		if len(got) == 0 || got[0] != "10:30" {
			t.Errorf("slots %v: with now 08:10 and 2 h notice the first is 10:30", got)
		}
	})
	t.Run("Window", func(t *testing.T) {
		b := *e
		b.WindowDays = 2
		got := calendar.FreeSlots(calendar.Query{Event: &b, Duration: 30 * time.Minute, From: now, To: now.AddDate(0, 1, 0), Now: monday(t, loc, 12, 0)}, []calendar.Host{{Calendar: cal}})
		last := got[len(got)-1].Start
		if last.After(monday(t, loc, 12, 0).AddDate(0, 0, 2)) {
			t.Errorf("last slot %s is beyond a 2-day window", last)
		}
	})
	t.Run("DailyLimit", func(t *testing.T) {
		b := *e
		b.DailyLimit = 2
		h := calendar.Host{Calendar: cal, Booked: []time.Time{monday(t, loc, 9, 0), monday(t, loc, 14, 0)}}
		slots := calendar.FreeSlots(calendar.Query{Event: &b, Duration: 30 * time.Minute, From: from, To: from.AddDate(0, 0, 2), Now: now}, []calendar.Host{h})
		if n := countOn(slots, loc, "2026-12-07"); n != 0 {
			t.Errorf("Monday has %d slots although the daily limit of 2 is reached", n)
		}
		if n := countOn(slots, loc, "2026-12-08"); n != 16 {
			t.Errorf("Tuesday has %d slots, want 16", n)
		}
		h.Booked = h.Booked[:1]
		slots = calendar.FreeSlots(calendar.Query{Event: &b, Duration: 30 * time.Minute, From: from, To: from.AddDate(0, 0, 1), Now: now}, []calendar.Host{h})
		if n := countOn(slots, loc, "2026-12-07"); n != 16 {
			t.Errorf("Monday with one booking has %d slots, want 16", n)
		}
	})
	t.Run("OverridesAndHolidays", func(t *testing.T) {
		c := *cal
		c.Availability.Overrides = []calendar.Override{{Date: "2026-12-07", Spans: []calendar.Span{{Start: 13 * 60, End: 14 * 60}}}, {Date: "2026-12-12", Spans: []calendar.Span{{Start: 10 * 60, End: 11 * 60}}}}
		c.Availability.Holidays = []calendar.Holiday{{Date: "2026-12-08", Name: "Closed"}}
		slots := calendar.FreeSlots(calendar.Query{Event: e, Duration: 30 * time.Minute, From: from, To: from.AddDate(0, 0, 7), Now: now}, []calendar.Host{{Calendar: &c}})
		for date, want := range map[string]int{"2026-12-07": 2, "2026-12-08": 0, "2026-12-09": 16, "2026-12-12": 2, "2026-12-13": 0} {
			if n := countOn(slots, loc, date); n != want {
				t.Errorf("%s: %d slots, want %d", date, n, want)
			}
		}
	})
	t.Run("CollectiveAndRoundRobin", func(t *testing.T) {
		other := &calendar.Calendar{ID: 2, TimeZone: "America/New_York", Availability: calendar.DefaultAvailability()}
		h2 := calendar.Host{Calendar: other}
		b := *e
		b.Hosts = []int64{1, 2}
		b.Assignment = calendar.AssignRoundRobin
		rr := calendar.FreeSlots(calendar.Query{Event: &b, Duration: 30 * time.Minute, From: from, To: to, Now: now}, []calendar.Host{busy, h2})
		b.Assignment = calendar.AssignCollective
		col := calendar.FreeSlots(calendar.Query{Event: &b, Duration: 30 * time.Minute, From: from, To: to, Now: now}, []calendar.Host{busy, h2})
		// London 09:00-17:00 minus 10-11 and New York 09:00-17:00 (14:00-22:00 London): both free 14:00-17:00.
		if len(col) != 6 || col[0].Start.In(loc).Format("15:04") != "14:00" || len(col[0].Hosts) != 2 {
			t.Errorf("collective: %d slots from %v, want 6 from 14:00 with both hosts", len(col), col)
		}
		if len(rr) != 14+16-6 {
			t.Errorf("round robin: %d slots, want the union (24)", len(rr))
		}
		for _, s := range rr {
			if s.Start.In(loc).Format("15:04") == "10:00" && (len(s.Hosts) != 0) {
				t.Errorf("10:00 offered with hosts %v; both are busy or off", s.Hosts)
			}
		}
	})
}

func has(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestValidate_BadInput(t *testing.T) {
	c := &calendar.Calendar{Name: "x", OwnerKind: calendar.OwnerTenant, TimeZone: "Mars/Olympus"}
	if err := c.Validate(); err == nil {
		t.Error("unknown zone accepted")
	}
	c.TimeZone = "Asia/Tokyo"
	c.Availability.Weekly[1] = []calendar.Span{{Start: 600, End: 540}}
	if err := c.Validate(); err == nil {
		t.Error("inverted hours accepted")
	}
	c.Availability.Weekly[1] = []calendar.Span{{Start: 540, End: 720}, {Start: 700, End: 800}}
	if err := c.Validate(); err == nil {
		t.Error("overlapping hours accepted")
	}
	e := &calendar.EventType{Title: "Audit", Slug: "Free Audit", Durations: []int{30}, Hosts: []int64{1}}
	if err := e.Validate(); err == nil {
		t.Error("slug with a space accepted")
	}
	e.Slug = "free-audit"
	e.Hosts = []int64{1, 2}
	if err := e.Validate(); err == nil {
		t.Error("two hosts on a single-host meeting accepted")
	}
}
