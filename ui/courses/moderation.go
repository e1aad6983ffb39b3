package courses

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// Members edit and delete their own posts and comments and report
// comments; the staff hide, show or dismiss a comment's reports.

func (s *Handler) mountModeration(g fiber.Router, csrf fiber.Handler) {
	g.Post("/community/posts/:id/edit", csrf, s.requireMember, s.handlePostEdit)
	g.Post("/community/posts/:id/delete", csrf, s.requireMember, s.handlePostDelete)
	g.Post("/community/comments/:id/edit", csrf, s.requireMember, s.handleCommentEdit)
	g.Post("/community/comments/:id/delete", csrf, s.requireMember, s.handleCommentDelete)
	g.Post("/community/comments/:id/report", csrf, s.requireMember, s.handleCommentReport)
}

func (s *Handler) handlePostEdit(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Courses.EditPost(c.UserContext(), member(c), id, utils.CopyString(c.FormValue("title")), utils.CopyString(c.FormValue("body"))); err != nil {
		return s.postFail(c, &postPage{memberLayout: s.memberLayout(c, "Post")}, err)
	}
	s.SetFlash(c, "ok", "Post updated.")
	return c.Redirect(postURL(id), fiber.StatusSeeOther)
}

func (s *Handler) handlePostDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.Courses.DeletePost(c.UserContext(), member(c), id)
	if err != nil {
		return s.postFail(c, &postPage{memberLayout: s.memberLayout(c, "Post")}, err)
	}
	s.SetFlash(c, "ok", "Post deleted.")
	return c.Redirect("/learn/community/s/"+p.SpaceSlug, fiber.StatusSeeOther)
}

// commentDone redirects to the comment's post, or re-renders that post
// with the refusal (cm is the comment when it was found).
func (s *Handler) commentDone(c *fiber.Ctx, cm *courses.Comment, err error, msg string) error {
	if err != nil {
		if cm == nil || internal(err) || app.ErrorCode(err) == app.ENOTFOUND {
			return err
		}
		p := &postPage{memberLayout: s.memberLayout(c, "Post")}
		s.fail(c, &p.memberLayout, err)
		return s.renderPostID(c, p, cm.PostID)
	}
	s.SetFlash(c, "ok", msg)
	return c.Redirect(postURL(cm.PostID)+"#comments", fiber.StatusSeeOther)
}

func (s *Handler) handleCommentEdit(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	cm, err := s.Courses.EditComment(c.UserContext(), member(c), id, utils.CopyString(c.FormValue("body")))
	return s.commentDone(c, cm, err, "Comment updated.")
}

func (s *Handler) handleCommentDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	cm, err := s.Courses.DeleteComment(c.UserContext(), member(c), id)
	return s.commentDone(c, cm, err, "Comment deleted.")
}

func (s *Handler) handleCommentReport(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	cm, err := s.Courses.ReportComment(c.UserContext(), member(c), id, utils.CopyString(c.FormValue("reason")))
	return s.commentDone(c, cm, err, "Thank you: the team will review this comment.")
}

// handleCommentModerate hides or shows a comment, or dismisses its
// reports (staff).
func (s *Handler) handleCommentModerate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	action := utils.CopyString(c.FormValue("action"))
	cm, err := s.Courses.ModerateComment(c.UserContext(), id, action)
	if err != nil {
		return err
	}
	s.SetFlash(c, "ok", map[string]string{courses.ModHide: "Comment hidden: members no longer see it.", courses.ModUnhide: "Comment shown again.",
		courses.ModDismiss: "Reports dismissed; the comment stays."}[action])
	if back := web.SafeNext(c.FormValue("back")); back != "" && back != "/" {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/community/posts/%d", cm.PostID), fiber.StatusSeeOther)
}
