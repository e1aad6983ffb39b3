package store

import (
	"context"
	"strconv"
	"strings"

	"orengen/app"
	"orengen/app/wiki"
)

// ImportPages implements wiki.ImportStore: every page and file of an import in
// one transaction, so a failed import leaves the space as it was.
func (s *WikiStore) ImportPages(ctx context.Context, spaceID int64, pages []wiki.ImportPage, files []wiki.ImportFile) ([]int64, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	actor := app.ActorFromContext(ctx)
	ids := make([]int64, len(pages))
	err = s.db.Update(ctx, func(tx *Tx) error {
		if err := checkWikiSpace(ctx, tx, spaceID, tid); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM wiki_pages WHERE space_id = ?`, spaceID).Scan(&n); err != nil {
			return err
		}
		if n+len(pages) > wiki.MaxPagesPerSpace {
			return app.FieldErrorf("file", "The import would make %d pages; a space holds at most %d.", n+len(pages), wiki.MaxPagesPerSpace)
		}
		created := make([]*wiki.Page, len(pages))
		for i, ip := range pages {
			p := &wiki.Page{TenantID: tid, SpaceID: spaceID, Title: ip.Title, Body: ip.Body, Slug: wiki.Slug(ip.Title), CreatedBy: actor, UpdatedBy: actor}
			if ip.Parent >= 0 && ip.Parent < i {
				p.ParentID = ids[ip.Parent]
			}
			if err := insertWikiPage(ctx, tx, p, ip.Links, ip.Chunks, "Imported"); err != nil {
				return err
			}
			ids[i], created[i] = p.ID, p
		}
		// Files, then their references in the bodies: placeholder ->
		// attachment:ID, in the page and its first revision.
		repl := make([]string, 0, 2*len(files))
		for _, f := range files {
			page := 0
			if f.Page >= 0 && f.Page < len(ids) {
				page = f.Page
			}
			a := &wiki.Attachment{TenantID: tid, SpaceID: spaceID, PageID: ids[page], Name: f.Name, ContentType: f.ContentType, Size: int64(len(f.Data)), SHA256: f.SHA256, Text: f.Text, CreatedBy: actor}
			if err := insertWikiAttachment(ctx, tx, a, f.Data, f.Chunks); err != nil {
				return err
			}
			repl = append(repl, f.Ref, "attachment:"+strconv.FormatInt(a.ID, 10))
		}
		if len(repl) == 0 {
			return nil
		}
		r := strings.NewReplacer(repl...)
		for _, p := range created {
			body := r.Replace(p.Body)
			if body == p.Body {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE wiki_pages SET body = ? WHERE id = ?`, body, p.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE wiki_revisions SET body = ? WHERE page_id = ? AND number = 1`, body, p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
