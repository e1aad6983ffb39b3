package federal

import (
	"context"
	"slices"
)

// The reads and small writes the pages and the API make, so that ui talks
// to the Service and never to a store (issue #14). Each works for the tenant
// in ctx (app.NewContextWithTenant), as the CRM's methods do, and a context
// without one gets EUNAUTHORIZED: the Nexus pages scope it to the tenant
// the admin picked (a cookie, not the request's tenant), the portal to the
// signed-in user's tenant, the API to the house tenant or an API key's.
// FederalOn and SetFederalEnabled, about which tenants have federal work,
// take the tenant explicitly. Errors are the store's (ENOTFOUND for a
// missing record).

// FindProfile returns the tenant's company profile (ENOTFOUND when none is
// saved yet).
func (s *Service) FindProfile(ctx context.Context) (*Profile, error) {
	return s.store.Profiles.FindProfile(ctx)
}

// FindSavedSearches lists the tenant's saved searches.
func (s *Service) FindSavedSearches(ctx context.Context) ([]*SavedSearch, error) {
	return s.store.Searches.FindSavedSearches(ctx)
}

// DeleteSavedSearch deletes one of the tenant's saved searches (ENOTFOUND
// when it is not the tenant's).
func (s *Service) DeleteSavedSearch(ctx context.Context, id int64) error {
	return s.store.Searches.DeleteSavedSearch(ctx, id)
}

// FindNotices lists the tenant's notices by f and returns the next page's
// cursor ("" on the last page).
func (s *Service) FindNotices(ctx context.Context, f NoticeFilter) ([]*StoredNotice, string, error) {
	return s.store.Notices.FindNotices(ctx, f)
}

// FindNotice returns one of the tenant's notices.
func (s *Service) FindNotice(ctx context.Context, noticeID string) (*StoredNotice, error) {
	return s.store.Notices.FindNotice(ctx, noticeID)
}

// FindNoticeChanges lists the amendments recorded for a notice.
func (s *Service) FindNoticeChanges(ctx context.Context, noticeID string) ([]*NoticeChange, error) {
	return s.store.Notices.FindNoticeChanges(ctx, noticeID)
}

// FindPipeline lists the tenant's bid pipeline.
func (s *Service) FindPipeline(ctx context.Context) ([]*PipelineEntry, error) {
	return s.store.Pursuits.FindPipeline(ctx)
}

// FindPipelineEntry returns a notice's bid pipeline entry (ENOTFOUND when
// the notice is not pursued).
func (s *Service) FindPipelineEntry(ctx context.Context, noticeID string) (*PipelineEntry, error) {
	return s.store.Pursuits.FindPipelineEntry(ctx, noticeID)
}

// FindMatrix returns a notice's compliance matrix.
func (s *Service) FindMatrix(ctx context.Context, noticeID string) ([]*MatrixRow, error) {
	return s.store.Matrix.FindMatrix(ctx, noticeID)
}

// FindScoutRuns lists the tenant's latest scout runs, newest first.
func (s *Service) FindScoutRuns(ctx context.Context, limit int) ([]*ScoutRun, error) {
	return s.store.Runs.FindScoutRuns(ctx, limit)
}

// FederalTenants lists the tenants with federal work on (the house tenant
// always).
func (s *Service) FederalTenants(ctx context.Context) ([]int64, error) {
	return s.store.Tenants.FederalTenants(ctx)
}

// FederalOn reports whether the tenant has federal work on (the house
// tenant always has).
func (s *Service) FederalOn(ctx context.Context, tenantID int64) (bool, error) {
	ids, err := s.store.Tenants.FederalTenants(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(ids, tenantID), nil
}

// SetFederalEnabled turns a client's federal work on or off.
func (s *Service) SetFederalEnabled(ctx context.Context, tenantID int64, on bool) error {
	return s.store.Tenants.SetFederalEnabled(ctx, tenantID, on)
}

// FindGrants lists the tenant's Grants.gov opportunities by f and returns
// the next page's cursor.
func (s *Service) FindGrants(ctx context.Context, f GrantFilter) ([]*StoredGrant, string, error) {
	return s.store.Grants.FindGrants(ctx, f)
}

// FindGrant returns one of the tenant's grant opportunities.
func (s *Service) FindGrant(ctx context.Context, grantID string) (*StoredGrant, error) {
	return s.store.Grants.FindGrant(ctx, grantID)
}

// FindSections lists the proposal sections of a notice in order.
func (s *Service) FindSections(ctx context.Context, noticeID string) ([]*ProposalSection, error) {
	return s.store.Sections.FindSections(ctx, noticeID)
}

// FindSection returns one proposal section of a notice.
func (s *Service) FindSection(ctx context.Context, noticeID string, id int64) (*ProposalSection, error) {
	return s.store.Sections.FindSection(ctx, noticeID, id)
}

// DeleteSection deletes one proposal section of a notice.
func (s *Service) DeleteSection(ctx context.Context, noticeID string, id int64) error {
	return s.store.Sections.DeleteSection(ctx, noticeID, id)
}

// FindGrantPipeline lists the tenant's grant pipeline.
func (s *Service) FindGrantPipeline(ctx context.Context) ([]*GrantPipelineEntry, error) {
	return s.store.Pursuits.FindGrantPipeline(ctx)
}

// FindGrantPipelineEntry returns a grant's pipeline entry (ENOTFOUND when
// the grant is not pursued).
func (s *Service) FindGrantPipelineEntry(ctx context.Context, grantID string) (*GrantPipelineEntry, error) {
	return s.store.Pursuits.FindGrantPipelineEntry(ctx, grantID)
}

// PursuitKeys maps pipeline entry IDs (the record IDs tasks and notes
// link to) to their notice IDs, or with grants to grant IDs.
func (s *Service) PursuitKeys(ctx context.Context, grants bool, ids []int64) (map[int64]string, error) {
	return s.store.Pursuits.PursuitKeys(ctx, grants, ids)
}

// FindAlerts lists the tenant's alerts and digests by f, newest first.
func (s *Service) FindAlerts(ctx context.Context, f AlertFilter) ([]*FederalAlert, error) {
	return s.store.Alerts.FindAlerts(ctx, f)
}
