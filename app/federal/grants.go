package federal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Grants.gov page sizes (package grants speaks the API).
const (
	MaxGrantRows     = 1000 // no documented maximum; a sanity bound
	DefaultGrantRows = 100  // "100 is a safe maximum" (third-party client)
)

// GrantStatuses are the oppStatuses values search2 accepts.
var GrantStatuses = []string{"forecasted", "posted", "closed", "archived"}

// Grant is a Grants.gov funding opportunity: the search2 hit fields, plus the
// fetchOpportunity detail fields when Detailed is true.
type Grant struct {
	ID         string // numeric id as a string ("361874")
	Number     string // opportunity number
	Title      string
	AgencyCode string
	AgencyName string // "agency" (live) or "agencyName" (docs)
	OpenDate   time.Time
	CloseDate  time.Time // zero when open-ended
	Status     string    // posted, forecasted, closed, archived
	DocType    string    // synopsis, forecast
	ALNs       []string  // "cfdaList" (live) or "alnist" (docs): Assistance Listing Numbers

	// Detail (fetchOpportunity).
	Detailed           bool
	Revision           int
	Category           CodeName // opportunityCategory {category, description}
	Description        string   // synopsisDesc, HTML
	ResponseDateDesc   string
	PostingDate        time.Time
	ArchiveDate        time.Time
	AwardCeiling       Amount
	AwardFloor         Amount
	EstimatedFunding   Amount
	ExpectedAwards     int
	CostSharing        bool
	ApplicantTypes     []CodeName // {id, description}
	FundingInstruments []CodeName
	FundingCategories  []CodeName // fundingActivityCategories
	EligibilityDesc    string
	ContactName        string
	ContactEmail       string
	ContactPhone       string

	Warnings []string // values that could not be decoded
}

// GrantSearchParams is the search2 request body. List fields are sent
// pipe-delimited.
type GrantSearchParams struct {
	Keyword            string
	OppNum             string
	Eligibilities      []string // e.g. "23" small businesses, "12" 501(c)(3)
	Agencies           []string // e.g. "HHS"
	OppStatuses        []string // GrantStatuses; default forecasted|posted
	ALN                string   // assistance listing number
	FundingCategories  []string // e.g. "ST"
	FundingInstruments []string // e.g. "G"
	Rows               int      // page size; 0 means DefaultGrantRows
	StartRecordNum     int      // 0-based record offset
	SortBy             string   // e.g. "openDate|desc"
}

// Validate checks the parameters; errors are *ValidationError naming the
// search2 field.
func (p GrantSearchParams) Validate() error {
	var errs []error
	if p.Rows < 0 || p.Rows > MaxGrantRows {
		errs = append(errs, invalid("rows", "must be between 1 and %d, got %d", MaxGrantRows, p.Rows))
	}
	if p.StartRecordNum < 0 {
		errs = append(errs, invalid("startRecordNum", "must not be negative, got %d", p.StartRecordNum))
	}
	for _, s := range p.OppStatuses {
		ok := false
		for _, k := range GrantStatuses {
			ok = ok || s == k
		}
		if !ok {
			errs = append(errs, invalid("oppStatuses", "unknown status %q (known: %s)", s, strings.Join(GrantStatuses, ", ")))
		}
	}
	lists := []struct {
		field string
		vals  []string
	}{{"eligibilities", p.Eligibilities}, {"agencies", p.Agencies}, {"oppStatuses", p.OppStatuses},
		{"fundingCategories", p.FundingCategories}, {"fundingInstruments", p.FundingInstruments}}
	for _, l := range lists {
		for _, v := range l.vals {
			if strings.Contains(v, "|") || strings.TrimSpace(v) == "" {
				errs = append(errs, invalid(l.field, "values must be non-empty and contain no '|', got %q", v))
			}
		}
	}
	return errors.Join(errs...)
}

// Body is the search2 request body: list fields pipe-delimited, the
// default page size and statuses filled in.
func (p GrantSearchParams) Body() map[string]any {
	rows := p.Rows
	if rows == 0 {
		rows = DefaultGrantRows
	}
	statuses := p.OppStatuses
	if len(statuses) == 0 {
		statuses = []string{"forecasted", "posted"}
	}
	b := map[string]any{
		"rows":           rows,
		"startRecordNum": p.StartRecordNum,
		"oppStatuses":    strings.Join(statuses, "|"),
	}
	set := func(k, v string) {
		if v != "" {
			b[k] = v
		}
	}
	set("keyword", p.Keyword)
	set("oppNum", p.OppNum)
	set("eligibilities", strings.Join(p.Eligibilities, "|"))
	set("agencies", strings.Join(p.Agencies, "|"))
	set("aln", p.ALN)
	set("fundingCategories", strings.Join(p.FundingCategories, "|"))
	set("fundingInstruments", strings.Join(p.FundingInstruments, "|"))
	set("sortBy", p.SortBy)
	return b
}

// GrantPage is one page of search2 hits.
type GrantPage struct {
	HitCount    int
	StartRecord int
	Grants      []Grant
}

type wireCodeDesc struct {
	ID          FlexString `json:"id"`
	Category    FlexString `json:"category"`
	Description FlexString `json:"description"`
}

func codeDescs(in []wireCodeDesc) []CodeName {
	var out []CodeName
	for _, w := range in {
		c := CodeName{Code: strings.TrimSpace(string(w.ID)), Name: strings.TrimSpace(string(w.Description))}
		if c.Code == "" {
			c.Code = strings.TrimSpace(string(w.Category))
		}
		if c != (CodeName{}) {
			out = append(out, c)
		}
	}
	return out
}

// DecodeGrantHit reads one search2 hit.
func DecodeGrantHit(raw []byte) (Grant, error) {
	var g Grant
	err := g.decodeHit(raw)
	return g, err
}

// DecodeGrantDetail reads fetchOpportunity's data object.
func DecodeGrantDetail(raw []byte) (Grant, error) {
	var g Grant
	err := g.decodeDetail(raw)
	return g, err
}

// decodeHit reads one search2 hit; both naming variants (docs: agencyName +
// alnist; live: agency + cfdaList; lake copies: cfdalist, alnList) land in
// the same fields.
func (g *Grant) decodeHit(raw []byte) error {
	var w struct {
		ID         FlexString  `json:"id"`
		Number     FlexString  `json:"number"`
		Title      FlexString  `json:"title"`
		AgencyCode FlexString  `json:"agencyCode"`
		Agency     FlexString  `json:"agency"`
		AgencyName FlexString  `json:"agencyName"`
		OpenDate   flexTime    `json:"openDate"`
		CloseDate  flexTime    `json:"closeDate"`
		OppStatus  FlexString  `json:"oppStatus"`
		DocType    FlexString  `json:"docType"`
		CFDAList   flexStrings `json:"cfdaList"`
		CFDALower  flexStrings `json:"cfdalist"`
		ALNist     flexStrings `json:"alnist"`
		ALNList    flexStrings `json:"alnList"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	s := func(f FlexString) string { return strings.TrimSpace(string(f)) }
	*g = Grant{
		ID: s(w.ID), Number: s(w.Number), Title: s(w.Title), AgencyCode: s(w.AgencyCode),
		AgencyName: firstNonEmpty(s(w.Agency), s(w.AgencyName)),
		Status:     s(w.OppStatus), DocType: s(w.DocType),
		ALNs: firstList(w.CFDAList, w.CFDALower, w.ALNist, w.ALNList),
	}
	g.OpenDate = g.timeOf("openDate", w.OpenDate)
	g.CloseDate = g.timeOf("closeDate", w.CloseDate)
	return nil
}

// decodeDetail reads fetchOpportunity's data object.
func (g *Grant) decodeDetail(raw []byte) error {
	var w struct {
		ID                  FlexString   `json:"id"`
		Revision            FlexInt      `json:"revision"`
		OpportunityNumber   FlexString   `json:"opportunityNumber"`
		OpportunityTitle    FlexString   `json:"opportunityTitle"`
		OwningAgencyCode    FlexString   `json:"owningAgencyCode"`
		OpportunityCategory wireCodeDesc `json:"opportunityCategory"`
		DocType             FlexString   `json:"docType"`
		OppStatus           FlexString   `json:"oppStatus"`
		CFDAs               []struct {
			CFDANumber FlexString `json:"cfdaNumber"`
			ALNNumber  FlexString `json:"alnNumber"`
		} `json:"cfdas"`
		ALNs []struct {
			CFDANumber FlexString `json:"cfdaNumber"`
			ALNNumber  FlexString `json:"alnNumber"`
		} `json:"alns"`
		CFDAList flexStrings `json:"cfdaList"`
		ALNist   flexStrings `json:"alnist"`
		Synopsis *struct {
			AgencyCode                FlexString     `json:"agencyCode"`
			AgencyName                FlexString     `json:"agencyName"`
			Agency                    FlexString     `json:"agency"`
			AgencyContactName         FlexString     `json:"agencyContactName"`
			AgencyContactEmail        FlexString     `json:"agencyContactEmail"`
			AgencyContactPhone        FlexString     `json:"agencyContactPhone"`
			SynopsisDesc              FlexString     `json:"synopsisDesc"`
			ResponseDate              flexTime       `json:"responseDate"`
			ResponseDateDesc          FlexString     `json:"responseDateDesc"`
			PostingDate               flexTime       `json:"postingDate"`
			ArchiveDate               flexTime       `json:"archiveDate"`
			AwardCeiling              Amount         `json:"awardCeiling"`
			AwardFloor                Amount         `json:"awardFloor"`
			EstimatedFunding          Amount         `json:"estimatedFunding"`
			NumberOfAwards            FlexInt        `json:"numberOfAwards"`
			CostSharing               FlexString     `json:"costSharing"`
			ApplicantEligibilityDesc  FlexString     `json:"applicantEligibilityDesc"`
			ApplicantTypes            []wireCodeDesc `json:"applicantTypes"`
			FundingInstruments        []wireCodeDesc `json:"fundingInstruments"`
			FundingActivityCategories []wireCodeDesc `json:"fundingActivityCategories"`
		} `json:"synopsis"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	s := func(f FlexString) string { return strings.TrimSpace(string(f)) }
	*g = Grant{
		Detailed: true, ID: s(w.ID), Revision: int(w.Revision), Number: s(w.OpportunityNumber),
		Title: s(w.OpportunityTitle), AgencyCode: s(w.OwningAgencyCode),
		Category: codeNames(codeDescs([]wireCodeDesc{w.OpportunityCategory})).first(),
		DocType:  s(w.DocType), Status: s(w.OppStatus),
	}
	var alns []string
	for _, c := range append(w.CFDAs, w.ALNs...) {
		if v := firstNonEmpty(s(c.ALNNumber), s(c.CFDANumber)); v != "" {
			alns = append(alns, v)
		}
	}
	g.ALNs = firstList(flexStrings(alns), w.CFDAList, w.ALNist)
	if sy := w.Synopsis; sy != nil {
		if code := s(sy.AgencyCode); code != "" {
			g.AgencyCode = code
		}
		g.AgencyName = firstNonEmpty(s(sy.Agency), s(sy.AgencyName))
		g.ContactName, g.ContactEmail, g.ContactPhone = s(sy.AgencyContactName), s(sy.AgencyContactEmail), s(sy.AgencyContactPhone)
		g.Description = string(sy.SynopsisDesc)
		g.ResponseDateDesc = s(sy.ResponseDateDesc)
		g.CloseDate = g.timeOf("synopsis.responseDate", sy.ResponseDate)
		g.PostingDate = g.timeOf("synopsis.postingDate", sy.PostingDate)
		g.OpenDate = g.PostingDate
		g.ArchiveDate = g.timeOf("synopsis.archiveDate", sy.ArchiveDate)
		g.AwardCeiling, g.AwardFloor, g.EstimatedFunding = sy.AwardCeiling, sy.AwardFloor, sy.EstimatedFunding
		g.ExpectedAwards = int(sy.NumberOfAwards)
		switch strings.ToLower(s(sy.CostSharing)) {
		case "true", "yes", "y":
			g.CostSharing = true
		}
		g.EligibilityDesc = s(sy.ApplicantEligibilityDesc)
		g.ApplicantTypes = codeDescs(sy.ApplicantTypes)
		g.FundingInstruments = codeDescs(sy.FundingInstruments)
		g.FundingCategories = codeDescs(sy.FundingActivityCategories)
	}
	return nil
}

type codeNames []CodeName

func (c codeNames) first() CodeName {
	if len(c) == 0 {
		return CodeName{}
	}
	return c[0]
}

func (g *Grant) timeOf(field string, f flexTime) time.Time {
	if f.bad != "" {
		g.Warnings = append(g.Warnings, fmt.Sprintf("%s: unreadable value %q", field, f.bad))
	}
	return f.t
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstList(lists ...flexStrings) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return []string(l)
		}
	}
	return nil
}
