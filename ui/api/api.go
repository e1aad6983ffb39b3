package api

import (
	"orengen/ui/web"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// REST API: /api/v1 on app.DOMAIN (and custom domains) takes tenant keys,
// on nexus.DOMAIN admin keys. Requests authenticate with
// "Authorization: Bearer KEY" only (no cookies, so no CSRF), and errors
// are {"error":{"code":...,"message":...}} (see errorHandler).

func (s *Handler) MountTenant(r fiber.Router) {
	s.MountTwenty(r, web.HostPortal)
	s.MountGraphQL(r, web.HostPortal)
	s.MountMCP(r, web.HostPortal)
	api := r.Group("/api/v1", s.requireAPIKey(web.HostPortal), s.ModuleGate) // ModuleGate: the plan's feature switches
	api.Get("/me", s.handleAPITenantMe)
	api.Get("/leads", s.handleAPILeads)
	api.Post("/leads", web.RequireWriteKey, s.handleAPILeadCreate)
	api.Get("/leads/:id", s.handleAPILead)
	api.Delete("/leads/:id", web.RequireWriteKey, s.handleAPILeadDelete)
	s.registerCRMAPIRoutes(api, web.HostPortal)
	s.registerSheetAPIRoutes(api)
	s.registerWikiAPIRoutes(api)
	s.registerCalendarAPIRoutes(api)
	s.registerCalendarSyncAPIRoutes(api)
	s.registerSiteAPIRoutes(api)
	s.registerAgentAPIRoutes(api)
	s.registerIntegrationAPIRoutes(api)
	s.registerWebhookAPIRoutes(api)
	s.registerConversationAPIRoutes(api)
	s.registerBillingAPIRoutes(api, web.HostPortal)
	s.registerCourseAPIRoutes(api)      // courses.go
	s.registerCommunityAPIRoutes(api)   // community.go
	s.registerCommunityEventRoutes(api) // community_events.go
	s.registerBrandAPIRoutes(api)       // brand.go (issue #22)
	s.registerCreatorAPIRoutes(api)     // creators.go (issue #22)
	api.Use(s.apiNoRoute(web.HostPortal))
}

func (s *Handler) MountAdmin(r fiber.Router) {
	s.MountTwenty(r, web.HostNexus)
	s.MountGraphQL(r, web.HostNexus)
	s.MountMCP(r, web.HostNexus)
	api := r.Group("/api/v1", s.requireAPIKey(web.HostNexus))
	api.Get("/me", s.handleAPIAdminMe)
	api.Get("/tenants", s.handleAPITenants)
	api.Post("/tenants", web.RequireWriteKey, s.handleAPITenantCreate)
	api.Get("/tenants/:id", s.handleAPITenant)
	s.registerFederalAPIRoutes(api)
	s.registerCRMAPIRoutes(api, web.HostNexus)
	s.registerSheetAPIRoutes(api)
	s.registerWikiAPIRoutes(api)
	s.registerCalendarAPIRoutes(api)
	s.registerCalendarSyncAPIRoutes(api)
	s.registerSiteAPIRoutes(api)
	s.registerAgentAPIRoutes(api)
	s.registerFOSSAPIRoutes(api)
	s.registerToolAPIRoutes(api)
	s.registerIntegrationAPIRoutes(api)
	s.registerWebhookAPIRoutes(api)
	s.registerConversationAPIRoutes(api)
	s.registerBillingAPIRoutes(api, web.HostNexus)
	s.registerCourseAPIRoutes(api)      // courses.go
	s.registerCommunityAPIRoutes(api)   // community.go
	s.registerCommunityEventRoutes(api) // community_events.go
	s.registerSnapshotAPIRoutes(api)
	s.registerWizardAPIRoutes(api)       // wizard.go (issue #22)
	s.registerTenantImportAPIRoutes(api) // tenant_import.go (issue #22)
	s.registerBrandAPIRoutes(api)        // brand.go (issue #22)
	s.registerCreatorAPIRoutes(api)      // creators.go (issue #22)
	api.Use(s.apiNoRoute(web.HostNexus))
}

// adminOnlyAPI and portalOnlyAPI are the /api/v1 paths of one host.
var (
	adminOnlyAPI  = []string{"/api/v1/tenants", "/api/v1/federal", "/api/v1/foss", "/api/v1/billing/plans", "/api/v1/billing/subscriptions", "/api/v1/billing/wallet-topups", "/api/v1/snapshots", "/api/v1/wizards", "/api/v1/tenant-imports"}
	portalOnlyAPI = []string{"/api/v1/leads"}
)

// apiNoRoute answers the /api/v1 requests no route of the host took, in
// JSON (never the sign-in redirect of the host's pages): 403 for an
// endpoint of the other host (it says which key and host it takes), 405
// for a known path with another method, else 404.
func (s *Handler) apiNoRoute(host string) fiber.Handler {
	other, where := adminOnlyAPI, "nexus."+s.Domain+" with an admin API key"
	if host == web.HostNexus {
		other, where = portalOnlyAPI, "app."+s.Domain+" (or a client's domain) with a tenant API key"
	}
	return func(c *fiber.Ctx) error {
		p := strings.TrimSuffix(c.Path(), "/")
		for _, o := range other {
			if p == o || strings.HasPrefix(p, o+"/") {
				return app.Errorf(app.EFORBIDDEN, "%s is served on %s.", o, where)
			}
		}
		for _, r := range c.App().GetRoutes(true) {
			if r.Method != c.Method() && strings.HasPrefix(r.Path, "/api/v1/") && web.RouteMatches(r.Path, p) {
				c.Set(fiber.HeaderAllow, strings.Join(apiMethods(c, p), ", "))
				return fiber.NewError(fiber.StatusMethodNotAllowed, "Method not allowed.")
			}
		}
		return app.Errorf(app.ENOTFOUND, "No API endpoint %s %s; the endpoints are listed at /api/v1/openapi.json.", c.Method(), p)
	}
}

// apiMethods lists the methods the API serves at path.
func apiMethods(c *fiber.Ctx, path string) []string {
	var out []string
	for _, r := range c.App().GetRoutes(true) {
		if strings.HasPrefix(r.Path, "/api/v1/") && web.RouteMatches(r.Path, path) && !slices.Contains(out, r.Method) && r.Method != fiber.MethodHead {
			out = append(out, r.Method)
		}
	}
	return out
}

// requireAPIKey authenticates the bearer key for host: tenant keys on the
// portal (of the custom domain's tenant, if any, and of an active
// tenant), admin keys on Nexus. Any mismatch is the same 401.
func (s *Handler) requireAPIKey(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		bad := app.Errorf(app.EUNAUTHORIZED, "Invalid API key.")
		raw, err := app.ParseBearer(c.Get(fiber.HeaderAuthorization))
		if err != nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer`)
			return err
		}
		k, err := s.APIKeys.Authenticate(c.UserContext(), utils.CopyString(raw))
		if err != nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
			return err
		}
		// The key is the only principal of an API request, even if the
		// browser also sent a portal session cookie.
		ctx := app.NewContextWithAPIKey(app.NewContextWithUser(c.UserContext(), nil), k)
		if host == web.HostNexus {
			if !k.Admin() {
				return bad
			}
		} else {
			if k.Admin() {
				return bad
			}
			if dt := web.DomainTenant(c); dt != nil && dt.ID != k.TenantID {
				return bad
			}
			t, err := s.Tenants.TenantByID(ctx, k.TenantID)
			if err != nil {
				return err
			}
			if !t.Active() {
				return app.Errorf(app.EUNAUTHORIZED, "This account is suspended.")
			}
			ctx = app.NewContextWithTenant(ctx, t)
		}
		// The key's rate limit: RateLimit-* headers on every answer, 429
		// with Retry-After past it.
		d := s.APIKeys.Allow(k)
		reset := int((d.Reset + time.Second - 1) / time.Second)
		c.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
		c.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
		c.Set("RateLimit-Reset", strconv.Itoa(reset))
		c.Set("RateLimit-Policy", strconv.Itoa(d.Limit)+";w=60")
		if !d.OK {
			return &app.RateLimitError{Err: app.Errorf(app.ETOOMANY, "This API key made its %d requests of the minute; retry in %d s, or raise the key's limit (API & developer tools).",
				d.Limit, reset), RetryAfter: time.Duration(reset) * time.Second}
		}
		web.SetAPIKey(c, k)
		c.SetUserContext(ctx)
		return c.Next()
	}
}

type apiTenant struct {
	ID           int64     `json:"id"`
	Slug         string    `json:"slug"`
	Name         string    `json:"name"`
	DisplayName  string    `json:"display_name"`
	Status       string    `json:"status"`
	House        bool      `json:"house"`
	PrimaryColor string    `json:"primary_color"`
	AccentColor  string    `json:"accent_color"`
	SupportEmail string    `json:"support_email"`
	Timezone     string    `json:"timezone"`
	CreatedAt    time.Time `json:"created_at"`
}

func toAPITenant(t *app.Tenant) apiTenant {
	return apiTenant{t.ID, t.Slug, t.Name, t.DisplayName, t.Status, t.House, t.PrimaryColor, t.AccentColor, t.SupportEmail, t.Timezone, t.CreatedAt}
}

type apiKeyInfo struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"`
	Scope     string    `json:"scope"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
}

func keyInfo(k *app.APIKey) apiKeyInfo {
	kind := "tenant"
	if k.Admin() {
		kind = "admin"
	}
	return apiKeyInfo{k.ID, k.Name, k.Prefix, k.Scope, kind, k.CreatedAt}
}

func (s *Handler) handleAPITenantMe(c *fiber.Ctx) error {
	k := app.APIKeyFromContext(c.UserContext())
	t := app.TenantFromContext(c.UserContext())
	return c.JSON(fiber.Map{"tenant": fiber.Map{"id": t.ID, "slug": t.Slug, "name": t.BrandName(), "timezone": t.Timezone}, "key": keyInfo(k), "scope": k.Scope})
}

func (s *Handler) handleAPIAdminMe(c *fiber.Ctx) error {
	k := app.APIKeyFromContext(c.UserContext())
	return c.JSON(fiber.Map{"key": keyInfo(k), "scope": k.Scope})
}

type apiLead struct {
	ID        int64     `json:"id"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	Company   string    `json:"company"`
	Message   string    `json:"message"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

func toAPILead(l *app.Lead) apiLead {
	return apiLead{l.ID, l.FirstName, l.LastName, l.Email, l.Phone, l.Company, l.Message, l.Source, l.CreatedAt}
}

// handleAPILeads is GET /api/v1/leads: newest first, in the
// {data, next_cursor} pages of every list.
func (s *Handler) handleAPILeads(c *fiber.Ctx) error {
	limit, err := web.AtoiDefault(c.Query("limit"), app.DefaultPageSize)
	if err != nil || limit < 1 || limit > app.MaxPageSize {
		return app.FieldErrorf("limit", "limit must be a number from 1 to %d.", app.MaxPageSize)
	}
	var before int64
	if cur := c.Query("cursor"); cur != "" {
		cc, err := app.DecodeCursor(cur)
		if err != nil {
			return err
		}
		before = cc.ID
	}
	leads, err := s.Leads.ListTenantLeadsBefore(c.UserContext(), before, limit+1)
	if err != nil {
		return err
	}
	leads, next := newestPage(leads, limit, func(l *app.Lead) int64 { return l.ID })
	out := make([]apiLead, 0, len(leads))
	for _, l := range leads {
		out = append(out, toAPILead(l))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": next})
}

func (s *Handler) handleAPILead(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	l, err := s.Leads.TenantLead(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPILead(l)})
}

func (s *Handler) handleAPILeadCreate(c *fiber.Ctx) error {
	var in apiLead
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	l := &app.Lead{FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Phone: in.Phone, Company: in.Company, Message: in.Message,
		Source: "api", IP: app.RequestFromContext(c.UserContext()).IP}
	if err := s.Leads.CreateTenantLead(c.UserContext(), l); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPILead(l)})
}

func (s *Handler) handleAPILeadDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Leads.DeleteTenantLead(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Handler) handleAPITenants(c *fiber.Ctx) error {
	ts, err := s.Tenants.ListTenants(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]apiTenant, 0, len(ts))
	for _, t := range ts {
		out = append(out, toAPITenant(t))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

func (s *Handler) handleAPITenant(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	t, err := s.Tenants.TenantByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPITenant(t)})
}

func (s *Handler) handleAPITenantCreate(c *fiber.Ctx) error {
	var in struct {
		Name         string `json:"name"`
		Slug         string `json:"slug"`
		DisplayName  string `json:"display_name"`
		PrimaryColor string `json:"primary_color"`
		AccentColor  string `json:"accent_color"`
		SupportEmail string `json:"support_email"`
		Timezone     string `json:"timezone"`
		Domain       string `json:"domain"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	t := &app.Tenant{Name: in.Name, Slug: in.Slug, DisplayName: in.DisplayName, PrimaryColor: in.PrimaryColor, AccentColor: in.AccentColor,
		SupportEmail: in.SupportEmail, Timezone: in.Timezone}
	if err := s.Tenants.CreateTenant(c.UserContext(), t, in.Domain); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPITenant(t)})
}
