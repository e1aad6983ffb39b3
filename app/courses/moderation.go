package courses

import (
	"context"
	"fmt"
	"strings"

	"orengen/app"
)

// Moderation completeness (issue #24): members edit and delete their own
// posts and comments (an edit shows an "edited" mark and passes the word
// filter again), report comments as well as posts, and the staff hide,
// show or dismiss the reports of a comment from the same queue.

// ModerationStore is what editing, deleting and comment reports need
// besides CommunityStore. Methods work in the tenant of ctx.
type ModerationStore interface {
	// EditPost writes the member's post's title and body and marks it
	// edited. ENOTFOUND unless the member wrote it.
	EditPost(ctx context.Context, postID, memberID int64, title, body string) error
	// DeletePost deletes the member's post with its comments, reactions
	// and reports. ENOTFOUND unless the member wrote it.
	DeletePost(ctx context.Context, postID, memberID int64) error
	FindComment(ctx context.Context, id int64) (*Comment, error)
	// EditComment writes the member's comment and marks it edited.
	EditComment(ctx context.Context, commentID, memberID int64, body string) error
	// DeleteComment deletes the member's comment (and uncounts it on
	// its post).
	DeleteComment(ctx context.Context, commentID, memberID int64) error
	// CreateCommentReport records a member's report of a comment
	// (ECONFLICT while their earlier one is open).
	CreateCommentReport(ctx context.Context, commentID, memberID int64, reason string) error
	SetCommentHidden(ctx context.Context, id int64, hidden bool) error
	ResolveCommentReports(ctx context.Context, commentID int64) error
}

func (s *Service) moderation() (ModerationStore, error) {
	if s.Community == nil {
		return nil, app.Errorf(app.EINTERNAL, "No moderation store.")
	}
	return s.Community, nil
}

// ownPost returns a post of the member's spaces that they wrote.
func (s *Service) ownPost(ctx context.Context, m *Member, postID int64) (*Post, error) {
	p, err := s.memberPost(ctx, m, postID)
	if err != nil {
		return nil, err
	}
	if p.MemberID != m.ID {
		return nil, app.Errorf(app.EFORBIDDEN, "You can only change your own posts.")
	}
	return p, nil
}

// EditPost changes the member's own post (the word filter applies; a
// banned member cannot). Returns EINVALID, ENOTFOUND, EFORBIDDEN or
// ErrBanned.
func (s *Service) EditPost(ctx context.Context, m *Member, postID int64, title, body string) (*Post, error) {
	ms, err := s.moderation()
	if err != nil {
		return nil, err
	}
	p, err := s.ownPost(ctx, m, postID)
	if err != nil {
		return nil, err
	}
	if m.CommunityBanned {
		return nil, ErrBanned
	}
	p.Title, p.Body = strings.TrimSpace(title), strings.TrimSpace(body)
	if err := checkPost(p); err != nil {
		return nil, err
	}
	if err := s.checkWords(ctx, map[string]string{"title": p.Title, "body": p.Body}); err != nil {
		return nil, err
	}
	if err := ms.EditPost(ctx, p.ID, m.ID, p.Title, p.Body); err != nil {
		return nil, err
	}
	return p, nil
}

// DeletePost deletes the member's own post with its comments. Returns
// ENOTFOUND or EFORBIDDEN.
func (s *Service) DeletePost(ctx context.Context, m *Member, postID int64) (*Post, error) {
	ms, err := s.moderation()
	if err != nil {
		return nil, err
	}
	p, err := s.ownPost(ctx, m, postID)
	if err != nil {
		return nil, err
	}
	return p, ms.DeletePost(ctx, p.ID, m.ID)
}

// memberComment returns a shown comment on a post the member may see.
func (s *Service) memberComment(ctx context.Context, ms ModerationStore, m *Member, id int64) (*Comment, error) {
	c, err := ms.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.HiddenAt != nil {
		return nil, app.Errorf(app.ENOTFOUND, "Comment not found.")
	}
	if _, err := s.memberPost(ctx, m, c.PostID); err != nil {
		return nil, app.Errorf(app.ENOTFOUND, "Comment not found.")
	}
	return c, nil
}

// EditComment changes the member's own comment. Returns EINVALID,
// ENOTFOUND, EFORBIDDEN or ErrBanned (with the comment, once found).
func (s *Service) EditComment(ctx context.Context, m *Member, id int64, body string) (*Comment, error) {
	ms, c, err := s.ownComment(ctx, m, id, "change")
	if err != nil {
		return c, err
	}
	if m.CommunityBanned {
		return c, ErrBanned
	}
	c.Body = strings.TrimSpace(body)
	if err := checkText("body", "Comment", c.Body, MaxCommentBody, true); err != nil {
		return c, err
	}
	if err := s.checkWords(ctx, map[string]string{"body": c.Body}); err != nil {
		return c, err
	}
	return c, ms.EditComment(ctx, c.ID, m.ID, c.Body)
}

// DeleteComment deletes the member's own comment. Returns ENOTFOUND or
// EFORBIDDEN.
func (s *Service) DeleteComment(ctx context.Context, m *Member, id int64) (*Comment, error) {
	ms, c, err := s.ownComment(ctx, m, id, "delete")
	if err != nil {
		return c, err
	}
	return c, ms.DeleteComment(ctx, c.ID, m.ID)
}

// ownComment is a comment the member may see and wrote (EFORBIDDEN,
// with the comment, when another member wrote it: "You can only verb
// your own comments").
func (s *Service) ownComment(ctx context.Context, m *Member, id int64, verb string) (ModerationStore, *Comment, error) {
	ms, err := s.moderation()
	if err != nil {
		return nil, nil, err
	}
	c, err := s.memberComment(ctx, ms, m, id)
	if err != nil {
		return nil, nil, err
	}
	if c.MemberID != m.ID {
		return nil, c, app.Errorf(app.EFORBIDDEN, "You can only %s your own comments.", verb)
	}
	return ms, c, nil
}

// ReportComment reports a comment to the staff. Returns EINVALID
// (reason), ENOTFOUND or ECONFLICT (already reported).
func (s *Service) ReportComment(ctx context.Context, m *Member, id int64, reason string) (*Comment, error) {
	ms, err := s.moderation()
	if err != nil {
		return nil, err
	}
	c, err := s.memberComment(ctx, ms, m, id)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", "Reason", reason, MaxReportReason, true); err != nil {
		return c, err
	}
	if err := s.limit(ctx, JoinLimit, fmt.Sprintf("community:report:%d", m.ID)); err != nil {
		return c, err
	}
	if err := ms.CreateCommentReport(ctx, c.ID, m.ID, reason); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return c, app.Errorf(app.ECONFLICT, "You have already reported this comment; the team will look at it.")
		}
		return c, err
	}
	return c, nil
}

// ModerateComment hides or shows a comment, or dismisses its reports
// (staff); hiding closes its reports. Returns EINVALID or ENOTFOUND.
func (s *Service) ModerateComment(ctx context.Context, id int64, action string) (*Comment, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	ms, err := s.moderation()
	if err != nil {
		return nil, err
	}
	c, err := ms.FindComment(ctx, id)
	if err != nil {
		return nil, err
	}
	switch action {
	case ModHide, ModUnhide:
		err = ms.SetCommentHidden(ctx, c.ID, action == ModHide)
		if err == nil && action == ModHide {
			err = ms.ResolveCommentReports(ctx, c.ID)
		}
	case ModDismiss:
		err = ms.ResolveCommentReports(ctx, c.ID)
	default:
		return nil, app.FieldErrorf("action", "Action must be one of hide, unhide, dismiss.")
	}
	if err != nil {
		return nil, err
	}
	return ms.FindComment(ctx, c.ID)
}

// checkWords refuses text with a banned word (a *FilterError naming the
// field and where).
func (s *Service) checkWords(ctx context.Context, fields map[string]string) error {
	st, err := s.Community.FindCommunitySettings(ctx)
	if err != nil {
		return err
	}
	for _, f := range []string{"title", "body"} {
		if v, ok := fields[f]; ok {
			if err := CheckWords(f, v, st.BannedWords); err != nil {
				return err
			}
		}
	}
	return nil
}
