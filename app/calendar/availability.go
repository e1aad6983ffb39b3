package calendar

import (
	"slices"
	"sort"
	"time"
)

// Interval is a half-open time range [Start, End).
type Interval struct {
	Start time.Time
	End   time.Time
}

// Slot is a free start: the meeting [Start, End) and the host calendars
// free for it (every host for a collective meeting).
type Slot struct {
	Start time.Time
	End   time.Time
	Hosts []int64
}

// Host is one calendar's state for a slot computation.
type Host struct {
	Calendar *Calendar
	// Busy holds what takes the calendar's time: active bookings of every
	// event type and synced events; any order, may overlap.
	Busy []Interval
	// Booked holds the starts of the event type's active bookings on this
	// calendar (for the daily limit).
	Booked []time.Time
	// Unreadable says why an outside calendar of the host could not be
	// read at its last sync: its busy times are unknown, so the host
	// offers no slots until a sync works.
	Unreadable string
}

// Query asks for free slots of Event lasting Duration with a start in
// [From, To), as seen at Now.
type Query struct {
	Event    *EventType
	Duration time.Duration
	From     time.Time
	To       time.Time
	Now      time.Time
	// IgnoreBusy computes the slots availability alone allows (to tell a
	// time outside availability from one that was just taken).
	IgnoreBusy bool
}

// Bounds returns the earliest and the latest (exclusive) start the event
// type allows at now: after the minimum notice, within the window.
func (e *EventType) Bounds(now time.Time) (earliest, latest time.Time) {
	earliest = now.Add(time.Duration(e.MinNotice) * time.Minute)
	days := e.WindowDays
	if days == 0 {
		days = DefaultWindowDays
	}
	return earliest, now.AddDate(0, 0, days)
}

// FreeSlots computes the free slots of q on hosts, in start order. A start
// is offered by a host when the meeting lies inside one span of the host's
// hours on that local date (date overrides and holidays applied, in the
// calendar's own zone, so 09:00 stays 09:00 across DST changes), the
// meeting widened by the event type's buffers overlaps nothing busy, the
// start respects the minimum notice and the booking window, and the host
// has fewer than the daily limit of this event type's bookings that local
// date. A round-robin or single slot needs one free host, a collective
// slot needs all of them. Starts step by the event type's slot step (the
// duration by default) from the start of each span.
func FreeSlots(q Query, hosts []Host) []Slot {
	if q.Event == nil || q.Duration <= 0 || len(hosts) == 0 || !q.From.Before(q.To) {
		return nil
	}
	byStart := map[int64]*Slot{}
	for _, h := range hosts {
		for _, t := range hostStarts(q, h) {
			k := t.UnixNano()
			s := byStart[k]
			if s == nil {
				s = &Slot{Start: t.UTC(), End: t.Add(q.Duration).UTC()}
				byStart[k] = s
			}
			s.Hosts = append(s.Hosts, h.Calendar.ID)
		}
	}
	out := make([]Slot, 0, len(byStart))
	for _, s := range byStart {
		if q.Event.Assignment == AssignCollective && len(s.Hosts) != len(hosts) {
			continue
		}
		slices.Sort(s.Hosts)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// hostStarts lists the starts one host can take.
func hostStarts(q Query, h Host) []time.Time {
	if h.Unreadable != "" && !q.IgnoreBusy {
		return nil
	}
	e := q.Event
	loc := h.Calendar.Location()
	earliest, latest := e.Bounds(q.Now)
	if q.From.After(earliest) {
		earliest = q.From
	}
	if q.To.Before(latest) {
		latest = q.To
	}
	if !earliest.Before(latest) {
		return nil
	}
	step := time.Duration(e.SlotStep) * time.Minute
	if step == 0 {
		step = q.Duration
	}
	before := time.Duration(e.BufferBefore) * time.Minute
	after := time.Duration(e.BufferAfter) * time.Minute
	var busy []Interval
	if !q.IgnoreBusy {
		busy = Merge(h.Busy)
	}
	perDay := map[string]int{}
	if e.DailyLimit > 0 {
		for _, t := range h.Booked {
			perDay[t.In(loc).Format(time.DateOnly)]++
		}
	}
	var out []time.Time
	// A span may start the local day before earliest (a zone behind UTC)
	// and end after it, so walk from the day before.
	y, m, d := earliest.In(loc).AddDate(0, 0, -1).Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, loc)
	for ; ; day = day.AddDate(0, 0, 1) {
		y, m, d := day.Date()
		if time.Date(y, m, d, 0, 0, 0, 0, loc).After(latest) {
			break
		}
		date := day.Format(time.DateOnly)
		if e.DailyLimit > 0 && perDay[date] >= e.DailyLimit {
			continue
		}
		for _, sp := range h.Calendar.Availability.SpansOn(date, day.Weekday()) {
			s := time.Date(y, m, d, 0, sp.Start, 0, 0, loc)
			end := time.Date(y, m, d, 0, sp.End, 0, 0, loc)
			for t := s; !t.Add(q.Duration).After(end); t = t.Add(step) {
				if t.Before(earliest) || !t.Before(latest) || !t.After(q.Now) {
					continue
				}
				if Overlaps(busy, t.Add(-before), t.Add(q.Duration+after)) {
					continue
				}
				out = append(out, t)
			}
		}
	}
	return out
}

// Merge sorts intervals and joins the overlapping and touching ones, so a
// binary search can test overlap.
func Merge(in []Interval) []Interval {
	if len(in) == 0 {
		return nil
	}
	xs := slices.Clone(in)
	slices.SortFunc(xs, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	out := xs[:1]
	for _, x := range xs[1:] {
		last := &out[len(out)-1]
		if !x.Start.After(last.End) {
			if x.End.After(last.End) {
				last.End = x.End
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// Overlaps reports whether [s, e) overlaps an interval of merged (the
// output of Merge).
func Overlaps(merged []Interval, s, e time.Time) bool {
	i := sort.Search(len(merged), func(i int) bool { return merged[i].End.After(s) })
	return i < len(merged) && merged[i].Start.Before(e)
}
