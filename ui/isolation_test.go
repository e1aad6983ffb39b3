package ui_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// Access levels in the isolation matrix.
const (
	accPublic     = "public"     // anyone
	accUser       = "user"       // a signed-in tenant user (portal)
	accOwner      = "owner"      // a tenant owner (portal)
	accAdmin      = "admin"      // a signed-in Nexus admin
	accTenantKey  = "tenantkey"  // tenant API key, read scope is enough
	accTenantKeyW = "tenantkeyw" // tenant API key with write scope
	accAdminKey   = "adminkey"   // admin API key, read scope is enough
	accAdminKeyW  = "adminkeyw"  // admin API key with write scope
)

// Object kinds a route's parameter names; the matrix puts tenant B's
// object there and expects tenant A to get 404.
const (
	objLead    = "lead"
	objUser    = "user"
	objKey     = "apikey"
	objSession = "session"
	objTenant  = "tenant" // Nexus: B's tenant ID (admins may see it)
	// Nexus: another admin's session, which an admin may not revoke.
	objAdminSession = "adminsession"
)

type isoLine struct {
	Access string
	Obj    string
}

// isolationMatrix has one line per registered route: host, method and the path as
// registered. A new route without a line fails TestIsolationMatrix: add
// the line here when you add the route.
var isolationMatrix = map[string]isoLine{
	// Every host.
	"*|GET|/healthz":  {accPublic, ""},
	"*|GET|/assets/*": {accPublic, ""},

	// Marketing site (house tenant's accPublic pages and forms).
	"site|GET|/robots.txt":  {accPublic, ""},
	"site|GET|/sitemap.xml": {accPublic, ""},
	"site|POST|/leads":      {accPublic, ""},
	"site|GET|/thanks":      {accPublic, ""},
	// Lead-capture API: public, cross-origin, rate-limited per IP.
	"site|OPTIONS|/webhook/:form": {accPublic, ""},
	"site|POST|/webhook/:form":    {accPublic, ""},
	"site|GET|/":                  {accPublic, ""},
	"site|GET|/:slug":             {accPublic, ""},

	// Portal: public.
	"portal|GET|/brand.css":      {accPublic, ""},
	"portal|GET|/logo":           {accPublic, ""},
	"portal|GET|/login":          {accPublic, ""},
	"portal|POST|/login":         {accPublic, ""},
	"portal|POST|/login/code":    {accPublic, ""},
	"portal|POST|/logout":        {accPublic, ""},
	"portal|GET|/invite":         {accPublic, ""},
	"portal|POST|/invite":        {accPublic, ""},
	"portal|GET|/reset":          {accPublic, ""},
	"portal|POST|/reset":         {accPublic, ""},
	"portal|GET|/reset/confirm":  {accPublic, ""},
	"portal|POST|/reset/confirm": {accPublic, ""},
	// Twilio webhooks: public, each checked by X-Twilio-Signature (403).
	"portal|POST|/twilio/sms":    {accPublic, ""},
	"portal|POST|/twilio/voice":  {accPublic, ""},
	"portal|POST|/twilio/status": {accPublic, ""},
	// Portal: tenant API.
	"portal|GET|/api/v1/me":           {accTenantKey, ""},
	"portal|GET|/api/v1/leads":        {accTenantKey, ""},
	"portal|POST|/api/v1/leads":       {accTenantKeyW, ""},
	"portal|GET|/api/v1/leads/:id":    {accTenantKey, objLead},
	"portal|DELETE|/api/v1/leads/:id": {accTenantKeyW, objLead},
	// Portal: signed in.
	"portal|GET|/":                              {accUser, ""},
	"portal|GET|/leads":                         {accUser, ""},
	"portal|POST|/leads":                        {accUser, ""},
	"portal|GET|/leads/:id":                     {accUser, objLead},
	"portal|POST|/leads/:id/delete":             {accUser, objLead},
	"portal|GET|/account":                       {accUser, ""},
	"portal|POST|/account/password":             {accUser, ""},
	"portal|GET|/account/2fa":                   {accUser, ""},
	"portal|POST|/account/2fa":                  {accUser, ""},
	"portal|POST|/account/2fa/disable":          {accUser, ""},
	"portal|POST|/account/sessions/:key/revoke": {accUser, objSession},
	"portal|GET|/team":                          {accUser, ""},
	"portal|POST|/team":                         {accOwner, ""},
	"portal|POST|/team/:id/role":                {accOwner, objUser},
	"portal|POST|/team/:id/delete":              {accOwner, objUser},
	"portal|GET|/apikeys":                       {accOwner, ""},
	"portal|POST|/apikeys":                      {accOwner, ""},
	"portal|POST|/apikeys/:id/revoke":           {accOwner, objKey},

	// Nexus: public.
	"nexus|GET|/login":       {accPublic, ""},
	"nexus|POST|/login":      {accPublic, ""},
	"nexus|POST|/logout":     {accPublic, ""},
	"nexus|GET|/setup":       {accPublic, ""},
	"nexus|POST|/setup":      {accPublic, ""},
	"nexus|POST|/login/code": {accPublic, ""},
	// Nexus: an admin session or the metrics token (ui/metrics_test.go).
	"nexus|GET|/metrics": {accAdmin, ""},
	// Nexus: admin API.
	"nexus|GET|/api/v1/me":          {accAdminKey, ""},
	"nexus|GET|/api/v1/tenants":     {accAdminKey, ""},
	"nexus|POST|/api/v1/tenants":    {accAdminKeyW, ""},
	"nexus|GET|/api/v1/tenants/:id": {accAdminKey, objTenant},
	// Nexus: admins.
	"nexus|GET|/":                                 {accAdmin, ""},
	"nexus|GET|/leads":                            {accAdmin, ""},
	"nexus|GET|/admins":                           {accAdmin, ""},
	"nexus|POST|/admins":                          {accAdmin, ""},
	"nexus|GET|/site":                             {accAdmin, ""},
	"nexus|GET|/site/:slug?":                      {accAdmin, ""},
	"nexus|POST|/site":                            {accAdmin, ""},
	"nexus|GET|/tenants":                          {accAdmin, ""},
	"nexus|GET|/domains":                          {accAdmin, ""},
	"nexus|GET|/backups":                          {accAdmin, ""},
	"nexus|POST|/backups/drill":                   {accAdmin, ""},
	"nexus|POST|/domains":                         {accAdmin, ""},
	"nexus|POST|/domains/check":                   {accAdmin, ""},
	"nexus|POST|/domains/:id/delete":              {accAdmin, ""},
	"nexus|POST|/domains/:id/enable":              {accAdmin, ""},
	"nexus|POST|/domains/:id/disable":             {accAdmin, ""},
	"nexus|POST|/tenants":                         {accAdmin, ""},
	"nexus|GET|/tenants/:id":                      {accAdmin, objTenant},
	"nexus|POST|/tenants/:id":                     {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/status":              {accAdmin, objTenant},
	"nexus|GET|/tenants/:id/logo":                 {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/logo":                {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/logo/delete":         {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/users":               {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/apikeys":             {accAdmin, objTenant},
	"nexus|POST|/tenants/:id/apikeys/:kid/revoke": {accAdmin, objTenant},
	"nexus|GET|/apikeys":                          {accAdmin, ""},
	"nexus|POST|/apikeys":                         {accAdmin, ""},
	"nexus|POST|/apikeys/:id/revoke":              {accAdmin, ""},
	"nexus|GET|/vault":                            {accAdmin, ""},
	"nexus|GET|/automations":                      {accAdmin, ""},
	"nexus|GET|/automations/runs":                 {accAdmin, ""},
	"nexus|GET|/automations/runs/:id":             {accAdmin, ""},
	"nexus|POST|/automations/runs/:id/replay":     {accAdmin, ""},
	"nexus|GET|/automations/new":                  {accAdmin, ""},
	"nexus|POST|/automations/new":                 {accAdmin, ""},
	"nexus|GET|/automations/:id/edit":             {accAdmin, ""},
	"nexus|POST|/automations/:id/edit":            {accAdmin, ""},
	"nexus|POST|/automations/:id/enable":          {accAdmin, ""},
	"nexus|POST|/vault":                           {accAdmin, ""},
	"nexus|POST|/vault/delete":                    {accAdmin, ""},
	"nexus|GET|/audit":                            {accAdmin, ""},
	"nexus|GET|/outbox":                           {accAdmin, ""},
	"nexus|GET|/outbox/:id":                       {accAdmin, ""},
	"nexus|GET|/account":                          {accAdmin, ""},
	"nexus|POST|/account/2fa":                     {accAdmin, ""},
	"nexus|POST|/account/2fa/disable":             {accAdmin, ""},
	"nexus|POST|/account/2fa/policy":              {accAdmin, ""},
	"nexus|POST|/account/sessions/:key/revoke":    {accAdmin, objAdminSession},
}

type isoRoute struct {
	Host, Method, Path string
	Line               isoLine
}

// isoRegisteredRoutes lists every route of every host app, failing the test
// for any route without a isolationMatrix line.
func isoRegisteredRoutes(t *testing.T, s *ui.Server) []isoRoute {
	var out []isoRoute
	seen := map[string]bool{}
	for _, h := range []string{ui.HostSite, ui.HostPortal, ui.HostNexus} {
		rs := s.Routes(h)
		if len(rs) == 0 {
			t.Fatalf("host %s has no routes", h)
		}
		for _, r := range rs {
			if r.Method == http.MethodHead || r.Method == http.MethodConnect || r.Method == http.MethodTrace || r.Method == http.MethodOptions {
				continue
			}
			key := h + "|" + r.Method + "|" + r.Path
			if seen[key] {
				continue
			}
			seen[key] = true
			line, ok := isolationMatrix[key]
			if !ok {
				line, ok = isolationMatrix["*|"+r.Method+"|"+r.Path]
			}
			if !ok {
				t.Errorf("route %s %s on %s has no line in the isolation matrix (ui/isolation_test.go): add %q", r.Method, r.Path, h, key)
				continue
			}
			out = append(out, isoRoute{h, r.Method, r.Path, line})
		}
	}
	return out
}

// fill puts B's object (or harmless values) in a route's parameters.
func (e *tenantEnv) fill(r isoRoute) string {
	p := r.Path
	var id string
	switch r.Line.Obj {
	case objLead:
		id = strconv.FormatInt(e.B.Lead.ID, 10)
	case objUser:
		id = strconv.FormatInt(e.B.Owner.ID, 10)
	case objKey:
		id = strconv.FormatInt(e.B.KeyID, 10)
	case objSession:
		id = e.B.SessionKey
	case objTenant:
		id = strconv.FormatInt(e.B.T.ID, 10)
	case objAdminSession:
		id = e.OtherAdminSessionKey
	default:
		id = "1"
	}
	p = strings.ReplaceAll(p, ":slug?", "")
	p = strings.ReplaceAll(p, ":kid", strconv.FormatInt(e.B.KeyID, 10))
	p = strings.ReplaceAll(p, ":id", id)
	p = strings.ReplaceAll(p, ":key", id)
	p = strings.ReplaceAll(p, ":slug", "pricing")
	p = strings.ReplaceAll(p, "*", "x")
	return p
}

// bMarkers are strings only tenant B's data contains.
func (e *tenantEnv) bMarkers() []string {
	return []string{e.B.T.Name, e.B.Lead.FirstName, e.B.Owner.Email, e.B.Lead.Email, e.B.KeyRead[:12]}
}

func isoAuthRefusal(status int, resp *http.Response) bool {
	return status == http.StatusUnauthorized || status == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login")
}

func TestIsolationMatrix(t *testing.T) {
	e := newTenantEnv(t)
	routes := isoRegisteredRoutes(t, e.Server)
	if t.Failed() {
		t.FailNow()
	}
	for _, r := range routes {
		name := r.Host + " " + r.Method + " " + r.Path
		path := e.fill(r)
		post := r.Method != http.MethodGet
		base := treq{Host: r.Host, Method: r.Method, Path: path, CSRF: post}
		if strings.HasPrefix(r.Path, "/api/") {
			base.CSRF = false
			if r.Method == http.MethodPost {
				base.JSON = `{"first_name":"Api","email":"api@a.test","name":"Api Tenant"}`
			}
		}
		t.Run(name, func(t *testing.T) {
			// Anonymous: refused unless public.
			status, _, resp := e.do(base)
			if r.Line.Access != accPublic {
				if !isoAuthRefusal(status, resp) {
					t.Errorf("anonymous: status %d (location %q), want 401 or redirect to /login", status, resp.Header.Get("Location"))
				}
			} else if status >= 500 {
				t.Errorf("anonymous on a public route: status %d", status)
			}

			switch r.Line.Access {
			case accUser, accOwner:
				// Tenant A's owner never touches B's objects: 404.
				a := base
				a.Cookies = map[string]string{"psid": e.A.Cookie}
				status, body, _ := e.do(a)
				if r.Line.Obj != "" && status != http.StatusNotFound {
					t.Errorf("tenant A on B's %s: status %d, want 404", r.Line.Obj, status)
				}
				if status >= 500 {
					t.Errorf("tenant A: status %d", status)
				}
				for _, m := range e.bMarkers() {
					if strings.Contains(body, m) {
						t.Errorf("tenant A's response contains tenant B's %q", m)
					}
				}
				// The same request on Nexus: a tenant user never reaches it.
				n := a
				n.Host = ui.HostNexus
				if st, _, resp := e.do(n); st < 300 || st == http.StatusOK {
					t.Errorf("tenant user on nexus %s: status %d (location %q)", path, st, resp.Header.Get("Location"))
				}
				// A tenant API key is not a session.
				k := base
				k.Bearer = e.A.KeyWrite
				if st, _, resp := e.do(k); !isoAuthRefusal(st, resp) && st != http.StatusForbidden {
					t.Errorf("tenant key as a portal session: status %d", st)
				}
			case accTenantKey, accTenantKeyW:
				a := base
				a.Bearer = e.A.KeyWrite
				status, body, _ := e.do(a)
				if r.Line.Obj != "" && status != http.StatusNotFound {
					t.Errorf("tenant A's key on B's %s: status %d, want 404", r.Line.Obj, status)
				}
				if status >= 500 {
					t.Errorf("tenant A's key: status %d: %s", status, body)
				}
				for _, m := range e.bMarkers() {
					if strings.Contains(body, m) {
						t.Errorf("tenant A's API response contains tenant B's %q", m)
					}
				}
				if r.Line.Access == accTenantKeyW {
					ro := base
					ro.Bearer = e.A.KeyRead
					if st, _, _ := e.do(ro); st != http.StatusForbidden {
						t.Errorf("read-scoped key on a write isoRoute: status %d, want 403", st)
					}
				}
				// Admin keys and sessions are not tenant keys.
				for _, k := range []string{e.AdminKeyW, "ogt_" + strings.Repeat("A", 43), "garbage"} {
					x := base
					x.Bearer = k
					if st, _, _ := e.do(x); st != http.StatusUnauthorized {
						t.Errorf("key %.4s… on the tenant API: status %d, want 401", k, st)
					}
				}
				// A tenant key never works on Nexus.
				n := a
				n.Host = ui.HostNexus
				if st, _, resp := e.do(n); st < 300 {
					t.Errorf("tenant key on nexus %s: status %d (location %q)", path, st, resp.Header.Get("Location"))
				}
			case accAdmin:
				// A tenant user's session, even an owner's, is no admin.
				a := base
				a.Cookies = map[string]string{"psid": e.A.Cookie}
				if st, _, resp := e.do(a); !isoAuthRefusal(st, resp) {
					t.Errorf("tenant user on nexus: status %d, want 401 or redirect to /login", st)
				}
				k := base
				k.Bearer = e.A.KeyWrite
				if st, _, resp := e.do(k); !isoAuthRefusal(st, resp) && st != http.StatusForbidden {
					t.Errorf("tenant key on a nexus page: status %d", st)
				}
				if r.Line.Obj == objAdminSession {
					ad := base
					ad.Cookies = map[string]string{"orengen_session": e.AdminCookie}
					if st, _, _ := e.do(ad); st != http.StatusNotFound {
						t.Errorf("admin revoking another admin's session: status %d, want 404", st)
					}
				}
				// The admin does reach it (GETs only: POSTs change data).
				if r.Method == http.MethodGet {
					ad := base
					ad.Cookies = map[string]string{"orengen_session": e.AdminCookie}
					if st, body, _ := e.do(ad); st >= 400 && !(r.Path == "/tenants/:id/logo" && st == http.StatusNotFound) && !(r.Path == "/outbox/:id" && st == http.StatusNotFound) {
						t.Errorf("admin: status %d: %.200s", st, body)
					}
				}
			case accAdminKey, accAdminKeyW:
				for _, k := range []string{e.A.KeyWrite, e.A.KeyRead} {
					x := base
					x.Bearer = k
					if st, _, _ := e.do(x); st != http.StatusUnauthorized {
						t.Errorf("tenant key on the admin API: status %d, want 401", st)
					}
				}
				x := base
				x.Cookies = map[string]string{"psid": e.A.Cookie}
				if st, _, _ := e.do(x); st != http.StatusUnauthorized {
					t.Errorf("tenant session on the admin API: status %d, want 401", st)
				}
				ad := base
				ad.Bearer = e.AdminKeyW
				if st, body, _ := e.do(ad); st >= 400 {
					t.Errorf("admin write key: status %d: %s", st, body)
				}
				if r.Line.Access == accAdminKeyW {
					ro := base
					ro.Bearer = e.AdminKeyRead
					if st, _, _ := e.do(ro); st != http.StatusForbidden {
						t.Errorf("read-scoped admin key on a write isoRoute: status %d, want 403", st)
					}
				}
			}
		})
	}

	// Nothing of B's was changed by all of the above.
	ctx := app.NewContextWithTenant(context.Background(), e.B.T)
	if _, err := e.Server.TenantLeads.FindTenantLead(ctx, e.B.Lead.ID); err != nil {
		t.Errorf("B's lead after the isolationMatrix: %v", err)
	}
	if u, err := e.Server.Users.Users.FindTenantUser(ctx, e.B.Owner.ID); err != nil || u.Role != app.UserRoleOwner {
		t.Errorf("B's owner after the isolationMatrix: %v %+v", err, u)
	}
	if _, err := e.Server.APIKeys.Authenticate(ctx, e.B.KeyRead); err != nil {
		t.Errorf("B's key after the isolationMatrix: %v", err)
	}
	if _, _, _, err := e.Server.Users.Authenticate(ctx, e.B.Cookie); err != nil {
		t.Errorf("B's session after the isolationMatrix: %v", err)
	}
}

// A store method called without a tenant in ctx refuses: a handler cannot
// forget the filter.
func TestTenantScopedStoreNeedsTenant(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	checks := map[string]error{}
	_, _, checks["FindTenantLeads"] = e.Server.TenantLeads.FindTenantLeads(ctx, 10)
	_, checks["FindTenantLead"] = e.Server.TenantLeads.FindTenantLead(ctx, e.A.Lead.ID)
	checks["DeleteTenantLead"] = e.Server.TenantLeads.DeleteTenantLead(ctx, e.A.Lead.ID)
	checks["CreateTenantLead"] = e.Server.TenantLeads.CreateTenantLead(ctx, &app.Lead{FirstName: "x", Email: "x@x.test"})
	_, checks["FindTenantUsers"] = e.Server.Users.Users.FindTenantUsers(ctx)
	_, checks["FindTenantAPIKeys"] = e.Server.APIKeys.Store.FindTenantAPIKeys(ctx)
	checks["RevokeTenantAPIKey"] = e.Server.APIKeys.Store.RevokeTenantAPIKey(ctx, e.A.KeyID)
	for name, err := range checks {
		if app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Errorf("%s without a tenant: %v, want EUNAUTHORIZED", name, err)
		}
	}
}
