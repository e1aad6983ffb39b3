package app

import (
	"context"
	"strconv"
)

// LeadService reads and writes leads for ui: the marketing site's form and
// Nexus (all tenants, store) and the portal and its API (the tenant in ctx,
// tenant).
type LeadService struct {
	store  LeadStore
	tenant TenantLeadStore
	// Audit records deletions, by the portal and the API alike.
	Audit *AuditService
}

// NewLeadService returns the leads' service on its two stores (all
// tenants' leads, and the tenant in ctx's). The stores stay private:
// callers go through the service.
func NewLeadService(st LeadStore, tenant TenantLeadStore) *LeadService {
	return &LeadService{store: st, tenant: tenant}
}

// CreateLead validates and stores a lead for the tenant it names (the
// marketing site's form: the house tenant). Returns EINVALID naming the
// field.
func (s *LeadService) CreateLead(ctx context.Context, l *Lead) error {
	return s.store.CreateLead(ctx, l)
}

// ListLeads returns the newest leads of every tenant, at most limit, and
// the total.
func (s *LeadService) ListLeads(ctx context.Context, limit int) ([]*Lead, int, error) {
	return s.store.FindLeads(ctx, limit)
}

// ListTenantLeads returns the newest leads of the tenant in ctx, at most
// limit, and its total. Returns EUNAUTHORIZED without a tenant.
func (s *LeadService) ListTenantLeads(ctx context.Context, limit int) ([]*Lead, int, error) {
	return s.tenant.FindTenantLeads(ctx, limit)
}

// ListTenantLeadsBefore returns at most limit of the tenant's leads newest
// first, with IDs below before (0: from the newest): the API's pages.
func (s *LeadService) ListTenantLeadsBefore(ctx context.Context, before int64, limit int) ([]*Lead, error) {
	return s.tenant.FindTenantLeadsBefore(ctx, before, limit)
}

// TenantLead returns one of the tenant's leads; another tenant's is
// ENOTFOUND.
func (s *LeadService) TenantLead(ctx context.Context, id int64) (*Lead, error) {
	return s.tenant.FindTenantLead(ctx, id)
}

// CreateTenantLead validates and stores a lead for the tenant in ctx.
// Returns EINVALID naming the field.
func (s *LeadService) CreateTenantLead(ctx context.Context, l *Lead) error {
	return s.tenant.CreateTenantLead(ctx, l)
}

// DeleteTenantLead deletes one of the tenant's leads and records it in
// the audit log under the principal in ctx; another tenant's is
// ENOTFOUND.
func (s *LeadService) DeleteTenantLead(ctx context.Context, id int64) error {
	if err := s.tenant.DeleteTenantLead(ctx, id); err != nil {
		return err
	}
	s.Audit.Record(ctx, "lead.delete", "lead:"+strconv.FormatInt(id, 10), "")
	return nil
}
