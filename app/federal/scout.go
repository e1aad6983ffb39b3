package federal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// ErrNoKey means no SAM.gov API key is configured. Like ErrInvalidKey it is
// a configuration error, never "no results".
var ErrNoKey = errors.New("no sam.gov api key configured: store it in the vault as sam_api_key (global scope) or set ORENGEN_SAM_API_KEY")

// DefaultScoutInterval is how often the scheduler runs the saved searches.
// The daily quota is spread over the runs left until 00:00 UTC.
const DefaultScoutInterval = time.Hour

// maxGrantPages bounds how many search2 pages one grants search reads.
const maxGrantPages = 5

// Scout runs a tenant's saved searches, stores what they find and records
// the run. It holds no SQL: its stores persist. Make one with NewScout.
type Scout struct {
	searches   SearchStore
	notices    NoticeStore
	grantStore GrantStore // Grants is the Grants.gov API
	runs       RunStore

	SAM    SAMAPI    // a run uses SAM.WithKey(Key(ctx))
	Grants GrantsAPI // nil disables grants searches
	// Key returns the SAM.gov API key ("" when none is configured).
	Key      func(ctx context.Context) (Secret, error)
	Logger   *slog.Logger
	Now      func() time.Time
	Interval time.Duration // scheduler period; default DefaultScoutInterval

	mu          sync.Mutex
	pausedUntil time.Time // after a 429: no SAM.gov request before this
}

// NewScout returns a Scout over the stores it writes: the saved searches
// it runs, the notices and grants they find, and the log of runs. Set SAM,
// Grants, Key and the optional fields (Logger, Now, Interval) on the
// result.
func NewScout(searches SearchStore, notices NoticeStore, grants GrantStore, runs RunStore) *Scout {
	return &Scout{searches: searches, notices: notices, grantStore: grants, runs: runs}
}

// SAMAPI is the SAM.gov Get Opportunities v2 API as the scout uses it;
// package sam implements it over HTTP.
type SAMAPI interface {
	// WithKey returns a copy that sends key.
	WithKey(key Secret) SAMAPI
	// Search fetches one page of p (the integration's key test). Errors as
	// for SearchAll.
	Search(ctx context.Context, p SearchParams) (Page, error)
	// SearchAll pages through every result of p, calling fn once per
	// distinct notice. Errors: *ValidationError, ErrInvalidKey,
	// ErrQuotaExhausted, *RateLimitError, ErrTimeout, *APIError.
	SearchAll(ctx context.Context, p SearchParams, fn func(Notice) error) (SearchSummary, error)
	// FetchDescription downloads a notice's description text (errors as
	// for SearchAll, plus ErrDescriptionNotFound).
	FetchDescription(ctx context.Context, descURL string) (string, error)
	// QuotaStatus reports the daily limit and today's count for the key
	// type (used is 0 when nothing counts requests).
	QuotaStatus(ctx context.Context) (limit, used int, err error)
	// Bucket is the key type whose quota the requests use.
	Bucket() string
	// Counting reports whether requests are counted against a quota.
	Counting() bool
	// SpendDay records day's quota as used up, when a counter counts the
	// requests (SAM.gov answered 429 "quota exceeded" before the local
	// count reached the limit).
	SpendDay(ctx context.Context, day string) error
}

// GrantsAPI is the Grants.gov REST API (search2 and fetchOpportunity);
// package grants implements it over HTTP.
type GrantsAPI interface {
	// Search runs search2. Errors: *ValidationError, *RateLimitError,
	// ErrTimeout, *APIError.
	Search(ctx context.Context, p GrantSearchParams) (GrantPage, error)
	// Fetch returns the detailed Grant for a numeric opportunity id.
	Fetch(ctx context.Context, id string) (Grant, error)
}

// pause records a 429: no SAM.gov request until rl.RetryAt. A retry time
// at or after the next 00:00 UTC means the day's quota is spent, which is
// written to the quota counter when there is one.
func (s *Scout) pause(ctx context.Context, c SAMAPI, rl *RateLimitError) {
	s.mu.Lock()
	if rl.RetryAt.After(s.pausedUntil) {
		s.pausedUntil = rl.RetryAt
	}
	s.mu.Unlock()
	now := s.now()
	if !rl.RetryAt.Before(QuotaResetAt(now)) {
		if err := c.SpendDay(ctx, QuotaDay(now)); err != nil {
			s.logger().Error("federal scout: mark quota spent", "err", err)
		}
	}
}

func (s *Scout) paused() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pausedUntil, s.now().Before(s.pausedUntil)
}

func (s *Scout) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scout) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Scout) interval() time.Duration {
	if s.Interval > 0 {
		return s.Interval
	}
	return DefaultScoutInterval
}

// SearchSummary reports what SearchAll did.
type SearchSummary struct {
	Requests      int    // pages requested (each costs one quota unit)
	Notices       int    // distinct notices passed to fn
	Duplicates    int    // records skipped because their notice ID was already seen
	RepeatedPages int    // pages that added no new notice (the loop stops on the first)
	TotalRecords  int    // last totalRecords the API reported (-1 if never)
	NextOffset    int    // offset to resume from (after an error or a stop)
	Complete      bool   // every record of the window was seen
	StopReason    string // "complete", "empty page", "short page", "repeated page", "error"
}

// SearchResult is what one saved search did in a run.
type SearchResult struct {
	Search  *SavedSearch
	Summary SearchSummary // SAM paging summary (zero for grants)
	Counts  UpsertCounts
	Status  string // "ok", "deferred", "error", "config"
	Err     error
}

// RunResult is a whole run: the recorded ScoutRun and each search.
type RunResult struct {
	Run      ScoutRun
	Searches []SearchResult
}

// Failed returns the searches that ended in an error or a configuration
// error (deferred searches are not failures).
func (r *RunResult) Failed() []SearchResult {
	var out []SearchResult
	for _, s := range r.Searches {
		if s.Status == "error" || s.Status == "config" {
			out = append(out, s)
		}
	}
	return out
}

// IsConfigError reports whether err is a SAM.gov key problem.
func IsConfigError(err error) bool { return errors.Is(err, ErrNoKey) || errors.Is(err, ErrInvalidKey) }

// IsDeferral reports whether err means "try again later" (quota spent,
// 429, or this run's share of the daily quota used).
func IsDeferral(err error) bool {
	var rl *RateLimitError
	return errors.Is(err, ErrQuotaExhausted) || errors.As(err, &rl) || errors.Is(err, errBudgetSpent)
}

var errBudgetSpent = errors.New("this run's share of the daily sam.gov quota is used; the search runs later today")

// Run runs every saved search of tenantID now. budget caps the SAM.gov
// requests of this run (0: up to the whole remaining quota). Searches run
// least recently run first, each posted window newest first. A search that
// fails (bad input, malformed answer, timeout) stores nothing and the
// others go on; quota exhaustion or a 429 defers the remaining SAM
// searches (what was already fetched is stored); a missing or rejected key
// is a configuration error for every SAM search.
//
// The returned error is non-nil for a configuration error or a deferral
// (errors.Is ErrNoKey / ErrInvalidKey / ErrQuotaExhausted, or a
// *RateLimitError), and for a failure to record the run.
func (s *Scout) Run(ctx context.Context, trigger string, budget int) (*RunResult, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	res := &RunResult{Run: ScoutRun{TenantID: tenantID, Trigger: trigger, StartedAt: s.now().UTC(), Status: "ok"}}
	searches, err := s.searches.FindSavedSearches(ctx)
	if err != nil {
		return nil, fmt.Errorf("scout: saved searches: %w", err)
	}
	if len(searches) == 0 {
		return res, nil // nothing to run, nothing to record
	}
	slices.SortStableFunc(searches, func(a, b *SavedSearch) int {
		switch {
		case a.LastRunAt == nil && b.LastRunAt == nil:
			return 0
		case a.LastRunAt == nil:
			return -1
		case b.LastRunAt == nil:
			return 1
		}
		return a.LastRunAt.Compare(*b.LastRunAt)
	})

	var client SAMAPI
	var stopSAM error // set once the key is bad or the quota is spent
	needSAM := slices.ContainsFunc(searches, func(x *SavedSearch) bool { return x.Kind == SearchSAM })
	if until, ok := s.paused(); needSAM && ok {
		stopSAM = &RateLimitError{RetryAt: until, Message: "paused after SAM.gov answered 429"}
	} else if needSAM {
		key, err := s.Key(ctx)
		switch {
		case err != nil:
			stopSAM = fmt.Errorf("read sam.gov api key: %w", err)
		case key == "":
			stopSAM = ErrNoKey
		default:
			client = s.SAM.WithKey(key)
		}
	}
	// Failed requests cost quota too; the counter says how many were sent.
	usedBefore := -1
	if client != nil {
		if _, u, err := client.QuotaStatus(ctx); err == nil && client.Counting() {
			usedBefore = u
		}
	}
	var runErr error
	for _, ss := range searches {
		sr := SearchResult{Search: ss, Status: "ok"}
		if ss.Kind == SearchGrants {
			sr.Counts, sr.Err = s.runGrants(ctx, ss)
		} else if stopSAM != nil {
			sr.Err = stopSAM
		} else if budget > 0 && res.Run.Requests+ss.RequestCount() > budget {
			// A search needs at least one request per combination of its
			// codes; it waits for a run whose share of the quota holds
			// them (unused shares add up later in the day).
			sr.Err = errBudgetSpent
		} else {
			sr.Summary, sr.Counts, sr.Err = s.runSAM(ctx, client, ss)
			res.Run.Requests += sr.Summary.Requests
			if IsConfigError(sr.Err) || IsDeferral(sr.Err) {
				stopSAM = sr.Err
			}
			var rl *RateLimitError
			if errors.As(sr.Err, &rl) {
				s.pause(ctx, client, rl)
			}
		}
		switch {
		case sr.Err == nil:
		case IsConfigError(sr.Err):
			sr.Status = "config"
		case IsDeferral(sr.Err):
			sr.Status = "deferred"
		default:
			sr.Status = "error"
		}
		if sr.Status != "ok" && runErr == nil && (sr.Status == "config" || sr.Status == "deferred") && !errors.Is(sr.Err, errBudgetSpent) {
			runErr = sr.Err
		}
		res.Run.New += sr.Counts.New
		res.Run.Updated += sr.Counts.Updated
		if sr.Status == "ok" || sr.Counts != (UpsertCounts{}) {
			res.Run.Searches++
		}
		msg := ""
		if sr.Err != nil {
			msg = sr.Err.Error()
			s.logger().Warn("federal search", "tenant", tenantID, "search", ss.Name, "status", sr.Status, "err", msg)
		}
		if err := s.searches.MarkSearchRun(ctx, ss.ID, s.now().UTC(), sr.Status, msg); err != nil {
			return res, fmt.Errorf("scout: mark search %d: %w", ss.ID, err)
		}
		res.Searches = append(res.Searches, sr)
	}

	if usedBefore >= 0 {
		if _, u, err := client.QuotaStatus(ctx); err == nil && u-usedBefore > res.Run.Requests {
			res.Run.Requests = u - usedBefore
		}
	}
	var errs []string
	statuses := map[string]int{}
	for _, sr := range res.Searches {
		statuses[sr.Status]++
		if sr.Err != nil && (len(errs) == 0 || errs[len(errs)-1] != sr.Search.Name+": "+sr.Err.Error()) {
			errs = append(errs, sr.Search.Name+": "+sr.Err.Error())
		}
	}
	switch {
	case statuses["config"] > 0:
		res.Run.Status = "config"
	case statuses["error"] > 0 && statuses["ok"] == 0 && statuses["deferred"] == 0:
		res.Run.Status = "error"
	case statuses["error"] > 0:
		res.Run.Status = "partial"
	case statuses["deferred"] > 0:
		res.Run.Status = "deferred"
	}
	res.Run.Error = strings.Join(errs, "; ")
	if len(res.Run.Error) > 2000 {
		res.Run.Error = res.Run.Error[:2000]
	}
	res.Run.FinishedAt = s.now().UTC()
	if err := s.runs.RecordScoutRun(context.WithoutCancel(ctx), &res.Run); err != nil {
		return res, fmt.Errorf("scout: record run: %w", err)
	}
	if res.Run.Status == "config" {
		s.logger().Error("federal scout: configuration error", "tenant", tenantID, "err", runErr)
	}
	return res, runErr
}

// runSAM pages through one saved search. On success or deferral the
// notices fetched are stored in one transaction; on any other error
// nothing is stored.
func (s *Scout) runSAM(ctx context.Context, c SAMAPI, ss *SavedSearch) (SearchSummary, UpsertCounts, error) {
	var total SearchSummary
	var counts UpsertCounts
	// One request per combination of the search's codes and posted
	// window; every one goes through the client, which takes it from the
	// daily quota. A notice matching several combinations is stored once.
	var windows []SearchParams
	for _, p := range ss.Requests(s.now()) {
		if err := p.Validate(); err != nil {
			return total, counts, samFieldError(err)
		}
		ws, err := p.Windows()
		if err != nil {
			return total, counts, err
		}
		slices.Reverse(ws) // newest first
		windows = append(windows, ws...)
	}
	var batch []Notice
	seen := map[string]bool{}
	var searchErr error
	for _, w := range windows {
		sum, err := c.SearchAll(ctx, w, func(n Notice) error {
			if !seen[n.NoticeID] {
				seen[n.NoticeID] = true
				batch = append(batch, n)
			} else {
				total.Duplicates++
			}
			return nil
		})
		total.Requests += sum.Requests
		total.Notices += sum.Notices
		total.Duplicates += sum.Duplicates
		total.StopReason = sum.StopReason
		if err != nil {
			searchErr = err
			break
		}
	}
	if searchErr != nil && !IsDeferral(searchErr) {
		return total, counts, searchErr
	}
	if len(batch) > 0 {
		var err error
		counts, err = s.notices.UpsertNotices(ctx, batch, s.now())
		if err != nil {
			return total, counts, fmt.Errorf("store notices: %w", err)
		}
	}
	if searchErr == nil && ss.FetchDescriptions {
		n, err := s.fetchDescriptions(ctx, c, batch)
		total.Requests += n
		if err != nil {
			return total, counts, err
		}
	}
	return total, counts, searchErr
}

// fetchDescriptions fetches description text for notices that have none
// yet, one request each, and stores it (the full-text index follows).
func (s *Scout) fetchDescriptions(ctx context.Context, c SAMAPI, ns []Notice) (int, error) {
	requests := 0
	for _, n := range ns {
		if n.DescriptionURL == "" {
			continue
		}
		stored, err := s.notices.FindNotice(ctx, n.NoticeID)
		if err != nil {
			return requests, fmt.Errorf("find notice %s: %w", n.NoticeID, err)
		}
		if stored.DescriptionText != "" {
			continue
		}
		requests++
		text, err := c.FetchDescription(ctx, n.DescriptionURL)
		if errors.Is(err, ErrDescriptionNotFound) {
			continue
		} else if err != nil {
			return requests, fmt.Errorf("description of %s: %w", n.NoticeID, err)
		}
		if err := s.notices.SetDescription(ctx, n.NoticeID, PlainText(text)); err != nil {
			return requests, err
		}
	}
	return requests, nil
}

func (s *Scout) runGrants(ctx context.Context, ss *SavedSearch) (UpsertCounts, error) {
	if s.Grants == nil {
		return UpsertCounts{}, errors.New("grants.gov client not configured")
	}
	p := GrantSearchParams{Keyword: ss.Title, Rows: DefaultGrantRows}
	if err := p.Validate(); err != nil {
		return UpsertCounts{}, err
	}
	var all []Grant
	for page := 0; page < maxGrantPages; page++ {
		gp, err := s.Grants.Search(ctx, p)
		if err != nil {
			return UpsertCounts{}, err // nothing stored for this search
		}
		all = append(all, gp.Grants...)
		p.StartRecordNum += len(gp.Grants)
		if len(gp.Grants) == 0 || p.StartRecordNum >= gp.HitCount {
			break
		}
	}
	if len(all) == 0 {
		return UpsertCounts{}, nil
	}
	c, err := s.grantStore.UpsertGrants(ctx, all, s.now())
	if err != nil {
		return c, fmt.Errorf("store grants: %w", err)
	}
	return c, nil
}

// Budget returns this run's share of the SAM.gov quota: what is left today
// divided by the scheduler runs left until 00:00 UTC (at least 1 while any
// is left, 0 when none is).
func (s *Scout) Budget(ctx context.Context) (int, error) {
	if s.SAM == nil {
		return 0, nil
	}
	limit, used, err := s.SAM.QuotaStatus(ctx)
	if err != nil {
		return 0, err
	}
	left := limit - used
	if left <= 0 {
		return 0, nil
	}
	now := s.now()
	runs := int(QuotaResetAt(now).Sub(now)/s.interval()) + 1
	return max(1, (left+runs-1)/runs), nil
}

// RunScheduler runs every tenant's searches every Interval until ctx is
// done, spreading the SAM.gov quota across the day. tenants lists the
// tenants with federal work enabled. Errors are logged (and recorded as
// runs), never fatal.
func (s *Scout) RunScheduler(ctx context.Context, tenants func(ctx context.Context) ([]int64, error)) {
	t := time.NewTicker(s.interval())
	defer t.Stop()
	for {
		s.tick(ctx, tenants)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Scout) tick(ctx context.Context, tenants func(ctx context.Context) ([]int64, error)) {
	ids, err := tenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.logger().Error("federal scout: list tenants", "err", err)
		}
		return
	}
	budget, err := s.Budget(ctx)
	if err != nil {
		s.logger().Error("federal scout: quota", "err", err)
		return
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		res, err := s.Run(tenantContext(ctx, id), "schedule", budget)
		if res != nil {
			budget = max(0, budget-res.Run.Requests)
			s.logger().Info("federal scout run", "tenant", id, "status", res.Run.Status, "searches", res.Run.Searches,
				"requests", res.Run.Requests, "new", res.Run.New, "updated", res.Run.Updated)
		}
		if err != nil && !IsConfigError(err) && !IsDeferral(err) && ctx.Err() == nil {
			s.logger().Error("federal scout", "tenant", id, "err", err)
		}
	}
}
