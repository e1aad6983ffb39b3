package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"orengen/app"
)

// AutomationRequestStore implements app.AutomationRequestStore. Every
// query names the tenant, except the Nexus ones (tenantID 0).
type AutomationRequestStore struct{ db *DB }

var _ app.AutomationRequestStore = (*AutomationRequestStore)(nil)

// NewAutomationRequestStore returns an AutomationRequestStore on db.
func NewAutomationRequestStore(db *DB) *AutomationRequestStore {
	return &AutomationRequestStore{db: db}
}

const requestColumns = `id, tenant_id, template, params, status, note, COALESCE(workflow_id, 0), created_by, decided_by, created_at, decided_at`

func scanAutomationRequest(row interface{ Scan(...any) error }) (*app.AutomationRequest, error) {
	var r app.AutomationRequest
	var params string
	if err := row.Scan(&r.ID, &r.TenantID, &r.Template, &params, &r.Status, &r.Note, &r.WorkflowID, &r.CreatedBy, &r.DecidedBy,
		Time{&r.CreatedAt}, timePtr{&r.DecidedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
		return nil, fmt.Errorf("automation request %d: params: %w", r.ID, err)
	}
	return &r, nil
}

// CreateAutomationRequest stores a pending request and fills ID and CreatedAt.
func (s *AutomationRequestStore) CreateAutomationRequest(ctx context.Context, r *app.AutomationRequest) error {
	if r.TenantID == 0 {
		return fmt.Errorf("create automation request: no tenant")
	}
	params, err := json.Marshal(r.Params)
	if err != nil {
		return err
	}
	now := s.db.Now()
	res, err := s.db.write.ExecContext(ctx, `INSERT INTO automation_requests (tenant_id, template, params, status, created_by, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`,
		r.TenantID, r.Template, string(params), r.CreatedBy, FormatTime(now))
	if err != nil {
		return fmt.Errorf("create automation request: %w", err)
	}
	r.Status, r.CreatedAt = app.RequestPending, now
	r.ID, err = res.LastInsertId()
	return err
}

// FindAutomationRequests implements app.AutomationRequestStore.
func (s *AutomationRequestStore) FindAutomationRequests(ctx context.Context, tenantID int64) ([]*app.AutomationRequest, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+requestColumns+` FROM automation_requests WHERE ? = 0 OR tenant_id = ?
		ORDER BY status <> 'pending', id DESC LIMIT 500`, tenantID, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find automation requests: %w", err)
	}
	return scanAll(rows, scanAutomationRequest)
}

// FindAutomationRequest implements app.AutomationRequestStore.
func (s *AutomationRequestStore) FindAutomationRequest(ctx context.Context, tenantID, id int64) (*app.AutomationRequest, error) {
	r, err := scanAutomationRequest(s.db.read.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM automation_requests WHERE id = ? AND (? = 0 OR tenant_id = ?)`, id, tenantID, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Automation request not found.")
	}
	return r, err
}

// ApproveAutomationRequest implements app.AutomationRequestStore.
func (s *AutomationRequestStore) ApproveAutomationRequest(ctx context.Context, r *app.AutomationRequest, w *app.Workflow) error {
	if w.TenantID != r.TenantID {
		return fmt.Errorf("approve automation request %d: workflow of tenant %d", r.ID, w.TenantID)
	}
	if err := w.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := saveWorkflow(ctx, tx, w); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE automation_requests SET status = 'approved', workflow_id = ?, decided_by = ?, decided_at = ? WHERE id = ? AND tenant_id = ? AND status = 'pending'`,
		w.ID, r.DecidedBy, FormatTime(tx.now), r.ID, r.TenantID)
	if err != nil {
		return fmt.Errorf("approve automation request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ECONFLICT, "This request was decided meanwhile.")
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	at := tx.now
	r.Status, r.WorkflowID, r.DecidedAt = app.RequestApproved, w.ID, &at
	return nil
}

// RejectAutomationRequest implements app.AutomationRequestStore.
func (s *AutomationRequestStore) RejectAutomationRequest(ctx context.Context, r *app.AutomationRequest) error {
	now := s.db.Now()
	res, err := s.db.write.ExecContext(ctx, `UPDATE automation_requests SET status = 'rejected', note = ?, decided_by = ?, decided_at = ? WHERE id = ? AND tenant_id = ? AND status = 'pending'`,
		r.Note, r.DecidedBy, FormatTime(now), r.ID, r.TenantID)
	if err != nil {
		return fmt.Errorf("reject automation request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ECONFLICT, "This request was decided meanwhile.")
	}
	r.Status, r.DecidedAt = app.RequestRejected, &now
	return nil
}
