package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/brand"
)

// BrandStore implements every store of brand.Stores: the brand & press
// kit of the tenant in ctx (issue #22). The theme's fields stay on
// tenants and tenant_logos; SaveKit writes the tenant's colours and the
// kit's row in one transaction.
type BrandStore struct{ db *DB }

var (
	_ brand.KitStore     = (*BrandStore)(nil)
	_ brand.AssetStore   = (*BrandStore)(nil)
	_ brand.PersonStore  = (*BrandStore)(nil)
	_ brand.ReleaseStore = (*BrandStore)(nil)
)

// NewBrandStore returns a BrandStore on db.
func NewBrandStore(db *DB) *BrandStore { return &BrandStore{db: db} }

// Stores returns s as each of the brand & press kit's stores, for
// brand.NewService.
func (s *BrandStore) Stores() brand.Stores {
	return brand.Stores{Kit: s, Assets: s, People: s, Releases: s}
}

// FindKit returns the kit (defaults when never saved) with the tenant's
// theme fields.
func (s *BrandStore) FindKit(ctx context.Context) (*brand.Kit, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return findKit(ctx, s.db.read, tid)
}

func findKit(ctx context.Context, q queryer, tid int64) (*brand.Kit, error) {
	k := &brand.Kit{TenantID: tid}
	var name, display string
	var updated, tupdated sql.NullString
	err := q.QueryRowContext(ctx, `SELECT t.name, t.display_name, t.primary_color, t.accent_color, COALESCE(l.hash, ''), t.updated_at,
		COALESCE(k.text_color, ?), COALESCE(k.background_color, ?), COALESCE(k.heading_font, ?), COALESCE(k.body_font, ?),
		COALESCE(k.tagline, ''), COALESCE(k.boilerplate, ''), k.updated_at
		FROM tenants t LEFT JOIN tenant_logos l ON l.tenant_id = t.id LEFT JOIN brand_kits k ON k.tenant_id = t.id WHERE t.id = ?`,
		brand.DefaultTextColor, brand.DefaultBackgroundColor, brand.DefaultFont, brand.DefaultFont, tid).
		Scan(&name, &display, &k.PrimaryColor, &k.AccentColor, &k.LogoHash, &tupdated, &k.TextColor, &k.BackgroundColor, &k.HeadingFont, &k.BodyFont,
			&k.Tagline, &k.Boilerplate, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Tenant not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find brand kit: %w", err)
	}
	k.Name = name
	if display != "" {
		k.Name = display
	}
	for _, v := range []sql.NullString{updated, tupdated} {
		if v.Valid {
			if t, err := ParseTime(v.String); err == nil && t.After(k.UpdatedAt) {
				k.UpdatedAt = t
			}
		}
	}
	return k, nil
}

// SaveKit writes the tenant's primary and accent colours (validated
// again as the tenant's, so the theme's own rule holds) and the kit's
// fields in one transaction: a refusal leaves both unchanged.
func (s *BrandStore) SaveKit(ctx context.Context, k *brand.Kit) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		t, err := findTenant(ctx, tx, `t.id = ?`, tid)
		if err != nil {
			return err
		}
		app.TenantUpdate{PrimaryColor: &k.PrimaryColor, AccentColor: &k.AccentColor}.Apply(t)
		if err := t.Validate(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET primary_color = ?, accent_color = ?, updated_at = ? WHERE id = ?`,
			t.PrimaryColor, t.AccentColor, FormatTime(tx.now), tid); err != nil {
			return fmt.Errorf("save brand colours: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO brand_kits (tenant_id, text_color, background_color, heading_font, body_font, tagline, boilerplate, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET text_color = excluded.text_color, background_color = excluded.background_color,
			heading_font = excluded.heading_font, body_font = excluded.body_font, tagline = excluded.tagline, boilerplate = excluded.boilerplate, updated_at = excluded.updated_at`,
			tid, k.TextColor, k.BackgroundColor, k.HeadingFont, k.BodyFont, k.Tagline, k.Boilerplate, FormatTime(tx.now)); err != nil {
			return fmt.Errorf("save brand kit: %w", err)
		}
		return nil
	})
}

const brandAssetColumns = `id, tenant_id, kind, caption, content_type, hash, width, height, created_at`

func scanBrandAsset(row scanner) (*brand.Asset, error) {
	var a brand.Asset
	err := row.Scan(&a.ID, &a.TenantID, &a.Kind, &a.Caption, &a.ContentType, &a.Hash, &a.Width, &a.Height, Time{&a.CreatedAt})
	return &a, err
}

// FindAssets lists images without their data, oldest first.
func (s *BrandStore) FindAssets(ctx context.Context, kind string) ([]*brand.Asset, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+brandAssetColumns+` FROM brand_assets WHERE tenant_id = ? AND (? = '' OR kind = ?) ORDER BY id`, tid, kind, kind)
	if err != nil {
		return nil, fmt.Errorf("find brand assets: %w", err)
	}
	return scanAll(rows, scanBrandAsset)
}

// FindAsset returns an image with its data. Returns ENOTFOUND.
func (s *BrandStore) FindAsset(ctx context.Context, id int64) (*brand.Asset, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var a brand.Asset
	err = s.db.read.QueryRowContext(ctx, `SELECT `+brandAssetColumns+`, data FROM brand_assets WHERE tenant_id = ? AND id = ?`, tid, id).
		Scan(&a.ID, &a.TenantID, &a.Kind, &a.Caption, &a.ContentType, &a.Hash, &a.Width, &a.Height, Time{&a.CreatedAt}, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Image not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find brand asset: %w", err)
	}
	return &a, nil
}

func insertBrandAsset(ctx context.Context, tx *Tx, tid int64, a *brand.Asset) error {
	if a.Kind == brand.KindLogoSquare || a.Kind == brand.KindLogoDark {
		if _, err := tx.ExecContext(ctx, `DELETE FROM brand_assets WHERE tenant_id = ? AND kind = ?`, tid, a.Kind); err != nil {
			return fmt.Errorf("replace brand logo: %w", err)
		}
	}
	if a.Kind == brand.KindScreenshot {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM brand_assets WHERE tenant_id = ? AND kind = ?`, tid, a.Kind).Scan(&n); err != nil {
			return err
		}
		if n >= brand.MaxScreenshots {
			return &app.Error{Code: app.ECONFLICT, Field: "file", Message: fmt.Sprintf("The kit holds at most %d screenshots; delete one first.", brand.MaxScreenshots)}
		}
	}
	a.TenantID, a.CreatedAt = tid, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO brand_assets (tenant_id, kind, caption, content_type, data, hash, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, a.Kind, a.Caption, a.ContentType, a.Data, a.Hash, a.Width, a.Height, FormatTime(tx.now))
	if err != nil {
		return fmt.Errorf("add brand asset: %w", err)
	}
	a.ID, err = res.LastInsertId()
	return err
}

// touchKit marks the kit changed (the zip's file times, the press page's
// cache).
func touchKit(ctx context.Context, tx *Tx, tid int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO brand_kits (tenant_id, updated_at) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET updated_at = excluded.updated_at`,
		tid, FormatTime(tx.now))
	return err
}

// AddAsset inserts an image; a logo variant replaces the previous one.
func (s *BrandStore) AddAsset(ctx context.Context, a *brand.Asset) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		if err := insertBrandAsset(ctx, tx, tid, a); err != nil {
			return err
		}
		return touchKit(ctx, tx, tid)
	})
}

// DeleteAsset returns ENOTFOUND.
func (s *BrandStore) DeleteAsset(ctx context.Context, id int64) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM brand_assets WHERE tenant_id = ? AND id = ?`, tid, id)
		if err != nil {
			return fmt.Errorf("delete brand asset: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Image not found.")
		}
		return touchKit(ctx, tx, tid)
	})
}

const brandPersonColumns = `id, tenant_id, kind, name, title, bio, email, phone, COALESCE(photo_id, 0), position, created_at`

func scanBrandPerson(row scanner) (*brand.Person, error) {
	var p brand.Person
	err := row.Scan(&p.ID, &p.TenantID, &p.Kind, &p.Name, &p.Title, &p.Bio, &p.Email, &p.Phone, &p.PhotoID, &p.Position, Time{&p.CreatedAt})
	return &p, err
}

// FindPeople lists founders, then contacts, in their order.
func (s *BrandStore) FindPeople(ctx context.Context) ([]*brand.Person, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+brandPersonColumns+` FROM brand_people WHERE tenant_id = ? ORDER BY kind DESC, position, id`, tid)
	if err != nil {
		return nil, fmt.Errorf("find brand people: %w", err)
	}
	return scanAll(rows, scanBrandPerson)
}

// AddPerson inserts p and its photo in one transaction.
func (s *BrandStore) AddPerson(ctx context.Context, p *brand.Person, photo *brand.Asset) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(position), 0) + 1 FROM brand_people WHERE tenant_id = ? AND kind = ?`, tid, p.Kind).Scan(&n, &p.Position); err != nil {
			return err
		}
		if n >= brand.MaxPeople {
			return &app.Error{Code: app.ECONFLICT, Field: "name", Message: fmt.Sprintf("The kit holds at most %d %ss.", brand.MaxPeople, p.Kind)}
		}
		if photo != nil {
			if err := insertBrandAsset(ctx, tx, tid, photo); err != nil {
				return err
			}
			p.PhotoID = photo.ID
		}
		p.TenantID, p.CreatedAt = tid, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO brand_people (tenant_id, kind, name, title, bio, email, phone, photo_id, position, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, p.Kind, p.Name, p.Title, p.Bio, p.Email, p.Phone, nullID(p.PhotoID), p.Position, FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("add brand person: %w", err)
		}
		if p.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return touchKit(ctx, tx, tid)
	})
}

// DeletePerson deletes a person and its photo. Returns ENOTFOUND.
func (s *BrandStore) DeletePerson(ctx context.Context, id int64) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		var photo sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT photo_id FROM brand_people WHERE tenant_id = ? AND id = ?`, tid, id).Scan(&photo)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Person not found.")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM brand_people WHERE tenant_id = ? AND id = ?`, tid, id); err != nil {
			return fmt.Errorf("delete brand person: %w", err)
		}
		if photo.Valid {
			if _, err := tx.ExecContext(ctx, `DELETE FROM brand_assets WHERE tenant_id = ? AND id = ?`, tid, photo.Int64); err != nil {
				return err
			}
		}
		return touchKit(ctx, tx, tid)
	})
}

const brandReleaseColumns = `id, tenant_id, slug, title, summary, body, published_at, created_at, updated_at`

func scanBrandRelease(row scanner) (*brand.Release, error) {
	var r brand.Release
	var pub NullTime
	err := row.Scan(&r.ID, &r.TenantID, &r.Slug, &r.Title, &r.Summary, &r.Body, &pub, Time{&r.CreatedAt}, Time{&r.UpdatedAt})
	r.PublishedAt = pub.T
	return &r, err
}

// FindReleases lists releases, published first by date, newest first.
func (s *BrandStore) FindReleases(ctx context.Context, publishedOnly bool) ([]*brand.Release, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+brandReleaseColumns+` FROM brand_releases WHERE tenant_id = ? AND (? = 0 OR published_at IS NOT NULL)
		ORDER BY published_at IS NULL DESC, published_at DESC, id DESC LIMIT 500`, tid, publishedOnly)
	if err != nil {
		return nil, fmt.Errorf("find releases: %w", err)
	}
	return scanAll(rows, scanBrandRelease)
}

// FindRelease returns ENOTFOUND.
func (s *BrandStore) FindRelease(ctx context.Context, id int64) (*brand.Release, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	r, err := scanBrandRelease(s.db.read.QueryRowContext(ctx, `SELECT `+brandReleaseColumns+` FROM brand_releases WHERE tenant_id = ? AND id = ?`, tid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Press release not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find release: %w", err)
	}
	return r, nil
}

// FindReleaseBySlug returns a published release, or ENOTFOUND.
func (s *BrandStore) FindReleaseBySlug(ctx context.Context, slug string) (*brand.Release, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	r, err := scanBrandRelease(s.db.read.QueryRowContext(ctx, `SELECT `+brandReleaseColumns+` FROM brand_releases WHERE tenant_id = ? AND slug = ? AND published_at IS NOT NULL`, tid, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Press release not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find release: %w", err)
	}
	return r, nil
}

// SaveRelease inserts (ID 0) or updates a release. Returns ECONFLICT for
// a slug in use, ENOTFOUND.
func (s *BrandStore) SaveRelease(ctx context.Context, r *brand.Release) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		r.TenantID, r.UpdatedAt = tid, tx.now
		if r.ID == 0 {
			r.CreatedAt = tx.now
			res, err := tx.ExecContext(ctx, `INSERT INTO brand_releases (tenant_id, slug, title, summary, body, published_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				tid, r.Slug, r.Title, r.Summary, r.Body, nullTime(r.PublishedAt), FormatTime(tx.now), FormatTime(tx.now))
			if err != nil {
				if app.ErrorCode(FormatError(err, "")) == app.ECONFLICT {
					return &app.Error{Code: app.ECONFLICT, Field: "slug", Message: "Another press release has the slug " + r.Slug + "."}
				}
				return fmt.Errorf("add release: %w", err)
			}
			r.ID, err = res.LastInsertId()
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE brand_releases SET slug = ?, title = ?, summary = ?, body = ?, published_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			r.Slug, r.Title, r.Summary, r.Body, nullTime(r.PublishedAt), FormatTime(tx.now), tid, r.ID)
		if err != nil {
			if app.ErrorCode(FormatError(err, "")) == app.ECONFLICT {
				return &app.Error{Code: app.ECONFLICT, Field: "slug", Message: "Another press release has the slug " + r.Slug + "."}
			}
			return fmt.Errorf("update release: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Press release not found.")
		}
		return nil
	})
}

// DeleteRelease returns ENOTFOUND.
func (s *BrandStore) DeleteRelease(ctx context.Context, id int64) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM brand_releases WHERE tenant_id = ? AND id = ?`, tid, id)
		if err != nil {
			return fmt.Errorf("delete release: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Press release not found.")
		}
		return nil
	})
}
