package federal

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Saved-search kinds.
const (
	SearchSAM    = "sam"    // SAM.gov Get Opportunities
	SearchGrants = "grants" // Grants.gov search2
)

// MaxPostedDays is the longest posted-date window a saved search may use:
// SAM.gov refuses windows over one year.
const MaxPostedDays = 365

// Limits of a saved search's code lists: at most MaxSearchCodes codes in
// each list and MaxSearchRequests combinations (SAM.gov requests per run
// and posted window) in all.
const (
	MaxSearchCodes    = 10
	MaxSearchRequests = 20
)

// SplitCodes splits a list typed by a person ("541511, 541512 541519")
// on commas, semicolons and white space.
func SplitCodes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// normalizeCodes trims each code, applies canon, drops empty codes and
// duplicates, keeping the first order.
func normalizeCodes(in []string, canon func(string) string) []string {
	var out []string
	for _, c := range in {
		for _, c := range SplitCodes(c) {
			if c = canon(c); c != "" && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// SavedSearch is a search the scout runs on a schedule for one tenant.
type SavedSearch struct {
	ID       int64
	TenantID int64
	Kind     string // SearchSAM or SearchGrants
	Name     string
	// NAICS, PSC and SetAsides may each list several codes (like
	// GovTribe's searches); SAM.gov takes one of each per request, so a
	// run sends one request per combination (Requests), each counted
	// against the daily quota.
	NAICS     []string // ncode (SAM), up to 6 digits each
	PSC       []string // ccode (SAM)
	SetAsides []string // typeOfSetAside (SAM), SetAsides codes
	State     string   // place of performance (SAM)
	Title     string   // title words (SAM) or keyword (Grants)
	// ProcurementTypes are ptype codes (SAM), e.g. "o", "k".
	ProcurementTypes []string
	// PostedDays is the posted-date window ending today, 1..MaxPostedDays.
	PostedDays int
	// FetchDescriptions fetches each new notice's description text (one
	// more request from the quota per notice). Off by default: a personal
	// key has 10 requests a day.
	FetchDescriptions bool

	LastRunAt  *time.Time
	LastStatus string // "ok", "deferred", "error", "config"
	LastError  string
	CreatedAt  time.Time
}

// Normalize trims fields and canonicalizes codes.
func (s *SavedSearch) Normalize() {
	s.Kind = strings.ToLower(strings.TrimSpace(s.Kind))
	if s.Kind == "" {
		s.Kind = SearchSAM
	}
	s.Name = strings.TrimSpace(s.Name)
	s.NAICS = normalizeCodes(s.NAICS, strings.TrimSpace)
	s.PSC = normalizeCodes(s.PSC, strings.ToUpper)
	s.SetAsides = normalizeCodes(s.SetAsides, func(c string) string {
		if canon, ok := CanonicalSetAside(c); ok {
			return canon
		}
		return c
	})
	s.State = strings.ToUpper(strings.TrimSpace(s.State))
	s.Title = strings.TrimSpace(s.Title)
	var pt []string
	for _, p := range s.ProcurementTypes {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			pt = append(pt, p)
		}
	}
	s.ProcurementTypes = pt
	if s.PostedDays == 0 {
		s.PostedDays = 30
	}
}

// Validate checks the search as it will be sent; errors are
// *ValidationError naming the field (name, kind, postedDays, naics,
// setAside, ...).
func (s *SavedSearch) Validate() error {
	if s.Name == "" {
		return invalid("name", "required")
	}
	if len(s.Name) > 100 {
		return invalid("name", "at most 100 characters")
	}
	if s.Kind != SearchSAM && s.Kind != SearchGrants {
		return invalid("kind", "must be sam or grants, got %q", s.Kind)
	}
	if s.PostedDays < 1 || s.PostedDays > MaxPostedDays {
		return invalid("postedDays", "must be 1 to %d days (SAM.gov allows a window of at most one year), got %d", MaxPostedDays, s.PostedDays)
	}
	if s.Kind == SearchGrants {
		return nil
	}
	for _, l := range []struct {
		field string
		codes []string
	}{{"naics", s.NAICS}, {"psc", s.PSC}, {"setAsides", s.SetAsides}} {
		if len(l.codes) > MaxSearchCodes {
			return invalid(l.field, "at most %d codes, got %d", MaxSearchCodes, len(l.codes))
		}
	}
	for _, c := range s.PSC {
		if len(c) > 4 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			return invalid("psc", "must be product/service codes of up to 4 letters and digits (like D302), got %q", c)
		}
	}
	if n := s.RequestCount(); n > MaxSearchRequests {
		return invalid("naics", "%d NAICS x %d PSC x %d set-aside codes make %d SAM.gov requests per run; at most %d (split it into several searches)",
			max(1, len(s.NAICS)), max(1, len(s.PSC)), max(1, len(s.SetAsides)), n, MaxSearchRequests)
	}
	// Everything else is checked by the requests the search becomes.
	for _, p := range s.Requests(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		if err := p.Validate(); err != nil {
			return samFieldError(err)
		}
	}
	return nil
}

// samFieldError returns the first *ValidationError in err with the API's
// parameter name replaced by the saved search's field name.
func samFieldError(err error) error {
	if ve, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range ve.Unwrap() {
			if v, ok := e.(*ValidationError); ok {
				return renameField(v)
			}
		}
	}
	if v, ok := err.(*ValidationError); ok {
		return renameField(v)
	}
	return err
}

func renameField(v *ValidationError) error {
	names := map[string]string{"typeOfSetAside": "setAsides", "ncode": "naics", "ccode": "psc", "ptype": "procurementTypes"}
	if n, ok := names[v.Field]; ok {
		return &ValidationError{Field: n, Message: v.Message}
	}
	return v
}

// Filters describes the search's filters in one line for lists
// ("NAICS 541511, 541512 · PSC D302 · SBA, 8A · VA · “cyber” · ptype o, k").
func (s *SavedSearch) Filters() string {
	var parts []string
	add := func(label string, l []string) {
		if len(l) > 0 {
			parts = append(parts, strings.TrimSpace(label+" "+strings.Join(l, ", ")))
		}
	}
	add("NAICS", s.NAICS)
	add("PSC", s.PSC)
	add("", s.SetAsides)
	if s.State != "" {
		parts = append(parts, s.State)
	}
	if s.Title != "" {
		parts = append(parts, "“"+s.Title+"”")
	}
	add("ptype", s.ProcurementTypes)
	if s.FetchDescriptions {
		parts = append(parts, "+descriptions")
	}
	return strings.Join(parts, " · ")
}

// RequestCount is how many SAM.gov requests one run of the search sends
// per posted window and result page: one per combination of its NAICS,
// PSC and set-aside codes (1 with none).
func (s *SavedSearch) RequestCount() int {
	return max(1, len(s.NAICS)) * max(1, len(s.PSC)) * max(1, len(s.SetAsides))
}

// Requests returns the SAM.gov requests for the window of PostedDays days
// ending on now's UTC date: one per combination of the NAICS, PSC and
// set-aside codes (SAM.gov takes one of each per request), in a fixed
// order, RequestCount of them.
func (s *SavedSearch) Requests(now time.Time) []SearchParams {
	to := now.UTC()
	from := to.AddDate(0, 0, -(s.PostedDays - 1))
	orOne := func(l []string) []string {
		if len(l) == 0 {
			return []string{""}
		}
		return l
	}
	var out []SearchParams
	for _, naics := range orOne(s.NAICS) {
		for _, psc := range orOne(s.PSC) {
			for _, sa := range orOne(s.SetAsides) {
				out = append(out, SearchParams{
					PostedFrom: FormatDate(from), PostedTo: FormatDate(to),
					ProcurementTypes: append([]string(nil), s.ProcurementTypes...),
					Title:            s.Title, State: s.State, SetAside: sa, NAICS: naics, PSC: psc,
				})
			}
		}
	}
	return out
}

// StoredNotice is a notice as the store keeps it: the latest version, its
// fit score and where it is in the bid pipeline.
type StoredNotice struct {
	Notice
	TenantID    int64
	Fit         FitScore
	Versions    int // stored versions (1 + amendments seen)
	FirstSeenAt time.Time
	UpdatedAt   time.Time
	Stage       string // pipeline stage, "" when not pursued
}

// NoticeChange is one recorded amendment.
type NoticeChange struct {
	ID        int64
	NoticeID  string
	ChangedAt time.Time
	Changes   []FieldChange
}

// Upsert outcomes.
const (
	UpsertNew       = "new"
	UpsertUpdated   = "updated"
	UpsertUnchanged = "unchanged"
)

// UpsertCounts counts what a batch upsert did.
type UpsertCounts struct {
	New, Updated, Unchanged int
}

// Sort orders for notice listings.
const (
	SortScore    = "score"    // best fit first
	SortPosted   = "posted"   // newest first
	SortDeadline = "deadline" // soonest response deadline first
)

// NoticeFilter selects stored notices. Query is full-text over titles and
// description text. Cursor is the NextCursor of the previous page.
type NoticeFilter struct {
	Query      string
	NAICS      string
	SetAside   string
	State      string
	Type       string
	ActiveOnly bool
	MinScore   int
	Sort       string
	Limit      int
	Cursor     string
}

// Pipeline stages, in order.
const (
	StageTriage      = "triage"
	StageBidDecision = "bid_decision"
	StageCapture     = "capture"
	StageProposal    = "proposal"
	StageSubmitted   = "submitted"
	StageWon         = "won"
	StageLost        = "lost"
	StageNoBid       = "no_bid"
)

// Stages lists the pipeline stages with their labels, in order.
var Stages = []struct{ Code, Label string }{
	{StageTriage, "Triage"}, {StageBidDecision, "Bid/No-bid"}, {StageCapture, "Capture"},
	{StageProposal, "Proposal"}, {StageSubmitted, "Submitted"}, {StageWon, "Won"}, {StageLost, "Lost"}, {StageNoBid, "No bid"},
}

// StageLabel returns the display label of a stage code.
func StageLabel(code string) string {
	for _, s := range Stages {
		if s.Code == code {
			return s.Label
		}
	}
	return code
}

// PipelineEntry is a notice being pursued.
type PipelineEntry struct {
	ID                  int64 // the pursuit's record ID: tasks and notes link to it (record_type "pursuit")
	TenantID            int64
	NoticeID            string
	Title               string // from the notice (read only)
	ResponseDeadline    time.Time
	Stage               string
	EstimatedValueCents int64
	WinProbability      int // percent, 0..100
	Owner               string
	Notes               string // before tasks and notes moved to the CRM; kept empty
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// ProbableValueCents is the estimated value weighted by the win probability.
func (e *PipelineEntry) ProbableValueCents() int64 {
	return e.EstimatedValueCents * int64(e.WinProbability) / 100
}

// Validate checks the stage, the value and the probability.
func (e *PipelineEntry) Validate() error {
	ok := false
	for _, s := range Stages {
		ok = ok || s.Code == e.Stage
	}
	if !ok {
		return invalid("stage", "unknown stage %q", e.Stage)
	}
	if e.EstimatedValueCents < 0 {
		return invalid("estimatedValue", "must not be negative")
	}
	if e.WinProbability < 0 || e.WinProbability > 100 {
		return invalid("winProbability", "must be 0 to 100, got %d", e.WinProbability)
	}
	if len(e.Owner) > 200 {
		return invalid("owner", "at most 200 characters")
	}
	return nil
}

// Requirement statuses in a compliance matrix.
var RequirementStatuses = []string{"open", "drafted", "answered", "na"}

// MatrixRow is one compliance-matrix requirement.
type MatrixRow struct {
	ID         int64
	NoticeID   string
	Section    string
	Text       string
	Kind       string
	Owner      string
	Status     string
	AnsweredIn string // where the proposal answers it ("Vol I §2.3")
	Origin     string // OriginRules or OriginLLM: who found it
	CreatedAt  time.Time
}

// Completeness returns the percentage of rows answered or not applicable.
func Completeness(rows []*MatrixRow) int {
	if len(rows) == 0 {
		return 0
	}
	done := 0
	for _, r := range rows {
		if r.Status == "answered" || r.Status == "na" {
			done++
		}
	}
	return done * 100 / len(rows)
}

// ScoutRun records one run of the scout for a tenant.
type ScoutRun struct {
	ID         int64
	TenantID   int64
	Trigger    string // "schedule", "cli", "ui"
	StartedAt  time.Time
	FinishedAt time.Time
	Status     string // "ok", "deferred", "partial", "config", "error"
	Searches   int
	Requests   int
	New        int
	Updated    int
	Error      string
}

// StoredGrant is a Grants.gov opportunity as stored.
type StoredGrant struct {
	Grant
	TenantID    int64
	FirstSeenAt time.Time
	UpdatedAt   time.Time
	Stage       string // grant pipeline stage, "" when not pursued
}

// GrantFilter selects stored grants.
type GrantFilter struct {
	Query      string // words in the title or number
	OpenOnly   bool   // close date today or later, or none
	Limit      int
	Cursor     string
	AgencyCode string
}

// The federal stores, one per kind of record, each the handful of
// methods its consumers call (issue #14): the Service takes them all as
// Stores, the Scout only the four it writes (NewScout). Every method but
// TenantStore's is scoped to the tenant in ctx (app.NewContextWithTenant),
// as the CRM's stores are, so a caller cannot read another tenant's rows;
// a context without one is refused with EUNAUTHORIZED. Package store
// implements them all on one type (store.FederalStore.Stores).

// ProfileStore keeps the tenant's company profile, which scores notices.
type ProfileStore interface {
	FindProfile(ctx context.Context) (*Profile, error)
	SaveProfile(ctx context.Context, p *Profile, now time.Time) error
}

// SearchStore keeps the tenant's saved searches and their last run.
type SearchStore interface {
	FindSavedSearches(ctx context.Context) ([]*SavedSearch, error)
	CreateSavedSearch(ctx context.Context, s *SavedSearch) error
	DeleteSavedSearch(ctx context.Context, id int64) error
	MarkSearchRun(ctx context.Context, id int64, at time.Time, status, errMsg string) error
}

// NoticeStore keeps the SAM.gov notices the searches found, their
// amendments and scores.
type NoticeStore interface {
	// UpsertNotices stores each notice once per tenant in one transaction:
	// new notices are inserted, changed ones updated with a change row
	// (DiffNotice) and every one re-scored against the tenant's profile.
	UpsertNotices(ctx context.Context, ns []Notice, now time.Time) (UpsertCounts, error)
	SetDescription(ctx context.Context, noticeID, text string) error
	FindNotices(ctx context.Context, f NoticeFilter) ([]*StoredNotice, string, error)
	FindNotice(ctx context.Context, noticeID string) (*StoredNotice, error)
	FindNoticeChanges(ctx context.Context, noticeID string) ([]*NoticeChange, error)
	// FindNoticeActivity feeds the digest: notices new or changed in
	// [from, to).
	FindNoticeActivity(ctx context.Context, from, to time.Time) ([]*StoredNotice, error)
}

// PursuitStore keeps the bid pipeline (notices pursued) and the grant
// pipeline.
type PursuitStore interface {
	FindPipeline(ctx context.Context) ([]*PipelineEntry, error)
	FindPipelineEntry(ctx context.Context, noticeID string) (*PipelineEntry, error)
	SavePipelineEntry(ctx context.Context, e *PipelineEntry, now time.Time) error

	FindGrantPipeline(ctx context.Context) ([]*GrantPipelineEntry, error)
	FindGrantPipelineEntry(ctx context.Context, grantID string) (*GrantPipelineEntry, error)
	SaveGrantPipelineEntry(ctx context.Context, e *GrantPipelineEntry) error
	// PursuitKeys maps pipeline entry IDs (the record IDs tasks and
	// notes link to) to their notice IDs, or with grants to grant IDs.
	PursuitKeys(ctx context.Context, grants bool, ids []int64) (map[int64]string, error)
}

// MatrixStore keeps a pursued notice's compliance matrix.
type MatrixStore interface {
	FindMatrix(ctx context.Context, noticeID string) ([]*MatrixRow, error)
	AddMatrixRows(ctx context.Context, noticeID string, reqs []Requirement, now time.Time) (int, error)
	UpdateMatrixRow(ctx context.Context, r *MatrixRow) error
}

// SectionStore keeps Proposal Studio's markdown sections of a pursued
// notice.
type SectionStore interface {
	FindSections(ctx context.Context, noticeID string) ([]*ProposalSection, error)
	FindSection(ctx context.Context, noticeID string, id int64) (*ProposalSection, error)
	CreateSection(ctx context.Context, s *ProposalSection) error
	UpdateSection(ctx context.Context, s *ProposalSection) error
	DeleteSection(ctx context.Context, noticeID string, id int64) error
	CreateSectionsFromMatrix(ctx context.Context, noticeID string, ss []*ProposalSection) (int, error)
}

// GrantStore keeps the Grants.gov opportunities the searches found.
type GrantStore interface {
	UpsertGrants(ctx context.Context, gs []Grant, now time.Time) (UpsertCounts, error)
	FindGrants(ctx context.Context, f GrantFilter) ([]*StoredGrant, string, error)
	FindGrant(ctx context.Context, grantID string) (*StoredGrant, error)
	SetGrantDetail(ctx context.Context, grantID string, d Grant) error
	FindNewGrants(ctx context.Context, from, to time.Time) ([]*StoredGrant, error)
}

// AlertStore keeps the alerts and digests; each fires once per key.
type AlertStore interface {
	RecordAlert(ctx context.Context, a *FederalAlert) (bool, error)
	MarkAlertDelivered(ctx context.Context, id int64, at time.Time, errMsg string) error
	FindAlerts(ctx context.Context, f AlertFilter) ([]*FederalAlert, error)
}

// RunStore keeps the log of scout runs.
type RunStore interface {
	RecordScoutRun(ctx context.Context, r *ScoutRun) error
	FindScoutRuns(ctx context.Context, limit int) ([]*ScoutRun, error)
}

// TenantStore knows which tenants have federal work, the admin's choice,
// so its methods take the tenant explicitly: FederalTenants lists them
// (the house tenant always), SetFederalEnabled turns it on or off for a
// client.
type TenantStore interface {
	FederalTenants(ctx context.Context) ([]int64, error)
	SetFederalEnabled(ctx context.Context, tenantID int64, on bool) error
}

// Stores are the federal stores the Service uses, by kind of record.
type Stores struct {
	Profiles ProfileStore
	Searches SearchStore
	Notices  NoticeStore
	Pursuits PursuitStore
	Matrix   MatrixStore
	Sections SectionStore
	Grants   GrantStore
	Alerts   AlertStore
	Runs     RunStore
	Tenants  TenantStore
}

// ParseDollars parses "1,250,000.50" or "$2.5" into cents. "" is 0.
func ParseDollars(s string) (int64, error) {
	s = strings.TrimSpace(strings.NewReplacer("$", "", ",", "", " ", "").Replace(s))
	if s == "" {
		return 0, nil
	}
	parts := strings.SplitN(s, ".", 2)
	digits := func(d string) bool {
		for i := 0; i < len(d); i++ {
			if d[i] < '0' || d[i] > '9' {
				return false
			}
		}
		return d != ""
	}
	if !digits(parts[0]) || len(parts[0]) > 13 {
		return 0, invalid("estimatedValue", "%q is not an amount in dollars", s)
	}
	whole, _ := strconv.ParseInt(parts[0], 10, 64)
	var frac int64
	if len(parts) == 2 {
		f := parts[1]
		if len(f) > 2 || !digits(f) {
			return 0, invalid("estimatedValue", "%q: give at most two decimals", s)
		}
		for len(f) < 2 {
			f += "0"
		}
		frac, _ = strconv.ParseInt(f, 10, 64)
	}
	return whole*100 + frac, nil
}

// FormatDollars formats cents as "$1,250,000.50" (no cents when whole).
func FormatDollars(cents int64) string {
	whole := fmt.Sprint(cents / 100)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if c := cents % 100; c != 0 {
		return fmt.Sprintf("$%s.%02d", b.String(), c)
	}
	return "$" + b.String()
}
