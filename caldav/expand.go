package caldav

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"orengen/app/calendar"
)

// MaxOccurrences bounds the occurrences one recurring event expands to
// in a window (a daily event over two years is 731).
const MaxOccurrences = 1000

// ParseICS decodes iCalendar data (one or more VCALENDARs) and expands its
// events into busy times in w. Returns an error naming what is malformed.
func ParseICS(data []byte, w calendar.Window) ([]calendar.BusyEvent, error) {
	dec := ical.NewDecoder(bytes.NewReader(data))
	var out []calendar.BusyEvent
	n := 0
	for {
		cal, err := dec.Decode()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if n == 0 {
					return nil, fmt.Errorf("not iCalendar data (no VCALENDAR)")
				}
				break
			}
			return nil, fmt.Errorf("malformed iCalendar data: %w", err)
		}
		n++
		evs, err := Expand(cal, w)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// Expand turns a calendar's VEVENTs into busy times overlapping w: a
// recurring event's occurrences (RRULE, RDATE, minus EXDATE, with the
// instances a RECURRENCE-ID overrides replaced by the override) computed
// in the event's own zone, so 09:00 stays 09:00 across DST changes.
// Cancelled and transparent (free) events are not busy. All-day and
// floating times are read in w.Loc.
func Expand(cal *ical.Calendar, w calendar.Window) ([]calendar.BusyEvent, error) {
	loc := w.Loc
	if loc == nil {
		loc = time.UTC
	}
	type group struct {
		master    *ical.Event
		overrides []*ical.Event
	}
	groups := map[string]*group{}
	var order []string
	for _, ev := range cal.Events() {
		uid, _ := ev.Props.Text(ical.PropUID)
		g := groups[uid]
		if g == nil {
			g = &group{}
			groups[uid] = g
			order = append(order, uid)
		}
		e := ev
		if ev.Props.Get(ical.PropRecurrenceID) != nil {
			g.overrides = append(g.overrides, &e)
		} else {
			g.master = &e
		}
	}
	var out []calendar.BusyEvent
	add := func(uid, summary string, s, e time.Time) {
		if s.Before(w.To) && e.After(w.From) {
			out = append(out, calendar.BusyEvent{UID: uid, Summary: summary, Start: s.UTC(), End: e.UTC()})
		}
	}
	for _, uid := range order {
		g := groups[uid]
		replaced := map[int64]bool{}
		for _, o := range g.overrides {
			rid, _, err := propTimes(o.Props.Get(ical.PropRecurrenceID), loc)
			if err != nil || len(rid) == 0 {
				return nil, fmt.Errorf("event %q: bad RECURRENCE-ID: %v", uid, err)
			}
			replaced[rid[0].Unix()] = true
			s, e, busy, err := span(o, loc)
			if err != nil {
				return nil, fmt.Errorf("event %q: %w", uid, err)
			}
			if busy {
				add(uid, summaryOf(o), s, e)
			}
		}
		if g.master == nil {
			continue
		}
		s, e, busy, err := span(g.master, loc)
		if err != nil {
			return nil, fmt.Errorf("event %q: %w", uid, err)
		}
		if !busy {
			continue
		}
		sum := summaryOf(g.master)
		set, err := recurrence(g.master, s, loc)
		if err != nil {
			return nil, fmt.Errorf("event %q: %w", uid, err)
		}
		if set == nil {
			add(uid, sum, s, e)
			continue
		}
		d := e.Sub(s)
		starts := set.Between(w.From.Add(-d), w.To, true)
		if len(starts) > MaxOccurrences {
			starts = starts[:MaxOccurrences]
		}
		for _, t := range starts {
			if replaced[t.Unix()] {
				continue
			}
			end := t.Add(d)
			if allDay(g.master) {
				// An all-day event lasts whole local days, 23 or 25 hours
				// on a DST change.
				days := int(d.Round(time.Hour).Hours()+12) / 24
				end = t.AddDate(0, 0, days)
			}
			add(uid, sum, t, end)
		}
	}
	return out, nil
}

func summaryOf(ev *ical.Event) string {
	s, _ := ev.Props.Text(ical.PropSummary)
	return s
}

func allDay(ev *ical.Event) bool {
	p := ev.Props.Get(ical.PropDateTimeStart)
	return p != nil && (p.ValueType() == ical.ValueDate || (p.ValueType() == ical.ValueDefault && len(p.Value) == 8))
}

// span returns an event's start and end and whether it takes time.
func span(ev *ical.Event, loc *time.Location) (time.Time, time.Time, bool, error) {
	if st, err := ev.Status(); err == nil && st == ical.EventCancelled {
		return time.Time{}, time.Time{}, false, nil
	}
	if p := ev.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
		return time.Time{}, time.Time{}, false, nil
	}
	ss, date, err := propTimes(ev.Props.Get(ical.PropDateTimeStart), loc)
	if err != nil || len(ss) == 0 {
		return time.Time{}, time.Time{}, false, fmt.Errorf("bad DTSTART: %v", err)
	}
	s := ss[0]
	var e time.Time
	switch {
	case ev.Props.Get(ical.PropDateTimeEnd) != nil:
		es, _, err := propTimes(ev.Props.Get(ical.PropDateTimeEnd), loc)
		if err != nil || len(es) == 0 {
			return time.Time{}, time.Time{}, false, fmt.Errorf("bad DTEND: %v", err)
		}
		e = es[0]
	case ev.Props.Get(ical.PropDuration) != nil:
		d, err := ev.Props.Get(ical.PropDuration).Duration()
		if err != nil {
			return time.Time{}, time.Time{}, false, fmt.Errorf("bad DURATION: %v", err)
		}
		e = s.Add(d)
	case date:
		e = s.AddDate(0, 0, 1)
	default:
		e = s // an instant: takes no time
	}
	if e.Before(s) {
		return time.Time{}, time.Time{}, false, fmt.Errorf("ends before it starts")
	}
	return s, e, e.After(s), nil
}

// propTimes parses a date or date-time property, with several values
// (EXDATE:a,b), in its TZID's zone (an unknown TZID, like a Windows zone
// name, falls back to loc), UTC with a Z, else loc.
func propTimes(p *ical.Prop, loc *time.Location) ([]time.Time, bool, error) {
	if p == nil {
		return nil, false, fmt.Errorf("missing")
	}
	zone := loc
	if tzid := p.Params.Get(ical.PropTimezoneID); tzid != "" {
		if l, err := time.LoadLocation(strings.Trim(tzid, `"`)); err == nil {
			zone = l
		}
	}
	var out []time.Time
	date := false
	for _, v := range strings.Split(p.Value, ",") {
		v = strings.TrimSpace(v)
		var t time.Time
		var err error
		switch {
		case len(v) == 8:
			date = true
			t, err = time.ParseInLocation("20060102", v, loc)
		case strings.HasSuffix(v, "Z"):
			t, err = time.ParseInLocation("20060102T150405Z", v, time.UTC)
		default:
			t, err = time.ParseInLocation("20060102T150405", v, zone)
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s %q is not a date or date-time", p.Name, v)
		}
		out = append(out, t)
	}
	return out, date, nil
}

// recurrence returns the event's recurrence set from DTSTART s, or nil for
// a single event.
func recurrence(ev *ical.Event, s time.Time, loc *time.Location) (*rrule.Set, error) {
	rules := ev.Props.Values(ical.PropRecurrenceRule)
	rdates := ev.Props.Values(ical.PropRecurrenceDates)
	if len(rules) == 0 && len(rdates) == 0 {
		return nil, nil
	}
	set := &rrule.Set{}
	set.DTStart(s)
	for _, p := range rules {
		opt, err := rrule.StrToROptionInLocation(p.Value, s.Location())
		if err != nil {
			return nil, fmt.Errorf("bad RRULE %q: %v", p.Value, err)
		}
		opt.Dtstart = s
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, fmt.Errorf("bad RRULE %q: %v", p.Value, err)
		}
		set.RRule(r)
	}
	if len(rules) == 0 {
		set.RDate(s) // RDATEs alone: DTSTART is the first instance
	}
	for _, p := range rdates {
		if strings.EqualFold(p.Params.Get(ical.ParamValue), "PERIOD") {
			continue
		}
		ts, _, err := propTimes(&p, s.Location())
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			set.RDate(t)
		}
	}
	for _, p := range ev.Props.Values(ical.PropExceptionDates) {
		ts, _, err := propTimes(&p, s.Location())
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			set.ExDate(t)
		}
	}
	return set, nil
}
