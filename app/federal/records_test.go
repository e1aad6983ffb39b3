package federal

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDollars(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "0": 0, "$1,250,000.50": 125000050, "2.5": 250, "17": 1700, " 3,000 ": 300000} {
		if got, err := ParseDollars(in); err != nil || got != want {
			t.Errorf("ParseDollars(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-5", "1.234", "abc", "1e6", "1.", "99999999999999"} {
		var v *ValidationError
		if _, err := ParseDollars(in); !errors.As(err, &v) || v.Field != "estimatedValue" {
			t.Errorf("ParseDollars(%q): %v, want a validation error", in, err)
		}
	}
	for cents, want := range map[int64]string{0: "$0", 125000050: "$1,250,000.50", 30000000: "$300,000", 999: "$9.99"} {
		if got := FormatDollars(cents); got != want {
			t.Errorf("FormatDollars(%d) = %q, want %q", cents, got, want)
		}
	}
}

func TestSavedSearch_Validate(t *testing.T) {
	for _, tc := range []struct {
		s     SavedSearch
		field string
	}{
		{SavedSearch{Name: "ok", SetAsides: []string{"sdvosbc"}, ProcurementTypes: []string{" O "}}, ""},
		{SavedSearch{Name: "lists", NAICS: []string{"541511, 541512", "541511"}, PSC: []string{"d302"}, SetAsides: []string{"sba", "8a"}}, ""},
		{SavedSearch{Name: "grants", Kind: "GRANTS", Title: "research"}, ""},
		{SavedSearch{}, "name"},
		{SavedSearch{Name: "x", Kind: "usaspending"}, "kind"},
		{SavedSearch{Name: "x", PostedDays: 366}, "postedDays"},
		{SavedSearch{Name: "x", SetAsides: []string{"SBA", "XYZ"}}, "setAsides"},
		{SavedSearch{Name: "x", NAICS: []string{"541511", "54a"}}, "naics"},
		{SavedSearch{Name: "x", PSC: []string{"D302", "TOOLONG"}}, "psc"},
		{SavedSearch{Name: "x", NAICS: strings.Fields("1 2 3 4 5 6 7 8 9 10 11")}, "naics"},
		{SavedSearch{Name: "x", NAICS: strings.Fields("1 2 3 4 5"), PSC: strings.Fields("A B C"), SetAsides: []string{"SBA", "8A"}}, "naics"}, // 30 requests a run
		{SavedSearch{Name: "x", ProcurementTypes: []string{"f"}}, "procurementTypes"},
		{SavedSearch{Name: "x", State: "Virginia"}, "state"},
	} {
		s := tc.s
		s.Normalize()
		err := s.Validate()
		var v *ValidationError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%+v: %v", tc.s, err)
		case tc.field != "" && (!errors.As(err, &v) || v.Field != tc.field):
			t.Errorf("%+v: %v, want an error on %s", tc.s, err, tc.field)
		}
	}
	s := SavedSearch{Name: "x", PostedDays: 365}
	ps := s.Requests(time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC))
	if len(ps) != 1 || ps[0].PostedFrom != "11/25/2025" || ps[0].PostedTo != "11/24/2026" || ps[0].Validate() != nil {
		t.Errorf("365-day window: %+v", ps)
	}
}

// TestSavedSearch_Requests: lists of codes fan out into one SAM.gov request
// per combination (SAM.gov takes one ncode, ccode and typeOfSetAside per
// request), normalised and without duplicates.
func TestSavedSearch_Requests(t *testing.T) {
	s := SavedSearch{Name: "x", NAICS: []string{" 541511,541512 ", "541511"}, PSC: []string{"d302"}, SetAsides: []string{"sba", "8a", "SBA"}, PostedDays: 30}
	s.Normalize()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.NAICS, ",") + " " + strings.Join(s.PSC, ",") + " " + strings.Join(s.SetAsides, ","); got != "541511,541512 D302 SBA,8A" {
		t.Fatalf("normalised %q", got)
	}
	if s.RequestCount() != 4 || s.Filters() != "NAICS 541511, 541512 · PSC D302 · SBA, 8A" {
		t.Fatalf("count %d, filters %q", s.RequestCount(), s.Filters())
	}
	var got []string
	for _, p := range s.Requests(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) {
		q := p.Query()
		got = append(got, q.Get("ncode")+"/"+q.Get("ccode")+"/"+q.Get("typeOfSetAside"))
	}
	if want := "541511/D302/SBA 541511/D302/8A 541512/D302/SBA 541512/D302/8A"; strings.Join(got, " ") != want {
		t.Fatalf("requests %v, want %s", got, want)
	}
	if n := len((&SavedSearch{Name: "all", PostedDays: 30}).Requests(time.Now())); n != 1 {
		t.Fatalf("a search without codes sends %d requests, want 1", n)
	}
}

func TestPipelineAndMatrix(t *testing.T) {
	e := PipelineEntry{Stage: StageProposal, EstimatedValueCents: 250000000, WinProbability: 40}
	if e.Validate() != nil || e.ProbableValueCents() != 100000000 {
		t.Errorf("entry: %v %d", e.Validate(), e.ProbableValueCents())
	}
	for _, bad := range []PipelineEntry{{Stage: "maybe"}, {Stage: StageTriage, WinProbability: 101}, {Stage: StageTriage, EstimatedValueCents: -1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
	rows := []*MatrixRow{{Status: "answered"}, {Status: "na"}, {Status: "open"}, {Status: "drafted"}}
	if got := Completeness(rows); got != 50 {
		t.Errorf("completeness %d", got)
	}
	if Completeness(nil) != 0 {
		t.Error("empty matrix")
	}
}
