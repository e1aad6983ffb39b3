package nexus

import (
	"encoding/json"
	"net/url"
	"orengen/app/federal"
	agentsui "orengen/ui/agents"
	sitesui "orengen/ui/sites"
	"orengen/ui/web"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

func (s *Handler) Mount(r fiber.Router) {
	r.Get("/login", s.handleLoginView(web.HostNexus))
	csrf := s.CSRF(web.HostNexus)
	r.Post("/login", csrf, s.handleLogin)
	r.Post("/login/code", csrf, s.handleAdminLoginCode)
	r.Post("/logout", csrf, s.handleLogout)
	r.Get("/setup", s.handleSetupView)
	r.Post("/setup", csrf, s.handleSetup)
	s.API.MountAdmin(r)

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
	s.registerTransferRoutes(authed, csrf)
	s.registerTenantImportRoutes(authed, csrf) // tenant_import.go (issue #22)
	s.registerSnapshotRoutes(authed, csrf)
	s.registerWizardRoutes(authed, csrf) // wizard.go (issue #22)
	s.registerVaultRoutes(authed, csrf)
	s.registerAuditRoutes(authed)
	s.registerAdminSecurityRoutes(authed, csrf)
	s.FederalPages.Mount(authed, csrf)
	s.CRMPages.MountNexus(authed, csrf)
	s.Automation.MountNexus(authed, csrf)
	s.FormPages.Mount(authed, csrf, web.NexusScope)
	s.WikiPages.Mount(authed, csrf, web.NexusScope)
	s.SheetPages.Mount(authed, csrf, web.NexusScope)
	s.AgentPages.Mount(authed, csrf, web.NexusScope)
	s.SiteBuilder.Mount(authed, csrf, web.NexusScope)
	if s.CalendarPages != nil {
		s.CalendarPages.Mount(authed, csrf, web.NexusScope)
	}
	if s.InboxPages != nil {
		s.InboxPages.Mount(authed, csrf, web.NexusScope)
	}
	if s.BillingPages != nil {
		s.BillingPages.Mount(authed, csrf, web.NexusScope)
	}
	if s.BrandPages != nil {
		s.BrandPages.Mount(authed, csrf, web.NexusScope)
	}
	if s.CreatorPages != nil {
		s.CreatorPages.Mount(authed, csrf, web.NexusScope)
	}
	if s.CoursePages != nil {
		s.CoursePages.Mount(authed, csrf, web.NexusScope)
	}
	s.PlatformPages.MountNexus(authed, csrf)
}

// nexusNav lists the Nexus sections that work. A section appears here
// only once its feature is built; nothing links to an empty page.
func (s *Handler) nexusNav() []web.NavSection {
	nav := []web.NavSection{
		{Name: "Control Room", Items: []web.NavItem{{Label: "Dashboard", Path: "/"}, {Label: "Tenants", Path: "/tenants"}, {Label: "CRM", Path: "/crm/people"}}},
		{Name: "Growth", Items: []web.NavItem{{Label: "Leads", Path: "/leads"}, {Label: "Site content", Path: "/site"}, {Label: "Forms", Path: "/forms"}, {Label: "Automations", Path: "/automations"}, {Label: "Run log", Path: "/automations/runs"}}},
		{Name: "Infrastructure", Items: []web.NavItem{{Label: "Domains", Path: "/domains"}, {Label: "Backups", Path: "/backups"}, {Label: "Vault", Path: "/vault"}, {Label: "API keys", Path: "/apikeys"}, {Label: "API & developer tools", Path: "/developers"}}},
		{Name: "System", Items: []web.NavItem{{Label: "Admins", Path: "/admins"}, {Label: "Audit log", Path: "/audit"}, {Label: "Outbox", Path: "/outbox"}, {Label: "My account", Path: "/account"}}},
	}
	if s.WikiPages != nil && s.WikiPages.Wiki != nil {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Knowledge Wiki", Path: "/wiki"})
	}
	if s.Snapshots != nil {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Snapshots", Path: "/snapshots"})
	}
	if s.Wizards != nil {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "New client", Path: "/wizards"})
	}
	if s.Transfer != nil {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Import a client", Path: "/tenant-imports"})
	}
	if s.SiteBuilder.On() {
		nav[1].Items = append(nav[1].Items, sitesui.NavItem)
	}
	if s.CalendarPages != nil && s.CalendarPages.On() {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Calendar", Path: "/calendar"})
	}
	if s.InboxPages != nil && s.InboxPages.On() {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Conversations", Path: "/inbox"})
	}
	if s.BillingPages != nil && s.BillingPages.On() {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Billing", Path: "/billing"}, web.NavItem{Label: "Billing › Plans", Path: "/billing/plans"},
			web.NavItem{Label: "Billing › Revenue", Path: "/billing/revenue"})
	}
	if s.CreatorPages != nil && s.CreatorPages.On() {
		nav[1].Items = append(nav[1].Items, web.NavItem{Label: "Creators", Path: "/creators"})
	}
	if s.CoursePages != nil && s.CoursePages.On() {
		nav[1].Items = append(nav[1].Items, web.NavItem{Label: "Courses", Path: "/courses"})
	}
	if s.BrandPages != nil && s.BrandPages.On() {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Brand & press kits", Path: "/brand"})
	}
	if s.AgentPages.On() {
		nav[3].Items = append(nav[3].Items, agentsui.NexusNav)
	}
	if s.SheetPages != nil && s.SheetPages.Sheets != nil {
		nav[2].Items = append(nav[2].Items, web.NavItem{Label: "Data & Sheets", Path: "/data"})
	}
	if s.Federal != nil {
		nav = append(nav[:2:2], append([]web.NavSection{{Name: "Federal", Items: []web.NavItem{{Label: "Opportunity Studio", Path: "/federal"}, {Label: "Bid pipeline", Path: "/federal/pipeline"},
			{Label: "Saved searches", Path: "/federal/searches"}, {Label: "Grants", Path: "/federal/grants"}, {Label: "Grant pipeline", Path: "/federal/grant-pipeline"},
			{Label: "Compliance & risk", Path: "/federal/compliance"}, {Label: "Daily digest", Path: "/federal/digest"},
			{Label: "Settings › Federal", Path: "/federal/settings"}}}}, nav[2:]...)...)
	}
	for i := range nav {
		if nav[i].Name == "Infrastructure" {
			nav[i].Items = append(nav[i].Items, s.PlatformPages.NexusNav()...)
		}
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
	web.Layout
	Email string
	Next  string
	Error string
	Code  bool // the two-factor step
	// Slowed shows a two-factor code field beside the password: the way
	// in while sign-ins from this browser are slowed down.
	Slowed bool
}

func (s *Handler) handleLoginView(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if host == web.HostNexus && web.Admin(c) != nil {
			return c.Redirect("/", fiber.StatusSeeOther)
		}
		p := &loginPage{Next: web.SafeNext(c.Query("next"))}
		p.Layout = s.Layout(c, host, "Sign in")
		return s.Render(c, web.LayoutForHost(host)+"/login", p)
	}
}

func (s *Handler) handleLogin(c *fiber.Ctx) error {
	email := utils.CopyString(c.FormValue("email"))
	password := utils.CopyString(c.FormValue("password"))
	next := web.SafeNext(c.FormValue("next"))
	in, err := s.Auth.SignIn(c.UserContext(), app.Credentials{Email: email, Password: password,
		Code: utils.CopyString(c.FormValue("code")), Device: utils.CopyString(s.Cookie(c, web.DeviceCookie))})
	if err != nil {
		if app.ErrorCode(err) == app.EUNAUTHORIZED {
			s.Audit.RecordAs(c.UserContext(), &app.AuditEntry{ActorKind: app.ActorAnonymous, Actor: strings.ToLower(strings.TrimSpace(email)), Action: "login.failed", Target: "nexus"})
		}
		code := app.ErrorCode(err)
		if code != app.EUNAUTHORIZED && code != app.ETOOMANY {
			return err
		}
		var rl *app.RateLimitError
		if web.AsRateLimit(err, &rl) {
			c.Set(fiber.HeaderRetryAfter, web.Itoa(int(rl.RetryAfter.Seconds())))
		}
		c.Status(web.ErrorStatus(code))
		p := &loginPage{Email: email, Next: next, Error: app.ErrorMessage(err), Slowed: code == app.ETOOMANY}
		p.Layout = s.Layout(c, web.HostNexus, "Sign in")
		return s.Render(c, "nexus/login", p)
	}
	sess, a := in.Session, in.Admin
	s.SetCookie(c, web.DeviceCookie, in.Device, app.LoginDeviceTTL)
	if !in.SecondFactorDone {
		if shown, err := s.adminNeedsCode(c, sess, a, next); err != nil || shown {
			return err
		}
	}
	s.Audit.Record(app.NewContextWithAdmin(c.UserContext(), a), "login", "nexus", "")
	s.SetCookie(c, sessionCookie, sess.ID, app.SessionTTL)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Handler) handleLogout(c *fiber.Ctx) error {
	if id := s.Cookie(c, sessionCookie); id != "" {
		if err := s.Auth.Logout(c.UserContext(), utils.CopyString(id)); err != nil {
			return err
		}
	}
	s.ClearCookie(c, sessionCookie)
	s.SetFlash(c, "ok", "You are signed out.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

type setupPage struct {
	web.Layout
	Token  string
	Token_ *app.AdminToken
	Email  string
	Name   string
	Errors map[string]string
	Error  string
}

func (s *Handler) handleSetupView(c *fiber.Ctx) error {
	token := utils.CopyString(c.Query("token"))
	t, err := s.Auth.CheckToken(c.UserContext(), token)
	p := &setupPage{Token: token, Token_: t}
	p.Layout = s.Layout(c, web.HostNexus, "Set your password")
	if err != nil {
		c.Status(web.ErrorStatus(app.ErrorCode(err)))
		p.Error = app.ErrorMessage(err)
	} else {
		p.Email = t.Email
	}
	return s.Render(c, "nexus/setup", p)
}

func (s *Handler) handleSetup(c *fiber.Ctx) error {
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
		p.Layout = s.Layout(c, web.HostNexus, "Set your password")
		if f := app.ErrorField(err); f != "" {
			p.Errors = map[string]string{f: app.ErrorMessage(err)}
		} else {
			p.Error = app.ErrorMessage(err)
		}
		c.Status(web.ErrorStatus(code))
		return s.Render(c, "nexus/setup", p)
	}
	if password != confirm {
		return fail(app.FieldErrorf("confirm", "The two passwords do not match."))
	}
	a, err := s.Auth.RedeemToken(c.UserContext(), token, p.Email, p.Name, password)
	if err != nil {
		return fail(err)
	}
	// The new admin is signed in with the password just set, so the
	// first run goes on to the dashboard's checklist without retyping.
	in, err := s.Auth.SignIn(c.UserContext(), app.Credentials{Email: a.Email, Password: password, Device: utils.CopyString(s.Cookie(c, web.DeviceCookie))})
	if err != nil {
		// Refused (rate limited, say): the password is set all the same.
		s.SetFlash(c, "ok", "Password set for "+a.Email+". Sign in with it now.")
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	s.SetCookie(c, web.DeviceCookie, in.Device, app.LoginDeviceTTL)
	if !in.SecondFactorDone {
		if shown, err := s.adminNeedsCode(c, in.Session, in.Admin, "/"); err != nil || shown {
			return err
		}
	}
	s.Audit.Record(app.NewContextWithAdmin(c.UserContext(), in.Admin), "login", "nexus", "after setup")
	s.SetCookie(c, sessionCookie, in.Session.ID, app.SessionTTL)
	s.SetFlash(c, "ok", "Password set for "+a.Email+": you are signed in. The checklist below takes the appliance to ready.")
	return c.Redirect("/", fiber.StatusSeeOther)
}

type dashboardPage struct {
	web.Layout
	Leads      []*app.Lead
	LeadsTotal int
	Admins     int
	URLs       map[string]string
	// FederalAlerts are the house tenant's latest federal alerts
	// (expiries, deadlines, digests); nil when federal work is off.
	FederalAlerts []*federal.FederalAlert
	// Dash is Mission Control's charts (nil without a dashboard store).
	Dash *web.DashView
	// Checklist is the first-run checklist, checked now; ChecklistDone
	// counts its done items.
	Checklist     []app.ChecklistItem
	ChecklistDone int
}

func (s *Handler) handleDashboard(c *fiber.Ctx) error {
	leads, total, err := s.Leads.ListLeads(c.UserContext(), 5)
	if err != nil {
		return err
	}
	n, err := s.Auth.CountAdmins(c.UserContext())
	if err != nil {
		return err
	}
	p := &dashboardPage{Leads: leads, LeadsTotal: total, Admins: n,
		URLs: map[string]string{"Marketing site": s.URL(web.HostSite), "Client portal": s.URL(web.HostPortal), "Nexus": s.URL(web.HostNexus)}}
	if s.Federal != nil {
		if p.FederalAlerts, err = s.Federal.FindAlerts(app.NewContextWithTenant(c.UserContext(), &app.Tenant{ID: app.HouseTenantID}), federal.AlertFilter{Limit: 5}); err != nil {
			return err
		}
	}
	if s.Onboarding != nil {
		p.Checklist = s.Onboarding.Checklist(c.UserContext())
		for _, it := range p.Checklist {
			if it.Done() {
				p.ChecklistDone++
			}
		}
	}
	if s.Dashboard != nil {
		if p.Dash, err = s.missionControl(c); err != nil {
			return err
		}
	}
	p.Layout = s.Layout(c, web.HostNexus, "Mission Control")
	return s.Render(c, "nexus/dashboard", p)
}

type leadsPage struct {
	web.Layout
	Leads []*app.Lead
	Total int
}

func (s *Handler) handleLeads(c *fiber.Ctx) error {
	leads, total, err := s.Leads.ListLeads(c.UserContext(), 200)
	if err != nil {
		return err
	}
	p := &leadsPage{Leads: leads, Total: total}
	p.Layout = s.Layout(c, web.HostNexus, "Leads")
	return s.Render(c, "nexus/leads", p)
}

type adminsPage struct {
	web.Layout
	Admins   []*app.Admin
	Link     string
	Email    string
	Name     string
	Role     string
	Errors   map[string]string
	CanWrite bool
}

func (s *Handler) handleAdmins(c *fiber.Ctx) error {
	return s.renderAdmins(c, &adminsPage{Role: app.RoleStaff})
}

func (s *Handler) renderAdmins(c *fiber.Ctx, p *adminsPage) error {
	var err error
	if p.Admins, err = s.Auth.ListAdmins(c.UserContext()); err != nil {
		return err
	}
	p.CanWrite = web.Admin(c).Role == app.RoleOwner
	p.Layout = s.Layout(c, web.HostNexus, "Admins")
	return s.Render(c, "nexus/admins", p)
}

// handleAdminInvite creates an admin and shows the one-time link to pass
// on (there is no mailer yet, so the owner copies it).
func (s *Handler) handleAdminInvite(c *fiber.Ctx) error {
	if err := requireOwnerAdmin(c, "add admins"); err != nil {
		return err
	}
	p := &adminsPage{Email: utils.CopyString(c.FormValue("email")), Name: utils.CopyString(c.FormValue("name")), Role: utils.CopyString(c.FormValue("role"))}
	tok, err := s.Auth.InviteAdmin(c.UserContext(), &app.Admin{Email: p.Email, Name: p.Name, Role: p.Role})
	if err != nil {
		if app.ErrorCode(err) == app.EINTERNAL {
			return err
		}
		c.Status(web.ErrorStatus(app.ErrorCode(err)))
		p.Errors = map[string]string{web.FieldOr(err, "email"): app.ErrorMessage(err)}
		return s.renderAdmins(c, p)
	}
	s.Logger.Info("admin invited", "by", web.Admin(c).ID, "email", p.Email)
	s.Audit.Record(c.UserContext(), "admin.invite", "admin:"+strings.ToLower(p.Email), "role "+p.Role)
	return s.renderAdmins(c, &adminsPage{Role: app.RoleStaff, Link: s.URL(web.HostNexus) + "/setup?token=" + url.QueryEscape(tok)})
}

type siteEditorPage struct {
	web.Layout
	Pages   []*app.Page
	Page    *app.Page
	Blocks  string
	Errors  map[string]string
	SiteURL string
}

func (s *Handler) handleSiteEditor(c *fiber.Ctx) error {
	if id, ok := s.SiteBuilder.HouseSiteID(c.UserContext()); ok { // the pages moved into the builder
		return c.Redirect("/sites/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
	}
	pages, err := s.Site.ListPages(c.UserContext())
	if err != nil {
		return err
	}
	p := &siteEditorPage{Pages: pages, SiteURL: s.URL(web.HostSite)}
	slug := c.Params("slug")
	if slug == "home" {
		slug = ""
	}
	if pg, err := s.Site.PageBySlug(c.UserContext(), utils.CopyString(slug)); err == nil {
		p.Page = pg
		b, _ := json.MarshalIndent(pg.Blocks, "", "  ")
		p.Blocks = string(b)
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return err
	} else if slug != "" {
		return err
	}
	p.Layout = s.Layout(c, web.HostNexus, "Site content")
	return s.Render(c, "nexus/site", p)
}

// handleSiteSave validates and stores a page's content; the cached page is
// dropped so the next visitor sees the change.
func (s *Handler) handleSiteSave(c *fiber.Ctx) error {
	if _, ok := s.SiteBuilder.HouseSiteID(c.UserContext()); ok {
		return app.Errorf(app.ECONFLICT, "The site's pages are edited in Growth › Websites & Funnels now.")
	}
	pg := &app.Page{
		Slug:        utils.CopyString(c.FormValue("slug")),
		Title:       utils.CopyString(c.FormValue("title")),
		Description: utils.CopyString(c.FormValue("description")),
		NavLabel:    utils.CopyString(c.FormValue("nav_label")),
	}
	pg.NavOrder, _ = web.AtoiDefault(c.FormValue("nav_order"), 0)
	blocks := utils.CopyString(c.FormValue("blocks"))
	err := json.Unmarshal([]byte(blocks), &pg.Blocks)
	if err != nil {
		err = app.FieldErrorf("blocks", "Blocks must be a JSON array of sections: %s.", strings.TrimPrefix(err.Error(), "json: "))
	} else {
		err = s.Site.SavePage(c.UserContext(), pg)
	}
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		pages, _ := s.Site.ListPages(c.UserContext())
		p := &siteEditorPage{Pages: pages, Page: pg, Blocks: blocks, Errors: map[string]string{app.ErrorField(err): app.ErrorMessage(err)}, SiteURL: s.URL(web.HostSite)}
		p.Layout = s.Layout(c, web.HostNexus, "Site content")
		c.Status(fiber.StatusBadRequest)
		return s.Render(c, "nexus/site", p)
	}
	s.SitePages.Invalidate()
	s.Logger.Info("site page saved", "slug", pg.Slug, "by", web.Admin(c).ID)
	s.SetFlash(c, "ok", "Saved. The page is live.")
	slug := pg.Slug
	if slug == "" {
		slug = "home"
	}
	return c.Redirect("/site/"+slug, fiber.StatusSeeOther)
}
