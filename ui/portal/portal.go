package portal

import (
	"errors"
	"fmt"
	"orengen/ui/web"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// portalSessionCookie holds a portal session ID. It is not the Nexus
// cookie: the two hosts never share a session.
const portalSessionCookie = "psid"

// registerPortalRoutes serves the white-label client portal: app.DOMAIN
// (the tenant is chosen by the login) and tenants' custom domains (the
// tenant is fixed by the host). Public routes first, then the API (its
// own bearer auth), then everything behind requireUser.
func (s *Handler) Mount(r fiber.Router) {
	csrf := s.CSRF(web.HostPortal)
	r.Use(s.loadPortalSession)
	r.Get("/brand.css", s.handleBrandCSS)
	s.API.MountTwilio(r)
	r.Get("/logo", s.handlePortalLogo)
	r.Get("/login", s.handlePortalLoginView)
	r.Post("/login", csrf, s.handlePortalLogin)
	r.Post("/login/code", csrf, s.handlePortalLoginCode)
	r.Post("/logout", csrf, s.handlePortalLogout)
	r.Get("/invite", s.handleInviteView)
	r.Post("/invite", csrf, s.handleInviteAccept)
	r.Get("/reset", s.handleResetRequestView)
	r.Post("/reset", csrf, s.handleResetRequest)
	r.Get("/reset/confirm", s.handleResetConfirmView)
	r.Post("/reset/confirm", csrf, s.handleResetConfirm)
	s.SitePages.MountForms(r, web.HostPortal)
	s.WikiPages.MountShare(r)     // public share links (a help center)
	s.SiteBuilder.MountPreview(r) // shared draft previews of websites
	if s.CalendarPages != nil {
		s.CalendarPages.MountPublic(r, web.HostPortal) // booking pages
	}
	if s.BrandPages != nil {
		s.BrandPages.MountPublic(r, web.HostPortal) // the press page of the domain's tenant
	}
	if s.CreatorPages != nil {
		s.CreatorPages.MountPublic(r, csrf) // a creator's private link (no account)
	}
	if s.InboxPages != nil {
		s.InboxPages.MountPublic(r) // broadcast emails' unsubscribe links
	}
	s.AgentPages.MountChat(r, web.HostPortal)
	s.AgentPages.MountCalls(r)
	s.API.MountTenant(r)
	if s.CoursePages != nil {
		s.CoursePages.MountMembers(r, csrf) // the members' area: its own sign-in
	}

	authed := r.Group("", s.requireUser, s.ModuleGate) // ModuleGate: the plan's feature switches
	authed.Get("/", s.handlePortalDashboard)
	authed.Get("/leads", s.handlePortalLeads)
	authed.Post("/leads", csrf, s.handlePortalLeadCreate)
	authed.Get("/leads/:id", s.handlePortalLead)
	authed.Post("/leads/:id/delete", csrf, s.handlePortalLeadDelete)
	s.registerPortalUserRoutes(authed, csrf)
	s.CRMPages.Mount(authed, csrf)
	s.FederalPages.MountPortal(authed, csrf)
	if s.Webhooks != nil {
		s.registerOutboundWebhookRoutes(authed, csrf)
	}
	if s.Automations != nil {
		s.Automation.MountPortalRequests(authed, csrf)
		s.Automation.MountWorkflows(authed, csrf, web.PortalScope)
	}
	s.FormPages.Mount(authed, csrf, web.PortalScope)
	s.WikiPages.Mount(authed, csrf, web.PortalScope)
	s.SheetPages.Mount(authed, csrf, web.PortalScope)
	s.AgentPages.Mount(authed, csrf, web.PortalScope)
	s.SiteBuilder.Mount(authed, csrf, web.PortalScope)
	if s.CalendarPages != nil {
		s.CalendarPages.Mount(authed, csrf, web.PortalScope)
	}
	if s.InboxPages != nil {
		s.InboxPages.Mount(authed, csrf, web.PortalScope)
	}
	if s.BillingPages != nil {
		s.BillingPages.Mount(authed, csrf, web.PortalScope)
	}
	if s.BrandPages != nil {
		s.BrandPages.Mount(authed, csrf, web.PortalScope)
	}
	if s.CreatorPages != nil {
		s.CreatorPages.Mount(authed, csrf, web.PortalScope)
	}
	if s.CoursePages != nil {
		s.CoursePages.Mount(authed, csrf, web.PortalScope)
	}
	s.PlatformPages.MountPortal(authed, csrf)
}

// tenantBrand is what the portal shows as its owner. Without a tenant it
// is neutral: never the agency's name or logo.
func tenantBrand(t *app.Tenant) web.Brand {
	if t == nil {
		return web.Brand{Name: "Client portal"}
	}
	b := web.Brand{Name: t.BrandName(), CSSURL: "/brand.css?v=" + t.BrandVersion(), SupportEmail: t.SupportEmail}
	if t.LogoHash != "" {
		b.LogoURL = "/logo?v=" + t.LogoHash
	}
	return b
}

func portalNav(u *app.User, wiki, sheets bool) []web.NavSection {
	nav := []web.NavSection{
		{Name: "Workspace", Items: []web.NavItem{{Label: "Overview", Path: "/"}, {Label: "Leads", Path: "/leads"}}},
		{Name: "CRM", Items: []web.NavItem{{Label: "People", Path: "/crm/people"}, {Label: "Companies", Path: "/crm/companies"}, {Label: "Deals", Path: "/crm/deals"}, {Label: "Pipeline", Path: "/crm/pipeline"}, {Label: "CRM settings", Path: "/crm/settings"}}},
		{Name: "Account", Items: []web.NavItem{{Label: "My account", Path: "/account"}, {Label: "Team", Path: "/team"}}},
	}
	if u.Role == app.UserRoleOwner {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Automations", Path: "/automations"})
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Forms", Path: "/forms"})
		nav[2].Items = append(nav[2].Items, web.NavItem{Label: "API keys", Path: "/apikeys"}, web.NavItem{Label: "API & developer tools", Path: "/developers"}, web.NavItem{Label: "Webhooks", Path: "/webhooks"})
	}
	if wiki {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Knowledge", Path: "/knowledge"})
	}
	if sheets {
		nav[0].Items = append(nav[0].Items, web.NavItem{Label: "Data & Sheets", Path: "/data"})
	}
	return nav
}

// loadPortalSession resolves the portal session cookie to a user and
// tenant. On a custom domain a session of another tenant counts as none.
func (s *Handler) loadPortalSession(c *fiber.Ctx) error {
	id := s.Cookie(c, portalSessionCookie)
	if id == "" || s.Users == nil {
		return c.Next()
	}
	_, u, t, err := s.Users.Authenticate(c.UserContext(), utils.CopyString(id))
	if app.ErrorCode(err) == app.EUNAUTHORIZED {
		s.ClearCookie(c, portalSessionCookie)
		return c.Next()
	} else if err != nil {
		return err
	}
	if dt := web.DomainTenant(c); dt != nil && dt.ID != t.ID {
		return c.Next()
	}
	s.MigrateCookie(c, portalSessionCookie, utils.CopyString(id), app.SessionTTL)
	web.SetUser(c, u, t)
	c.SetUserContext(app.NewContextWithUser(app.NewContextWithTenant(c.UserContext(), t), u))
	return c.Next()
}

// requireUser sends anonymous visitors to the portal's sign-in page.
func (s *Handler) requireUser(c *fiber.Ctx) error {
	if web.User(c) == nil {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
		return app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	return c.Next()
}

// handleBrandCSS serves the tenant's colours as CSS custom properties. The
// versioned URL changes with the brand, so it may be cached for long; it
// is private because on app.DOMAIN it depends on the session.
func (s *Handler) handleBrandCSS(c *fiber.Ctx) error {
	t := web.Tenant(c)
	css := ":root{}\n"
	if t != nil {
		css = t.BrandCSS()
		if c.Query("v") == t.BrandVersion() {
			c.Set(fiber.HeaderCacheControl, "private, max-age=31536000, immutable")
		} else {
			c.Set(fiber.HeaderCacheControl, "no-cache")
		}
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderVary, fiber.HeaderCookie)
	return c.SendString(css)
}

// handlePortalLogo serves the tenant's logo with its stored type.
func (s *Handler) handlePortalLogo(c *fiber.Ctx) error {
	t := web.Tenant(c)
	if t == nil {
		return app.Errorf(app.ENOTFOUND, "Logo not found.")
	}
	l, err := s.Tenants.Logo(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return web.SendLogo(c, l, "private")
}

// loginForm is a parsed sign-in form.
type loginForm struct {
	Email    string
	Password string
	Next     string
}

// parseLoginForm normalises a sign-in form. It refuses oversized or
// non-UTF-8 input with a field error, and keeps Next on this host.
func parseLoginForm(get func(string) string) (loginForm, error) {
	f := loginForm{Email: strings.ToLower(strings.TrimSpace(get("email"))), Password: get("password"), Next: web.SafeNext(get("next"))}
	switch {
	case f.Email == "":
		return f, app.FieldErrorf("email", "Email required.")
	case len(f.Email) > 254 || !utf8.ValidString(f.Email) || strings.ContainsAny(f.Email, "\x00\r\n"):
		return f, app.FieldErrorf("email", "Enter a valid email address, like name@example.com.")
	case f.Password == "":
		return f, app.FieldErrorf("password", "Password required.")
	case len(f.Password) > 1024:
		return f, app.FieldErrorf("password", "Password must be at most 1024 bytes.")
	}
	return f, nil
}

type portalLoginPage struct {
	web.Layout
	Email string
	Error string
	Code  bool // the two-factor step
	// Slowed shows a two-factor code field beside the password (see
	// loginPage).
	Slowed bool
}

func (s *Handler) handlePortalLoginView(c *fiber.Ctx) error {
	if web.User(c) != nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	p := &portalLoginPage{}
	p.Layout = s.Layout(c, web.HostPortal, "Sign in")
	return s.Render(c, "portal/login", p)
}

func (s *Handler) renderLoginError(c *fiber.Ctx, p *portalLoginPage, err error) error {
	code := app.ErrorCode(err)
	if code == app.EINTERNAL {
		return err
	}
	var rl *app.RateLimitError
	if errors.As(err, &rl) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
	}
	status := web.ErrorStatus(code)
	if code == app.EINVALID {
		status = fiber.StatusUnauthorized
	}
	c.Status(status)
	p.Error = app.ErrorMessage(err)
	p.Slowed = code == app.ETOOMANY && !p.Code
	p.Layout = s.Layout(c, web.HostPortal, "Sign in")
	return s.Render(c, "portal/login", p)
}

func (s *Handler) handlePortalLogin(c *fiber.Ctx) error {
	f, err := parseLoginForm(web.FormGetter(c))
	p := &portalLoginPage{Email: f.Email}
	if err != nil {
		return s.renderLoginError(c, p, app.Errorf(app.EUNAUTHORIZED, "Wrong email or password."))
	}
	sess, device, err := s.Users.SignIn(c.UserContext(), web.FixedTenantID(c), app.Credentials{Email: f.Email, Password: f.Password,
		Code: utils.CopyString(c.FormValue("code")), Device: utils.CopyString(s.Cookie(c, web.DeviceCookie))})
	if device != "" {
		s.SetCookie(c, web.DeviceCookie, device, app.LoginDeviceTTL)
	}
	if errors.Is(err, app.ErrCodeRequired) {
		s.SetCookie(c, portalSessionCookie, sess.ID, app.PendingLoginTTL)
		p.Code = true
		p.Layout = s.Layout(c, web.HostPortal, "Two-factor code")
		return s.Render(c, "portal/login", p)
	} else if err != nil {
		return s.renderLoginError(c, p, err)
	}
	s.SetCookie(c, portalSessionCookie, sess.ID, app.SessionTTL)
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (s *Handler) handlePortalLoginCode(c *fiber.Ctx) error {
	sess, err := s.Users.VerifyLoginCode(c.UserContext(), utils.CopyString(s.Cookie(c, portalSessionCookie)), utils.CopyString(c.FormValue("code")),
		utils.CopyString(s.Cookie(c, web.DeviceCookie)))
	if err != nil {
		p := &portalLoginPage{Code: errors.Is(err, app.ErrBadCode)}
		return s.renderLoginError(c, p, err)
	}
	s.SetCookie(c, portalSessionCookie, sess.ID, app.SessionTTL)
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (s *Handler) handlePortalLogout(c *fiber.Ctx) error {
	if id := s.Cookie(c, portalSessionCookie); id != "" {
		if err := s.Users.Logout(c.UserContext(), utils.CopyString(id)); err != nil {
			return err
		}
	}
	s.ClearCookie(c, portalSessionCookie)
	s.SetFlash(c, "ok", "You are signed out.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// tokenPage serves the invitation and password-reset forms.
type tokenPage struct {
	web.Layout
	Purpose string // invite, reset
	Token   string
	Email   string
	Name    string
	Error   string
	Errors  map[string]string
	Sent    bool // reset request acknowledged
}

func (s *Handler) renderTokenPage(c *fiber.Ctx, page string, p *tokenPage, title string) error {
	p.Layout = s.Layout(c, web.HostPortal, title)
	return s.Render(c, page, p)
}

// tokenView shows the set-password form of a valid link, or a clear error.
func (s *Handler) tokenView(purpose, title string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		tok := utils.CopyString(c.Query("token"))
		p := &tokenPage{Purpose: purpose, Token: tok}
		_, u, t, err := s.Users.CheckToken(c.UserContext(), tok, purpose)
		if err != nil {
			if app.ErrorCode(err) == app.EINTERNAL {
				return err
			}
			var rl *app.RateLimitError
			if errors.As(err, &rl) {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
			}
			c.Status(web.ErrorStatus(app.ErrorCode(err)))
			p.Error, p.Token = app.ErrorMessage(err), ""
			return s.renderTokenPage(c, "portal/token", p, title)
		}
		if dt := web.DomainTenant(c); dt != nil && dt.ID != t.ID {
			c.Status(fiber.StatusNotFound)
			p.Error, p.Token = "This link is invalid, expired or already used. Ask for a new one.", ""
			return s.renderTokenPage(c, "portal/token", p, title)
		}
		web.SetSessionTenant(c, t)
		p.Email, p.Name = u.Email, u.Name
		return s.renderTokenPage(c, "portal/token", p, title)
	}
}

func (s *Handler) tokenSubmit(purpose, title, done string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := &tokenPage{Purpose: purpose, Token: utils.CopyString(c.FormValue("token")), Name: utils.CopyString(c.FormValue("name"))}
		password, confirm := utils.CopyString(c.FormValue("password")), c.FormValue("confirm")
		var err error
		if password != confirm {
			err = app.FieldErrorf("confirm", "The two passwords do not match.")
		} else if dt := web.DomainTenant(c); dt != nil {
			if _, _, t, cerr := s.Users.CheckToken(c.UserContext(), p.Token, purpose); cerr != nil {
				err = cerr
			} else if t.ID != dt.ID {
				err = app.Errorf(app.ENOTFOUND, "This link is invalid, expired or already used. Ask for a new one.")
			}
		}
		if err == nil {
			_, err = s.Users.RedeemToken(c.UserContext(), p.Token, purpose, p.Name, password)
		}
		if err != nil {
			code := app.ErrorCode(err)
			if code == app.EINTERNAL {
				return err
			}
			var rl *app.RateLimitError
			if errors.As(err, &rl) {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
			}
			c.Status(web.ErrorStatus(code))
			if f := app.ErrorField(err); f != "" {
				p.Errors = map[string]string{f: app.ErrorMessage(err)}
				if _, u, t, cerr := s.Users.CheckToken(c.UserContext(), p.Token, purpose); cerr == nil {
					p.Email = u.Email
					web.SetSessionTenant(c, t)
				}
			} else {
				p.Error, p.Token = app.ErrorMessage(err), ""
			}
			return s.renderTokenPage(c, "portal/token", p, title)
		}
		s.SetFlash(c, "ok", done)
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
}

func (s *Handler) handleInviteView(c *fiber.Ctx) error {
	return s.tokenView(app.TokenInvite, "Accept your invitation")(c)
}

func (s *Handler) handleInviteAccept(c *fiber.Ctx) error {
	return s.tokenSubmit(app.TokenInvite, "Accept your invitation", "Your password is set. Sign in with it now.")(c)
}

func (s *Handler) handleResetConfirmView(c *fiber.Ctx) error {
	return s.tokenView(app.TokenPwReset, "Choose a new password")(c)
}

func (s *Handler) handleResetConfirm(c *fiber.Ctx) error {
	return s.tokenSubmit(app.TokenPwReset, "Choose a new password", "Your password is changed and your other sessions are signed out. Sign in now.")(c)
}

func (s *Handler) handleResetRequestView(c *fiber.Ctx) error {
	return s.renderTokenPage(c, "portal/reset", &tokenPage{Purpose: app.TokenPwReset}, "Reset your password")
}

// handleResetRequest always answers the same way, so it does not tell
// whether an account exists.
func (s *Handler) handleResetRequest(c *fiber.Ctx) error {
	email := utils.CopyString(c.FormValue("email"))
	err := s.Users.RequestReset(c.UserContext(), web.FixedTenantID(c), email)
	p := &tokenPage{Purpose: app.TokenPwReset, Email: email}
	if err != nil {
		var rl *app.RateLimitError
		if !errors.As(err, &rl) {
			return err
		}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
		c.Status(fiber.StatusTooManyRequests)
		p.Error = app.ErrorMessage(err)
	} else {
		p.Sent = true
	}
	return s.renderTokenPage(c, "portal/reset", p, "Reset your password")
}

type portalDashboardPage struct {
	web.Layout
	Leads      []*app.Lead
	LeadsTotal int
	Users      int
	// Automations are the owner's approved automations (workflow and runs).
	Automations []*app.TenantAutomation
	// Dash is the tenant's charts (nil without a dashboard store).
	Dash *web.DashView
}

func (s *Handler) handlePortalDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	leads, total, err := s.Leads.ListTenantLeads(ctx, 5)
	if err != nil {
		return err
	}
	users, err := s.Users.ListUsers(ctx)
	if err != nil {
		return err
	}
	p := &portalDashboardPage{Leads: leads, LeadsTotal: total, Users: len(users)}
	if u := web.User(c); u.Role == app.UserRoleOwner && s.Automations != nil {
		as, err := s.Automations.TenantAutomations(ctx)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Workflow != nil {
				p.Automations = append(p.Automations, a)
			}
		}
	}
	if s.Dashboard != nil {
		if p.Dash, err = s.tenantDashboard(c); err != nil {
			return err
		}
	}
	p.Layout = s.Layout(c, web.HostPortal, "Overview")
	return s.Render(c, "portal/dashboard", p)
}

type portalLeadsPage struct {
	web.Layout
	Leads  []*app.Lead
	Total  int
	Form   web.LeadForm
	Errors map[string]string
}

func (s *Handler) handlePortalLeads(c *fiber.Ctx) error {
	return s.renderPortalLeads(c, &portalLeadsPage{})
}

func (s *Handler) renderPortalLeads(c *fiber.Ctx, p *portalLeadsPage) error {
	var err error
	if p.Leads, p.Total, err = s.Leads.ListTenantLeads(c.UserContext(), 200); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostPortal, "Leads")
	return s.Render(c, "portal/leads", p)
}

func (s *Handler) handlePortalLeadCreate(c *fiber.Ctx) error {
	f := web.LeadForm{
		FirstName: utils.CopyString(c.FormValue("first_name")), LastName: utils.CopyString(c.FormValue("last_name")),
		Email: utils.CopyString(c.FormValue("email")), Phone: utils.CopyString(c.FormValue("phone")),
		Company: utils.CopyString(c.FormValue("company")), Message: utils.CopyString(c.FormValue("message")),
	}
	l := &app.Lead{FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, Phone: f.Phone, Company: f.Company, Message: f.Message, Source: "portal",
		IP: app.RequestFromContext(c.UserContext()).IP}
	if err := s.Leads.CreateTenantLead(c.UserContext(), l); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderPortalLeads(c, &portalLeadsPage{Form: f, Errors: map[string]string{web.FieldOr(err, "first_name"): app.ErrorMessage(err)}})
	}
	s.SetFlash(c, "ok", "Lead added.")
	return c.Redirect(fmt.Sprintf("/leads/%d", l.ID), fiber.StatusSeeOther)
}

type portalLeadPage struct {
	web.Layout
	Lead *app.Lead
}

func (s *Handler) handlePortalLead(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	l, err := s.Leads.TenantLead(c.UserContext(), id)
	if err != nil {
		return err
	}
	p := &portalLeadPage{Lead: l}
	p.Layout = s.Layout(c, web.HostPortal, "Lead")
	return s.Render(c, "portal/lead", p)
}

func (s *Handler) handlePortalLeadDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Leads.DeleteTenantLead(c.UserContext(), id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Lead deleted.")
	return c.Redirect("/leads", fiber.StatusSeeOther)
}
