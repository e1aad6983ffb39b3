// Package courses serves the members' area of a tenant (issue #24) on
// its portal host (a custom domain, or app.DOMAIN with ?tenant=): member
// sign-in by password or emailed link, open enrolment, the course
// landing pages, lessons with drip release and progress; and the staff's
// course pages in the portal (courses, modules, lessons, members,
// enrolments, per-member progress and engagement charts).
//
// A member is not a portal user: their session is its own cookie
// (memberCookie), resolved by courses.Service, and a member's request
// never carries a staff user into the service.
//
// It imports app, app/courses and ui/web; never a store.
package courses

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/app/wiki"
	"orengen/ui/web"
)

// Templates are this package's pages, parsed with web's layouts at boot.
//
//go:embed templates
var Templates embed.FS

// memberCookie holds a member's session ID; never the staff's psid.
const memberCookie = "msid"

// Handler serves the members' area and the staff's course pages.
type Handler struct {
	*web.Kit
	Courses *courses.Service
	Tenants *app.TenantService
	// UploadDir holds chunked uploads (lesson videos and files) while
	// they arrive.
	UploadDir string

	uploads     *web.Uploads
	uploadsOnce sync.Once
}

// On reports whether the members' area is served.
func (s *Handler) On() bool { return s != nil && s.Courses != nil }

// NavItem is the portal's navigation entry for the staff pages.
var NavItem = web.NavItem{Label: "Courses", Path: "/courses"}

var (
	keyMember       = web.NewKey[*courses.Member]("member")
	keyMemberTenant = web.NewKey[*app.Tenant]("member_tenant")
)

// MountMembers adds the members' area (/learn...) to the portal host.
// It must come before the staff's requireUser group.
func (s *Handler) MountMembers(r fiber.Router, csrf fiber.Handler) {
	if !s.On() {
		return
	}
	g := r.Group("/learn", s.loadMember, s.ModuleGate) // ModuleGate: the tenant's plan may switch courses off
	pub := s.needTenant
	g.Get("", pub, s.handleHome)
	g.Get("/login", pub, s.handleLoginView)
	g.Post("/login", csrf, pub, s.handleLogin)
	g.Post("/magic", csrf, pub, s.handleMagic)
	g.Get("/link", pub, s.handleLinkView)
	g.Post("/link", csrf, pub, s.handleLink)
	g.Post("/logout", csrf, pub, s.handleLogout)
	g.Get("/account", s.requireMember, s.handleAccountView)
	g.Post("/account", csrf, s.requireMember, s.handleAccount)
	g.Get("/c/:slug", pub, s.handleCourse)
	g.Post("/c/:slug/join", csrf, pub, s.handleJoin)
	g.Get("/lessons/:id", s.requireMember, s.handleLesson)
	g.Post("/lessons/:id/complete", csrf, s.requireMember, s.handleComplete)
	g.Post("/lessons/:id/quiz", csrf, s.requireMember, s.handleQuiz)
	g.Get("/c/:slug/certificate", s.requireMember, s.handleCertificate)
	g.Get("/files/:id", s.requireMember, s.handleMemberFile) // files.go
	s.mountCommunity(g, csrf)                                // community.go
}

// loadMember resolves the member's session and the tenant of the area:
// the custom domain's, else the session's, else ?tenant= (app.DOMAIN).
// A session of another tenant than the custom domain's counts as none.
func (s *Handler) loadMember(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var t *app.Tenant
	if id := s.Cookie(c, memberCookie); id != "" {
		m, err := s.Courses.Authenticate(ctx, utils.CopyString(id))
		switch {
		case app.ErrorCode(err) == app.EUNAUTHORIZED:
			s.ClearCookie(c, memberCookie)
		case err != nil:
			return err
		case web.DomainTenant(c) == nil || web.DomainTenant(c).ID == m.TenantID:
			if mt, err := s.Tenants.TenantByID(ctx, m.TenantID); err == nil && mt.Active() {
				t = mt
				keyMember.Set(c, m)
			}
		}
	}
	if dt := web.DomainTenant(c); dt != nil {
		t = dt
	}
	if t == nil {
		if ref := c.Query("tenant"); ref != "" {
			if rt, err := s.Tenants.TenantByRef(ctx, utils.CopyString(ref)); err == nil && rt.Active() {
				t = rt
			}
		}
	}
	if t != nil {
		keyMemberTenant.Set(c, t)
		c.SetUserContext(app.NewContextWithTenant(ctx, t))
	}
	return c.Next()
}

// needTenant answers 404 where the host, the session and ?tenant= name
// no tenant (app.DOMAIN without ?tenant=).
func (s *Handler) needTenant(c *fiber.Ctx) error {
	if memberTenant(c) == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	return c.Next()
}

func member(c *fiber.Ctx) *courses.Member { m, _ := keyMember.Get(c); return m }

func memberTenant(c *fiber.Ctx) *app.Tenant { t, _ := keyMemberTenant.Get(c); return t }

// requireMember sends visitors without a member session to the sign-in
// (a staff session is not a member's).
func (s *Handler) requireMember(c *fiber.Ctx) error {
	if member(c) == nil {
		if c.Method() == fiber.MethodGet && memberTenant(c) != nil {
			return c.Redirect(s.learnURL(c, "/learn/login?next="+urlQuery(c.OriginalURL())), fiber.StatusSeeOther)
		}
		return app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	return c.Next()
}

// learnURL adds ?tenant= on app.DOMAIN, where the host does not say the
// tenant and no member is signed in yet.
func (s *Handler) learnURL(c *fiber.Ctx, path string) string {
	if web.DomainTenant(c) != nil || member(c) != nil {
		return path
	}
	t := memberTenant(c)
	if t == nil {
		return path
	}
	sep := "?"
	for _, r := range path {
		if r == '?' {
			sep = "&"
		}
	}
	return path + sep + "tenant=" + t.Slug
}

// layout is the member pages' layout: the tenant's brand (its stylesheet
// and logo on its own domain, where /brand.css and /logo serve them).
func (s *Handler) layout(c *fiber.Ctx, title string) web.Layout {
	l := s.Layout(c, web.HostPortal, title)
	t := memberTenant(c)
	l.User, l.Nav, l.Tenant = nil, nil, t
	l.Brand = web.Brand{Name: t.BrandName(), SupportEmail: t.SupportEmail}
	if dt := web.DomainTenant(c); dt != nil && dt.ID == t.ID {
		l.Brand.CSSURL = "/brand.css?v=" + t.BrandVersion()
		if t.LogoHash != "" {
			l.Brand.LogoURL = "/logo?v=" + t.LogoHash
		}
	}
	return l
}

// memberLayout is what every member page shows besides its content.
type memberLayout struct {
	web.Layout
	Member *courses.Member
	Query  string // "?tenant=slug" on app.DOMAIN before sign-in
	Error  string
	Field  string
}

func (s *Handler) memberLayout(c *fiber.Ctx, title string) memberLayout {
	ml := memberLayout{Layout: s.layout(c, title), Member: member(c)}
	if u := s.learnURL(c, "/learn"); len(u) > len("/learn") {
		ml.Query = u[len("/learn"):]
	}
	return ml
}

// fail renders err on a member page with its status, or returns it for
// the error handler when it is internal.
func (s *Handler) fail(c *fiber.Ctx, ml *memberLayout, err error) {
	code := app.ErrorCode(err)
	var rl *app.RateLimitError
	if errors.As(err, &rl) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
	}
	c.Status(web.ErrorStatus(code))
	if code == app.EINVALID {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	ml.Error, ml.Field = app.ErrorMessage(err), app.ErrorField(err)
}

func internal(err error) bool { return app.ErrorCode(err) == app.EINTERNAL }

type homePage struct {
	memberLayout
	Catalog []*courses.Course
	Mine    []*courses.MemberCourse
}

func (s *Handler) handleHome(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := &homePage{memberLayout: s.memberLayout(c, "Courses")}
	var err error
	if p.Catalog, err = s.Courses.Catalog(ctx); err != nil {
		return err
	}
	if m := member(c); m != nil {
		if p.Mine, err = s.Courses.MyCourses(ctx, m); err != nil {
			return err
		}
	}
	return s.Render(c, "hosted/learn_home", p)
}

type loginPage struct {
	memberLayout
	Email string
	Next  string
	Sent  bool
}

func (s *Handler) handleLoginView(c *fiber.Ctx) error {
	if member(c) != nil {
		return c.Redirect("/learn", fiber.StatusSeeOther)
	}
	p := &loginPage{memberLayout: s.memberLayout(c, "Sign in"), Next: web.SafeNext(c.Query("next"))}
	return s.Render(c, "hosted/learn_login", p)
}

func (s *Handler) handleLogin(c *fiber.Ctx) error {
	p := &loginPage{memberLayout: s.memberLayout(c, "Sign in"), Email: utils.CopyString(c.FormValue("email")), Next: web.SafeNext(c.FormValue("next"))}
	sess, dev, err := s.Courses.SignIn(c.UserContext(), p.Email, utils.CopyString(c.FormValue("password")), utils.CopyString(s.Cookie(c, web.DeviceCookie)))
	if dev != "" {
		s.SetCookie(c, web.DeviceCookie, dev, app.LoginDeviceTTL)
	}
	if err != nil {
		if internal(err) {
			return err
		}
		s.fail(c, &p.memberLayout, err)
		return s.Render(c, "hosted/learn_login", p)
	}
	s.SetCookie(c, memberCookie, sess.ID, courses.SessionTTL)
	return c.Redirect(nextOr(p.Next), fiber.StatusSeeOther)
}

func nextOr(next string) string {
	if next == "" || next == "/" {
		return "/learn"
	}
	return next
}

// handleMagic emails a sign-in link; the answer is the same whether or
// not the email is a member.
func (s *Handler) handleMagic(c *fiber.Ctx) error {
	p := &loginPage{memberLayout: s.memberLayout(c, "Sign in"), Email: utils.CopyString(c.FormValue("email"))}
	if err := s.Courses.RequestLink(c.UserContext(), p.Email); err != nil {
		if internal(err) {
			return err
		}
		s.fail(c, &p.memberLayout, err)
		return s.Render(c, "hosted/learn_login", p)
	}
	p.Sent = true
	return s.Render(c, "hosted/learn_login", p)
}

type linkPage struct {
	memberLayout
	Token string
}

// handleLinkView asks to confirm: mail scanners that open links must not
// spend them.
func (s *Handler) handleLinkView(c *fiber.Ctx) error {
	p := &linkPage{memberLayout: s.memberLayout(c, "Sign in"), Token: utils.CopyString(c.Query("token"))}
	return s.Render(c, "hosted/learn_link", p)
}

func (s *Handler) handleLink(c *fiber.Ctx) error {
	p := &linkPage{memberLayout: s.memberLayout(c, "Sign in")}
	sess, m, err := s.Courses.RedeemLink(c.UserContext(), utils.CopyString(c.FormValue("token")))
	if err != nil {
		if internal(err) {
			return err
		}
		s.fail(c, &p.memberLayout, err)
		return s.Render(c, "hosted/learn_link", p)
	}
	s.SetCookie(c, memberCookie, sess.ID, courses.SessionTTL)
	if !m.HasPassword {
		s.SetFlash(c, "ok", "You are signed in. Choose a password here to sign in without email next time.")
		return c.Redirect("/learn/account", fiber.StatusSeeOther)
	}
	return c.Redirect("/learn", fiber.StatusSeeOther)
}

func (s *Handler) handleLogout(c *fiber.Ctx) error {
	if id := s.Cookie(c, memberCookie); id != "" {
		if err := s.Courses.Logout(c.UserContext(), utils.CopyString(id)); err != nil {
			return err
		}
	}
	s.ClearCookie(c, memberCookie)
	return c.Redirect(s.learnURL(c, "/learn/login"), fiber.StatusSeeOther)
}

type accountPage struct {
	memberLayout
	Zones []string
}

// zones are offered in the time-zone picker besides the member's own.
var zones = []string{"UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Sao_Paulo",
	"Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Athens", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata",
	"Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"}

func (s *Handler) handleAccountView(c *fiber.Ctx) error {
	return s.Render(c, "hosted/learn_account", &accountPage{memberLayout: s.memberLayout(c, "Your account"), Zones: zones})
}

func (s *Handler) handleAccount(c *fiber.Ctx) error {
	m := member(c)
	pw, confirm := utils.CopyString(c.FormValue("password")), c.FormValue("confirm")
	var err error
	if pw != confirm {
		err = app.FieldErrorf("confirm", "The two passwords do not match.")
	} else {
		err = s.Courses.UpdateProfile(c.UserContext(), m, utils.CopyString(c.FormValue("name")), utils.CopyString(c.FormValue("time_zone")), pw)
	}
	if hide := c.FormValue("hide_directory") != ""; err == nil && hide != m.DirectoryHidden && s.Courses.Community != nil {
		err = s.Courses.SetDirectoryHidden(c.UserContext(), m, hide)
	}
	if d := utils.CopyString(c.FormValue("digest")); err == nil && d != "" && d != m.Digest && s.Courses.Community != nil {
		err = s.Courses.SetDigest(c.UserContext(), m, d)
	}
	if err != nil {
		if internal(err) {
			return err
		}
		p := &accountPage{memberLayout: s.memberLayout(c, "Your account"), Zones: zones}
		s.fail(c, &p.memberLayout, err)
		return s.Render(c, "hosted/learn_account", p)
	}
	s.SetFlash(c, "ok", "Saved.")
	return c.Redirect("/learn/account", fiber.StatusSeeOther)
}

type coursePage struct {
	memberLayout
	Course *courses.Course
	View   *courses.MemberCourse // nil: not enrolled (the landing page)
	Joined bool                  // the join form was sent
	Ended  string                // the member's access has ended (the message)
	Email  string
	Name   string
	// Description is the course's rendered description.
	Description template.HTML
}

func (s *Handler) courseLanding(c *fiber.Ctx) (*coursePage, error) {
	ctx := c.UserContext()
	cr, err := s.Courses.Landing(ctx, utils.CopyString(c.Params("slug")))
	if err != nil {
		return nil, err
	}
	p := &coursePage{memberLayout: s.memberLayout(c, cr.Title), Course: cr, Description: Markdown(cr.Description)}
	if m := member(c); m != nil {
		v, err := s.Courses.MemberCourse(ctx, m, cr.ID)
		if msg, ended := courses.IsEnded(err); ended {
			p.Ended = msg
		} else if err == nil {
			p.View = v
		} else if !errors.Is(err, courses.ErrNotEnrolled) {
			return nil, err
		}
	}
	return p, nil
}

func (s *Handler) handleCourse(c *fiber.Ctx) error {
	p, err := s.courseLanding(c)
	if err != nil {
		return err
	}
	return s.Render(c, "hosted/learn_course", p)
}

// handleJoin is open enrolment: a signed-in member is enrolled at once;
// a visitor gets a sign-in link by email (the same answer for members
// and strangers).
func (s *Handler) handleJoin(c *fiber.Ctx) error {
	p, err := s.courseLanding(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if m := member(c); m != nil {
		if _, err := s.Courses.JoinSignedIn(ctx, m, p.Course.Slug); err != nil && app.ErrorCode(err) != app.ECONFLICT {
			if internal(err) {
				return err
			}
			s.fail(c, &p.memberLayout, err)
			return s.Render(c, "hosted/learn_course", p)
		}
		s.SetFlash(c, "ok", "You are enrolled. Start with the first lesson.")
		return c.Redirect("/learn/c/"+p.Course.Slug, fiber.StatusSeeOther)
	}
	p.Email, p.Name = utils.CopyString(c.FormValue("email")), utils.CopyString(c.FormValue("name"))
	if err := s.Courses.Join(ctx, p.Course.Slug, p.Email, p.Name); err != nil {
		if internal(err) {
			return err
		}
		s.fail(c, &p.memberLayout, err)
		return s.Render(c, "hosted/learn_course", p)
	}
	p.Joined = true
	return s.Render(c, "hosted/learn_course", p)
}

type lessonPage struct {
	memberLayout
	View   *courses.MemberCourse
	Lesson *courses.LessonState
	Next   *courses.LessonState
	Locked string
	Body   template.HTML
	Embed  string
	// Result is the quiz attempt just scored (nil before one).
	Result *courses.Result
	// Answers are the options chosen in the attempt, per question.
	Answers [][]int
}

// Chosen reports whether option o of question q was chosen.
func (p *lessonPage) Chosen(q, o int) bool {
	if q < len(p.Answers) {
		for _, a := range p.Answers[q] {
			if a == o {
				return true
			}
		}
	}
	return false
}

// lessonCSP lets a lesson frame its video player (the allow-listed
// players only).
const lessonCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-src https://www.youtube-nocookie.com https://player.vimeo.com; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func (s *Handler) renderLesson(c *fiber.Ctx, mc *courses.MemberCourse, ls *courses.LessonState, err error) error {
	return s.renderLessonPage(c, mc, ls, err, nil)
}

func (s *Handler) renderLessonPage(c *fiber.Ctx, mc *courses.MemberCourse, ls *courses.LessonState, err error, fill func(p *lessonPage)) error {
	if lk, ok := courses.IsLocked(err); ok {
		p := &lessonPage{memberLayout: s.memberLayout(c, ls.Title), View: mc, Lesson: ls, Locked: lk.Message()}
		c.Status(fiber.StatusForbidden)
		return s.Render(c, "hosted/learn_lesson", p)
	} else if err != nil {
		return err
	}
	p := &lessonPage{memberLayout: s.memberLayout(c, ls.Title), View: mc, Lesson: ls, Next: mc.Next(ls.ID), Body: Markdown(ls.Body), Embed: ls.Embed()}
	if fill != nil {
		fill(p)
	}
	if p.Embed != "" {
		c.Set("Content-Security-Policy", lessonCSP)
	}
	return s.Render(c, "hosted/learn_lesson", p)
}

func (s *Handler) handleLesson(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	mc, ls, err := s.Courses.OpenLesson(c.UserContext(), member(c), id)
	return s.renderLesson(c, mc, ls, err)
}

func (s *Handler) handleComplete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	mc, err := s.Courses.CompleteLesson(c.UserContext(), member(c), id)
	if err != nil {
		if _, ok := courses.IsLocked(err); ok {
			mc2, ls, _ := s.Courses.OpenLesson(c.UserContext(), member(c), id)
			if ls != nil {
				return s.renderLesson(c, mc2, ls, err)
			}
		}
		return err
	}
	if mc.Enrolment.CompletedAt != nil && mc.Done == mc.Total {
		s.SetFlash(c, "ok", "Lesson complete. You finished the course!")
		return c.Redirect("/learn/c/"+mc.Course.Slug, fiber.StatusSeeOther)
	}
	s.SetFlash(c, "ok", "Lesson complete.")
	if n := mc.Next(id); n != nil {
		return c.Redirect("/learn/lessons/"+strconv.FormatInt(n.ID, 10), fiber.StatusSeeOther)
	}
	return c.Redirect("/learn/c/"+mc.Course.Slug, fiber.StatusSeeOther)
}

// Markdown renders a lesson or course text as the wiki does (goldmark
// without raw HTML, then bluemonday's allow-list).
func Markdown(src string) template.HTML {
	return template.HTML(wiki.Render(src, wiki.Resolver{})) // sanitised by wiki.Render
}

func urlQuery(s string) string { return url.QueryEscape(s) }

// handleQuiz scores a quiz attempt: the answers are fields q1, q2 ... (a
// multiple-choice question sends its field once per option chosen).
func (s *Handler) handleQuiz(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx, m := c.UserContext(), member(c)
	mc, ls, err := s.Courses.OpenLesson(ctx, m, id)
	if err != nil || ls.Quiz == nil {
		if err == nil {
			err = app.Errorf(app.ENOTFOUND, "This lesson has no quiz.")
		}
		if _, ok := courses.IsLocked(err); ok {
			return s.renderLesson(c, mc, ls, err)
		}
		return err
	}
	form, err := c.MultipartForm()
	var values map[string][]string
	if err == nil {
		values = form.Value
	} else {
		values = map[string][]string{}
		for i := range ls.Quiz.Questions {
			k := "q" + strconv.Itoa(i+1)
			for _, v := range c.Context().PostArgs().PeekMulti(k) {
				values[k] = append(values[k], string(v))
			}
		}
	}
	answers := make([][]int, len(ls.Quiz.Questions))
	for i := range ls.Quiz.Questions {
		for _, v := range values["q"+strconv.Itoa(i+1)] {
			n, perr := strconv.Atoi(v)
			if perr != nil {
				n = -1 // Score names the question
			}
			answers[i] = append(answers[i], n)
		}
	}
	r, mc2, err := s.Courses.SubmitQuiz(ctx, m, id, answers)
	if err != nil {
		if internal(err) {
			return err
		}
		return s.renderLessonPage(c, mc, ls, nil, func(p *lessonPage) {
			s.fail(c, &p.memberLayout, err)
			p.Answers = answers
		})
	}
	if r.Passed {
		s.SetFlash(c, "ok", fmt.Sprintf("Quiz passed with %d%%. Lesson complete.", r.Score))
		if mc2.Enrolment.CompletedAt != nil && mc2.Done == mc2.Total {
			return c.Redirect("/learn/c/"+mc2.Course.Slug, fiber.StatusSeeOther)
		}
		if n := mc2.Next(id); n != nil {
			return c.Redirect("/learn/lessons/"+strconv.FormatInt(n.ID, 10), fiber.StatusSeeOther)
		}
		return c.Redirect("/learn/c/"+mc2.Course.Slug, fiber.StatusSeeOther)
	}
	return s.renderLessonPage(c, mc, ls, nil, func(p *lessonPage) { p.Result, p.Answers = r, answers })
}

// handleCertificate sends the member's completion certificate (PDF).
func (s *Handler) handleCertificate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cr, err := s.Courses.Landing(ctx, utils.CopyString(c.Params("slug")))
	if err != nil {
		return err
	}
	_, b, err := s.Courses.Certificate(ctx, member(c), cr.ID)
	if err != nil {
		return err
	}
	return web.SendAttachment(c, "certificate-"+cr.Slug+".pdf", "application/pdf", false, b, "private, no-store")
}
