package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"orengen/app"
)

// TenantStore implements app.TenantStore.
type TenantStore struct{ db *DB }

var _ app.TenantStore = (*TenantStore)(nil)

// NewTenantStore returns a TenantStore on db.
func NewTenantStore(db *DB) *TenantStore { return &TenantStore{db: db} }

const tenantColumns = `t.id, t.slug, t.name, t.status, t.is_house, t.display_name, t.primary_color, t.accent_color,
	t.support_email, t.timezone, t.created_at, t.updated_at, COALESCE(l.hash, '')`

const tenantFrom = ` FROM tenants t LEFT JOIN tenant_logos l ON l.tenant_id = t.id`

func scanTenant(row interface{ Scan(...any) error }) (*app.Tenant, error) {
	var t app.Tenant
	if err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.Status, &t.House, &t.DisplayName, &t.PrimaryColor, &t.AccentColor,
		&t.SupportEmail, &t.Timezone, Time{&t.CreatedAt}, Time{&t.UpdatedAt}, &t.LogoHash); err != nil {
		return nil, err
	}
	return &t, nil
}

func findTenant(ctx context.Context, q queryer, where string, arg any) (*app.Tenant, error) {
	t, err := scanTenant(q.QueryRowContext(ctx, `SELECT `+tenantColumns+tenantFrom+` WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Tenant not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find tenant: %w", err)
	}
	return t, nil
}

// FindTenantByID returns ENOTFOUND if there is no such tenant.
func (s *TenantStore) FindTenantByID(ctx context.Context, id int64) (*app.Tenant, error) {
	return findTenant(ctx, s.db.read, `t.id = ?`, id)
}

// FindTenantBySlug returns ENOTFOUND if there is no such tenant.
func (s *TenantStore) FindTenantBySlug(ctx context.Context, slug string) (*app.Tenant, error) {
	return findTenant(ctx, s.db.read, `t.slug = ?`, slug)
}

// FindTenants lists every tenant, the house tenant first, then by name.
func (s *TenantStore) FindTenants(ctx context.Context) ([]*app.Tenant, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+tenantColumns+tenantFrom+` ORDER BY t.is_house DESC, t.name COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("find tenants: %w", err)
	}
	return scanAll(rows, scanTenant)
}

// CreateTenant validates and inserts t. Returns EINVALID or ECONFLICT.
func (s *TenantStore) CreateTenant(ctx context.Context, t *app.Tenant) error {
	if err := t.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertTenant(ctx, tx, t); err != nil {
		return err
	}
	return tx.Commit()
}

// insertTenant inserts a validated tenant in tx. Returns ECONFLICT if the
// slug is taken.
func insertTenant(ctx context.Context, tx *Tx, t *app.Tenant) error {
	t.CreatedAt, t.UpdatedAt = tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO tenants (slug, name, status, is_house, display_name, primary_color, accent_color, support_email, timezone, created_at, updated_at)
		VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`,
		t.Slug, t.Name, t.Status, t.DisplayName, t.PrimaryColor, t.AccentColor, t.SupportEmail, t.Timezone, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "A tenant with this slug already exists.")
	}
	t.ID, err = res.LastInsertId()
	return err
}

// UpdateTenant applies upd and validates the result. Returns ENOTFOUND or
// EINVALID.
func (s *TenantStore) UpdateTenant(ctx context.Context, id int64, upd app.TenantUpdate) (*app.Tenant, error) {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := findTenant(ctx, tx, `t.id = ?`, id)
	if err != nil {
		return nil, err
	}
	upd.Apply(t)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	t.UpdatedAt = tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE tenants SET name = ?, status = ?, display_name = ?, primary_color = ?, accent_color = ?,
		support_email = ?, timezone = ?, updated_at = ? WHERE id = ?`,
		t.Name, t.Status, t.DisplayName, t.PrimaryColor, t.AccentColor, t.SupportEmail, t.Timezone, FormatTime(tx.now), id); err != nil {
		return nil, fmt.Errorf("update tenant: %w", err)
	}
	return t, tx.Commit()
}

// SetTenantLogo replaces the logo, or removes it when l is nil. Returns
// ENOTFOUND.
func (s *TenantStore) SetTenantLogo(ctx context.Context, id int64, l *app.Logo) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := findTenant(ctx, tx, `t.id = ?`, id); err != nil {
		return err
	}
	if l == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM tenant_logos WHERE tenant_id = ?`, id)
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO tenant_logos (tenant_id, content_type, data, hash, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data, hash = excluded.hash, updated_at = excluded.updated_at`,
			id, l.ContentType, l.Data, l.Hash, FormatTime(tx.now))
	}
	if err != nil {
		return fmt.Errorf("set tenant logo: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tenants SET updated_at = ? WHERE id = ?`, FormatTime(tx.now), id); err != nil {
		return err
	}
	return tx.Commit()
}

// FindTenantLogo returns ENOTFOUND if the tenant has no logo.
func (s *TenantStore) FindTenantLogo(ctx context.Context, id int64) (*app.Logo, error) {
	var l app.Logo
	err := s.db.read.QueryRowContext(ctx, `SELECT content_type, data, hash, updated_at FROM tenant_logos WHERE tenant_id = ?`, id).
		Scan(&l.ContentType, &l.Data, &l.Hash, Time{&l.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Logo not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find logo: %w", err)
	}
	return &l, nil
}

// TenantLeadStore implements app.TenantLeadStore: leads of the tenant in
// ctx only.
type TenantLeadStore struct{ db *DB }

var _ app.TenantLeadStore = (*TenantLeadStore)(nil)

// NewTenantLeadStore returns a TenantLeadStore on db.
func NewTenantLeadStore(db *DB) *TenantLeadStore { return &TenantLeadStore{db: db} }

const leadColumns = `id, tenant_id, first_name, last_name, email, phone, company, message, source, ip, created_at`

func scanLead(row interface{ Scan(...any) error }) (*app.Lead, error) {
	var l app.Lead
	if err := row.Scan(&l.ID, &l.TenantID, &l.FirstName, &l.LastName, &l.Email, &l.Phone, &l.Company, &l.Message, &l.Source, &l.IP, Time{&l.CreatedAt}); err != nil {
		return nil, err
	}
	return &l, nil
}

// FindTenantLeads returns the tenant's newest leads first and its total.
func (s *TenantLeadStore) FindTenantLeads(ctx context.Context, limit int) ([]*app.Lead, int, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM leads WHERE tenant_id = ?`, tid).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`, tid, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("find leads: %w", err)
	}
	defer rows.Close()
	var out []*app.Lead
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	return out, total, rows.Err()
}

// FindTenantLeadsBefore implements app.TenantLeadStore: a page of the
// tenant's leads by descending ID (the primary key), below before.
func (s *TenantLeadStore) FindTenantLeadsBefore(ctx context.Context, before int64, limit int) ([]*app.Lead, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, tid, before, limit)
	if err != nil {
		return nil, fmt.Errorf("find leads: %w", err)
	}
	return scanAll(rows, scanLead)
}

// FindTenantLead returns ENOTFOUND for an unknown lead or another
// tenant's.
func (s *TenantLeadStore) FindTenantLead(ctx context.Context, id int64) (*app.Lead, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	l, err := scanLead(s.db.read.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = ? AND tenant_id = ?`, id, tid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Lead not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find lead: %w", err)
	}
	return l, nil
}

// CreateTenantLead validates and stores a lead in the tenant of ctx.
func (s *TenantLeadStore) CreateTenantLead(ctx context.Context, l *app.Lead) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	if err := l.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	l.TenantID, l.CreatedAt = tid, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO leads (tenant_id, first_name, last_name, email, phone, company, message, source, ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, l.FirstName, l.LastName, l.Email, l.Phone, l.Company, l.Message, l.Source, l.IP, FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Lead already exists.")
	}
	if err := countDaily(ctx, tx, "leads", tid, FormatTime(tx.now), l.Source, 1); err != nil {
		return err
	}
	if l.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteTenantLead deletes a lead of the tenant in ctx. Returns ENOTFOUND
// for an unknown lead or another tenant's.
func (s *TenantLeadStore) DeleteTenantLead(ctx context.Context, id int64) error {
	tid, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM leads WHERE id = ? AND tenant_id = ?`, id, tid)
	if err != nil {
		return fmt.Errorf("delete lead: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Lead not found.")
	}
	return tx.Commit()
}
