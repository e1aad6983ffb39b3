package courses

import (
	"crypto/sha256"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// The community in the members' area (/learn/community...): spaces the
// member may see, their feeds (newest first, by keyset), posts with
// comments, reactions and reports, mentions, and the member directory.

func (s *Handler) mountCommunity(g fiber.Router, csrf fiber.Handler) {
	if s.Courses.Community == nil {
		return
	}
	g.Get("/community", s.requireMember, s.handleCommunity)
	g.Get("/community/members", s.requireMember, s.handleDirectory)
	g.Get("/community/s/:slug", s.requireMember, s.handleSpace)
	g.Post("/community/s/:slug", csrf, s.requireMember, s.handleNewPost)
	g.Get("/community/posts/:id", s.requireMember, s.handlePost)
	g.Post("/community/posts/:id/comments", csrf, s.requireMember, s.handleComment)
	g.Post("/community/posts/:id/react", csrf, s.requireMember, s.handleReact)
	g.Post("/community/posts/:id/report", csrf, s.requireMember, s.handleReport)
	s.mountModeration(g, csrf)   // moderation.go
	s.mountEvents(g, csrf)       // events.go
	if s.Courses.Tenant != nil { // the digest is sent
		g.Get("/unsubscribe", s.needTenant, s.handleUnsubscribeView)
		g.Post("/unsubscribe", csrf, s.needTenant, s.handleUnsubscribe)
	}
}

type unsubscribePage struct {
	memberLayout
	Token string
	Done  bool
}

// handleUnsubscribeView asks to confirm (mail scanners open links).
func (s *Handler) handleUnsubscribeView(c *fiber.Ctx) error {
	return s.Render(c, "hosted/community_unsubscribe", &unsubscribePage{memberLayout: s.memberLayout(c, "Unsubscribe"), Token: utils.CopyString(c.Query("token"))})
}

func (s *Handler) handleUnsubscribe(c *fiber.Ctx) error {
	p := &unsubscribePage{memberLayout: s.memberLayout(c, "Unsubscribe")}
	if _, err := s.Courses.Unsubscribe(c.UserContext(), utils.CopyString(c.FormValue("token"))); err != nil {
		if internal(err) {
			return err
		}
		s.fail(c, &p.memberLayout, err)
		return s.Render(c, "hosted/community_unsubscribe", p)
	}
	p.Done = true
	return s.Render(c, "hosted/community_unsubscribe", p)
}

// postsView renders posts' markdown and lists the reactions.
type postsView struct{}

// HTML renders a post or comment's markdown safely (goldmark without raw
// HTML, then bluemonday), from a bounded cache: a feed shows the same
// posts to every member (the figures showed rendering on every view as a
// tenth of a feed page's time).
func (postsView) HTML(src string) template.HTML {
	key := sha256.Sum256([]byte(src))
	if h, ok := rendered.Load(key); ok {
		return h.(template.HTML)
	}
	h := Markdown(src)
	if renderedN.Add(1) > maxRendered {
		rendered.Clear()
		renderedN.Store(0)
	}
	rendered.Store(key, h)
	return h
}

// rendered caches rendered posts by the SHA-256 of their markdown (at most
// maxRendered, then it starts again).
var (
	rendered  sync.Map
	renderedN atomic.Int64
)

const maxRendered = 5000

// Excerpt is the start of a text, for lists.
func (postsView) Excerpt(src string) string {
	src = strings.Join(strings.Fields(src), " ")
	if r := []rune(src); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return src
}

// Reactions is the fixed set of reactions.
func (postsView) Reactions() []courses.Reaction { return courses.Reactions }

type communityPage struct {
	memberLayout
	postsView
	Spaces   []*courses.Space
	Feed     *courses.Feed
	Mentions []*courses.Mention
	Events   []*courses.CommunityEvent
}

func before(c *fiber.Ctx) (int64, error) {
	v := c.Query("before")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, app.FieldErrorf("before", "The page cursor must be a post number.")
	}
	return n, nil
}

func (s *Handler) handleCommunity(c *fiber.Ctx) error {
	ctx, m := c.UserContext(), member(c)
	b, err := before(c)
	if err != nil {
		return err
	}
	p := &communityPage{memberLayout: s.memberLayout(c, "Community")}
	if p.Spaces, err = s.Courses.MemberSpaces(ctx, m); err != nil {
		return err
	}
	if _, p.Feed, err = s.Courses.MemberFeed(ctx, m, "", b); err != nil {
		return err
	}
	if p.Mentions, err = s.Courses.MyMentions(ctx, m); err != nil {
		return err
	}
	if s.Courses.EventsOn() {
		if p.Events, err = s.Courses.MemberEvents(ctx, m, nil); err != nil {
			return err
		}
	}
	return s.Render(c, "hosted/community_home", p)
}

type spacePage struct {
	memberLayout
	postsView
	Space  *courses.Space
	Feed   *courses.Feed
	Events []*courses.CommunityEvent
	Title  string
	Body   string
}

func (s *Handler) renderSpace(c *fiber.Ctx, p *spacePage) error {
	b, err := before(c)
	if err != nil {
		return err
	}
	sp, f, err := s.Courses.MemberFeed(c.UserContext(), member(c), utils.CopyString(c.Params("slug")), b)
	if err != nil {
		return err
	}
	p.Space, p.Feed = sp, f
	if s.Courses.EventsOn() {
		if p.Events, err = s.Courses.MemberEvents(c.UserContext(), member(c), sp); err != nil {
			return err
		}
	}
	p.memberLayout.Layout = s.layout(c, sp.Name)
	return s.Render(c, "hosted/community_space", p)
}

func (s *Handler) handleSpace(c *fiber.Ctx) error {
	return s.renderSpace(c, &spacePage{memberLayout: s.memberLayout(c, "Community")})
}

// handleNewPost posts in a space; a refusal (banned, banned word, flood,
// empty) re-renders the space with the message and the text kept.
func (s *Handler) handleNewPost(c *fiber.Ctx) error {
	p := &spacePage{memberLayout: s.memberLayout(c, "Community"), Title: utils.CopyString(c.FormValue("title")), Body: utils.CopyString(c.FormValue("body"))}
	post, err := s.Courses.CreatePost(c.UserContext(), member(c), utils.CopyString(c.Params("slug")), p.Title, p.Body)
	if err != nil {
		if internal(err) || app.ErrorCode(err) == app.ENOTFOUND {
			return err
		}
		s.fail(c, &p.memberLayout, err)
		return s.renderSpace(c, p)
	}
	s.SetFlash(c, "ok", "Posted.")
	return c.Redirect("/learn/community/s/"+post.SpaceSlug+"#post-"+strconv.FormatInt(post.ID, 10), fiber.StatusSeeOther)
}

type postPage struct {
	memberLayout
	postsView
	Post     *courses.Post
	Comments []*courses.Comment
	Comment  string
	Reported bool
}

func (s *Handler) renderPost(c *fiber.Ctx, p *postPage) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return s.renderPostID(c, p, id)
}

func (s *Handler) renderPostID(c *fiber.Ctx, p *postPage, id int64) error {
	var err error
	if p.Post, p.Comments, err = s.Courses.MemberPost(c.UserContext(), member(c), id); err != nil {
		return err
	}
	return s.Render(c, "hosted/community_post", p)
}

func (s *Handler) handlePost(c *fiber.Ctx) error {
	return s.renderPost(c, &postPage{memberLayout: s.memberLayout(c, "Post"), Reported: c.Query("reported") != ""})
}

func postURL(id int64) string { return "/learn/community/posts/" + strconv.FormatInt(id, 10) }

// postFail re-renders the post page with a refusal, or returns err.
func (s *Handler) postFail(c *fiber.Ctx, p *postPage, err error) error {
	if internal(err) || app.ErrorCode(err) == app.ENOTFOUND {
		return err
	}
	s.fail(c, &p.memberLayout, err)
	return s.renderPost(c, p)
}

func (s *Handler) handleComment(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	p := &postPage{memberLayout: s.memberLayout(c, "Post"), Comment: utils.CopyString(c.FormValue("body"))}
	cm, err := s.Courses.AddComment(c.UserContext(), member(c), id, p.Comment)
	if err != nil {
		return s.postFail(c, p, err)
	}
	s.SetFlash(c, "ok", "Comment added.")
	return c.Redirect(postURL(id)+"#comment-"+strconv.FormatInt(cm.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleReact(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Courses.React(c.UserContext(), member(c), id, utils.CopyString(c.FormValue("kind"))); err != nil {
		return s.postFail(c, &postPage{memberLayout: s.memberLayout(c, "Post")}, err)
	}
	back := postURL(id)
	if r := web.SafeNext(c.FormValue("back")); r != "" && r != "/" {
		back = r
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

func (s *Handler) handleReport(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Courses.ReportPost(c.UserContext(), member(c), id, utils.CopyString(c.FormValue("reason"))); err != nil {
		return s.postFail(c, &postPage{memberLayout: s.memberLayout(c, "Post")}, err)
	}
	s.SetFlash(c, "ok", "Thank you: the team will review this post.")
	return c.Redirect(postURL(id), fiber.StatusSeeOther)
}

type directoryPage struct {
	memberLayout
	Members []*courses.Member
}

func (s *Handler) handleDirectory(c *fiber.Ctx) error {
	p := &directoryPage{memberLayout: s.memberLayout(c, "Members")}
	var err error
	if p.Members, err = s.Courses.Directory(c.UserContext(), member(c)); err != nil {
		return err
	}
	return s.Render(c, "hosted/community_members", p)
}
