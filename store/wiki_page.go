package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"orengen/app"
	"orengen/app/wiki"
)

const (
	wikiPageCols  = `id, tenant_id, space_id, coalesce(parent_id, 0), position, title, slug, revision, created_by, updated_by, created_at, updated_at`
	wikiPageColsP = `p.id, p.tenant_id, p.space_id, coalesce(p.parent_id, 0), p.position, p.title, p.slug, p.revision, p.created_by, p.updated_by, p.created_at, p.updated_at`
)

func scanWikiPage(r scanner, withBody bool) (*wiki.Page, error) {
	var p wiki.Page
	dst := []any{&p.ID, &p.TenantID, &p.SpaceID, &p.ParentID, &p.Position, &p.Title, &p.Slug, &p.Revision, &p.CreatedBy, &p.UpdatedBy, Time{&p.CreatedAt}, Time{&p.UpdatedAt}}
	if withBody {
		dst = append(dst, &p.Body)
	}
	if err := r.Scan(dst...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Page not found.")
		}
		return nil, err
	}
	return &p, nil
}

// FindPages implements wiki.PageStore.
func (s *WikiStore) FindPages(ctx context.Context, spaceID int64) ([]*wiki.Page, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkWikiSpace(ctx, s.db.read, spaceID, tid); err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+wikiPageCols+` FROM wiki_pages WHERE space_id = ? AND tenant_id = ? ORDER BY coalesce(parent_id, 0), position, id`, spaceID, tid)
	if err != nil {
		return nil, fmt.Errorf("find pages: %w", err)
	}
	return scanAll(rows, func(r scanner) (*wiki.Page, error) { return scanWikiPage(r, false) })
}

// FindPage implements wiki.PageStore.
func (s *WikiStore) FindPage(ctx context.Context, id int64) (*wiki.Page, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanWikiPage(s.db.read.QueryRowContext(ctx, `SELECT `+wikiPageCols+`, body FROM wiki_pages WHERE id = ? AND tenant_id = ?`, id, tid), true)
}

// FindPageBySlug implements wiki.PageStore.
func (s *WikiStore) FindPageBySlug(ctx context.Context, spaceID int64, slug string) (*wiki.Page, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanWikiPage(s.db.read.QueryRowContext(ctx, `SELECT `+wikiPageCols+`, body FROM wiki_pages WHERE space_id = ? AND slug = ? AND tenant_id = ?`, spaceID, slug, tid), true)
}

// ExistingSlugs implements wiki.PageStore.
func (s *WikiStore) ExistingSlugs(ctx context.Context, spaceID int64, slugs []string) (map[string]bool, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for len(slugs) > 0 {
		n := min(len(slugs), 200)
		args := []any{spaceID, tid}
		for _, sl := range slugs[:n] {
			args = append(args, sl)
		}
		rows, err := s.db.read.QueryContext(ctx, `SELECT slug FROM wiki_pages WHERE space_id = ? AND tenant_id = ? AND slug IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		found, err := scanAll(rows, func(r scanner) (string, error) { var s string; return s, r.Scan(&s) })
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			out[f] = true
		}
		slugs = slugs[n:]
	}
	return out, nil
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// uniqueWikiSlug returns slug, or slug-2, slug-3 ... free in the space
// (except for page self).
func uniqueWikiSlug(ctx context.Context, tx *Tx, spaceID int64, slug string, self int64) (string, error) {
	cand := slug
	for i := 2; ; i++ {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM wiki_pages WHERE space_id = ? AND slug = ?`, spaceID, cand).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) || err == nil && id == self {
			return cand, nil
		}
		if err != nil {
			return "", err
		}
		cand = slug + "-" + strconv.Itoa(i)
	}
}

// CreatePage implements wiki.PageStore.
func (s *WikiStore) CreatePage(ctx context.Context, p *wiki.Page, links []string, chunks []wiki.Chunk) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if err := checkWikiSpace(ctx, tx, p.SpaceID, tid); err != nil {
			return err
		}
		p.TenantID = tid
		return insertWikiPage(ctx, tx, p, links, chunks, "")
	})
}

// insertWikiPage writes a new page as revision 1 at the end of its parent's
// children.
func insertWikiPage(ctx context.Context, tx *Tx, p *wiki.Page, links []string, chunks []wiki.Chunk, note string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM wiki_pages WHERE space_id = ?`, p.SpaceID).Scan(&n); err != nil {
		return err
	}
	if n >= wiki.MaxPagesPerSpace {
		return app.Errorf(app.EINVALID, "A space holds at most %d pages.", wiki.MaxPagesPerSpace)
	}
	if p.ParentID != 0 {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM wiki_pages WHERE id = ? AND space_id = ?`, p.ParentID, p.SpaceID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return app.FieldErrorf("parent_id", "Unknown parent page.")
		} else if err != nil {
			return err
		}
	}
	var err error
	if p.Slug, err = uniqueWikiSlug(ctx, tx, p.SpaceID, p.Slug, 0); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), -1) + 1 FROM wiki_pages WHERE space_id = ? AND coalesce(parent_id, 0) = ?`, p.SpaceID, p.ParentID).Scan(&p.Position); err != nil {
		return err
	}
	p.Revision = 1
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO wiki_pages (tenant_id, space_id, parent_id, position, title, slug, body, revision, created_by, updated_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`, p.TenantID, p.SpaceID, nullID(p.ParentID), p.Position, p.Title, p.Slug, p.Body, p.CreatedBy, p.UpdatedBy, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return fmt.Errorf("insert page: %w", err)
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := insertWikiRevision(ctx, tx, p, note); err != nil {
		return err
	}
	return indexWikiPage(ctx, tx, p, links, chunks)
}

func insertWikiRevision(ctx context.Context, tx *Tx, p *wiki.Page, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO wiki_revisions (tenant_id, page_id, number, title, body, author, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.TenantID, p.ID, p.Revision, p.Title, p.Body, p.UpdatedBy, note, FormatTime(tx.now))
	if err != nil {
		return fmt.Errorf("insert revision: %w", err)
	}
	return nil
}

// indexWikiPage replaces the page's links and its own search chunks (not its
// attachments').
func indexWikiPage(ctx context.Context, tx *Tx, p *wiki.Page, links []string, chunks []wiki.Chunk) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM wiki_links WHERE page_id = ?`, p.ID); err != nil {
		return err
	}
	for _, l := range links {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO wiki_links (page_id, space_id, target_slug) VALUES (?, ?, ?)`, p.ID, p.SpaceID, l); err != nil {
			return fmt.Errorf("insert link: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM wiki_chunks WHERE page_id = ? AND attachment_id IS NULL`, p.ID); err != nil {
		return fmt.Errorf("delete chunks: %w", err)
	}
	if len(chunks) == 0 { // a page with no text is still found by its title
		chunks = []wiki.Chunk{{}}
	}
	for _, c := range chunks {
		title := p.Title
		if c.Heading != "" {
			title += " › " + c.Heading
		}
		if err := insertWikiChunk(ctx, tx, p.TenantID, p.SpaceID, p.ID, 0, p.Revision, c, title); err != nil {
			return err
		}
	}
	return nil
}

// insertWikiChunk adds a chunk with the next id of its space's range
// (wikiChunkRange): one past the space's highest, so the newest chunk
// has the highest id, as a search's "newest" expects. Past the end of
// the range, the table's CHECK refuses the insert.
func insertWikiChunk(ctx context.Context, tx *Tx, tid, spaceID, pageID, attachmentID int64, revision int, c wiki.Chunk, title string) error {
	lo, hi := wikiChunkRange(spaceID)
	_, err := tx.ExecContext(ctx, `INSERT INTO wiki_chunks (id, tenant_id, space_id, page_id, attachment_id, revision, seq, heading, scope, title, body)
		VALUES (coalesce((SELECT id FROM wiki_chunks WHERE id BETWEEN ? AND ? ORDER BY id DESC LIMIT 1), ?) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		lo, hi, lo, tid, spaceID, pageID, nullID(attachmentID), revision, c.Seq, c.Heading, wiki.ScopeToken(spaceID), title, c.Text)
	if err != nil {
		return fmt.Errorf("insert chunk: %w", err)
	}
	return nil
}

// UpdatePage implements wiki.PageStore.
func (s *WikiStore) UpdatePage(ctx context.Context, id int64, upd wiki.PageUpdate, slug string, links []string, chunks []wiki.Chunk) (*wiki.Page, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var p *wiki.Page
	err = s.db.Update(ctx, func(tx *Tx) error {
		if p, err = scanWikiPage(tx.QueryRowContext(ctx, `SELECT `+wikiPageCols+`, body FROM wiki_pages WHERE id = ? AND tenant_id = ?`, id, tid), true); err != nil {
			return err
		}
		if p.Revision != upd.BaseRevision {
			return app.Errorf(app.ECONFLICT, "The page changed since revision %d.", upd.BaseRevision)
		}
		if slug != p.Slug {
			if p.Slug, err = uniqueWikiSlug(ctx, tx, p.SpaceID, slug, p.ID); err != nil {
				return err
			}
		}
		p.Title, p.Body, p.Revision = upd.Title, upd.Body, p.Revision+1
		p.UpdatedBy, p.UpdatedAt = app.ActorFromContext(ctx), tx.now
		// The WHERE on revision makes the check and the write one step.
		res, err := tx.ExecContext(ctx, `UPDATE wiki_pages SET title = ?, slug = ?, body = ?, revision = ?, updated_by = ?, updated_at = ? WHERE id = ? AND revision = ?`,
			p.Title, p.Slug, p.Body, p.Revision, p.UpdatedBy, FormatTime(tx.now), p.ID, upd.BaseRevision)
		if err != nil {
			return fmt.Errorf("update page: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return app.Errorf(app.ECONFLICT, "The page changed since revision %d.", upd.BaseRevision)
		}
		if err := insertWikiRevision(ctx, tx, p, upd.Note); err != nil {
			return err
		}
		return indexWikiPage(ctx, tx, p, links, chunks)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// MovePage implements wiki.PageStore.
func (s *WikiStore) MovePage(ctx context.Context, id, parentID int64, position int) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		p, err := scanWikiPage(tx.QueryRowContext(ctx, `SELECT `+wikiPageCols+` FROM wiki_pages WHERE id = ? AND tenant_id = ?`, id, tid), false)
		if err != nil {
			return err
		}
		if parentID != 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM wiki_pages WHERE id = ? AND space_id = ? AND tenant_id = ?`, parentID, p.SpaceID, tid).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return app.FieldErrorf("parent_id", "Unknown parent page.")
			} else if err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM wiki_pages WHERE space_id = ? AND coalesce(parent_id, 0) = ? AND id <> ? ORDER BY position, id`, p.SpaceID, parentID, id)
		if err != nil {
			return err
		}
		sibs, err := scanAll(rows, func(r scanner) (int64, error) { var id int64; return id, r.Scan(&id) })
		if err != nil {
			return err
		}
		position = min(max(position, 0), len(sibs))
		order := append(append(append([]int64{}, sibs[:position]...), id), sibs[position:]...)
		for i, pid := range order {
			if _, err := tx.ExecContext(ctx, `UPDATE wiki_pages SET position = ? WHERE id = ?`, i, pid); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE wiki_pages SET parent_id = ? WHERE id = ?`, nullID(parentID), id)
		return err
	})
}

// DeletePage implements wiki.PageStore.
func (s *WikiStore) DeletePage(ctx context.Context, id int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		p, err := scanWikiPage(tx.QueryRowContext(ctx, `SELECT `+wikiPageCols+` FROM wiki_pages WHERE id = ? AND tenant_id = ?`, id, tid), false)
		if err != nil {
			return err
		}
		// Children take the page's place, after its later siblings move
		// down to make room.
		var kids int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM wiki_pages WHERE parent_id = ?`, id).Scan(&kids); err != nil {
			return err
		}
		if kids > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE wiki_pages SET position = position + ? WHERE space_id = ? AND coalesce(parent_id, 0) = ? AND position > ?`,
				kids, p.SpaceID, p.ParentID, p.Position); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE wiki_pages SET parent_id = ?, position = ? + position WHERE parent_id = ?`, nullID(p.ParentID), p.Position, id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM wiki_pages WHERE id = ?`, id)
		return err
	})
}

const wikiRevisionCols = `id, page_id, number, title, author, note, length(body), created_at`

func scanWikiRevision(r scanner, withBody bool) (*wiki.Revision, error) {
	var v wiki.Revision
	dst := []any{&v.ID, &v.PageID, &v.Number, &v.Title, &v.Author, &v.Note, &v.Size, Time{&v.CreatedAt}}
	if withBody {
		dst = append(dst, &v.Body)
	}
	if err := r.Scan(dst...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Revision not found.")
		}
		return nil, err
	}
	return &v, nil
}

// FindRevisions implements wiki.RevisionStore: newest first.
func (s *WikiStore) FindRevisions(ctx context.Context, pageID int64) ([]*wiki.Revision, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.FindPage(ctx, pageID); err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+wikiRevisionCols+` FROM wiki_revisions WHERE page_id = ? AND tenant_id = ? ORDER BY number DESC`, pageID, tid)
	if err != nil {
		return nil, fmt.Errorf("find revisions: %w", err)
	}
	return scanAll(rows, func(r scanner) (*wiki.Revision, error) { return scanWikiRevision(r, false) })
}

// FindRevision implements wiki.RevisionStore.
func (s *WikiStore) FindRevision(ctx context.Context, pageID int64, number int) (*wiki.Revision, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanWikiRevision(s.db.read.QueryRowContext(ctx, `SELECT `+wikiRevisionCols+`, body FROM wiki_revisions WHERE page_id = ? AND number = ? AND tenant_id = ?`, pageID, number, tid), true)
}

// FindBacklinks implements wiki.PageStore.
func (s *WikiStore) FindBacklinks(ctx context.Context, spaceID int64, slug string) ([]*wiki.Page, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+wikiPageColsP+` FROM wiki_links l JOIN wiki_pages p ON p.id = l.page_id
		WHERE l.space_id = ? AND l.target_slug = ? AND p.tenant_id = ? ORDER BY lower(p.title)`, spaceID, slug, tid)
	if err != nil {
		return nil, fmt.Errorf("find backlinks: %w", err)
	}
	return scanAll(rows, func(r scanner) (*wiki.Page, error) { return scanWikiPage(r, false) })
}
