package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/wiki"
)

const wikiShareCols = `id, tenant_id, page_id, token, created_by, created_at, revoked_at`

func scanWikiShare(r scanner) (*wiki.Share, error) {
	var sh wiki.Share
	var rev NullTime
	if err := r.Scan(&sh.ID, &sh.TenantID, &sh.PageID, &sh.Token, &sh.CreatedBy, Time{&sh.CreatedAt}, &rev); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "This link does not exist or was revoked.")
		}
		return nil, err
	}
	sh.RevokedAt = rev.T
	return &sh, nil
}

// CreateShare implements wiki.ShareStore.
func (s *WikiStore) CreateShare(ctx context.Context, sh *wiki.Share) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM wiki_pages WHERE id = ? AND tenant_id = ?`, sh.PageID, tid).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Page not found.")
		} else if err != nil {
			return err
		}
		sh.TenantID, sh.CreatedAt = tid, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO wiki_shares (tenant_id, page_id, token, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			tid, sh.PageID, sh.Token, sh.CreatedBy, FormatTime(tx.now))
		if err != nil {
			return FormatError(err, "That link exists already.")
		}
		sh.ID, err = res.LastInsertId()
		return err
	})
}

// FindShares implements wiki.ShareStore: newest first.
func (s *WikiStore) FindShares(ctx context.Context, pageID int64) ([]*wiki.Share, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+wikiShareCols+` FROM wiki_shares WHERE page_id = ? AND tenant_id = ? ORDER BY id DESC`, pageID, tid)
	if err != nil {
		return nil, fmt.Errorf("find shares: %w", err)
	}
	return scanAll(rows, scanWikiShare)
}

// RevokeShare implements wiki.ShareStore.
func (s *WikiStore) RevokeShare(ctx context.Context, id int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE wiki_shares SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND tenant_id = ?`, FormatTime(tx.now), id, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Link not found.")
		}
		return nil
	})
}

// SharedPages implements wiki.ShareStore (one link per page: the newest).
func (s *WikiStore) SharedPages(ctx context.Context, spaceID int64) ([]wiki.SharedLink, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT p.id, p.slug, p.title, (SELECT s.token FROM wiki_shares s WHERE s.page_id = p.id AND s.revoked_at IS NULL ORDER BY s.id DESC LIMIT 1) AS token
		FROM wiki_pages p WHERE p.space_id = ? AND p.tenant_id = ? AND token IS NOT NULL ORDER BY lower(p.title)`, spaceID, tid)
	if err != nil {
		return nil, fmt.Errorf("shared pages: %w", err)
	}
	return scanAll(rows, func(r scanner) (wiki.SharedLink, error) {
		var l wiki.SharedLink
		return l, r.Scan(&l.PageID, &l.Slug, &l.Title, &l.Token)
	})
}

// FindShareByToken implements wiki.ShareStore (public: no tenant in ctx).
func (s *WikiStore) FindShareByToken(ctx context.Context, token string) (*wiki.Share, *wiki.Page, error) {
	sh, err := scanWikiShare(s.db.read.QueryRowContext(ctx, `SELECT `+wikiShareCols+` FROM wiki_shares WHERE token = ? AND revoked_at IS NULL`, token))
	if err != nil {
		return nil, nil, err
	}
	p, err := scanWikiPage(s.db.read.QueryRowContext(ctx, `SELECT `+wikiPageCols+`, body FROM wiki_pages WHERE id = ? AND tenant_id = ?`, sh.PageID, sh.TenantID), true)
	if err != nil {
		return nil, nil, err
	}
	return sh, p, nil
}
