package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/wiki"
)

const wikiAttachmentCols = `id, tenant_id, space_id, page_id, name, content_type, size, sha256, created_by, created_at`

func scanWikiAttachment(r scanner) (*wiki.Attachment, error) {
	var a wiki.Attachment
	if err := r.Scan(&a.ID, &a.TenantID, &a.SpaceID, &a.PageID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.CreatedBy, Time{&a.CreatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "File not found.")
		}
		return nil, err
	}
	return &a, nil
}

// CreateAttachment implements wiki.AttachmentStore.
func (s *WikiStore) CreateAttachment(ctx context.Context, a *wiki.Attachment, data []byte, chunks []wiki.Chunk) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var spaceID int64
		if err := tx.QueryRowContext(ctx, `SELECT space_id FROM wiki_pages WHERE id = ? AND tenant_id = ?`, a.PageID, tid).Scan(&spaceID); errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Page not found.")
		} else if err != nil {
			return err
		}
		a.TenantID, a.SpaceID = tid, spaceID
		return insertWikiAttachment(ctx, tx, a, data, chunks)
	})
}

func insertWikiAttachment(ctx context.Context, tx *Tx, a *wiki.Attachment, data []byte, chunks []wiki.Chunk) error {
	a.CreatedAt = tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO wiki_attachments (tenant_id, space_id, page_id, name, content_type, size, sha256, text_bytes, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.TenantID, a.SpaceID, a.PageID, a.Name, a.ContentType, a.Size, a.SHA256, len(a.Text), a.CreatedBy, FormatTime(tx.now))
	if err != nil {
		return fmt.Errorf("insert attachment: %w", err)
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO wiki_attachment_data (attachment_id, data) VALUES (?, ?)`, a.ID, data); err != nil {
		return FormatError(fmt.Errorf("insert attachment data: %w", err), "")
	}
	for _, c := range chunks {
		if err := insertWikiChunk(ctx, tx, a.TenantID, a.SpaceID, a.PageID, a.ID, 0, c, a.Name); err != nil {
			return err
		}
	}
	return nil
}

// FindAttachments implements wiki.AttachmentStore.
func (s *WikiStore) FindAttachments(ctx context.Context, pageID int64) ([]*wiki.Attachment, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+wikiAttachmentCols+` FROM wiki_attachments WHERE page_id = ? AND tenant_id = ? ORDER BY id`, pageID, tid)
	if err != nil {
		return nil, fmt.Errorf("find attachments: %w", err)
	}
	return scanAll(rows, scanWikiAttachment)
}

// FindSpaceAttachments implements wiki.AttachmentStore.
func (s *WikiStore) FindSpaceAttachments(ctx context.Context, spaceID int64) ([]*wiki.Attachment, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+wikiAttachmentCols+` FROM wiki_attachments WHERE space_id = ? AND tenant_id = ? ORDER BY id`, spaceID, tid)
	if err != nil {
		return nil, fmt.Errorf("find attachments: %w", err)
	}
	return scanAll(rows, scanWikiAttachment)
}

// FindAttachment implements wiki.AttachmentStore.
func (s *WikiStore) FindAttachment(ctx context.Context, id int64) (*wiki.Attachment, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanWikiAttachment(s.db.read.QueryRowContext(ctx, `SELECT `+wikiAttachmentCols+` FROM wiki_attachments WHERE id = ? AND tenant_id = ?`, id, tid))
}

// AttachmentData implements wiki.AttachmentStore.
func (s *WikiStore) AttachmentData(ctx context.Context, id int64) ([]byte, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var data []byte
	err = s.db.read.QueryRowContext(ctx, `SELECT d.data FROM wiki_attachment_data d JOIN wiki_attachments a ON a.id = d.attachment_id WHERE a.id = ? AND a.tenant_id = ?`, id, tid).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "File not found.")
	}
	return data, err
}

// DeleteAttachment implements wiki.AttachmentStore.
func (s *WikiStore) DeleteAttachment(ctx context.Context, id int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM wiki_attachments WHERE id = ? AND tenant_id = ?`, id, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "File not found.")
		}
		return nil
	})
}
