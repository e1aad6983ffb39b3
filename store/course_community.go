package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/courses"
)

// The community of the members' area (#24): spaces, posts, comments,
// reactions, mentions, reports and moderation settings. CourseStore
// implements courses.CommunityStore; every method is tenant-scoped.

var _ courses.CommunityStore = (*CourseStore)(nil)

// FindCommunitySettings implements courses.CommunityStore (defaults when
// never saved).
func (s *CourseStore) FindCommunitySettings(ctx context.Context) (*courses.CommunitySettings, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	st := &courses.CommunitySettings{FloodLimit: courses.DefaultFlood}
	var words string
	err = s.db.read.QueryRowContext(ctx, `SELECT banned_words, flood_limit FROM community_settings WHERE tenant_id = ?`, tid).Scan(&words, &st.FloodLimit)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	} else if err != nil {
		return nil, fmt.Errorf("community settings: %w", err)
	}
	if words != "" {
		st.BannedWords = strings.Split(words, "\n")
	}
	return st, nil
}

// SaveCommunitySettings implements courses.CommunityStore.
func (s *CourseStore) SaveCommunitySettings(ctx context.Context, st *courses.CommunitySettings) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO community_settings (tenant_id, banned_words, flood_limit, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET banned_words = excluded.banned_words, flood_limit = excluded.flood_limit, updated_at = excluded.updated_at`,
			tid, strings.Join(st.BannedWords, "\n"), st.FloodLimit, FormatTime(tx.now))
		return err
	})
}

const spaceCols = `id, tenant_id, slug, name, description, access, COALESCE(course_id, 0), tag, archived_at, created_at, updated_at`

func scanSpace(r scanner) (*courses.Space, error) {
	var sp courses.Space
	var arch NullTime
	if err := r.Scan(&sp.ID, &sp.TenantID, &sp.Slug, &sp.Name, &sp.Description, &sp.Access, &sp.CourseID, &sp.Tag, &arch, Time{&sp.CreatedAt}, Time{&sp.UpdatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Space not found.")
		}
		return nil, err
	}
	sp.ArchivedAt = arch.T
	return &sp, nil
}

// CreateSpace implements courses.CommunityStore.
func (s *CourseStore) CreateSpace(ctx context.Context, sp *courses.Space) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO community_spaces (tenant_id, slug, name, description, access, course_id, tag, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, (SELECT id FROM courses WHERE id = ? AND tenant_id = ?), ?, ?, ?)`,
			tid, sp.Slug, sp.Name, sp.Description, sp.Access, sp.CourseID, tid, sp.Tag, FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return FormatError(err, "Another space has this address.")
		}
		sp.ID, _ = res.LastInsertId()
		sp.TenantID, sp.CreatedAt, sp.UpdatedAt = tid, tx.now, tx.now
		return nil
	})
}

// UpdateSpace implements courses.CommunityStore (ArchivedAt set or nil
// archives or restores the space).
func (s *CourseStore) UpdateSpace(ctx context.Context, sp *courses.Space) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var arch any
		if sp.ArchivedAt != nil {
			arch = FormatTime(*sp.ArchivedAt)
		}
		res, err := tx.ExecContext(ctx, `UPDATE community_spaces SET slug = ?, name = ?, description = ?, access = ?,
			course_id = (SELECT id FROM courses WHERE id = ? AND tenant_id = ?), tag = ?, archived_at = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			sp.Slug, sp.Name, sp.Description, sp.Access, sp.CourseID, tid, sp.Tag, arch, FormatTime(tx.now), sp.ID, tid)
		if err != nil {
			return FormatError(err, "Another space has this address.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Space not found.")
		}
		sp.UpdatedAt = tx.now
		return nil
	})
}

// FindSpace implements courses.CommunityStore.
func (s *CourseStore) FindSpace(ctx context.Context, id int64) (*courses.Space, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanSpace(s.db.read.QueryRowContext(ctx, `SELECT `+spaceCols+` FROM community_spaces WHERE id = ? AND tenant_id = ?`, id, tid))
}

func (s *CourseStore) spaces(ctx context.Context, q string, args ...any) ([]*courses.Space, error) {
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find spaces: %w", err)
	}
	defer rows.Close()
	var out []*courses.Space
	for rows.Next() {
		sp, err := scanSpace(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// FindSpaces implements courses.CommunityStore.
func (s *CourseStore) FindSpaces(ctx context.Context) ([]*courses.Space, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return s.spaces(ctx, `SELECT `+spaceCols+` FROM community_spaces WHERE tenant_id = ? ORDER BY archived_at IS NOT NULL, lower(name) LIMIT 500`, tid)
}

// FindMemberSpaces implements courses.CommunityStore: every member's
// spaces, those of the member's courses, and those of their CRM person's
// tags.
func (s *CourseStore) FindMemberSpaces(ctx context.Context, memberID int64) ([]*courses.Space, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	now := FormatTime(s.db.Now())
	return s.spaces(ctx, `SELECT `+spaceCols+` FROM community_spaces sp WHERE sp.tenant_id = ? AND sp.archived_at IS NULL AND (
		sp.access = 'all'
		OR sp.access = 'course' AND EXISTS (SELECT 1 FROM course_enrolments e WHERE e.course_id = sp.course_id AND e.member_id = ? AND e.tenant_id = sp.tenant_id
			AND (e.expires_at IS NULL OR e.expires_at > ?))
		OR sp.access = 'tag' AND EXISTS (SELECT 1 FROM course_members m JOIN crm_people p ON p.id = m.person_id AND p.tenant_id = m.tenant_id, json_each(p.tags) t
			WHERE m.id = ? AND m.tenant_id = sp.tenant_id AND t.value = sp.tag)
		OR EXISTS (SELECT 1 FROM community_space_grants g WHERE g.space_id = sp.id AND g.member_id = ? AND g.tenant_id = sp.tenant_id AND (g.expires_at IS NULL OR g.expires_at > ?)))
		ORDER BY lower(sp.name) LIMIT 500`, tid, memberID, now, memberID, memberID, now)
}

const postCols = `id, tenant_id, space_id, COALESCE(member_id, 0), author_name, title, body, pinned, hidden_at, comments, created_at, edited_at`

func scanPost(r scanner) (*courses.Post, error) {
	var p courses.Post
	var hid, edited NullTime
	if err := r.Scan(&p.ID, &p.TenantID, &p.SpaceID, &p.MemberID, &p.AuthorName, &p.Title, &p.Body, &p.Pinned, &hid, &p.Comments, Time{&p.CreatedAt}, &edited); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Post not found.")
		}
		return nil, err
	}
	p.HiddenAt, p.EditedAt = hid.T, edited.T
	return &p, nil
}

func (s *CourseStore) posts(ctx context.Context, q string, args ...any) ([]*courses.Post, error) {
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find posts: %w", err)
	}
	defer rows.Close()
	var out []*courses.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func addMentions(ctx context.Context, tx *Tx, tid, postID, commentID int64, by string, ids []int64) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO community_mentions (tenant_id, member_id, post_id, comment_id, by_name, created_at)
			SELECT ?, id, ?, ?, ?, ? FROM course_members WHERE id = ? AND tenant_id = ?`, tid, postID, nullID(commentID), by, FormatTime(tx.now), id, tid); err != nil {
			return err
		}
	}
	return nil
}

// CreatePost implements courses.CommunityStore.
func (s *CourseStore) CreatePost(ctx context.Context, p *courses.Post, mentioned []int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var ok int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM community_spaces WHERE id = ? AND tenant_id = ?`, p.SpaceID, tid).Scan(&ok); err != nil || ok == 0 {
			return app.Errorf(app.ENOTFOUND, "Space not found.")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO community_posts (tenant_id, space_id, member_id, author_name, title, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tid, p.SpaceID, nullID(p.MemberID), p.AuthorName, p.Title, p.Body, FormatTime(tx.now))
		if err != nil {
			return err
		}
		p.ID, _ = res.LastInsertId()
		p.TenantID, p.CreatedAt = tid, tx.now
		return addMentions(ctx, tx, tid, p.ID, 0, p.AuthorName, mentioned)
	})
}

// FindPost implements courses.CommunityStore.
func (s *CourseStore) FindPost(ctx context.Context, id int64) (*courses.Post, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanPost(s.db.read.QueryRowContext(ctx, `SELECT `+postCols+` FROM community_posts WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindPosts implements courses.CommunityStore: one space reads the
// (space_id, id) index backwards from the cursor; several spaces read
// the (tenant_id, id) index and keep their spaces' posts.
func (s *CourseStore) FindPosts(ctx context.Context, spaceIDs []int64, before int64, limit int, withHidden bool) ([]*courses.Post, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if len(spaceIDs) == 0 {
		return nil, nil
	}
	if before <= 0 {
		before = 1 << 62
	}
	hidden := ""
	if !withHidden {
		hidden = " AND hidden_at IS NULL"
	}
	if len(spaceIDs) == 1 {
		return s.posts(ctx, `SELECT `+postCols+` FROM community_posts INDEXED BY community_posts_feed WHERE space_id = ? AND id < ? AND tenant_id = ?`+hidden+`
			ORDER BY id DESC LIMIT ?`, spaceIDs[0], before, tid, limit)
	}
	args := []any{tid, before}
	marks := make([]string, len(spaceIDs))
	for i, id := range spaceIDs {
		marks[i] = "?"
		args = append(args, id)
	}
	return s.posts(ctx, `SELECT `+postCols+` FROM community_posts INDEXED BY community_posts_tenant WHERE tenant_id = ? AND id < ? AND space_id IN (`+strings.Join(marks, ",")+`)`+hidden+`
		ORDER BY id DESC LIMIT ?`, append(args, limit)...)
}

// FindPinnedPosts implements courses.CommunityStore.
func (s *CourseStore) FindPinnedPosts(ctx context.Context, spaceID int64) ([]*courses.Post, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return s.posts(ctx, `SELECT `+postCols+` FROM community_posts INDEXED BY community_posts_pinned WHERE space_id = ? AND pinned = 1 AND tenant_id = ? ORDER BY id DESC LIMIT 20`, spaceID, tid)
}

// SetPostHidden implements courses.CommunityStore.
func (s *CourseStore) SetPostHidden(ctx context.Context, id int64, hidden bool) error {
	var at any
	if hidden {
		at = FormatTime(s.db.Now())
	}
	return s.exec(ctx, "Post not found.", `UPDATE community_posts SET hidden_at = ? WHERE id = ? AND tenant_id = ?`, at, id)
}

// SetPostPinned implements courses.CommunityStore.
func (s *CourseStore) SetPostPinned(ctx context.Context, id int64, pinned bool) error {
	return s.exec(ctx, "Post not found.", `UPDATE community_posts SET pinned = ? WHERE id = ? AND tenant_id = ?`, pinned, id)
}

// FillReactions implements courses.CommunityStore.
func (s *CourseStore) FillReactions(ctx context.Context, posts []*courses.Post, memberID int64) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	if len(posts) == 0 {
		return nil
	}
	byID := map[int64][]*courses.Post{}
	args := []any{memberID, tid}
	marks := make([]string, 0, len(posts))
	for _, p := range posts {
		p.Reactions, p.Mine = map[string]int{}, map[string]bool{}
		if byID[p.ID] == nil {
			marks = append(marks, "?")
			args = append(args, p.ID)
		}
		byID[p.ID] = append(byID[p.ID], p)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT post_id, kind, count(*), max(member_id = ?) FROM community_reactions WHERE tenant_id = ? AND post_id IN (`+strings.Join(marks, ",")+`)
		GROUP BY post_id, kind`, args...)
	if err != nil {
		return fmt.Errorf("reactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind string
		var n int
		var mine bool
		if err := rows.Scan(&id, &kind, &n, &mine); err != nil {
			return err
		}
		for _, p := range byID[id] {
			p.Reactions[kind] = n
			if mine {
				p.Mine[kind] = true
			}
		}
	}
	return rows.Err()
}

// ToggleReaction implements courses.CommunityStore.
func (s *CourseStore) ToggleReaction(ctx context.Context, postID, memberID int64, kind string) (bool, error) {
	set := false
	err := s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM community_reactions WHERE post_id = ? AND member_id = ? AND kind = ? AND tenant_id = ?`, postID, memberID, kind, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO community_reactions (tenant_id, post_id, member_id, kind, created_at)
			SELECT p.tenant_id, p.id, m.id, ?, ? FROM community_posts p JOIN course_members m ON m.id = ? AND m.tenant_id = p.tenant_id WHERE p.id = ? AND p.tenant_id = ?`,
			kind, FormatTime(tx.now), memberID, postID, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Post not found.")
		}
		set = true
		return nil
	})
	return set, err
}

// CreateComment implements courses.CommunityStore.
func (s *CourseStore) CreateComment(ctx context.Context, c *courses.Comment, mentioned []int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE community_posts SET comments = comments + 1 WHERE id = ? AND tenant_id = ?`, c.PostID, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Post not found.")
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO community_comments (tenant_id, post_id, member_id, author_name, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			tid, c.PostID, nullID(c.MemberID), c.AuthorName, c.Body, FormatTime(tx.now))
		if err != nil {
			return err
		}
		c.ID, _ = res.LastInsertId()
		c.TenantID, c.CreatedAt = tid, tx.now
		return addMentions(ctx, tx, tid, c.PostID, c.ID, c.AuthorName, mentioned)
	})
}

// FindComments implements courses.CommunityStore (oldest first).
func (s *CourseStore) FindComments(ctx context.Context, postID int64, withHidden bool) ([]*courses.Comment, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	hidden := ""
	if !withHidden {
		hidden = " AND hidden_at IS NULL"
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, post_id, COALESCE(member_id, 0), author_name, body, hidden_at, created_at, edited_at FROM community_comments
		WHERE post_id = ? AND tenant_id = ?`+hidden+` ORDER BY id LIMIT 1000`, postID, tid)
	if err != nil {
		return nil, fmt.Errorf("find comments: %w", err)
	}
	defer rows.Close()
	var out []*courses.Comment
	for rows.Next() {
		var c courses.Comment
		var hid, edited NullTime
		if err := rows.Scan(&c.ID, &c.TenantID, &c.PostID, &c.MemberID, &c.AuthorName, &c.Body, &hid, Time{&c.CreatedAt}, &edited); err != nil {
			return nil, err
		}
		c.HiddenAt, c.EditedAt = hid.T, edited.T
		out = append(out, &c)
	}
	return out, rows.Err()
}

// FindMentions implements courses.CommunityStore (shown posts only,
// newest first).
func (s *CourseStore) FindMentions(ctx context.Context, memberID int64, limit int) ([]*courses.Mention, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT mn.id, mn.member_id, mn.post_id, COALESCE(mn.comment_id, 0), mn.by_name, p.title, p.body, mn.created_at
		FROM community_mentions mn JOIN community_posts p ON p.id = mn.post_id AND p.tenant_id = mn.tenant_id
		WHERE mn.member_id = ? AND mn.tenant_id = ? AND p.hidden_at IS NULL ORDER BY mn.id DESC LIMIT ?`, memberID, tid, limit)
	if err != nil {
		return nil, fmt.Errorf("find mentions: %w", err)
	}
	defer rows.Close()
	var out []*courses.Mention
	for rows.Next() {
		var mn courses.Mention
		var body string
		if err := rows.Scan(&mn.ID, &mn.MemberID, &mn.PostID, &mn.CommentID, &mn.ByName, &mn.PostTitle, &body, Time{&mn.CreatedAt}); err != nil {
			return nil, err
		}
		if mn.PostTitle == "" {
			mn.PostTitle = excerpt(body, 60)
		}
		out = append(out, &mn)
	}
	return out, rows.Err()
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// CreateReport implements courses.CommunityStore.
func (s *CourseStore) CreateReport(ctx context.Context, r *courses.Report) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO community_reports (tenant_id, post_id, member_id, reason, created_at)
			SELECT p.tenant_id, p.id, m.id, ?, ? FROM community_posts p JOIN course_members m ON m.id = ? AND m.tenant_id = p.tenant_id WHERE p.id = ? AND p.tenant_id = ?
			ON CONFLICT (post_id, member_id) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at, resolved_at = NULL WHERE resolved_at IS NOT NULL`,
			r.Reason, FormatTime(tx.now), r.MemberID, r.PostID, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ECONFLICT, "Already reported.")
		}
		r.CreatedAt = tx.now
		return nil
	})
}

// FindOpenReports implements courses.CommunityStore.
func (s *CourseStore) FindOpenReports(ctx context.Context) ([]*courses.Report, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT r.id, r.post_id, r.member_id, m.name, m.email, r.reason, r.created_at,
		p.id, p.tenant_id, p.space_id, COALESCE(p.member_id, 0), p.author_name, p.title, p.body, p.pinned, p.hidden_at, p.comments, p.created_at
		FROM community_reports r JOIN course_members m ON m.id = r.member_id JOIN community_posts p ON p.id = r.post_id
		WHERE r.tenant_id = ? AND r.resolved_at IS NULL ORDER BY r.id LIMIT 500`, tid)
	if err != nil {
		return nil, fmt.Errorf("find reports: %w", err)
	}
	defer rows.Close()
	var out []*courses.Report
	for rows.Next() {
		var r courses.Report
		var p courses.Post
		var name, email string
		var hid NullTime
		if err := rows.Scan(&r.ID, &r.PostID, &r.MemberID, &name, &email, &r.Reason, Time{&r.CreatedAt},
			&p.ID, &p.TenantID, &p.SpaceID, &p.MemberID, &p.AuthorName, &p.Title, &p.Body, &p.Pinned, &hid, &p.Comments, Time{&p.CreatedAt}); err != nil {
			return nil, err
		}
		p.HiddenAt = hid.T
		r.MemberName, r.Post = name, &p
		if name == "" {
			r.MemberName = email
		}
		out = append(out, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cr, err := s.findOpenCommentReports(ctx, tid) // course_moderation.go
	return append(out, cr...), err
}

// ResolveReports implements courses.CommunityStore.
func (s *CourseStore) ResolveReports(ctx context.Context, postID int64) error {
	return s.exec(ctx, "", `UPDATE community_reports SET resolved_at = ? WHERE post_id = ? AND resolved_at IS NULL AND tenant_id = ?`, FormatTime(s.db.Now()), postID)
}

// SetMemberCommunity implements courses.CommunityStore.
func (s *CourseStore) SetMemberCommunity(ctx context.Context, memberID int64, banned, directoryHidden bool) error {
	return s.exec(ctx, "Member not found.", `UPDATE course_members SET community_banned = ?, directory_hidden = ? WHERE id = ? AND tenant_id = ?`, banned, directoryHidden, memberID)
}

var _ courses.DigestStore = (*CourseStore)(nil)

// FindDigestsDue implements courses.DigestStore (every tenant: the
// digest loop's read).
func (s *CourseStore) FindDigestsDue(ctx context.Context, now time.Time, limit int) ([]*courses.DigestDue, error) {
	day, week := FormatTime(now.Add(-courses.DigestPeriod(courses.DigestDaily))), FormatTime(now.Add(-courses.DigestPeriod(courses.DigestWeekly)))
	rows, err := s.db.read.QueryContext(ctx, `SELECT m.tenant_id, m.id, m.digest, COALESCE(m.digest_sent_at, m.created_at) FROM course_members m JOIN tenants t ON t.id = m.tenant_id
		WHERE m.status = 'active' AND (m.digest = 'daily' AND COALESCE(m.digest_sent_at, m.created_at) <= ? OR m.digest = 'weekly' AND COALESCE(m.digest_sent_at, m.created_at) <= ?)
		ORDER BY m.id LIMIT ?`, day, week, limit)
	if err != nil {
		return nil, fmt.Errorf("digests due: %w", err)
	}
	defer rows.Close()
	var out []*courses.DigestDue
	for rows.Next() {
		var d courses.DigestDue
		if err := rows.Scan(&d.TenantID, &d.MemberID, &d.Digest, Time{&d.Since}); err != nil {
			return nil, err
		}
		out = append(out, &d)
	}
	return out, rows.Err()
}

// ClaimDigest implements courses.DigestStore: a compare-and-set on the
// last digest, so two runs (or a run after a restart) never both send.
func (s *CourseStore) ClaimDigest(ctx context.Context, memberID int64, cutoff, now time.Time, token string) (bool, string, error) {
	var got string
	err := s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		err := tx.QueryRowContext(ctx, `UPDATE course_members SET digest_sent_at = ?, digest_token = CASE WHEN digest_token = '' THEN ? ELSE digest_token END
			WHERE id = ? AND tenant_id = ? AND digest <> 'off' AND COALESCE(digest_sent_at, created_at) <= ? RETURNING digest_token`,
			FormatTime(now), token, memberID, tid, FormatTime(cutoff)).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return got != "", got, err
}

// FindPostsSince implements courses.DigestStore.
func (s *CourseStore) FindPostsSince(ctx context.Context, spaceIDs []int64, since time.Time, exceptMember int64, limit int) ([]*courses.Post, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if len(spaceIDs) == 0 {
		return nil, nil
	}
	args := []any{tid, FormatTime(since), exceptMember}
	marks := make([]string, len(spaceIDs))
	for i, id := range spaceIDs {
		marks[i] = "?"
		args = append(args, id)
	}
	return s.posts(ctx, `SELECT `+postCols+` FROM community_posts WHERE tenant_id = ? AND created_at > ? AND COALESCE(member_id, 0) <> ? AND hidden_at IS NULL
		AND space_id IN (`+strings.Join(marks, ",")+`) ORDER BY id DESC LIMIT ?`, append(args, limit)...)
}

// FindRepliesSince implements courses.DigestStore.
func (s *CourseStore) FindRepliesSince(ctx context.Context, memberID int64, since time.Time, limit int) ([]*courses.Reply, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT p.id, p.title, c.author_name, c.body, c.created_at FROM community_posts p
		JOIN community_comments c ON c.post_id = p.id AND c.tenant_id = p.tenant_id
		WHERE p.member_id = ? AND p.tenant_id = ? AND p.hidden_at IS NULL AND c.hidden_at IS NULL AND c.created_at > ? AND COALESCE(c.member_id, 0) <> p.member_id
		ORDER BY c.id DESC LIMIT ?`, memberID, tid, FormatTime(since), limit)
	if err != nil {
		return nil, fmt.Errorf("replies: %w", err)
	}
	defer rows.Close()
	var out []*courses.Reply
	for rows.Next() {
		var r courses.Reply
		if err := rows.Scan(&r.PostID, &r.PostTitle, &r.AuthorName, &r.Body, Time{&r.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// SetMemberDigest implements courses.DigestStore.
func (s *CourseStore) SetMemberDigest(ctx context.Context, memberID int64, freq string) error {
	return s.exec(ctx, "Member not found.", `UPDATE course_members SET digest = ? WHERE id = ? AND tenant_id = ?`, freq, memberID)
}

// UnsubscribeDigest implements courses.DigestStore.
func (s *CourseStore) UnsubscribeDigest(ctx context.Context, token string) (*courses.Member, error) {
	var m *courses.Member
	err := s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var id int64
		err := tx.QueryRowContext(ctx, `UPDATE course_members SET digest = 'off' WHERE digest_token = ? AND digest_token <> '' AND tenant_id = ? RETURNING id`, token, tid).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Unknown link.")
		} else if err != nil {
			return err
		}
		m, err = scanMember(tx.QueryRowContext(ctx, `SELECT `+memberCols+` FROM course_members WHERE id = ? AND tenant_id = ?`, id, tid))
		return err
	})
	return m, err
}

// SetEnrolmentExpiry implements courses.AccessStore.
func (s *CourseStore) SetEnrolmentExpiry(ctx context.Context, courseID, memberID int64, expires *time.Time) error {
	return s.exec(ctx, "Enrolment not found.", `UPDATE course_enrolments SET expires_at = ? WHERE course_id = ? AND member_id = ? AND tenant_id = ?`, nullTime(expires), courseID, memberID)
}

// GrantSpace implements courses.AccessStore (a new grant replaces the
// member's earlier one).
func (s *CourseStore) GrantSpace(ctx context.Context, spaceID, memberID int64, source string, expires *time.Time) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO community_space_grants (tenant_id, space_id, member_id, source, expires_at, created_at)
			SELECT sp.tenant_id, sp.id, m.id, ?, ?, ? FROM community_spaces sp JOIN course_members m ON m.tenant_id = sp.tenant_id WHERE sp.id = ? AND m.id = ? AND sp.tenant_id = ?
			ON CONFLICT (space_id, member_id) DO UPDATE SET source = excluded.source, expires_at = excluded.expires_at`,
			source, nullTime(expires), FormatTime(tx.now), spaceID, memberID, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Space or member not found.")
		}
		return nil
	})
}

// RevokeSpace implements courses.AccessStore.
func (s *CourseStore) RevokeSpace(ctx context.Context, spaceID, memberID int64) error {
	return s.exec(ctx, "", `DELETE FROM community_space_grants WHERE space_id = ? AND member_id = ? AND tenant_id = ?`, spaceID, memberID)
}

// FindSpaceBySlug implements courses.AccessStore.
func (s *CourseStore) FindSpaceBySlug(ctx context.Context, slug string) (*courses.Space, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanSpace(s.db.read.QueryRowContext(ctx, `SELECT `+spaceCols+` FROM community_spaces WHERE slug = ? AND tenant_id = ?`, slug, tid))
}
