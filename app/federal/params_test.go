package federal

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSearchParams_Validate(t *testing.T) {
	ok := SearchParams{PostedFrom: "01/01/2026", PostedTo: "12/31/2026"}
	tests := []struct {
		name      string
		edit      func(p *SearchParams)
		wantField string // "" means valid
		wantText  string
	}{
		{"OneFullYear", func(p *SearchParams) {}, "", ""},
		{"LeapDay", func(p *SearchParams) { p.PostedFrom, p.PostedTo = "02/29/2028", "02/28/2029" }, "", ""},
		{"AllParams", func(p *SearchParams) {
			*p = SearchParams{PostedFrom: "01/01/2026", PostedTo: "01/31/2026", Limit: 1000, Offset: 2,
				ProcurementTypes: []string{"o", "k", "p"}, SolicitationNumber: "70SBUR26R00000012", NoticeID: "abc",
				Title: "cloud", State: "VA", Zip: "22209", SetAside: "SDVOSBC", SetAsideDescription: "Service-Disabled",
				NAICS: "5415", PSC: "DA01", ResponseFrom: "02/01/2026", ResponseTo: "03/31/2026", Status: "active",
				OrganizationCode: "7003", OrganizationName: "USCIS", DeptName: "HOMELAND", SubTier: "USCIS"}
		}, "", ""},
		{"WindowOverOneYear", func(p *SearchParams) { p.PostedTo = "01/01/2027" }, "postedTo", "longer than one year"},
		{"WindowMuchTooLong", func(p *SearchParams) { p.PostedFrom = "01/01/2020" }, "postedTo", "longer than one year"},
		{"ToBeforeFrom", func(p *SearchParams) { p.PostedTo = "12/31/2025" }, "postedTo", "before postedFrom"},
		{"MissingFrom", func(p *SearchParams) { p.PostedFrom = "" }, "postedFrom", "required"},
		{"MissingTo", func(p *SearchParams) { p.PostedTo = " " }, "postedTo", "required"},
		{"ISODate", func(p *SearchParams) { p.PostedFrom = "2026-01-01" }, "postedFrom", "MM/dd/yyyy"},
		{"DayFirst", func(p *SearchParams) { p.PostedTo = "31/12/2026" }, "postedTo", "MM/dd/yyyy"},
		{"UnknownSetAside", func(p *SearchParams) { p.SetAside = "SDVOSB" }, "typeOfSetAside", "unknown set-aside"},
		{"SetAsideWrongCase", func(p *SearchParams) { p.SetAside = "biciv" }, "typeOfSetAside", "unknown set-aside"},
		{"LimitTooHigh", func(p *SearchParams) { p.Limit = 1001 }, "limit", "between 1 and 1000"},
		{"NegativeOffset", func(p *SearchParams) { p.Offset = -1 }, "offset", "negative"},
		{"RetiredPtype", func(p *SearchParams) { p.ProcurementTypes = []string{"f"} }, "ptype", "retired"},
		{"UnknownPtype", func(p *SearchParams) { p.ProcurementTypes = []string{"x"} }, "ptype", "unknown"},
		{"NAICSTooLong", func(p *SearchParams) { p.NAICS = "5415111" }, "ncode", "6 digits"},
		{"BadState", func(p *SearchParams) { p.State = "Virginia" }, "state", "two-letter"},
		{"BadStatus", func(p *SearchParams) { p.Status = "open" }, "status", "one of"},
		{"ResponseWindowTooLong", func(p *SearchParams) { p.ResponseFrom, p.ResponseTo = "01/01/2026", "06/01/2027" }, "rdlto", "longer than one year"},
		{"ResponseBadDate", func(p *SearchParams) { p.ResponseFrom = "March 3" }, "rdlfrom", "MM/dd/yyyy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.edit(&p)
			err := p.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.wantField {
				t.Fatalf("err = %v, want a ValidationError on %s", err, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantField+": ") || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %q, want it to name %s and say %q", err, tt.wantField, tt.wantText)
			}
		})
	}
}

func TestSearchParams_Query(t *testing.T) {
	p := SearchParams{PostedFrom: "01/01/2026", PostedTo: "01/31/2026", NoticeID: "abc", ProcurementTypes: []string{"o", "k"},
		ResponseFrom: "02/01/2026", ResponseTo: "02/28/2026", NAICS: "541511", PSC: "DA01", SetAside: "8A", Title: "data platform",
		OrganizationName: "USCIS", Status: "active", SolicitationNumber: "X1", State: "VA", Zip: "22209",
		SetAsideDescription: "8(a)", OrganizationCode: "7003", DeptName: "D", SubTier: "S"}
	q := p.Query()
	want := map[string]string{
		"postedFrom": "01/01/2026", "postedTo": "01/31/2026", "limit": "1000", "offset": "0", "noticeid": "abc",
		"rdlfrom": "02/01/2026", "rdlto": "02/28/2026", "ncode": "541511", "ccode": "DA01", "typeOfSetAside": "8A",
		"title": "data platform", "organizationName": "USCIS", "status": "active", "solnum": "X1", "state": "VA",
		"zip": "22209", "typeOfSetAsideDescription": "8(a)", "organizationCode": "7003", "deptname": "D", "subtier": "S",
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(q["ptype"]) != 2 {
		t.Errorf("ptype = %v", q["ptype"])
	}
	if _, ok := q["noticeId"]; ok {
		t.Error("camelCase noticeId must not be sent (the API ignores it)")
	}
	if len(q) != len(want)+1 {
		t.Errorf("query has %d keys, want %d: %v", len(q), len(want)+1, q)
	}
}

func TestSplitWindows(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(DateFormat, s); return t }
	tests := []struct {
		from, to string
		want     []string
	}{
		{"01/01/2026", "01/31/2026", []string{"01/01/2026-01/31/2026"}},
		{"01/01/2026", "12/31/2026", []string{"01/01/2026-12/31/2026"}},
		{"01/01/2026", "01/01/2027", []string{"01/01/2026-12/31/2026", "01/01/2027-01/01/2027"}},
		{"03/15/2023", "11/24/2026", []string{"03/15/2023-03/14/2024", "03/15/2024-03/14/2025", "03/15/2025-03/14/2026", "03/15/2026-11/24/2026"}},
		{"02/29/2024", "06/01/2025", []string{"02/29/2024-02/28/2025", "03/01/2025-06/01/2025"}},
		{"02/01/2026", "01/01/2026", nil},
	}
	for _, tt := range tests {
		got := SplitWindows(d(tt.from), d(tt.to))
		var s []string
		for _, w := range got {
			s = append(s, w.String())
			if !withinOneYear(w.From, w.To) {
				t.Errorf("window %s breaks the one-year limit", w)
			}
		}
		if strings.Join(s, " ") != strings.Join(tt.want, " ") {
			t.Errorf("SplitWindows(%s, %s) = %v, want %v", tt.from, tt.to, s, tt.want)
		}
	}

	p := SearchParams{PostedFrom: "01/01/2024", PostedTo: "06/30/2026", NAICS: "541511", ProcurementTypes: []string{"o"}}
	ws, err := p.Windows()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 3 || ws[2].PostedFrom != "01/01/2026" || ws[2].PostedTo != "06/30/2026" || ws[1].NAICS != "541511" {
		t.Fatalf("Windows = %+v", ws)
	}
	for _, w := range ws {
		if err := w.Validate(); err != nil {
			t.Errorf("window %s-%s: %v", w.PostedFrom, w.PostedTo, err)
		}
	}
	ws[0].ProcurementTypes[0] = "k"
	if p.ProcurementTypes[0] != "o" {
		t.Fatal("Windows shares the ptype slice with the original")
	}
}
