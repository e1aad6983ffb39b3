// Package crm serves the CRM pages, shared by the portal (a tenant's own
// CRM, read and write) and Nexus (every tenant's to read; the house
// tenant's, or a chosen client's (audited), to work in): lists with
// saved views, records with their timeline, the pipeline board, tasks,
// CSV export, CSV import (chunked uploads, column mapping, a background
// runner) and CRM settings. The portal mounts Mount, Nexus MountNexus;
// the pages pick their layout and templates from web.Scope, so each page
// is written once for both hosts. The JSON API of the same records is in
// ui/api.
//
// crm imports app, app/federal, ui/web and ui/federal (tasks link to
// federal pursuits); never a store.
package crm

import (
	"context"
	"sync"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/federal"
	fedui "orengen/ui/federal"
	"orengen/ui/web"
)

// Handler serves the CRM pages.
type Handler struct {
	*web.Kit
	CRM     *app.CRMService
	Tenants *app.TenantService
	Audit   *app.AuditService
	Federal *federal.Service // nil: tasks never link to pursuits
	// FederalOn reports whether the portal user's tenant has federal work
	// on (its pursuits' tasks link to them); nil: never.
	FederalOn    func(c *fiber.Ctx) (bool, error)
	FederalPages *fedui.Handler
	// ImportDir holds CSV uploads while their import runs (default: the
	// system temporary directory).
	ImportDir string

	// Background work started by requests (CSV imports): Shutdown
	// cancels bgCtx and waits for bgWG.
	mu       sync.Mutex
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup
	// importsRunning holds the IDs of the import jobs this process runs.
	importsRunning sync.Map
	// chunked holds the chunked uploads (created on first use).
	chunked     *web.Uploads
	uploadsOnce sync.Once
}

// Shutdown cancels the imports this process runs and waits for them
// (each is marked failed between batches).
func (s *Handler) Shutdown() {
	s.mu.Lock()
	if s.bgCancel != nil {
		s.bgCancel()
	}
	s.mu.Unlock()
	s.bgWG.Wait()
}

func (s *Handler) federalOn(c *fiber.Ctx) (bool, error) {
	if s.FederalOn == nil {
		return false, nil
	}
	return s.FederalOn(c)
}
