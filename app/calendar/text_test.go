package calendar

import (
	"testing"

	"orengen/app"
)

// The text forms the calendar pages edit read what they write and name
// the field of a bad line.
func TestText_RoundTripAndErrors(t *testing.T) {
	ss, err := ParseSpans("weekly.monday", " 09:00-12:00 ,13:30-24:00")
	if err != nil || len(ss) != 2 || ss[1] != (Span{13*60 + 30, 1440}) {
		t.Fatalf("spans %v %v", ss, err)
	}
	if got := FormatSpans(ss); got != "09:00-12:00, 13:30-24:00" {
		t.Errorf("format %q", got)
	}
	if ss, err := ParseSpans("x", "off"); err != nil || ss != nil {
		t.Errorf("off: %v %v", ss, err)
	}
	for _, bad := range []string{"9-5", "09:00", "25:00-26:00", "09:60-10:00", "24:30-24:40"} {
		if _, err := ParseSpans("weekly.friday", bad); app.ErrorField(err) != "weekly.friday" {
			t.Errorf("%q: %v, want EINVALID naming weekly.friday", bad, err)
		}
	}
	os, err := ParseOverrides("2026-12-24 09:00-12:00\n\n2026-12-31 off\n")
	if err != nil || len(os) != 2 || len(os[1].Spans) != 0 || FormatOverrides(os) != "2026-12-24 09:00-12:00\n2026-12-31 off\n" {
		t.Fatalf("overrides %v %v", os, err)
	}
	if _, err := ParseOverrides("24.12.2026 off"); app.ErrorField(err) != "overrides" {
		t.Errorf("bad override date: %v", err)
	}
	hs, err := ParseHolidays("2026-12-25 Christmas Day")
	if err != nil || hs[0].Name != "Christmas Day" || FormatHolidays(hs) != "2026-12-25 Christmas Day\n" {
		t.Fatalf("holidays %v %v", hs, err)
	}
	qs, err := ParseQuestions("company | Company | company | required\nsize | Team size")
	if err != nil || len(qs) != 2 || !qs[0].Required || qs[0].Field != "company" || qs[1].Field != "" {
		t.Fatalf("questions %+v %v", qs, err)
	}
	if again, _ := ParseQuestions(FormatQuestions(qs)); len(again) != 2 || again[0] != qs[0] {
		t.Errorf("questions do not round-trip: %+v", again)
	}
	if _, err := ParseQuestions("x | X | salary"); app.ErrorField(err) != "questions" {
		t.Errorf("unknown field: %v", err)
	}
	if ds, err := ParseDurations("30, 60 90"); err != nil || len(ds) != 3 {
		t.Errorf("durations %v %v", ds, err)
	}
	if _, err := ParseDurations("half an hour"); app.ErrorField(err) != "durations" {
		t.Errorf("bad durations: %v", err)
	}
}
