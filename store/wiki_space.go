package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/wiki"
)

// WikiStore implements every store of wiki.Stores on SQLite. Every
// method takes the tenant from ctx; the *Across methods need an admin
// (app.CRMReadScope). One type: a page's revisions, links, attachments
// and search chunks are written in the page's transactions.
type WikiStore struct{ db *DB }

var (
	_ wiki.SpaceStore      = (*WikiStore)(nil)
	_ wiki.PageStore       = (*WikiStore)(nil)
	_ wiki.RevisionStore   = (*WikiStore)(nil)
	_ wiki.AttachmentStore = (*WikiStore)(nil)
	_ wiki.ShareStore      = (*WikiStore)(nil)
	_ wiki.SearchStore     = (*WikiStore)(nil)
	_ wiki.ImportStore     = (*WikiStore)(nil)
)

// NewWikiStore returns a WikiStore on db.
func NewWikiStore(db *DB) *WikiStore { return &WikiStore{db: db} }

// Stores returns s as each of the wiki's stores, for wiki.NewService.
func (s *WikiStore) Stores() wiki.Stores {
	return wiki.Stores{Spaces: s, Pages: s, Revisions: s, Attachments: s, Shares: s, Search: s, Import: s}
}

const wikiSpaceCols = `id, tenant_id, name, shared_with_agency, created_at, updated_at`

func scanWikiSpace(r scanner) (*wiki.Space, error) {
	var s wiki.Space
	if err := r.Scan(&s.ID, &s.TenantID, &s.Name, &s.SharedWithAgency, Time{&s.CreatedAt}, Time{&s.UpdatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Space not found.")
		}
		return nil, err
	}
	return &s, nil
}

// EnsureSpace implements wiki.SpaceStore.
func (s *WikiStore) EnsureSpace(ctx context.Context, name string) (*wiki.Space, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	sp, err := scanWikiSpace(s.db.read.QueryRowContext(ctx, `SELECT `+wikiSpaceCols+` FROM wiki_spaces WHERE tenant_id = ?`, tid))
	if app.ErrorCode(err) != app.ENOTFOUND {
		return sp, err
	}
	err = s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO wiki_spaces (tenant_id, name, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO NOTHING`,
			tid, name, FormatTime(tx.now), FormatTime(tx.now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create space: %w", err)
	}
	return scanWikiSpace(s.db.write.QueryRowContext(ctx, `SELECT `+wikiSpaceCols+` FROM wiki_spaces WHERE tenant_id = ?`, tid))
}

// FindSpace implements wiki.SpaceStore.
func (s *WikiStore) FindSpace(ctx context.Context, id int64) (*wiki.Space, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanWikiSpace(s.db.read.QueryRowContext(ctx, `SELECT `+wikiSpaceCols+` FROM wiki_spaces WHERE id = ? AND tenant_id = ?`, id, tid))
}

// UpdateSpace implements wiki.SpaceStore.
func (s *WikiStore) UpdateSpace(ctx context.Context, id int64, name string, shared bool) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE wiki_spaces SET name = ?, shared_with_agency = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			name, shared, FormatTime(tx.now), id, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Space not found.")
		}
		return nil
	})
}

// FindSpacesAcross implements wiki.SpaceStore: every tenant, with its space.
func (s *WikiStore) FindSpacesAcross(ctx context.Context) ([]*wiki.SpaceSummary, error) {
	if tid, err := app.CRMReadScope(ctx); err != nil {
		return nil, err
	} else if tid != 0 {
		return nil, app.Errorf(app.EFORBIDDEN, "Only Nexus lists every space.")
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT t.id, CASE WHEN t.display_name <> '' THEN t.display_name ELSE t.name END, coalesce(w.id, 0), coalesce(w.shared_with_agency, 1),
		(SELECT count(*) FROM wiki_pages p WHERE p.space_id = w.id), (SELECT max(updated_at) FROM wiki_pages p WHERE p.space_id = w.id)
		FROM tenants t LEFT JOIN wiki_spaces w ON w.tenant_id = t.id ORDER BY t.id <> ?, lower(t.name)`, app.HouseTenantID)
	if err != nil {
		return nil, fmt.Errorf("find spaces: %w", err)
	}
	return scanAll(rows, func(r scanner) (*wiki.SpaceSummary, error) {
		var x wiki.SpaceSummary
		var upd NullTime
		if err := r.Scan(&x.TenantID, &x.TenantName, &x.SpaceID, &x.Shared, &x.Pages, &upd); err != nil {
			return nil, err
		}
		x.UpdatedAt = upd.T
		return &x, nil
	})
}

// FindSpaceAcross implements wiki.SpaceStore.
func (s *WikiStore) FindSpaceAcross(ctx context.Context, id int64) (*wiki.Space, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	if tid != 0 {
		return scanWikiSpace(s.db.read.QueryRowContext(ctx, `SELECT `+wikiSpaceCols+` FROM wiki_spaces WHERE id = ? AND tenant_id = ?`, id, tid))
	}
	return scanWikiSpace(s.db.read.QueryRowContext(ctx, `SELECT `+wikiSpaceCols+` FROM wiki_spaces WHERE id = ?`, id))
}

// checkWikiSpace returns ENOTFOUND unless space id is the tenant's.
func checkWikiSpace(ctx context.Context, q queryer, id, tid int64) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM wiki_spaces WHERE id = ? AND tenant_id = ?`, id, tid).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return app.Errorf(app.ENOTFOUND, "Space not found.")
	}
	return err
}
