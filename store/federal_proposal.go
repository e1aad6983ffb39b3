package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"orengen/app"
	"orengen/app/federal"
)

// Proposal Studio, grant pipeline, alerts and digests (migration 0009).

const sectionCols = `id, tenant_id, notice_id, title, position, body, owner, status, requirement_group, created_at, updated_at`

func scanSection(row interface{ Scan(...any) error }) (*federal.ProposalSection, error) {
	var s federal.ProposalSection
	err := row.Scan(&s.ID, &s.TenantID, &s.NoticeID, &s.Title, &s.Position, &s.Body, &s.Owner, &s.Status, &s.RequirementGroup,
		Time{&s.CreatedAt}, Time{&s.UpdatedAt})
	return &s, err
}

// noticeExists returns ENOTFOUND when the tenant has no such notice.
func noticeExists(ctx context.Context, tx *Tx, tenantID int64, noticeID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM federal_notices WHERE tenant_id = ? AND notice_id = ?`, tenantID, noticeID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return app.Errorf(app.ENOTFOUND, "Notice not found.")
	}
	return nil
}

// FindSections lists a notice's proposal sections in order.
func (s *FederalStore) FindSections(ctx context.Context, noticeID string) ([]*federal.ProposalSection, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+sectionCols+` FROM federal_proposal_sections
		WHERE tenant_id = ? AND notice_id = ? ORDER BY position, id`, tenantID, noticeID)
	if err != nil {
		return nil, fmt.Errorf("find sections: %w", err)
	}
	return scanAll(rows, scanSection)
}

// FindSection returns one section; ENOTFOUND when the tenant's notice has
// no such section.
func (s *FederalStore) FindSection(ctx context.Context, noticeID string, id int64) (*federal.ProposalSection, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	sec, err := scanSection(s.db.read.QueryRowContext(ctx, `SELECT `+sectionCols+` FROM federal_proposal_sections
		WHERE tenant_id = ? AND notice_id = ? AND id = ?`, tenantID, noticeID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Proposal section not found.")
	}
	return sec, err
}

func insertSection(ctx context.Context, tx *Tx, sec *federal.ProposalSection) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO federal_proposal_sections (tenant_id, notice_id, title, position, body, owner, status, requirement_group, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sec.TenantID, sec.NoticeID, sec.Title, sec.Position, sec.Body, sec.Owner, sec.Status, sec.RequirementGroup,
		FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(fmt.Errorf("create section: %w", err), "A section with this title already exists.")
	}
	sec.ID, _ = res.LastInsertId()
	sec.CreatedAt, sec.UpdatedAt = tx.now, tx.now
	return nil
}

// CreateSection stores sec and sets its ID. Returns ENOTFOUND for an
// unknown notice and ECONFLICT for a title the proposal already has.
func (s *FederalStore) CreateSection(ctx context.Context, sec *federal.ProposalSection) error {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	sec.TenantID = tenantID
	defer tx.Rollback()
	if err := noticeExists(ctx, tx, sec.TenantID, sec.NoticeID); err != nil {
		return err
	}
	if err := insertSection(ctx, tx, sec); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateSection saves title, position, body, owner and status. A renamed
// section takes the compliance-matrix rows answered in it along, in the
// same transaction. Returns ENOTFOUND or ECONFLICT (duplicate title).
func (s *FederalStore) UpdateSection(ctx context.Context, sec *federal.ProposalSection) error {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	sec.TenantID = tenantID
	defer tx.Rollback()
	var old string
	err = tx.QueryRowContext(ctx, `SELECT title FROM federal_proposal_sections WHERE tenant_id = ? AND notice_id = ? AND id = ?`,
		sec.TenantID, sec.NoticeID, sec.ID).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return app.Errorf(app.ENOTFOUND, "Proposal section not found.")
	} else if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE federal_proposal_sections SET title = ?, position = ?, body = ?, owner = ?, status = ?, updated_at = ?
		WHERE tenant_id = ? AND notice_id = ? AND id = ?`, sec.Title, sec.Position, sec.Body, sec.Owner, sec.Status, FormatTime(tx.now),
		sec.TenantID, sec.NoticeID, sec.ID); err != nil {
		return FormatError(fmt.Errorf("update section: %w", err), "A section with this title already exists.")
	}
	if old != sec.Title {
		if _, err := tx.ExecContext(ctx, `UPDATE federal_requirements SET answered_in = ? WHERE tenant_id = ? AND notice_id = ? AND answered_in = ? COLLATE NOCASE`,
			sec.Title, sec.TenantID, sec.NoticeID, old); err != nil {
			return fmt.Errorf("move answered-in: %w", err)
		}
	}
	sec.UpdatedAt = tx.now
	return tx.Commit()
}

// DeleteSection removes a section. Returns ENOTFOUND.
func (s *FederalStore) DeleteSection(ctx context.Context, noticeID string, id int64) error {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM federal_proposal_sections WHERE tenant_id = ? AND notice_id = ? AND id = ?`, tenantID, noticeID, id)
	if err != nil {
		return fmt.Errorf("delete section: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Proposal section not found.")
	}
	return nil
}

// CreateSectionsFromMatrix adds the sections whose title the proposal
// does not have yet and points each matrix row of their requirement group
// that has no "where answered" at the section, in one transaction.
// Returns how many sections were added; ENOTFOUND for an unknown notice.
func (s *FederalStore) CreateSectionsFromMatrix(ctx context.Context, noticeID string, secs []*federal.ProposalSection) (int, error) {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := noticeExists(ctx, tx, tenantID, noticeID); err != nil {
		return 0, err
	}
	added := 0
	for _, sec := range secs {
		sec.TenantID, sec.NoticeID = tenantID, noticeID
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM federal_proposal_sections WHERE tenant_id = ? AND notice_id = ? AND title = ?`,
			tenantID, noticeID, sec.Title).Scan(&n); err != nil {
			return 0, err
		}
		if n == 0 {
			if err := insertSection(ctx, tx, sec); err != nil {
				return 0, err
			}
			added++
		}
		if _, err := tx.ExecContext(ctx, `UPDATE federal_requirements SET answered_in = ? WHERE tenant_id = ? AND notice_id = ? AND section = ? AND answered_in = ''`,
			sec.Title, tenantID, noticeID, sec.RequirementGroup); err != nil {
			return 0, fmt.Errorf("map requirements: %w", err)
		}
	}
	return added, tx.Commit()
}

const grantCols = `g.grant_id, g.number, g.title, g.agency_code, g.agency_name, g.open_date, g.close_date, g.status, g.doc_type, g.alns,
	g.first_seen_at, g.updated_at, g.detail, COALESCE(p.stage, '')`

func scanGrant(row interface{ Scan(...any) error }, tenantID int64) (*federal.StoredGrant, error) {
	var g federal.StoredGrant
	var open, cls, alns, detail string
	if err := row.Scan(&g.ID, &g.Number, &g.Title, &g.AgencyCode, &g.AgencyName, &open, &cls, &g.Status, &g.DocType, &alns,
		Time{&g.FirstSeenAt}, Time{&g.UpdatedAt}, &detail, &g.Stage); err != nil {
		return nil, err
	}
	if detail != "" {
		// The fetched detail first, then the columns the scout keeps
		// current on top of it.
		row := g.Grant
		if err := json.Unmarshal([]byte(detail), &g.Grant); err != nil {
			return nil, fmt.Errorf("decode grant detail: %w", err)
		}
		g.Detailed = true
		g.ID, g.Number, g.Title, g.AgencyCode, g.AgencyName, g.Status, g.DocType = row.ID, row.Number, row.Title, row.AgencyCode, row.AgencyName, row.Status, row.DocType
	}
	g.OpenDate, _ = ParseTime(open)
	g.CloseDate, _ = ParseTime(cls)
	g.ALNs = parseList(alns)
	g.TenantID = tenantID
	return &g, nil
}

// FindGrant returns one stored grant with its fetched detail, if any.
// Returns ENOTFOUND.
func (s *FederalStore) FindGrant(ctx context.Context, grantID string) (*federal.StoredGrant, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	g, err := scanGrant(s.db.read.QueryRowContext(ctx, `SELECT `+grantCols+` FROM federal_grants g
		LEFT JOIN federal_grant_pipeline p ON p.tenant_id = g.tenant_id AND p.grant_id = g.grant_id
		WHERE g.tenant_id = ? AND g.grant_id = ?`, tenantID, grantID), tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Grant not found.")
	}
	return g, err
}

// SetGrantDetail stores the fetchOpportunity answer for a grant. Returns
// ENOTFOUND.
func (s *FederalStore) SetGrantDetail(ctx context.Context, grantID string, d federal.Grant) error {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode grant detail: %w", err)
	}
	res, err := s.db.write.ExecContext(ctx, `UPDATE federal_grants SET detail = ? WHERE tenant_id = ? AND grant_id = ?`, string(b), tenantID, grantID)
	if err != nil {
		return fmt.Errorf("set grant detail: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Grant not found.")
	}
	return nil
}

const grantPipelineCols = `p.id, p.tenant_id, p.grant_id, COALESCE(g.title, ''), COALESCE(g.number, ''), COALESCE(g.close_date, ''), p.stage, p.owner, p.notes, p.created_at, p.updated_at`

func scanGrantPipeline(row interface{ Scan(...any) error }) (*federal.GrantPipelineEntry, error) {
	var e federal.GrantPipelineEntry
	var cls string
	if err := row.Scan(&e.ID, &e.TenantID, &e.GrantID, &e.Title, &e.Number, &cls, &e.Stage, &e.Owner, &e.Notes, Time{&e.CreatedAt}, Time{&e.UpdatedAt}); err != nil {
		return nil, err
	}
	e.CloseDate, _ = ParseTime(cls)
	return &e, nil
}

// FindGrantPipeline lists pursued grants in stage order, then by close date.
func (s *FederalStore) FindGrantPipeline(ctx context.Context) ([]*federal.GrantPipelineEntry, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+grantPipelineCols+` FROM federal_grant_pipeline p
		LEFT JOIN federal_grants g ON g.tenant_id = p.tenant_id AND g.grant_id = p.grant_id
		WHERE p.tenant_id = ? ORDER BY CASE p.stage WHEN 'triage' THEN 0 WHEN 'eligibility' THEN 1 WHEN 'drafting' THEN 2 WHEN 'submitted' THEN 3
		WHEN 'awarded' THEN 4 ELSE 5 END, g.close_date, p.grant_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find grant pipeline: %w", err)
	}
	return scanAll(rows, scanGrantPipeline)
}

// FindGrantPipelineEntry returns ENOTFOUND when the grant is not pursued.
func (s *FederalStore) FindGrantPipelineEntry(ctx context.Context, grantID string) (*federal.GrantPipelineEntry, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	e, err := scanGrantPipeline(s.db.read.QueryRowContext(ctx, `SELECT `+grantPipelineCols+` FROM federal_grant_pipeline p
		LEFT JOIN federal_grants g ON g.tenant_id = p.tenant_id AND g.grant_id = p.grant_id
		WHERE p.tenant_id = ? AND p.grant_id = ?`, tenantID, grantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "This grant is not in the pipeline.")
	}
	return e, err
}

// SaveGrantPipelineEntry creates or updates the entry. Returns ENOTFOUND
// when the tenant has no such grant.
func (s *FederalStore) SaveGrantPipelineEntry(ctx context.Context, e *federal.GrantPipelineEntry) error {
	tenantID, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	e.TenantID = tenantID
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM federal_grants WHERE tenant_id = ? AND grant_id = ?`, e.TenantID, e.GrantID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return app.Errorf(app.ENOTFOUND, "Grant not found.")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO federal_grant_pipeline (tenant_id, grant_id, stage, owner, notes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, grant_id) DO UPDATE SET stage = excluded.stage, owner = excluded.owner, notes = excluded.notes, updated_at = excluded.updated_at`,
		e.TenantID, e.GrantID, e.Stage, e.Owner, e.Notes, FormatTime(tx.now), FormatTime(tx.now)); err != nil {
		return fmt.Errorf("save grant pipeline entry: %w", err)
	}
	return tx.Commit()
}

// RecordAlert stores a unless an alert with its key exists, and reports
// whether it was new (the once-only rule). Sets a.ID and a.CreatedAt.
func (s *FederalStore) RecordAlert(ctx context.Context, a *federal.FederalAlert) (bool, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return false, err
	}
	a.TenantID = tenantID
	res, err := s.db.write.ExecContext(ctx, `INSERT INTO federal_alerts (tenant_id, key, kind, subject, body, due, days_before, link, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, key) DO NOTHING`,
		a.TenantID, a.Key, a.Kind, a.Subject, a.Body, optTime(a.Due), a.DaysBefore, a.Link, FormatTime(s.db.Now()))
	if err != nil {
		return false, FormatError(fmt.Errorf("record alert: %w", err), "Alert exists.")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	a.ID, _ = res.LastInsertId()
	a.CreatedAt = s.db.Now().UTC()
	return true, nil
}

// MarkAlertDelivered records a delivery attempt: its time, and the error
// ("" on success).
func (s *FederalStore) MarkAlertDelivered(ctx context.Context, id int64, at time.Time, errMsg string) error {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	_, err = s.db.write.ExecContext(ctx, `UPDATE federal_alerts SET delivered_at = CASE WHEN ? = '' THEN ? ELSE delivered_at END, delivery_error = ?
		WHERE tenant_id = ? AND id = ?`, errMsg, FormatTime(at), errMsg, tenantID, id)
	if err != nil {
		return fmt.Errorf("mark alert delivered: %w", err)
	}
	return nil
}

// FindAlerts lists the tenant's alerts, newest first.
func (s *FederalStore) FindAlerts(ctx context.Context, f federal.AlertFilter) ([]*federal.FederalAlert, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where, args := "tenant_id = ?", []any{tenantID}
	if f.Kind != "" {
		where += " AND kind = ?"
		args = append(args, f.Kind)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, key, kind, subject, body, due, days_before, link, created_at, delivered_at, delivery_error
		FROM federal_alerts WHERE `+where+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("find alerts: %w", err)
	}
	defer rows.Close()
	var out []*federal.FederalAlert
	for rows.Next() {
		var a federal.FederalAlert
		var due, delivered NullTime
		if err := rows.Scan(&a.ID, &a.TenantID, &a.Key, &a.Kind, &a.Subject, &a.Body, &due, &a.DaysBefore, &a.Link, Time{&a.CreatedAt}, &delivered, &a.DeliveryError); err != nil {
			return nil, err
		}
		if due.T != nil {
			a.Due = *due.T
		}
		if delivered.T != nil {
			a.DeliveredAt = *delivered.T
		}
		out = append(out, &a)
	}
	return out, rows.Err()
}

// FindNoticeActivity returns the notices first seen or amended in
// [from, to).
func (s *FederalStore) FindNoticeActivity(ctx context.Context, from, to time.Time) ([]*federal.StoredNotice, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	f, t := FormatTime(from), FormatTime(to)
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+noticeCols+` FROM federal_notices n
		LEFT JOIN federal_fit_scores f ON f.tenant_id = n.tenant_id AND f.notice_id = n.notice_id
		LEFT JOIN federal_pipeline p ON p.tenant_id = n.tenant_id AND p.notice_id = n.notice_id
		WHERE n.tenant_id = ? AND ((n.first_seen_at >= ? AND n.first_seen_at < ?) OR (n.updated_at >= ? AND n.updated_at < ?))
		ORDER BY n.score DESC, n.notice_id LIMIT 1000`, tenantID, f, t, f, t)
	if err != nil {
		return nil, fmt.Errorf("find notice activity: %w", err)
	}
	defer rows.Close()
	var out []*federal.StoredNotice
	for rows.Next() {
		n, err := scanNotice(rows, tenantID)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// FindNewGrants returns the grants first seen in [from, to).
func (s *FederalStore) FindNewGrants(ctx context.Context, from, to time.Time) ([]*federal.StoredGrant, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+grantCols+` FROM federal_grants g
		LEFT JOIN federal_grant_pipeline p ON p.tenant_id = g.tenant_id AND p.grant_id = g.grant_id
		WHERE g.tenant_id = ? AND g.first_seen_at >= ? AND g.first_seen_at < ? ORDER BY g.close_date, g.grant_id LIMIT 1000`,
		tenantID, FormatTime(from), FormatTime(to))
	if err != nil {
		return nil, fmt.Errorf("find new grants: %w", err)
	}
	defer rows.Close()
	var out []*federal.StoredGrant
	for rows.Next() {
		g, err := scanGrant(rows, tenantID)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// PursuitKeys maps the tenant's pipeline entry IDs to notice IDs (grant
// IDs with grants); IDs of other tenants or unknown are left out.
func (s *FederalStore) PursuitKeys(ctx context.Context, grants bool, ids []int64) (map[int64]string, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, notice_id FROM federal_pipeline WHERE tenant_id = ? AND id = ?`
	if grants {
		q = `SELECT id, grant_id FROM federal_grant_pipeline WHERE tenant_id = ? AND id = ?`
	}
	out := map[int64]string{}
	for _, id := range ids {
		var key string
		err := s.db.read.QueryRowContext(ctx, q, tenantID, id).Scan(&id, &key)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("pursuit keys: %w", err)
		}
		out[id] = key
	}
	return out, nil
}
