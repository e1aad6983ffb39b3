package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/ui/web"
)

// registerSnapshotAPIRoutes serves /api/v1/snapshots on Nexus (issue
// #22): capture a tenant's configuration, list snapshots, preview and
// apply one to a tenant.
func (s *Handler) registerSnapshotAPIRoutes(api fiber.Router) {
	if s.Snapshots == nil {
		return
	}
	api.Get("/snapshots", s.handleAPISnapshots)
	api.Post("/snapshots", web.RequireWriteKey, s.handleAPISnapshotCapture)
	api.Get("/snapshots/:id", s.handleAPISnapshot)
	api.Post("/snapshots/:id/preview", s.handleAPISnapshotApply(true))
	api.Post("/snapshots/:id/apply", web.RequireWriteKey, s.handleAPISnapshotApply(false))
}

type apiSnapshot struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	Version        int       `json:"version"`
	Description    string    `json:"description"`
	SourceTenantID int64     `json:"source_tenant_id"`
	SourceName     string    `json:"source_name"`
	SchemaVersion  string    `json:"schema_version"`
	Items          int       `json:"items"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

func toAPISnapshot(s *app.Snapshot) apiSnapshot {
	return apiSnapshot{s.ID, s.Name, s.Version, s.Description, s.SourceTenantID, s.SourceName, s.SchemaVersion, s.Items, s.CreatedBy, s.CreatedAt}
}

type apiSnapshotChange struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
}

func (s *Handler) handleAPISnapshots(c *fiber.Ctx) error {
	list, err := s.Snapshots.Snapshots(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]apiSnapshot, 0, len(list))
	for _, sn := range list {
		out = append(out, toAPISnapshot(sn))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": ""})
}

func (s *Handler) handleAPISnapshot(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	sn, err := s.Snapshots.Snapshot(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISnapshot(sn)})
}

func (s *Handler) handleAPISnapshotCapture(c *fiber.Ctx) error {
	var in struct {
		TenantID    int64  `json:"tenant_id"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.TenantID <= 0 {
		return app.FieldErrorf("tenant_id", "tenant_id required: the tenant to capture.")
	}
	by := ""
	if k := app.APIKeyFromContext(c.UserContext()); k != nil {
		by = "API key " + k.Prefix
	}
	sn, err := s.Snapshots.Capture(c.UserContext(), in.TenantID, in.Name, in.Description, by)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPISnapshot(sn)})
}

func (s *Handler) handleAPISnapshotApply(dryRun bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		var in struct {
			TenantID int64 `json:"tenant_id"`
		}
		if err := web.DecodeJSON(c.Body(), &in); err != nil {
			return err
		}
		if in.TenantID <= 0 {
			return app.FieldErrorf("tenant_id", "tenant_id required: the tenant to apply the snapshot to.")
		}
		var p *app.SnapshotPreview
		if dryRun {
			p, err = s.Snapshots.Preview(c.UserContext(), id, in.TenantID)
		} else {
			p, err = s.Snapshots.Apply(c.UserContext(), id, in.TenantID)
		}
		if err != nil {
			return err
		}
		changes := make([]apiSnapshotChange, 0, len(p.Changes))
		for _, ch := range p.Changes {
			changes = append(changes, apiSnapshotChange{ch.Kind, ch.Name, ch.Action, ch.Note})
		}
		return c.JSON(fiber.Map{"data": fiber.Map{"snapshot": toAPISnapshot(p.Snapshot), "tenant_id": p.Tenant.ID, "applied": p.Applied,
			"created": p.Count(app.SnapshotCreate), "kept": p.Count(app.SnapshotExists), "changes": changes}})
	}
}
