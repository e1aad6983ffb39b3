package ui

import (
	"encoding/json"
	"net/url"
	"orengen/app/federal"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

func (s *Server) registerNexusRoutes(r fiber.Router) {
	r.Get("/login", s.handleLoginView(HostNexus))
	csrf := s.csrfProtect(HostNexus)
	r.Post("/login", csrf, s.handleLogin)
	r.Post("/login/code", csrf, s.handleAdminLoginCode)
	r.Post("/logout", csrf, s.handleLogout)
	r.Get("/setup", s.handleSetupView)
	r.Post("/setup", csrf, s.handleSetup)
	s.registerAdminAPIRoutes(r)

	authed := r.Group("", s.requireAdmin, s.requireAdminTOTP)
	authed.Get("/", s.handleDashboard)
	authed.Get("/leads", s.handleLeads)
	authed.Get("/admins", s.handleAdmins)
	authed.Post("/admins", csrf, s.handleAdminInvite)
	authed.Get("/site", s.handleSiteEditor)
	authed.Get("/site/:slug?", s.handleSiteEditor)
	authed.Post("/site", csrf, s.handleSiteSave)
	s.registerDomainRoutes(authed, csrf)
	s.registerBackupRoutes(authed, csrf)
	s.registerTenantRoutes(authed, csrf)
	s.registerVaultRoutes(authed, csrf)
	s.registerAuditRoutes(authed)
	s.registerAdminSecurityRoutes(authed, csrf)
	s.registerFederalRoutes(authed, csrf)
	s.registerNexusCRMRoutes(authed)
	s.registerAutomationRoutes(authed, csrf)
	s.registerFormEditorRoutes(authed, csrf, HostNexus)
}

// nexusNav lists the Nexus sections that work. A section appears here
// only once its feature is built; nothing links to an empty page.
func (s *Server) nexusNav() []NavSection {
	nav := []NavSection{
		{Name: "Control Room", Items: []NavItem{{"Dashboard", "/"}, {"Tenants", "/tenants"}, {"CRM", "/crm/people"}}},
		{Name: "Growth", Items: []NavItem{{"Leads", "/leads"}, {"Site content", "/site"}, {"Forms", "/forms"}, {"Automations", "/automations"}, {"Run log", "/automations/runs"}}},
		{Name: "Infrastructure", Items: []NavItem{{"Domains", "/domains"}, {"Backups", "/backups"}, {"Vault", "/vault"}, {"API keys", "/apikeys"}}},
		{Name: "System", Items: []NavItem{{"Admins", "/admins"}, {"Audit log", "/audit"}, {"Outbox", "/outbox"}, {"My account", "/account"}}},
	}
	if s.Federal != nil {
		nav = append(nav[:2:2], append([]NavSection{{Name: "Federal", Items: []NavItem{{"Opportunity Studio", "/federal"}, {"Bid pipeline", "/federal/pipeline"},
			{"Saved searches", "/federal/searches"}, {"Grants", "/federal/grants"}, {"Grant pipeline", "/federal/grant-pipeline"},
			{"Compliance & risk", "/federal/compliance"}, {"Daily digest", "/federal/digest"},
			{"Settings › Federal", "/federal/settings"}}}}, nav[2:]...)...)
	}
	for _, ex := range s.NexusNav {
		added := false
		for i := range nav {
			if nav[i].Name == ex.Name {
				nav[i].Items = append(nav[i].Items, ex.Items...)
				added = true
			}
		}
		if !added {
			nav = append(nav, ex)
		}
	}
	return nav
}

type loginPage struct {
	Layout
	Email string
	Next  string
	Error string
	Code  bool // the two-factor step
	// Slowed shows a two-factor code field beside the password: the way
	// in while sign-ins from this browser are slowed down.
	Slowed bool
}

func (s *Server) handleLoginView(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if host == HostNexus && currentAdmin(c) != nil {
			return c.Redirect("/", fiber.StatusSeeOther)
		}
		p := &loginPage{Next: safeNext(c.Query("next"))}
		p.Layout = s.layout(c, host, "Sign in")
		return s.render(c, layoutForHost(host)+"/login", p)
	}
}

// safeNext keeps a post-login redirect on this host: a same-origin path
// (app.LocalPath: no //host, no backslash, no control character), else /.
func safeNext(next string) string {
	if !app.LocalPath(next) {
		return "/"
	}
	return next
}

func (s *Server) handleLogin(c *fiber.Ctx) error {
	email := utils.CopyString(c.FormValue("email"))
	password := utils.CopyString(c.FormValue("password"))
	next := safeNext(c.FormValue("next"))
	in, err := s.Auth.SignIn(c.UserContext(), app.Credentials{Email: email, Password: password,
		Code: utils.CopyString(c.FormValue("code")), Device: utils.CopyString(s.cookie(c, deviceCookie))})
	if err != nil {
		if app.ErrorCode(err) == app.EUNAUTHORIZED {
			s.Audit.RecordAs(c.UserContext(), &app.AuditEntry{ActorKind: app.ActorAnonymous, Actor: strings.ToLower(strings.TrimSpace(email)), Action: "login.failed", Target: "nexus"})
		}
		code := app.ErrorCode(err)
		if code != app.EUNAUTHORIZED && code != app.ETOOMANY {
			return err
		}
		var rl *app.RateLimitError
		if asRateLimit(err, &rl) {
			c.Set(fiber.HeaderRetryAfter, itoa(int(rl.RetryAfter.Seconds())))
		}
		c.Status(ErrorStatus(code))
		p := &loginPage{Email: email, Next: next, Error: app.ErrorMessage(err), Slowed: code == app.ETOOMANY}
		p.Layout = s.layout(c, HostNexus, "Sign in")
		return s.render(c, "nexus/login", p)
	}
	sess, a := in.Session, in.Admin
	s.setCookie(c, deviceCookie, in.Device, app.LoginDeviceTTL)
	if !in.SecondFactorDone {
		if shown, err := s.adminNeedsCode(c, sess, a, next); err != nil || shown {
			return err
		}
	}
	s.Audit.Record(app.NewContextWithAdmin(c.UserContext(), a), "login", "nexus", "")
	s.setCookie(c, sessionCookie, sess.ID, app.SessionTTL)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) handleLogout(c *fiber.Ctx) error {
	if id := s.cookie(c, sessionCookie); id != "" {
		if err := s.Auth.Logout(c.UserContext(), utils.CopyString(id)); err != nil {
			return err
		}
	}
	s.clearCookie(c, sessionCookie)
	s.setFlash(c, "ok", "You are signed out.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

type setupPage struct {
	Layout
	Token  string
	Token_ *app.AdminToken
	Email  string
	Name   string
	Errors map[string]string
	Error  string
}

func (s *Server) handleSetupView(c *fiber.Ctx) error {
	token := utils.CopyString(c.Query("token"))
	t, err := s.Auth.CheckToken(c.UserContext(), token)
	p := &setupPage{Token: token, Token_: t}
	p.Layout = s.layout(c, HostNexus, "Set your password")
	if err != nil {
		c.Status(ErrorStatus(app.ErrorCode(err)))
		p.Error = app.ErrorMessage(err)
	} else {
		p.Email = t.Email
	}
	return s.render(c, "nexus/setup", p)
}

func (s *Server) handleSetup(c *fiber.Ctx) error {
	token := utils.CopyString(c.FormValue("token"))
	p := &setupPage{Token: token, Email: utils.CopyString(c.FormValue("email")), Name: utils.CopyString(c.FormValue("name"))}
	password := utils.CopyString(c.FormValue("password"))
	confirm := c.FormValue("confirm")
	fail := func(err error) error {
		code := app.ErrorCode(err)
		if code == app.EINTERNAL {
			return err
		}
		p.Token_, _ = s.Auth.CheckToken(c.UserContext(), token)
		p.Layout = s.layout(c, HostNexus, "Set your password")
		if f := app.ErrorField(err); f != "" {
			p.Errors = map[string]string{f: app.ErrorMessage(err)}
		} else {
			p.Error = app.ErrorMessage(err)
		}
		c.Status(ErrorStatus(code))
		return s.render(c, "nexus/setup", p)
	}
	if password != confirm {
		return fail(app.FieldErrorf("confirm", "The two passwords do not match."))
	}
	a, err := s.Auth.RedeemToken(c.UserContext(), token, p.Email, p.Name, password)
	if err != nil {
		return fail(err)
	}
	s.setFlash(c, "ok", "Password set for "+a.Email+". Sign in with it now.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

type dashboardPage struct {
	Layout
	Leads      []*app.Lead
	LeadsTotal int
	Admins     int
	URLs       map[string]string
	// FederalAlerts are the house tenant's latest federal alerts
	// (expiries, deadlines, digests); nil when federal work is off.
	FederalAlerts []*federal.FederalAlert
}

func (s *Server) handleDashboard(c *fiber.Ctx) error {
	leads, total, err := s.Leads.FindLeads(c.UserContext(), 5)
	if err != nil {
		return err
	}
	n, err := s.Admins.CountAdmins(c.UserContext())
	if err != nil {
		return err
	}
	p := &dashboardPage{Leads: leads, LeadsTotal: total, Admins: n,
		URLs: map[string]string{"Marketing site": s.URL(HostSite), "Client portal": s.URL(HostPortal), "Nexus": s.URL(HostNexus)}}
	if s.Federal != nil {
		if p.FederalAlerts, err = s.Federal.Store.FindAlerts(c.UserContext(), app.HouseTenantID, federal.AlertFilter{Limit: 5}); err != nil {
			return err
		}
	}
	p.Layout = s.layout(c, HostNexus, "Dashboard")
	return s.render(c, "nexus/dashboard", p)
}

type leadsPage struct {
	Layout
	Leads []*app.Lead
	Total int
}

func (s *Server) handleLeads(c *fiber.Ctx) error {
	leads, total, err := s.Leads.FindLeads(c.UserContext(), 200)
	if err != nil {
		return err
	}
	p := &leadsPage{Leads: leads, Total: total}
	p.Layout = s.layout(c, HostNexus, "Leads")
	return s.render(c, "nexus/leads", p)
}

type adminsPage struct {
	Layout
	Admins   []*app.Admin
	Link     string
	Email    string
	Name     string
	Role     string
	Errors   map[string]string
	CanWrite bool
}

func (s *Server) handleAdmins(c *fiber.Ctx) error {
	return s.renderAdmins(c, &adminsPage{Role: app.RoleStaff})
}

func (s *Server) renderAdmins(c *fiber.Ctx, p *adminsPage) error {
	var err error
	if p.Admins, err = s.Admins.FindAdmins(c.UserContext()); err != nil {
		return err
	}
	p.CanWrite = currentAdmin(c).Role == app.RoleOwner
	p.Layout = s.layout(c, HostNexus, "Admins")
	return s.render(c, "nexus/admins", p)
}

// handleAdminInvite creates an admin and shows the one-time link to pass
// on (there is no mailer yet, so the owner copies it).
func (s *Server) handleAdminInvite(c *fiber.Ctx) error {
	if err := requireOwnerAdmin(c, "add admins"); err != nil {
		return err
	}
	p := &adminsPage{Email: utils.CopyString(c.FormValue("email")), Name: utils.CopyString(c.FormValue("name")), Role: utils.CopyString(c.FormValue("role"))}
	tok, err := s.Auth.InviteAdmin(c.UserContext(), &app.Admin{Email: p.Email, Name: p.Name, Role: p.Role})
	if err != nil {
		if app.ErrorCode(err) == app.EINTERNAL {
			return err
		}
		c.Status(ErrorStatus(app.ErrorCode(err)))
		p.Errors = map[string]string{fieldOr(err, "email"): app.ErrorMessage(err)}
		return s.renderAdmins(c, p)
	}
	s.Logger.Info("admin invited", "by", currentAdmin(c).ID, "email", p.Email)
	s.Audit.Record(c.UserContext(), "admin.invite", "admin:"+strings.ToLower(p.Email), "role "+p.Role)
	return s.renderAdmins(c, &adminsPage{Role: app.RoleStaff, Link: s.URL(HostNexus) + "/setup?token=" + url.QueryEscape(tok)})
}

func fieldOr(err error, def string) string {
	if f := app.ErrorField(err); f != "" {
		return f
	}
	return def
}

type siteEditorPage struct {
	Layout
	Pages   []*app.Page
	Page    *app.Page
	Blocks  string
	Errors  map[string]string
	SiteURL string
}

func (s *Server) handleSiteEditor(c *fiber.Ctx) error {
	pages, err := s.Site.FindPages(c.UserContext())
	if err != nil {
		return err
	}
	p := &siteEditorPage{Pages: pages, SiteURL: s.URL(HostSite)}
	slug := c.Params("slug")
	if slug == "home" {
		slug = ""
	}
	if pg, err := s.Site.FindPageBySlug(c.UserContext(), utils.CopyString(slug)); err == nil {
		p.Page = pg
		b, _ := json.MarshalIndent(pg.Blocks, "", "  ")
		p.Blocks = string(b)
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return err
	} else if slug != "" {
		return err
	}
	p.Layout = s.layout(c, HostNexus, "Site content")
	return s.render(c, "nexus/site", p)
}

// handleSiteSave validates and stores a page's content; the cached page is
// dropped so the next visitor sees the change.
func (s *Server) handleSiteSave(c *fiber.Ctx) error {
	pg := &app.Page{
		Slug:        utils.CopyString(c.FormValue("slug")),
		Title:       utils.CopyString(c.FormValue("title")),
		Description: utils.CopyString(c.FormValue("description")),
		NavLabel:    utils.CopyString(c.FormValue("nav_label")),
	}
	pg.NavOrder, _ = atoiDefault(c.FormValue("nav_order"), 0)
	blocks := utils.CopyString(c.FormValue("blocks"))
	err := json.Unmarshal([]byte(blocks), &pg.Blocks)
	if err != nil {
		err = app.FieldErrorf("blocks", "Blocks must be a JSON array of sections: %s.", strings.TrimPrefix(err.Error(), "json: "))
	} else {
		err = s.Site.UpsertPage(c.UserContext(), pg)
	}
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		pages, _ := s.Site.FindPages(c.UserContext())
		p := &siteEditorPage{Pages: pages, Page: pg, Blocks: blocks, Errors: map[string]string{app.ErrorField(err): app.ErrorMessage(err)}, SiteURL: s.URL(HostSite)}
		p.Layout = s.layout(c, HostNexus, "Site content")
		c.Status(fiber.StatusBadRequest)
		return s.render(c, "nexus/site", p)
	}
	s.pages.Reset()
	s.Logger.Info("site page saved", "slug", pg.Slug, "by", currentAdmin(c).ID)
	s.setFlash(c, "ok", "Saved. The page is live.")
	slug := pg.Slug
	if slug == "" {
		slug = "home"
	}
	return c.Redirect("/site/"+slug, fiber.StatusSeeOther)
}
