package federal

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExtractRequirements_RFP(t *testing.T) {
	ex := ExtractRequirements(string(mustRead(t, "rfp_excerpt.txt")))

	wantReqs := []Requirement{
		{"C.4.1", "The Contractor shall provide agile software development teams that deliver working software every two-week sprint.", KindShall, ""},
		{"C.4.1", "The Contractor shall maintain a product backlog in the Government's Jira instance.", KindShall, ""},
		{"C.4.2", "All Contractor personnel must hold a favorable Public Trust (Moderate Risk) background investigation before starting work.", KindMust, ""},
		{"C.4.2", "The Contractor shall not store Government data outside the FedRAMP High authorized environment.", KindShall, ""},
		{"L.1", "Questions regarding this solicitation must be submitted in writing to the Contracting Officer no later than February 10, 2027, 12:00 p.m. Eastern Time.", KindMust, ""},
		{"L.3.1", "Offerors shall submit the proposal in four volumes.", KindShall, ""},
		{"L.3.1", "Each volume must be submitted as a searchable PDF file.", KindMust, ""},
		{"L.3.2", "The Technical Volume shall not exceed 25 pages.", KindShall, ""},
		{"L.3.2", "Offerors must use 12-point Times New Roman font with one-inch margins.", KindMust, ""},
		{"L.3.3", "The offeror shall complete Attachment J-2, Price Schedule, for the base period and all option periods.", KindShall, ""},
		{"M.1", "Award will be made to the offeror whose proposal represents the best value to the Government using a trade-off process.", KindEvaluation, ""},
		{"M.2.1", "The Government will evaluate the offeror's understanding of the requirements and the feasibility of its technical approach.", KindEvaluation, ""},
		{"M.2.1", "Proposals rated Unacceptable under Factor 1 will not be considered for award.", KindEvaluation, ""},
	}
	if !reflect.DeepEqual(ex.Requirements, wantReqs) {
		var b strings.Builder
		for _, r := range ex.Requirements {
			fmt.Fprintf(&b, "%s [%s] %s\n", r.Section, r.Kind, r.Text)
		}
		t.Fatalf("requirements:\n%s", b.String())
	}

	wantFactors := []string{"Technical Approach", "Management Approach and Key Personnel", "Past Performance", "Price"}
	if !reflect.DeepEqual(ex.EvaluationFactors, wantFactors) {
		t.Fatalf("factors = %q", ex.EvaluationFactors)
	}

	est := -5 * 3600
	type d struct {
		label, section, when string
		hasTime              bool
		offset               int
		zone                 string
	}
	want := []d{
		{"performance period", "C.5", "2027-06-01 00:00", false, 0, ""},
		{"performance period", "C.5", "2028-05-31 00:00", false, 0, ""},
		{"questions due", "L.1", "2027-02-10 12:00", true, est, "Eastern Time"},
		{"conference", "L.1", "2027-01-27 13:00", true, est, "ET"},
		{"proposals due", "L.1", "2027-03-03 14:00", true, est, "ET"},
		{"anticipated award", "M.1", "2027-04-28 00:00", false, 0, ""},
	}
	var got []d
	for _, it := range ex.Dates {
		_, off := it.Date.Zone()
		got = append(got, d{it.Label, it.Section, it.Date.Format("2006-01-02 15:04"), it.HasTime, off, it.Zone})
		if it.Text == "" {
			t.Errorf("dated item without its sentence: %+v", it)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("dates:\n got %+v\nwant %+v", got, want)
	}
}

func TestExtractRequirements_Dates(t *testing.T) {
	edt, est, cdt := -4*3600, -5*3600, -5*3600
	tests := []struct {
		in     string
		label  string
		when   string // RFC 3339
		offset int
	}{
		{"Proposals are due March 3, 2027 at 2:00 PM ET.", "proposals due", "2027-03-03T14:00:00-05:00", est},
		{"Proposals are due April 7, 2027 at 10:00 a.m. ET.", "proposals due", "2027-04-07T10:00:00-04:00", edt},
		{"Offers shall be received no later than 03/15/2027 1400 hours EST.", "proposals due", "2027-03-15T14:00:00-05:00", est},
		{"Quotes are due by 3:30 PM CT on Friday, 9 July 2027.", "proposals due", "2027-07-09T15:30:00-05:00", cdt},
		{"A site visit is scheduled for 2027-05-04 at 09:00 local time.", "site visit", "2027-05-04T09:00:00Z", 0},
		{"DST starts: responses due March 14, 2027 at 3:00 AM ET.", "proposals due", "2027-03-14T03:00:00-04:00", edt},
		{"Before DST: responses due March 14, 2027 at 1:00 AM ET.", "proposals due", "2027-03-14T01:00:00-05:00", est},
		{"Responses are due November 7, 2027 at 1:00 AM Eastern Daylight Time.", "proposals due", "2027-11-07T01:00:00-04:00", edt},
		{"The kickoff is on February 30, 2027.", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ex := ExtractRequirements(tt.in)
			if tt.when == "" {
				if len(ex.Dates) != 0 {
					t.Fatalf("dates = %+v, want none", ex.Dates)
				}
				return
			}
			if len(ex.Dates) != 1 {
				t.Fatalf("dates = %+v", ex.Dates)
			}
			it := ex.Dates[0]
			if _, off := it.Date.Zone(); it.Date.Format(time.RFC3339) != tt.when || off != tt.offset || it.Label != tt.label || !it.HasTime {
				t.Fatalf("got %s (offset %d, label %q, time %v), want %s", it.Date.Format(time.RFC3339), off, it.Label, it.HasTime, tt.when)
			}
		})
	}
}

func TestExtractRequirements_FactorList(t *testing.T) {
	text := "SECTION M - EVALUATION\nThe evaluation factors are: Technical Capability, Past Performance, and Price.\nSubfactor 1.1 - Staffing"
	ex := ExtractRequirements(text)
	if want := []string{"Technical Capability", "Past Performance", "Price"}; !reflect.DeepEqual(ex.EvaluationFactors, want) {
		t.Fatalf("factors = %q", ex.EvaluationFactors)
	}
	if len(ex.Requirements) != 1 || ex.Requirements[0].Kind != KindEvaluation || ex.Requirements[0].Section != "M" {
		t.Fatalf("requirements = %+v", ex.Requirements)
	}
}

func TestExtractRequirements_Deterministic(t *testing.T) {
	text := string(mustRead(t, "rfp_excerpt.txt"))
	if a, b := ExtractRequirements(text), ExtractRequirements(text); !reflect.DeepEqual(a, b) {
		t.Fatal("not deterministic")
	}
	if ex := ExtractRequirements(""); len(ex.Requirements)+len(ex.Dates)+len(ex.EvaluationFactors) != 0 {
		t.Fatalf("empty text gave %+v", ex)
	}
	// CRLF and HTML input via PlainText.
	html := "<h2>Section L</h2><p>L.2 Format</p><p>Offerors&nbsp;shall use Arial.<br>Files must be PDF.</p>"
	ex := ExtractRequirements(strings.ReplaceAll(PlainText(html), "\n", "\r\n"))
	if len(ex.Requirements) != 2 || ex.Requirements[0].Section != "L.2" || ex.Requirements[0].Text != "Offerors shall use Arial." || ex.Requirements[1].Kind != KindMust {
		t.Fatalf("requirements = %+v", ex.Requirements)
	}
}

// FuzzExtractRequirements: any text is handled without panicking, and every
// requirement keeps a known kind.
func FuzzExtractRequirements(f *testing.F) {
	f.Add("SECTION L\nL.3.2 Technical Volume\nThe volume shall not exceed 25 pages. Proposals are due March 3, 2027 at 2:00 PM ET.")
	f.Add("Factor 1 – Technical\n(a) Offerors must 12:00 p.m. 01/02/2027 1400 hours")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		// Large inputs are covered by the 1.5 MB test; here they only slow
		// the fuzzer until its workers miss their deadline.
		if len(s) > 4096 {
			t.Skip()
		}
		ex := ExtractRequirements(s)
		for _, r := range ex.Requirements {
			if r.Kind != KindShall && r.Kind != KindMust && r.Kind != KindEvaluation {
				t.Fatalf("kind %q", r.Kind)
			}
		}
		_ = PlainText(s)
	})
}

// A heading without a section number is not a requirement, and does not
// run into the sentence under it.
func TestExtractRequirements_BareHeading(t *testing.T) {
	ex := ExtractRequirements("SECTION M\n\nEVALUATION FACTORS FOR AWARD\n\nEvaluation of Technical Proposals\nThe Government will evaluate the technical approach.\n\nSECTION L\nInstructions to Offerors\nOfferors shall submit one volume.\n")
	want := []Requirement{
		{"M", "The Government will evaluate the technical approach.", KindEvaluation, ""},
		{"L", "Offerors shall submit one volume.", KindShall, ""},
	}
	if !reflect.DeepEqual(ex.Requirements, want) {
		t.Fatalf("requirements = %+v", ex.Requirements)
	}
}
