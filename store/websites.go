package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/sites"
)

// SiteBuilderStore implements sites.Store on the web_* tables.
type SiteBuilderStore struct{ db *DB }

var _ sites.Store = (*SiteBuilderStore)(nil)

// NewSiteBuilderStore returns a SiteBuilderStore on db.
func NewSiteBuilderStore(db *DB) *SiteBuilderStore { return &SiteBuilderStore{db: db} }

const webSiteColumns = `id, tenant_id, name, domain, settings, published_rev, published_at, salt, created_at, updated_at`

func scanWebSite(row scanner) (*sites.Site, error) {
	var s sites.Site
	var settings, salt string
	var pub NullTime
	if err := row.Scan(&s.ID, &s.TenantID, &s.Name, &s.Domain, &settings, &s.PublishedRev, &pub, &salt, Time{&s.CreatedAt}, Time{&s.UpdatedAt}); err != nil {
		return nil, err
	}
	s.PublishedAt = pub.T
	s.SetSalt(salt)
	if err := json.Unmarshal([]byte(settings), &s.Settings); err != nil {
		return nil, fmt.Errorf("site %d settings: %w", s.ID, err)
	}
	return &s, nil
}

const siteDomainTaken = "Another site is served on this domain."

// CreateSite implements sites.Store.
func (s *SiteBuilderStore) CreateSite(ctx context.Context, site *sites.Site) error {
	settings, err := json.Marshal(site.Settings)
	if err != nil {
		return err
	}
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO web_sites (tenant_id, name, domain, settings, salt, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tid, site.Name, site.Domain, string(settings), site.Salt(), FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return FormatError(err, siteDomainTaken)
		}
		site.ID, _ = res.LastInsertId()
		site.TenantID, site.CreatedAt, site.UpdatedAt = tid, tx.now, tx.now
		return nil
	})
}

// UpdateSite implements sites.Store.
func (s *SiteBuilderStore) UpdateSite(ctx context.Context, site *sites.Site) error {
	settings, err := json.Marshal(site.Settings)
	if err != nil {
		return err
	}
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE web_sites SET name = ?, domain = ?, settings = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			site.Name, site.Domain, string(settings), FormatTime(tx.now), site.ID, tid)
		if err != nil {
			return FormatError(err, siteDomainTaken)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Site not found.")
		}
		site.UpdatedAt = tx.now
		return nil
	})
}

// DeleteSite implements sites.Store.
func (s *SiteBuilderStore) DeleteSite(ctx context.Context, id int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM web_sites WHERE id = ? AND tenant_id = ?`, id, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Site not found.")
		}
		return nil
	})
}

// FindSite implements sites.Store.
func (s *SiteBuilderStore) FindSite(ctx context.Context, id int64) (*sites.Site, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	site, err := scanWebSite(s.db.read.QueryRowContext(ctx, `SELECT `+webSiteColumns+` FROM web_sites WHERE id = ? AND tenant_id = ?`, id, tid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Site not found.")
	}
	return site, err
}

// FindSites implements sites.Store.
func (s *SiteBuilderStore) FindSites(ctx context.Context) ([]*sites.Site, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+webSiteColumns+` FROM web_sites WHERE tenant_id = ? ORDER BY id`, tid)
	if err != nil {
		return nil, fmt.Errorf("find sites: %w", err)
	}
	return scanAll(rows, scanWebSite)
}

// FindSiteByDomain implements sites.Store (across tenants).
func (s *SiteBuilderStore) FindSiteByDomain(ctx context.Context, host string) (*sites.Site, error) {
	if host == "" {
		return nil, app.Errorf(app.ENOTFOUND, "Site not found.")
	}
	site, err := scanWebSite(s.db.read.QueryRowContext(ctx, `SELECT `+webSiteColumns+` FROM web_sites WHERE domain = ?`, host))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Site not found.")
	}
	return site, err
}

const webPageColumns = `id, tenant_id, site_id, slug, title, seo, blocks, post, position, created_at, updated_at`

func scanWebPage(row scanner) (*sites.Page, error) {
	var p sites.Page
	var seo, blocks, post string
	if err := row.Scan(&p.ID, &p.TenantID, &p.SiteID, &p.Slug, &p.Title, &seo, &blocks, &post, &p.Position, Time{&p.Created}, Time{&p.Updated}); err != nil {
		return nil, err
	}
	if post != "" {
		p.Post = &sites.Post{}
		if err := json.Unmarshal([]byte(post), p.Post); err != nil {
			return nil, fmt.Errorf("page %d post: %w", p.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(seo), &p.SEO); err != nil {
		return nil, fmt.Errorf("page %d seo: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(blocks), &p.Blocks); err != nil {
		return nil, fmt.Errorf("page %d blocks: %w", p.ID, err)
	}
	return &p, nil
}

const pageSlugTaken = "Another page of this site has this slug."

// siteOwned checks that the tenant owns the site, inside tx.
func siteOwned(ctx context.Context, tx *Tx, siteID, tid int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM web_sites WHERE id = ? AND tenant_id = ?`, siteID, tid).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return app.Errorf(app.ENOTFOUND, "Site not found.")
	}
	return nil
}

// CreatePage implements sites.Store. A page without a position goes last.
func (s *SiteBuilderStore) CreatePage(ctx context.Context, p *sites.Page) error {
	seo, blocks, post, err := marshalPage(p)
	if err != nil {
		return err
	}
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if err := siteOwned(ctx, tx, p.SiteID, tid); err != nil {
			return err
		}
		if p.Position == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) + 1 FROM web_pages WHERE site_id = ?`, p.SiteID).Scan(&p.Position); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO web_pages (tenant_id, site_id, slug, title, seo, blocks, post, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tid, p.SiteID, p.Slug, p.Title, seo, blocks, post, p.Position, FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return FormatError(err, pageSlugTaken)
		}
		p.ID, _ = res.LastInsertId()
		p.TenantID, p.Created, p.Updated = tid, tx.now, tx.now
		return nil
	})
}

func marshalPage(p *sites.Page) (seo, blocks, post string, err error) {
	b, err := json.Marshal(p.SEO)
	if err != nil {
		return "", "", "", err
	}
	seo = string(b)
	if p.Blocks == nil {
		p.Blocks = []sites.Block{}
	}
	if b, err = json.Marshal(p.Blocks); err != nil {
		return "", "", "", err
	}
	blocks = string(b)
	if p.Post != nil {
		if b, err = json.Marshal(p.Post); err != nil {
			return "", "", "", err
		}
		post = string(b)
	}
	return seo, blocks, post, nil
}

// UpdatePage implements sites.Store.
func (s *SiteBuilderStore) UpdatePage(ctx context.Context, p *sites.Page) error {
	seo, blocks, post, err := marshalPage(p)
	if err != nil {
		return err
	}
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE web_pages SET slug = ?, title = ?, seo = ?, blocks = ?, post = ?, position = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND site_id = ?`,
			p.Slug, p.Title, seo, blocks, post, p.Position, FormatTime(tx.now), p.ID, tid, p.SiteID)
		if err != nil {
			return FormatError(err, pageSlugTaken)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Page not found.")
		}
		p.Updated = tx.now
		return nil
	})
}

// DeletePage implements sites.Store.
func (s *SiteBuilderStore) DeletePage(ctx context.Context, id int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM web_pages WHERE id = ? AND tenant_id = ?`, id, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Page not found.")
		}
		return nil
	})
}

// FindPage implements sites.Store.
func (s *SiteBuilderStore) FindPage(ctx context.Context, id int64) (*sites.Page, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	p, err := scanWebPage(s.db.read.QueryRowContext(ctx, `SELECT `+webPageColumns+` FROM web_pages WHERE id = ? AND tenant_id = ?`, id, tid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	return p, err
}

// FindPages implements sites.Store.
func (s *SiteBuilderStore) FindPages(ctx context.Context, siteID int64) ([]*sites.Page, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+webPageColumns+` FROM web_pages WHERE tenant_id = ? AND site_id = ? ORDER BY position, id`, tid, siteID)
	if err != nil {
		return nil, fmt.Errorf("find pages: %w", err)
	}
	return scanAll(rows, scanWebPage)
}

// Publish implements sites.Store: the revision, the site's live revision
// number and its files change in one transaction.
func (s *SiteBuilderStore) Publish(ctx context.Context, siteID int64, snapshot []byte, note string, files []sites.File) (*sites.Revision, error) {
	rev := &sites.Revision{SiteID: siteID, Note: note, Snapshot: snapshot}
	err := s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if err := siteOwned(ctx, tx, siteID, tid); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(number), 0) + 1 FROM web_revisions WHERE site_id = ?`, siteID).Scan(&rev.Number); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO web_revisions (tenant_id, site_id, number, snapshot, note, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			tid, siteID, rev.Number, string(snapshot), note, FormatTime(tx.now))
		if err != nil {
			return err
		}
		rev.ID, _ = res.LastInsertId()
		rev.CreatedAt = tx.now
		// Uploaded images (sites.MediaPrefix) stay: they are the site's own
		// files, not rendered ones.
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_files WHERE site_id = ? AND substr(path, 1, ?) <> ?`, siteID, len(sites.MediaPrefix), sites.MediaPrefix); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO web_files (site_id, path, content_type, body) VALUES (?, ?, ?, ?)`, siteID, f.Path, f.ContentType, f.Body); err != nil {
				return fmt.Errorf("file %s: %w", f.Path, err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE web_sites SET published_rev = ?, published_at = ? WHERE id = ?`, rev.Number, FormatTime(tx.now), siteID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rev, nil
}

// FindRevisions implements sites.Store: newest first, without snapshots.
func (s *SiteBuilderStore) FindRevisions(ctx context.Context, siteID int64) ([]*sites.Revision, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, site_id, number, note, created_at FROM web_revisions WHERE tenant_id = ? AND site_id = ? ORDER BY number DESC LIMIT 100`, tid, siteID)
	if err != nil {
		return nil, fmt.Errorf("find revisions: %w", err)
	}
	return scanAll(rows, func(row scanner) (*sites.Revision, error) {
		var r sites.Revision
		return &r, row.Scan(&r.ID, &r.SiteID, &r.Number, &r.Note, Time{&r.CreatedAt})
	})
}

// FindRevision implements sites.Store.
func (s *SiteBuilderStore) FindRevision(ctx context.Context, siteID int64, number int) (*sites.Revision, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var r sites.Revision
	var snap string
	err = s.db.read.QueryRowContext(ctx, `SELECT id, site_id, number, note, created_at, snapshot FROM web_revisions WHERE tenant_id = ? AND site_id = ? AND number = ?`, tid, siteID, number).
		Scan(&r.ID, &r.SiteID, &r.Number, &r.Note, Time{&r.CreatedAt}, &snap)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Revision not found.")
	} else if err != nil {
		return nil, err
	}
	r.Snapshot = []byte(snap)
	return &r, nil
}

// SaveMedia implements sites.Store: the same image (its path is its
// hash) is stored once.
func (s *SiteBuilderStore) SaveMedia(ctx context.Context, siteID int64, f sites.File, max int) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if err := siteOwned(ctx, tx, siteID, tid); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM web_files WHERE site_id = ? AND substr(path, 1, ?) = ?`, siteID, len(sites.MediaPrefix), sites.MediaPrefix).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return app.FieldErrorf("file", "A site may hold at most %d images: delete some first.", max)
		}
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO web_files (site_id, path, content_type, body) VALUES (?, ?, ?, ?)`, siteID, f.Path, f.ContentType, f.Body)
		return err
	})
}

// FindMedia implements sites.Store: the site's images without bodies.
func (s *SiteBuilderStore) FindMedia(ctx context.Context, siteID int64) ([]sites.Media, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT f.path, f.content_type, length(f.body) FROM web_files f JOIN web_sites s ON s.id = f.site_id
		WHERE f.site_id = ? AND s.tenant_id = ? AND substr(f.path, 1, ?) = ? ORDER BY f.path`, siteID, tid, len(sites.MediaPrefix), sites.MediaPrefix)
	if err != nil {
		return nil, fmt.Errorf("find media: %w", err)
	}
	return scanAll(rows, func(row scanner) (sites.Media, error) {
		var m sites.Media
		return m, row.Scan(&m.Path, &m.ContentType, &m.Size)
	})
}

// DeleteMedia implements sites.Store.
func (s *SiteBuilderStore) DeleteMedia(ctx context.Context, siteID int64, path string) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if err := siteOwned(ctx, tx, siteID, tid); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM web_files WHERE site_id = ? AND path = ? AND substr(path, 1, ?) = ?`, siteID, path, len(sites.MediaPrefix), sites.MediaPrefix)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Image not found.")
		}
		return nil
	})
}

// FindMediaFile implements sites.Store (across tenants: the public host
// checked the site).
func (s *SiteBuilderStore) FindMediaFile(ctx context.Context, siteID int64, path string) (*sites.File, error) {
	var f sites.File
	err := s.db.read.QueryRowContext(ctx, `SELECT path, content_type, body FROM web_files WHERE site_id = ? AND path = ? AND substr(path, 1, ?) = ?`,
		siteID, path, len(sites.MediaPrefix), sites.MediaPrefix).Scan(&f.Path, &f.ContentType, &f.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Image not found.")
	}
	return &f, err
}

// FindFiles implements sites.Store (across tenants).
func (s *SiteBuilderStore) FindFiles(ctx context.Context, siteID int64) ([]sites.File, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT path, content_type, body FROM web_files WHERE site_id = ? AND substr(path, 1, ?) <> ? ORDER BY path`,
		siteID, len(sites.MediaPrefix), sites.MediaPrefix)
	if err != nil {
		return nil, fmt.Errorf("find files: %w", err)
	}
	return scanAll(rows, func(row scanner) (sites.File, error) {
		var f sites.File
		err := row.Scan(&f.Path, &f.ContentType, &f.Body)
		return f, err
	})
}
