package federal

import (
	"errors"
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
		{SavedSearch{Name: "ok", SetAside: "sdvosbc", ProcurementTypes: []string{" O "}}, ""},
		{SavedSearch{Name: "grants", Kind: "GRANTS", Title: "research"}, ""},
		{SavedSearch{}, "name"},
		{SavedSearch{Name: "x", Kind: "usaspending"}, "kind"},
		{SavedSearch{Name: "x", PostedDays: 366}, "postedDays"},
		{SavedSearch{Name: "x", SetAside: "XYZ"}, "setAside"},
		{SavedSearch{Name: "x", NAICS: "54a"}, "naics"},
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
	p := s.Params(time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC))
	if p.PostedFrom != "11/25/2025" || p.PostedTo != "11/24/2026" || p.Validate() != nil {
		t.Errorf("365-day window %s-%s: %v", p.PostedFrom, p.PostedTo, p.Validate())
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
