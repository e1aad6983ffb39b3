package federal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Grants.gov endpoints (no authentication).
const (
	DefaultGrantsBaseURL = "https://api.grants.gov"
	GrantsSearchPath     = "/v1/api/search2"
	GrantsFetchPath      = "/v1/api/fetchOpportunity"
	MaxGrantRows         = 1000 // no documented maximum; a sanity bound
	DefaultGrantRows     = 100  // "100 is a safe maximum" (third-party client)
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

func (p GrantSearchParams) body() map[string]any {
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

// GrantsClient calls the Grants.gov REST API. The zero value works against
// production with the default 90 s timeout.
type GrantsClient struct {
	BaseURL string       // default DefaultGrantsBaseURL
	HTTP    *http.Client // default: a client with DefaultTimeout
	Now     func() time.Time
}

func (c *GrantsClient) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Search runs search2. Errors: *ValidationError, *RateLimitError (429),
// ErrTimeout, *APIError (HTTP error, malformed JSON, errorcode != 0).
func (c *GrantsClient) Search(ctx context.Context, p GrantSearchParams) (GrantPage, error) {
	if err := p.Validate(); err != nil {
		return GrantPage{}, fmt.Errorf("grants search: %w", err)
	}
	var data struct {
		HitCount    flexInt           `json:"hitCount"`
		StartRecord flexInt           `json:"startRecord"`
		OppHits     []json.RawMessage `json:"oppHits"`
	}
	if err := c.post(ctx, "grants search", GrantsSearchPath, p.body(), &data); err != nil {
		return GrantPage{}, err
	}
	page := GrantPage{HitCount: int(data.HitCount), StartRecord: int(data.StartRecord)}
	for i, raw := range data.OppHits {
		if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
			continue
		}
		var g Grant
		if err := g.decodeHit(raw); err != nil {
			return GrantPage{}, fmt.Errorf("grants search: %w", &APIError{Status: http.StatusOK, Message: fmt.Sprintf("malformed oppHits[%d]: %s", i, err)})
		}
		page.Grants = append(page.Grants, g)
	}
	return page, nil
}

// Fetch runs fetchOpportunity for a numeric opportunity id (Grant.ID) and
// returns the detailed Grant. Errors as for Search; a non-numeric id is a
// *ValidationError.
func (c *GrantsClient) Fetch(ctx context.Context, id string) (Grant, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return Grant{}, fmt.Errorf("grants fetch: %w", invalid("opportunityId", "must be a positive number, got %q", id))
	}
	var data json.RawMessage
	if err := c.post(ctx, "grants fetch", GrantsFetchPath, map[string]any{"opportunityId": n}, &data); err != nil {
		return Grant{}, err
	}
	var g Grant
	if err := g.decodeDetail(data); err != nil {
		return Grant{}, fmt.Errorf("grants fetch: %w", &APIError{Status: http.StatusOK, Message: "malformed data: " + err.Error()})
	}
	if g.ID == "" {
		return Grant{}, fmt.Errorf("grants fetch: %w", &APIError{Status: http.StatusOK, Message: "response data has no opportunity id"})
	}
	return g, nil
}

func (c *GrantsClient) post(ctx context.Context, op, path string, reqBody any, data any) error {
	b, err := json.Marshal(reqBody)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", op, err)
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultGrantsBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: new request: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return transportError(op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return transportError(op+": read body", err)
	}
	var env struct {
		ErrorCode *flexInt        `json:"errorcode"`
		Msg       flexString      `json:"msg"`
		Data      json.RawMessage `json:"data"`
	}
	jsonErr := json.Unmarshal(body, &env)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		at := c.now().Add(time.Minute).UTC()
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			at = retryAt(errorBody{}, resp.Header, c.now())
		}
		return fmt.Errorf("%s: %w", op, &RateLimitError{RetryAt: at, Message: string(env.Msg)})
	case resp.StatusCode != http.StatusOK:
		msg := string(env.Msg)
		if jsonErr != nil {
			msg = nonJSONMessage(resp.Header, body)
		}
		return fmt.Errorf("%s: %w", op, &APIError{Status: resp.StatusCode, Message: truncate(msg, 500)})
	case jsonErr != nil:
		return fmt.Errorf("%s: %w", op, &APIError{Status: resp.StatusCode, Message: "malformed JSON: " + nonJSONOr(jsonErr, resp.Header, body)})
	case env.ErrorCode != nil && *env.ErrorCode != 0:
		return fmt.Errorf("%s: %w", op, &APIError{Status: resp.StatusCode, Code: strconv.Itoa(int(*env.ErrorCode)), Message: truncate(string(env.Msg), 500)})
	case len(bytes.TrimSpace(env.Data)) == 0 || string(bytes.TrimSpace(env.Data)) == "null":
		return fmt.Errorf("%s: %w", op, &APIError{Status: resp.StatusCode, Message: "response has no data"})
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		return fmt.Errorf("%s: %w", op, &APIError{Status: resp.StatusCode, Message: "malformed data: " + err.Error()})
	}
	return nil
}

func nonJSONOr(err error, h http.Header, body []byte) string {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '<' {
		return nonJSONMessage(h, body)
	}
	return err.Error()
}

type wireCodeDesc struct {
	ID          flexString `json:"id"`
	Category    flexString `json:"category"`
	Description flexString `json:"description"`
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

// decodeHit reads one search2 hit; both naming variants (docs: agencyName +
// alnist; live: agency + cfdaList; lake copies: cfdalist, alnList) land in
// the same fields.
func (g *Grant) decodeHit(raw []byte) error {
	var w struct {
		ID         flexString  `json:"id"`
		Number     flexString  `json:"number"`
		Title      flexString  `json:"title"`
		AgencyCode flexString  `json:"agencyCode"`
		Agency     flexString  `json:"agency"`
		AgencyName flexString  `json:"agencyName"`
		OpenDate   flexTime    `json:"openDate"`
		CloseDate  flexTime    `json:"closeDate"`
		OppStatus  flexString  `json:"oppStatus"`
		DocType    flexString  `json:"docType"`
		CFDAList   flexStrings `json:"cfdaList"`
		CFDALower  flexStrings `json:"cfdalist"`
		ALNist     flexStrings `json:"alnist"`
		ALNList    flexStrings `json:"alnList"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	s := func(f flexString) string { return strings.TrimSpace(string(f)) }
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
		ID                  flexString   `json:"id"`
		Revision            flexInt      `json:"revision"`
		OpportunityNumber   flexString   `json:"opportunityNumber"`
		OpportunityTitle    flexString   `json:"opportunityTitle"`
		OwningAgencyCode    flexString   `json:"owningAgencyCode"`
		OpportunityCategory wireCodeDesc `json:"opportunityCategory"`
		DocType             flexString   `json:"docType"`
		OppStatus           flexString   `json:"oppStatus"`
		CFDAs               []struct {
			CFDANumber flexString `json:"cfdaNumber"`
			ALNNumber  flexString `json:"alnNumber"`
		} `json:"cfdas"`
		ALNs []struct {
			CFDANumber flexString `json:"cfdaNumber"`
			ALNNumber  flexString `json:"alnNumber"`
		} `json:"alns"`
		CFDAList flexStrings `json:"cfdaList"`
		ALNist   flexStrings `json:"alnist"`
		Synopsis *struct {
			AgencyCode                flexString     `json:"agencyCode"`
			AgencyName                flexString     `json:"agencyName"`
			Agency                    flexString     `json:"agency"`
			AgencyContactName         flexString     `json:"agencyContactName"`
			AgencyContactEmail        flexString     `json:"agencyContactEmail"`
			AgencyContactPhone        flexString     `json:"agencyContactPhone"`
			SynopsisDesc              flexString     `json:"synopsisDesc"`
			ResponseDate              flexTime       `json:"responseDate"`
			ResponseDateDesc          flexString     `json:"responseDateDesc"`
			PostingDate               flexTime       `json:"postingDate"`
			ArchiveDate               flexTime       `json:"archiveDate"`
			AwardCeiling              Amount         `json:"awardCeiling"`
			AwardFloor                Amount         `json:"awardFloor"`
			EstimatedFunding          Amount         `json:"estimatedFunding"`
			NumberOfAwards            flexInt        `json:"numberOfAwards"`
			CostSharing               flexString     `json:"costSharing"`
			ApplicantEligibilityDesc  flexString     `json:"applicantEligibilityDesc"`
			ApplicantTypes            []wireCodeDesc `json:"applicantTypes"`
			FundingInstruments        []wireCodeDesc `json:"fundingInstruments"`
			FundingActivityCategories []wireCodeDesc `json:"fundingActivityCategories"`
		} `json:"synopsis"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	s := func(f flexString) string { return strings.TrimSpace(string(f)) }
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
