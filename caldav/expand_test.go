package caldav_test

import (
	"strings"
	"testing"
	"time"

	"orengen/app/calendar"
	"orengen/caldav"
)

func ics(events ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.Join(events, "") + "END:VCALENDAR\r\n"
}

func vevent(lines ...string) string {
	return "BEGIN:VEVENT\r\nDTSTAMP:20261001T000000Z\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VEVENT\r\n"
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func window() calendar.Window {
	ny, _ := time.LoadLocation("America/New_York")
	return calendar.Window{From: utc("2026-10-01 00:00"), To: utc("2027-01-01 00:00"), Loc: ny}
}

func starts(evs []calendar.BusyEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Start.UTC().Format("2006-01-02 15:04")+"/"+e.End.UTC().Format("15:04"))
	}
	return out
}

// A weekly 10:00 New York meeting keeps 10:00 local across the end of
// daylight saving (1 November 2026): 14:00 UTC before, 15:00 after; an
// EXDATE removes one occurrence and a RECURRENCE-ID override moves
// another.
func TestExpand_RecurrenceAcrossDST(t *testing.T) {
	data := ics(
		vevent("UID:standup", "SUMMARY:Standup", "DTSTART;TZID=America/New_York:20261027T100000", "DTEND;TZID=America/New_York:20261027T110000",
			"RRULE:FREQ=WEEKLY;COUNT=5", "EXDATE;TZID=America/New_York:20261110T100000"),
		vevent("UID:standup", "SUMMARY:Standup moved", "RECURRENCE-ID;TZID=America/New_York:20261117T100000",
			"DTSTART;TZID=America/New_York:20261118T130000", "DTEND;TZID=America/New_York:20261118T140000"),
	)
	evs, err := caldav.ParseICS([]byte(data), window())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(starts(evs), " ")
	for _, want := range []string{"2026-10-27 14:00/15:00", "2026-11-03 15:00/16:00", "2026-11-18 18:00/19:00", "2026-11-24 15:00/16:00"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
	for _, gone := range []string{"2026-11-10", "2026-11-17"} {
		if strings.Contains(got, gone) {
			t.Errorf("%s should be excluded or overridden: %s", gone, got)
		}
	}
	if len(evs) != 4 {
		t.Errorf("got %d occurrences, want 4: %s", len(evs), got)
	}
}

// All-day events are local days of the calendar's zone (a day across the
// DST change lasts 25 hours); free (transparent) and cancelled events
// take no time; a daily rule without an end is bounded by the window.
func TestExpand_AllDayFreeAndUnbounded(t *testing.T) {
	data := ics(
		vevent("UID:off", "SUMMARY:Day off", "DTSTART;VALUE=DATE:20261101", "DTEND;VALUE=DATE:20261102"),
		vevent("UID:free", "DTSTART:20261005T150000Z", "DTEND:20261005T160000Z", "TRANSP:TRANSPARENT"),
		vevent("UID:gone", "DTSTART:20261006T150000Z", "DTEND:20261006T160000Z", "STATUS:CANCELLED"),
		vevent("UID:daily", "DTSTART:20260101T120000Z", "DURATION:PT30M", "RRULE:FREQ=DAILY"),
	)
	evs, err := caldav.ParseICS([]byte(data), window())
	if err != nil {
		t.Fatal(err)
	}
	var off []calendar.BusyEvent
	daily := 0
	for _, e := range evs {
		switch e.UID {
		case "off":
			off = append(off, e)
		case "daily":
			daily++
			if e.End.Sub(e.Start) != 30*time.Minute {
				t.Errorf("daily occurrence lasts %s", e.End.Sub(e.Start))
			}
		default:
			t.Errorf("event %s should not be busy", e.UID)
		}
	}
	if len(off) != 1 || !off[0].Start.Equal(utc("2026-11-01 04:00")) || !off[0].End.Equal(utc("2026-11-02 05:00")) {
		t.Errorf("all-day event = %v, want 2026-11-01 04:00Z to 2026-11-02 05:00Z", starts(off))
	}
	// 1 October to 1 January, plus the occurrence overlapping the start.
	if daily < 92 || daily > 93 {
		t.Errorf("daily occurrences in the window = %d, want 92", daily)
	}
}

func TestParseICS_Malformed(t *testing.T) {
	for name, data := range map[string]string{
		"not ics":     "<html>hello</html>",
		"empty":       "",
		"bad dtstart": ics(vevent("UID:x", "DTSTART:tomorrow", "DTEND:20261005T160000Z")),
		"bad rrule":   ics(vevent("UID:y", "DTSTART:20261005T150000Z", "DTEND:20261005T160000Z", "RRULE:FREQ=SOMETIMES")),
		"end first":   ics(vevent("UID:z", "DTSTART:20261005T150000Z", "DTEND:20261005T140000Z")),
	} {
		if _, err := caldav.ParseICS([]byte(data), window()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
