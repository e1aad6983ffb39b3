package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/courses"
)

// Community moderation (#24): members' edits and deletions of their own
// posts and comments, and reports of comments. CourseStore implements
// courses.ModerationStore; every method is tenant-scoped.

var _ courses.ModerationStore = (*CourseStore)(nil)

// EditPost implements courses.ModerationStore.
func (s *CourseStore) EditPost(ctx context.Context, postID, memberID int64, title, body string) error {
	return s.exec(ctx, "Post not found.", `UPDATE community_posts SET title = ?, body = ?, edited_at = ? WHERE id = ? AND member_id = ? AND tenant_id = ?`,
		title, body, FormatTime(s.db.Now()), postID, memberID)
}

// DeletePost implements courses.ModerationStore (comments, reactions,
// mentions and reports go with it by their foreign keys).
func (s *CourseStore) DeletePost(ctx context.Context, postID, memberID int64) error {
	return s.exec(ctx, "Post not found.", `DELETE FROM community_posts WHERE id = ? AND member_id = ? AND tenant_id = ?`, postID, memberID)
}

// FindComment implements courses.ModerationStore.
func (s *CourseStore) FindComment(ctx context.Context, id int64) (*courses.Comment, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var c courses.Comment
	var hid, edited NullTime
	err = s.db.read.QueryRowContext(ctx, `SELECT id, tenant_id, post_id, COALESCE(member_id, 0), author_name, body, hidden_at, created_at, edited_at
		FROM community_comments WHERE id = ? AND tenant_id = ?`, id, tid).Scan(&c.ID, &c.TenantID, &c.PostID, &c.MemberID, &c.AuthorName, &c.Body, &hid, Time{&c.CreatedAt}, &edited)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Comment not found.")
		}
		return nil, fmt.Errorf("find comment: %w", err)
	}
	c.HiddenAt, c.EditedAt = hid.T, edited.T
	return &c, nil
}

// EditComment implements courses.ModerationStore.
func (s *CourseStore) EditComment(ctx context.Context, commentID, memberID int64, body string) error {
	return s.exec(ctx, "Comment not found.", `UPDATE community_comments SET body = ?, edited_at = ? WHERE id = ? AND member_id = ? AND tenant_id = ?`,
		body, FormatTime(s.db.Now()), commentID, memberID)
}

// DeleteComment implements courses.ModerationStore: the comment and its
// count on the post in one transaction.
func (s *CourseStore) DeleteComment(ctx context.Context, commentID, memberID int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var postID int64
		err := tx.QueryRowContext(ctx, `DELETE FROM community_comments WHERE id = ? AND member_id = ? AND tenant_id = ? RETURNING post_id`, commentID, memberID, tid).Scan(&postID)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Comment not found.")
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE community_posts SET comments = max(comments - 1, 0) WHERE id = ? AND tenant_id = ?`, postID, tid)
		return err
	})
}

// CreateCommentReport implements courses.ModerationStore.
func (s *CourseStore) CreateCommentReport(ctx context.Context, commentID, memberID int64, reason string) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO community_comment_reports (tenant_id, comment_id, member_id, reason, created_at)
			SELECT c.tenant_id, c.id, m.id, ?, ? FROM community_comments c JOIN course_members m ON m.id = ? AND m.tenant_id = c.tenant_id WHERE c.id = ? AND c.tenant_id = ?
			ON CONFLICT (comment_id, member_id) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at, resolved_at = NULL WHERE resolved_at IS NOT NULL`,
			reason, FormatTime(tx.now), memberID, commentID, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ECONFLICT, "Already reported.")
		}
		return nil
	})
}

// SetCommentHidden implements courses.ModerationStore.
func (s *CourseStore) SetCommentHidden(ctx context.Context, id int64, hidden bool) error {
	var at any
	if hidden {
		at = FormatTime(s.db.Now())
	}
	return s.exec(ctx, "Comment not found.", `UPDATE community_comments SET hidden_at = ? WHERE id = ? AND tenant_id = ?`, at, id)
}

// ResolveCommentReports implements courses.ModerationStore.
func (s *CourseStore) ResolveCommentReports(ctx context.Context, commentID int64) error {
	return s.exec(ctx, "", `UPDATE community_comment_reports SET resolved_at = ? WHERE comment_id = ? AND resolved_at IS NULL AND tenant_id = ?`, FormatTime(s.db.Now()), commentID)
}

// findOpenCommentReports lists the tenant's open comment reports with
// their comments and posts.
func (s *CourseStore) findOpenCommentReports(ctx context.Context, tid int64) ([]*courses.Report, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT r.id, c.post_id, r.comment_id, r.member_id, COALESCE(NULLIF(m.name, ''), m.email), r.reason, r.created_at,
		c.id, c.tenant_id, c.post_id, COALESCE(c.member_id, 0), c.author_name, c.body, c.hidden_at, c.created_at
		FROM community_comment_reports r JOIN course_members m ON m.id = r.member_id JOIN community_comments c ON c.id = r.comment_id
		WHERE r.tenant_id = ? AND r.resolved_at IS NULL ORDER BY r.id LIMIT 500`, tid)
	if err != nil {
		return nil, fmt.Errorf("find comment reports: %w", err)
	}
	return scanAll(rows, func(sc scanner) (*courses.Report, error) {
		var r courses.Report
		var c courses.Comment
		var hid NullTime
		err := sc.Scan(&r.ID, &r.PostID, &r.CommentID, &r.MemberID, &r.MemberName, &r.Reason, Time{&r.CreatedAt},
			&c.ID, &c.TenantID, &c.PostID, &c.MemberID, &c.AuthorName, &c.Body, &hid, Time{&c.CreatedAt})
		c.HiddenAt = hid.T
		r.Comment = &c
		return &r, err
	})
}
