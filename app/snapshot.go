package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Snapshot is a tenant's configuration captured to set up other tenants
// the same way (issue #22): pipelines and stages, custom fields, forms,
// workflows, agents, calendar event types, sites with their pages and
// files, and sheets' structure. It never holds people, deals, messages or
// any other record of the tenant's contacts.
type Snapshot struct {
	ID             int64
	Name           string
	Version        int // counts up per name
	Description    string
	SourceTenantID int64 // 0 once the source is deleted
	SourceName     string
	SchemaVersion  string // the newest migration when captured
	Items          int    // top-level items (a form, a workflow...)
	CreatedBy      string
	CreatedAt      time.Time
}

// Snapshot change actions.
const (
	SnapshotCreate = "create" // a new item in the tenant
	SnapshotExists = "exists" // the tenant has one of that name: kept as it is, references point at it
)

// SnapshotChange is one item of a snapshot and what applying does to it.
type SnapshotChange struct {
	Kind   string // "Form", "Workflow", ...
	Name   string
	Action string
	Note   string
}

// SnapshotPreview is what applying a snapshot to a tenant does (or did).
type SnapshotPreview struct {
	Snapshot *Snapshot
	Tenant   *Tenant
	Changes  []SnapshotChange
	Applied  bool
	Duration time.Duration
}

// Count returns how many changes have action.
func (p *SnapshotPreview) Count(action string) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == action {
			n++
		}
	}
	return n
}

// SnapshotStore keeps snapshots.
type SnapshotStore interface {
	// CaptureSnapshot reads the tenant's configuration into a new version
	// of the snapshot s.Name. Returns ENOTFOUND for an unknown tenant.
	CaptureSnapshot(ctx context.Context, tenantID int64, s *Snapshot) error
	FindSnapshots(ctx context.Context) ([]*Snapshot, error)
	// FindSnapshot returns ENOTFOUND.
	FindSnapshot(ctx context.Context, id int64) (*Snapshot, error)
	// ApplySnapshot applies the snapshot to the tenant in one transaction,
	// or with dryRun works out the changes and rolls back. Returns
	// ENOTFOUND, or EINVALID for a snapshot of a newer schema.
	ApplySnapshot(ctx context.Context, id, tenantID int64, dryRun bool) (*SnapshotPreview, error)
	// DeleteSnapshot returns ENOTFOUND.
	DeleteSnapshot(ctx context.Context, id int64) error
}

// SnapshotService captures and applies snapshots; Nexus and the admin API
// call it.
type SnapshotService struct {
	store SnapshotStore
	Audit *AuditService
}

// NewSnapshotService returns the service of configuration snapshots on its store.
// The store stays private: callers go through the service.
func NewSnapshotService(st SnapshotStore) *SnapshotService { return &SnapshotService{store: st} }

// Capture validates the name and captures. Returns EINVALID or ENOTFOUND.
func (s *SnapshotService) Capture(ctx context.Context, tenantID int64, name, description, by string) (*Snapshot, error) {
	sn := &Snapshot{Name: strings.TrimSpace(name), Description: strings.TrimSpace(description), CreatedBy: by}
	if sn.Name == "" {
		return nil, FieldErrorf("name", "Snapshot name required.")
	}
	if len(sn.Name) > 100 {
		return nil, FieldErrorf("name", "Snapshot name must be at most 100 characters.")
	}
	if len(sn.Description) > 2000 {
		return nil, FieldErrorf("description", "Description must be at most 2000 characters.")
	}
	if err := s.store.CaptureSnapshot(ctx, tenantID, sn); err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, "snapshot.capture", fmt.Sprintf("%s v%d", sn.Name, sn.Version), fmt.Sprintf("from %s, %d items", sn.SourceName, sn.Items))
	return sn, nil
}

// Snapshots lists every snapshot, newest first.
func (s *SnapshotService) Snapshots(ctx context.Context) ([]*Snapshot, error) {
	return s.store.FindSnapshots(ctx)
}

// Snapshot returns ENOTFOUND.
func (s *SnapshotService) Snapshot(ctx context.Context, id int64) (*Snapshot, error) {
	return s.store.FindSnapshot(ctx, id)
}

// Preview works out what applying does, changing nothing.
func (s *SnapshotService) Preview(ctx context.Context, id, tenantID int64) (*SnapshotPreview, error) {
	return s.store.ApplySnapshot(ctx, id, tenantID, true)
}

// Apply applies the snapshot to the tenant in one transaction.
func (s *SnapshotService) Apply(ctx context.Context, id, tenantID int64) (*SnapshotPreview, error) {
	p, err := s.store.ApplySnapshot(ctx, id, tenantID, false)
	if err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, "snapshot.apply", p.Tenant.Slug, fmt.Sprintf("%s v%d: %d created, %d kept", p.Snapshot.Name, p.Snapshot.Version, p.Count(SnapshotCreate), p.Count(SnapshotExists)))
	return p, nil
}

// Delete removes a snapshot. Returns ENOTFOUND.
func (s *SnapshotService) Delete(ctx context.Context, id int64) error {
	sn, err := s.store.FindSnapshot(ctx, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSnapshot(ctx, id); err != nil {
		return err
	}
	s.Audit.Record(ctx, "snapshot.delete", fmt.Sprintf("%s v%d", sn.Name, sn.Version), "")
	return nil
}
