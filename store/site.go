package store

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"

	"orengen/app"
)

//go:embed seed/site.json
var siteSeed []byte

// SiteStore implements app.SiteStore.
type SiteStore struct{ db *DB }

var _ app.SiteStore = (*SiteStore)(nil)

// NewSiteStore returns a SiteStore on db.
func NewSiteStore(db *DB) *SiteStore { return &SiteStore{db: db} }

// SeedSite stores the embedded default site content if the site has no
// pages yet (first start). Later edits are never overwritten.
func (s *SiteStore) SeedSite(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM site_pages`).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	var seed struct {
		Settings app.SiteSettings `json:"settings"`
		Pages    []*app.Page      `json:"pages"`
	}
	if err := json.Unmarshal(siteSeed, &seed); err != nil {
		return false, fmt.Errorf("site seed: %w", err)
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	for _, p := range seed.Pages {
		if err := upsertPage(ctx, tx, p); err != nil {
			return false, fmt.Errorf("seed page %q: %w", p.Slug, err)
		}
	}
	if err := saveSetting(ctx, tx, "site", &seed.Settings); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// FindPages returns every page ordered by navigation order.
func (s *SiteStore) FindPages(ctx context.Context) ([]*app.Page, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT slug, title, description, nav_label, nav_order, blocks, updated_at FROM site_pages ORDER BY nav_order, slug`)
	if err != nil {
		return nil, fmt.Errorf("find pages: %w", err)
	}
	return scanAll(rows, scanPage)
}

func scanPage(row interface{ Scan(...any) error }) (*app.Page, error) {
	var p app.Page
	var blocks string
	if err := row.Scan(&p.Slug, &p.Title, &p.Description, &p.NavLabel, &p.NavOrder, &blocks, Time{&p.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(blocks), &p.Blocks); err != nil {
		return nil, fmt.Errorf("page %q blocks: %w", p.Slug, err)
	}
	return &p, nil
}

// FindPageBySlug returns ENOTFOUND if there is no such page.
func (s *SiteStore) FindPageBySlug(ctx context.Context, slug string) (*app.Page, error) {
	p, err := scanPage(s.db.read.QueryRowContext(ctx, `SELECT slug, title, description, nav_label, nav_order, blocks, updated_at FROM site_pages WHERE slug = ?`, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	return p, err
}

// UpsertPage creates or replaces a page by slug. Returns EINVALID.
func (s *SiteStore) UpsertPage(ctx context.Context, p *app.Page) error {
	if err := p.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := upsertPage(ctx, tx, p); err != nil {
		return err
	}
	return tx.Commit()
}

func upsertPage(ctx context.Context, tx *Tx, p *app.Page) error {
	if err := p.Validate(); err != nil {
		return err
	}
	blocks, err := json.Marshal(p.Blocks)
	if err != nil {
		return err
	}
	p.UpdatedAt = tx.now
	_, err = tx.ExecContext(ctx, `INSERT INTO site_pages (slug, title, description, nav_label, nav_order, blocks, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (slug) DO UPDATE SET title = excluded.title, description = excluded.description, nav_label = excluded.nav_label,
		nav_order = excluded.nav_order, blocks = excluded.blocks, updated_at = excluded.updated_at`,
		p.Slug, p.Title, p.Description, p.NavLabel, p.NavOrder, string(blocks), FormatTime(tx.now))
	return err
}

// SiteSettings returns the site-wide content.
func (s *SiteStore) SiteSettings(ctx context.Context) (*app.SiteSettings, error) {
	var v string
	err := s.db.read.QueryRowContext(ctx, `SELECT value FROM site_settings WHERE key = 'site'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return &app.SiteSettings{Name: "OrenGen"}, nil
	} else if err != nil {
		return nil, err
	}
	var st app.SiteSettings
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return nil, fmt.Errorf("site settings: %w", err)
	}
	return &st, nil
}

// SaveSiteSettings replaces the site-wide content.
func (s *SiteStore) SaveSiteSettings(ctx context.Context, st *app.SiteSettings) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := saveSetting(ctx, tx, "site", st); err != nil {
		return err
	}
	return tx.Commit()
}

func saveSetting(ctx context.Context, tx *Tx, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO site_settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, string(b), FormatTime(tx.now))
	return err
}

// LeadStore implements app.LeadStore.
type LeadStore struct{ db *DB }

var _ app.LeadStore = (*LeadStore)(nil)

// NewLeadStore returns a LeadStore on db.
func NewLeadStore(db *DB) *LeadStore { return &LeadStore{db: db} }

// CreateLead validates and stores a lead. Returns EINVALID.
func (s *LeadStore) CreateLead(ctx context.Context, l *app.Lead) error {
	if err := l.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	l.CreatedAt = tx.now
	// The site's leads are the agency's own.
	res, err := tx.ExecContext(ctx, `INSERT INTO leads (tenant_id, first_name, last_name, email, phone, company, message, source, ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		app.HouseTenantID, l.FirstName, l.LastName, l.Email, l.Phone, l.Company, l.Message, l.Source, l.IP, FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Lead already exists.")
	}
	if err := countDaily(ctx, tx, "leads", app.HouseTenantID, FormatTime(tx.now), l.Source, 1); err != nil {
		return err
	}
	if l.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// FindLeads returns the newest leads first and the total count.
func (s *LeadStore) FindLeads(ctx context.Context, limit int) ([]*app.Lead, int, error) {
	var total int
	if err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM leads`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, first_name, last_name, email, phone, company, message, source, ip, created_at FROM leads ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("find leads: %w", err)
	}
	defer rows.Close()
	var out []*app.Lead
	for rows.Next() {
		var l app.Lead
		if err := rows.Scan(&l.ID, &l.FirstName, &l.LastName, &l.Email, &l.Phone, &l.Company, &l.Message, &l.Source, &l.IP, Time{&l.CreatedAt}); err != nil {
			return nil, 0, err
		}
		out = append(out, &l)
	}
	return out, total, rows.Err()
}
