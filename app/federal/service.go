package federal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// Service is what the Nexus pages, the API and the CLI call: validation and
// orchestration over its stores, plus the Scout. Reads go straight to the
// stores, which are unexported so that callers go through the Service
// (make one with NewService).
type Service struct {
	store Stores
	Scout *Scout
	// LLM, when configured, adds a model's reading to RFP extraction.
	LLM *LLMExtractor
	// Writer writes proposals as PDF and DOCX (package export).
	Writer ProposalWriter
	Now    func() time.Time
	// Sink delivers alerts and digests; nil logs them (LogSink). Either
	// way they are stored and shown in Nexus.
	Sink AlertSink
	// NotFound reports whether a store error means "not found" (the
	// store's ENOTFOUND). Without it, a missing profile fails the alert
	// job instead of being read as "no expiries".
	NotFound func(error) bool

	mu      sync.Mutex
	base    context.Context // bounds background runs; see SetContext
	running map[int64]bool
	wg      sync.WaitGroup
}

// NewService returns a Service over the stores st; set the optional
// fields (Scout, LLM, Writer, Now, Sink, NotFound) on the result.
func NewService(st Stores) *Service { return &Service{store: st} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// SaveProfile normalizes and validates p, stores it and re-scores the
// tenant's notices. Returns a *ValidationError naming the field.
func (s *Service) SaveProfile(ctx context.Context, p *Profile) error {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return firstValidation(err)
	}
	return s.store.Profiles.SaveProfile(ctx, p, s.now())
}

// firstValidation returns the first *ValidationError of a joined error.
func firstValidation(err error) error {
	var v *ValidationError
	if errors.As(err, &v) {
		return v
	}
	return err
}

// CreateSearch normalizes, validates and stores a saved search. Returns a
// *ValidationError naming the field (an unknown set-aside code, a window
// over one year ...).
func (s *Service) CreateSearch(ctx context.Context, ss *SavedSearch) error {
	ss.Normalize()
	if err := ss.Validate(); err != nil {
		return firstValidation(err)
	}
	// A search whose combinations need more requests than the key has in
	// a day would never run.
	if ss.Kind == SearchSAM && s.Scout != nil && s.Scout.SAM != nil {
		if limit, _, err := s.Scout.SAM.QuotaStatus(ctx); err == nil && limit > 0 && ss.RequestCount() > limit {
			return firstValidation(invalid("naics", "this search makes %d SAM.gov requests per run and the %s key allows %d a day; use fewer codes or split it",
				ss.RequestCount(), s.Scout.SAM.Bucket(), limit))
		}
	}
	return s.store.Searches.CreateSavedSearch(ctx, ss)
}

// Pursue puts a notice in the pipeline at Triage (no change if it is
// already there) and returns the entry.
func (s *Service) Pursue(ctx context.Context, noticeID string) (*PipelineEntry, error) {
	if e, err := s.store.Pursuits.FindPipelineEntry(ctx, noticeID); err == nil {
		return e, nil
	}
	e := &PipelineEntry{NoticeID: noticeID, Stage: StageTriage} // the store sets the tenant
	if err := s.store.Pursuits.SavePipelineEntry(ctx, e, s.now()); err != nil {
		return nil, err
	}
	return s.store.Pursuits.FindPipelineEntry(ctx, noticeID)
}

// SavePipelineEntry validates and stores e.
func (s *Service) SavePipelineEntry(ctx context.Context, e *PipelineEntry) error {
	e.Owner, e.Notes = strings.TrimSpace(e.Owner), strings.TrimSpace(e.Notes)
	if err := e.Validate(); err != nil {
		return err
	}
	return s.store.Pursuits.SavePipelineEntry(ctx, e, s.now())
}

// MaxRFPText bounds pasted solicitation text (bytes).
const MaxRFPText = 2 << 20

// ExtractResult is what one Extract action did.
type ExtractResult struct {
	Added      int // rows added to the matrix
	AddedByLLM int // of Added, found by the model only
	// LLM is the model's part: "" when no endpoint is configured, else a
	// sentence for the page (how many it added, or why its answer was
	// not used; then the rules' result stands).
	LLM      string
	LLMError error // the model's failure (ErrLLMKey, *LLMRejectedError ...), nil when it was used
	// Factors and Dates are what the rules and the model found, merged.
	Factors []string
	Dates   []DatedItem
}

// ExtractMatrix runs ExtractRequirements over the notice's description
// text and the pasted RFP text, then, when an OpenAI-compatible endpoint
// is configured (LLM), asks the model for what the rules missed and merges
// its answer without duplicates; a failed or invalid answer leaves the
// rules' result. It adds the requirements not yet in the compliance
// matrix, each marked with its origin.
func (s *Service) ExtractMatrix(ctx context.Context, noticeID, pasted string) (*ExtractResult, error) {
	if len(pasted) > MaxRFPText {
		return nil, invalid("rfpText", "at most %d MB of text", MaxRFPText>>20)
	}
	n, err := s.store.Notices.FindNotice(ctx, noticeID)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(n.DescriptionText + "\n\n" + PlainText(pasted))
	if text == "" {
		return nil, invalid("rfpText", "the notice has no description text yet: paste the solicitation text")
	}
	ex := ExtractRequirements(text)
	res := &ExtractResult{}
	if s.LLM.Configured(ctx) {
		llm, err := s.LLM.Extract(ctx, text)
		if err == nil {
			ex, res.AddedByLLM = MergeExtractions(ex, llm)
		}
		res.LLMError = err
		res.LLM = llmMessage(err)
	}
	for i := range ex.Requirements {
		if ex.Requirements[i].Origin == "" {
			ex.Requirements[i].Origin = OriginRules
		}
	}
	found := res.AddedByLLM
	if found > 0 {
		// The model's rows may be in the matrix from an earlier run.
		rows, err := s.store.Matrix.FindMatrix(ctx, noticeID)
		if err != nil {
			return nil, err
		}
		have := map[string]bool{}
		for _, r := range rows {
			have[r.Section+"\x00"+r.Text] = true
		}
		res.AddedByLLM = 0
		for _, r := range ex.Requirements {
			if k := r.Section + "\x00" + r.Text; r.Origin == OriginLLM && !have[k] {
				have[k] = true
				res.AddedByLLM++
			}
		}
	}
	if res.Added, err = s.store.Matrix.AddMatrixRows(ctx, noticeID, ex.Requirements, s.now()); err != nil {
		return nil, err
	}
	if res.LLMError == nil && res.LLM != "" {
		res.LLM = fmt.Sprintf("The model found %d requirement(s) the rules missed.", found)
	}
	res.Factors, res.Dates = ex.EvaluationFactors, ex.Dates
	return res, nil
}

// llmMessage is the page's sentence about the model's part.
func llmMessage(err error) string {
	var rej *LLMRejectedError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrLLMNoKey):
		return "The model was not asked: no API key is configured (openai_api_key in the vault, global scope, or ORENGEN_OPENAI_API_KEY). Rules only."
	case errors.Is(err, ErrLLMKey):
		return "The model endpoint rejected the API key (HTTP 401): check openai_api_key in the vault or ORENGEN_OPENAI_API_KEY. Rules only."
	case errors.As(err, &rej):
		return "The model's answer was rejected (" + rej.Reason + "); the rules' result stands."
	}
	return "The model could not be asked (" + err.Error() + "); the rules' result stands."
}

// UpdateMatrixRow validates the status and saves the row.
func (s *Service) UpdateMatrixRow(ctx context.Context, r *MatrixRow) error {
	if !slices.Contains(RequirementStatuses, r.Status) {
		return invalid("status", "must be one of %s", strings.Join(RequirementStatuses, ", "))
	}
	r.Owner, r.AnsweredIn = strings.TrimSpace(r.Owner), strings.TrimSpace(r.AnsweredIn)
	if len(r.Owner) > 200 || len(r.AnsweredIn) > 200 {
		return invalid("owner", "at most 200 characters")
	}
	return s.store.Matrix.UpdateMatrixRow(ctx, r)
}

// KeyConfigured reports whether a SAM.gov key is set (never the key).
func (s *Service) KeyConfigured(ctx context.Context) (bool, error) {
	if s.Scout == nil || s.Scout.Key == nil {
		return false, nil
	}
	k, err := s.Scout.Key(ctx)
	return k != "", err
}

// Quota returns today's SAM.gov limit and use for the configured key type.
func (s *Service) Quota(ctx context.Context) (limit, used int, keyType string, err error) {
	if s.Scout == nil || s.Scout.SAM == nil {
		return 0, 0, "", nil
	}
	limit, used, err = s.Scout.SAM.QuotaStatus(ctx)
	return limit, used, s.Scout.SAM.Bucket(), err
}

// RunNow runs the saved searches of the tenant in ctx in the background
// (the SAM.gov API can take a minute per request) and reports false when
// a run for the tenant is already going. The run is recorded like a
// scheduled one. Returns EUNAUTHORIZED when ctx carries no tenant.
func (s *Service) RunNow(ctx context.Context, trigger string) (bool, error) {
	if s.Scout == nil {
		return false, nil
	}
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	if s.running == nil {
		s.running = map[int64]bool{}
	}
	if s.running[tenantID] {
		s.mu.Unlock()
		return false, nil
	}
	s.running[tenantID] = true
	s.wg.Add(1)
	base := s.base
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() { s.mu.Lock(); delete(s.running, tenantID); s.mu.Unlock() }()
		if base == nil {
			base = context.Background()
		}
		ctx, cancel := context.WithTimeout(tenantContext(base, tenantID), 30*time.Minute)
		defer cancel()
		if _, err := s.Scout.Run(ctx, trigger, 0); err != nil && !IsConfigError(err) && !IsDeferral(err) {
			s.Scout.logger().Error("federal run now", "tenant", tenantID, "err", err)
		}
	}()
	return true, nil
}

// SetContext bounds background runs (RunNow) by ctx: serve passes its own,
// so shutdown cancels a run instead of waiting for it.
func (s *Service) SetContext(ctx context.Context) {
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()
}

// Running reports whether a background run for the tenant in ctx is
// going (false when ctx carries no tenant).
func (s *Service) Running(ctx context.Context) bool {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[tenantID]
}

// Wait waits for background runs started by RunNow (shutdown, tests).
func (s *Service) Wait() { s.wg.Wait() }

// ErrorMessage turns a scout error into the sentence the Federal page and
// the CLI show.
func ErrorMessage(err error) string {
	var rl *RateLimitError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoKey):
		return "No SAM.gov API key is configured: add sam_api_key to the vault (global scope) or set ORENGEN_SAM_API_KEY."
	case errors.Is(err, ErrInvalidKey):
		return "SAM.gov rejected the API key: check sam_api_key in the vault (keys expire every 90 days; alpha and production keys differ)."
	case errors.Is(err, ErrQuotaExhausted):
		return "The SAM.gov daily request quota is used up; searches resume after 00:00 UTC."
	case errors.As(err, &rl):
		return fmt.Sprintf("SAM.gov is rate limiting this key until %s.", rl.RetryAt.UTC().Format(time.RFC3339))
	}
	return err.Error()
}

// tenantContext scopes ctx to one tenant for the background jobs that run
// for every federal tenant (the scout's schedule, alerts, digests, RunNow):
// Service and store methods take the tenant from the context
// (app.TenantIDFromContext), as the CRM's do. Unlike
// app.NewContextWithTenantID it replaces a tenant already in ctx.
func tenantContext(ctx context.Context, tenantID int64) context.Context {
	return app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
}
