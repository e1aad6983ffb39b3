package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"orengen/app"
	"orengen/ui"
)

// staff posts a form as the Nexus staff admin (not an owner).
func (e *tenantEnv) staff(method, path string, form url.Values) (int, string, *http.Response) {
	e.t.Helper()
	return e.do(treq{Host: ui.HostNexus, Method: method, Path: path, Form: form, CSRF: method != http.MethodGet,
		Cookies: map[string]string{"orengen_session": e.StaffCookie}})
}

// TestNexus_TenantWrites: creating a tenant (and refusing bad input),
// suspending and re-activating it (its API keys stop and work again),
// removing its logo, and creating and revoking its API keys, each checked
// by its effect.
func TestNexus_TenantWrites(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()

	st, _, resp := e.admin("POST", "/tenants", url.Values{"name": {"Charlie Dental"}, "slug": {"charlie-dental"}, "primary_color": {"#0f766e"}})
	created, err := e.Server.Tenants.TenantBySlug(ctx, "charlie-dental")
	if st != 303 || err != nil || resp.Header.Get("Location") != "/tenants/"+strconv.FormatInt(created.ID, 10) || created.Name != "Charlie Dental" {
		t.Fatalf("create: %d %q %+v %v", st, resp.Header.Get("Location"), created, err)
	}
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {""}}, "name"},
		{url.Values{"name": {"Another"}, "slug": {"charlie-dental"}}, "slug"},
	} {
		st, body, _ := e.admin("POST", "/tenants", bad.form)
		if st < 400 || st >= 500 || !strings.Contains(body, "field-error") {
			t.Errorf("create %v: %d, want the form again with the error", bad.form, st)
		}
	}
	if ts, _ := e.Server.Tenants.ListTenants(ctx); len(ts) != 4 { // house, A, B, Charlie
		t.Errorf("%d tenants after the refused creates, want 4", len(ts))
	}

	// Suspend B: its key stops; active again: it works.
	bPath := "/tenants/" + strconv.FormatInt(e.B.T.ID, 10)
	me := func() int {
		st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/me", Bearer: e.B.KeyRead})
		return st
	}
	if st, _, _ := e.admin("POST", bPath+"/status", url.Values{"status": {app.TenantSuspended}}); st != 303 || me() != 401 {
		t.Fatalf("suspend: %d, B's key answers %d", st, me())
	}
	if st, _, _ := e.admin("POST", bPath+"/status", url.Values{"status": {"vanished"}}); st != 303 {
		t.Fatalf("bad status: %d", st)
	}
	if b, _ := e.Server.Tenants.TenantByID(ctx, e.B.T.ID); b.Status != app.TenantSuspended {
		t.Fatalf("a bad status changed the tenant: %s", b.Status)
	}
	if st, _, _ := e.admin("POST", bPath+"/status", url.Values{"status": {app.TenantActive}}); st != 303 || me() != 200 {
		t.Fatalf("re-activate: %d, B's key answers %d", st, me())
	}

	// Logo: set one, delete it through the page.
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4)))
	if err := e.Server.Tenants.SetLogo(ctx, e.B.T.ID, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := e.admin("GET", bPath+"/logo", nil); st != 200 {
		t.Fatalf("logo before delete: %d", st)
	}
	if st, _, _ := e.admin("POST", bPath+"/logo/delete", nil); st != 303 {
		t.Fatalf("logo delete: %d", st)
	}
	if st, _, _ := e.admin("GET", bPath+"/logo", nil); st != 404 {
		t.Fatalf("logo after delete: %d", st)
	}
	if entries, _, err := e.Server.Audit.Store.FindAuditEntries(ctx, app.AuditFilter{Action: "tenant.logo_delete", Limit: 10}); err != nil ||
		len(entries) != 1 || entries[0].Target != "tenant:"+e.B.T.Slug || entries[0].ActorKind != app.ActorAdmin {
		t.Fatalf("logo delete audit: %+v %v", entries, err)
	}

	// A tenant API key: shown once, works on the portal, revoked stops.
	st, body, _ := e.admin("POST", bPath+"/apikeys", url.Values{"name": {"zapier"}, "scope": {"write"}})
	key := regexp.MustCompile(`ogt_[A-Za-z0-9_-]{40,}`).FindString(body)
	if st != 200 || key == "" {
		t.Fatalf("tenant key: %d, key %q", st, key)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/people", Bearer: key, JSON: `{"first_name":"By key"}`}); st != 201 {
		t.Fatalf("new write key: %d", st)
	}
	keys, _ := e.Server.APIKeys.Store.FindTenantAPIKeys(app.NewContextWithTenant(ctx, e.B.T))
	var kid int64
	for _, k := range keys {
		if k.Name == "zapier" {
			kid = k.ID
		}
	}
	if st, _, _ := e.admin("POST", bPath+"/apikeys/"+strconv.FormatInt(kid, 10)+"/revoke", nil); st != 303 || kid == 0 {
		t.Fatalf("revoke: %d (key %d)", st, kid)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/me", Bearer: key}); st != 401 {
		t.Fatalf("revoked key: %d", st)
	}
	if st, body, _ := e.admin("POST", bPath+"/apikeys", url.Values{"name": {"x"}, "scope": {"admin"}}); st != 400 || !strings.Contains(body, `<div class="field-error">`) || !strings.Contains(body, `id="key_scope" name="scope" aria-invalid="true"`) {
		t.Fatalf("bad scope: %d", st)
	}
}

// TestNexus_AdminAPIKeysAndVault: owners create and revoke admin API keys
// and write and delete vault secrets; staff may not; a secret's value is
// never shown back.
func TestNexus_AdminAPIKeysAndVault(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	st, body, _ := e.admin("POST", "/apikeys", url.Values{"name": {"grafana"}, "scope": {"read"}})
	key := regexp.MustCompile(`oga_[A-Za-z0-9_-]{40,}`).FindString(body)
	if st != 200 || key == "" {
		t.Fatalf("admin key: %d %q", st, key)
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/api/v1/tenants", Bearer: key}); st != 200 {
		t.Fatalf("new admin key: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/api/v1/tenants", Bearer: key, JSON: `{"name":"x"}`}); st != 403 {
		t.Fatalf("read key writing: %d", st)
	}
	if st, _, _ := e.staff("POST", "/apikeys", url.Values{"name": {"sneaky"}, "scope": {"write"}}); st != 403 {
		t.Fatalf("staff creating an admin key: %d", st)
	}
	ks, _ := e.Server.APIKeys.ListAdminKeys(app.NewContextWithAdmin(ctx, e.Admin))
	var kid int64
	for _, k := range ks {
		if k.Name == "grafana" {
			kid = k.ID
		}
		if k.Name == "sneaky" {
			t.Fatal("staff created a key")
		}
	}
	if st, _, _ := e.staff("POST", "/apikeys/"+strconv.FormatInt(kid, 10)+"/revoke", nil); st != 403 {
		t.Fatalf("staff revoking: %d", st)
	}
	if st, _, _ := e.admin("POST", "/apikeys/"+strconv.FormatInt(kid, 10)+"/revoke", nil); st != 303 {
		t.Fatalf("revoke: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/api/v1/tenants", Bearer: key}); st != 401 {
		t.Fatalf("revoked admin key: %d", st)
	}

	// Vault: a global and a tenant secret; staff refused; the value never
	// comes back in a page.
	const value = "AC-very-secret-value-0123456789"
	for _, scope := range []string{"0", strconv.FormatInt(e.A.T.ID, 10)} {
		if st, _, _ := e.admin("POST", "/vault", url.Values{"name": {"twilio_auth_token"}, "scope": {scope}, "value": {value}}); st != 303 {
			t.Fatalf("vault put %s: %d", scope, st)
		}
	}
	if v, err := e.Server.Vault.Get(ctx, app.TenantScope(e.A.T.ID), "twilio_auth_token"); err != nil || v != value {
		t.Fatalf("stored: %q %v", v, err)
	}
	if _, body, _ := e.admin("GET", "/vault", nil); strings.Contains(body, value) || !strings.Contains(body, "twilio_auth_token") {
		t.Fatal("the vault page shows the value, or not the name")
	}
	if st, body, _ := e.admin("POST", "/vault", url.Values{"name": {"x"}, "scope": {"999999"}, "value": {value}}); st != 400 || strings.Contains(body, value) {
		t.Fatalf("unknown tenant scope: %d (value echoed: %v)", st, strings.Contains(body, value))
	}
	if st, _, _ := e.staff("POST", "/vault", url.Values{"name": {"openai_api_key"}, "scope": {"0"}, "value": {"x"}}); st != 403 {
		t.Fatalf("staff vault put: %d", st)
	}
	if st, _, _ := e.staff("POST", "/vault/delete", url.Values{"name": {"twilio_auth_token"}, "scope": {"0"}}); st != 403 {
		t.Fatalf("staff vault delete: %d", st)
	}
	if st, _, _ := e.admin("POST", "/vault/delete", url.Values{"name": {"twilio_auth_token"}, "scope": {strconv.FormatInt(e.A.T.ID, 10)}}); st != 303 {
		t.Fatalf("vault delete: %d", st)
	}
	if _, err := e.Server.Vault.Get(ctx, app.TenantScope(e.A.T.ID), "twilio_auth_token"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	if v, err := e.Server.Vault.Get(ctx, app.TenantScope(0), "twilio_auth_token"); err != nil || v != value {
		t.Fatalf("the global secret went too: %q %v", v, err)
	}
}

// TestNexus_AdminTOTPManagement: an owner turns two-factor on (a wrong
// code refused), cannot require it for owners before using it, requires
// it, cannot then turn their own off, relaxes the policy, and turns it off
// with the password (a wrong password refused); sign-in asks for the code
// exactly while it is on.
func TestNexus_AdminTOTPManagement(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	enabled := func() bool {
		on, err := e.Server.AdminTOTP.Enabled(ctx, e.Admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	required := func() bool {
		on, err := e.Server.AdminTOTP.Store.RequireOwnerTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	if st, _, _ := e.admin("POST", "/account/2fa/policy", url.Values{"require": {"on"}}); st != 303 || required() {
		t.Fatalf("policy before using two-factor: %d, required %v", st, required())
	}
	_, body, _ := e.admin("GET", "/account", nil)
	secret := regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`).FindStringSubmatch(body)
	if secret == nil {
		t.Fatalf("no secret on the account page")
	}
	if st, _, _ := e.admin("POST", "/account/2fa", url.Values{"secret": {secret[1]}, "code": {"000000"}}); st != 400 || enabled() {
		t.Fatalf("wrong code: %d, enabled %v", st, enabled())
	}
	code, _ := totp.GenerateCode(secret[1], time.Now())
	if st, _, _ := e.admin("POST", "/account/2fa", url.Values{"secret": {secret[1]}, "code": {code}}); st != 303 || !enabled() {
		t.Fatalf("enable: %d, enabled %v", st, enabled())
	}
	if st, _, _ := e.staff("POST", "/account/2fa/policy", url.Values{"require": {"on"}}); st != 303 || required() {
		t.Fatalf("staff set the policy: %d %v", st, required())
	}
	if st, _, _ := e.admin("POST", "/account/2fa/policy", url.Values{"require": {"on"}}); st != 303 || !required() {
		t.Fatalf("require: %d %v", st, required())
	}
	if st, _, _ := e.admin("POST", "/account/2fa/disable", url.Values{"password": {tenantTestPassword}}); st != 303 || !enabled() {
		t.Fatalf("disable while required: %d, enabled %v", st, enabled())
	}
	// Sign-in now asks for the code.
	st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/login", CSRF: true, Form: url.Values{"email": {e.Admin.Email}, "password": {tenantTestPassword}}})
	if st != 200 || !strings.Contains(body, "6-digit code") {
		t.Fatalf("sign-in with two-factor on: %d", st)
	}
	if st, _, _ := e.admin("POST", "/account/2fa/policy", url.Values{}); st != 303 || required() {
		t.Fatalf("relax: %d %v", st, required())
	}
	if st, _, _ := e.admin("POST", "/account/2fa/disable", url.Values{"password": {"not the password"}}); st != 400 || !enabled() {
		t.Fatalf("disable with a wrong password: %d, enabled %v", st, enabled())
	}
	if st, _, _ := e.admin("POST", "/account/2fa/disable", url.Values{"password": {tenantTestPassword}}); st != 303 || enabled() {
		t.Fatalf("disable: %d, enabled %v", st, enabled())
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/login", CSRF: true, Form: url.Values{"email": {e.Admin.Email}, "password": {tenantTestPassword}}}); st != 303 {
		t.Fatalf("sign-in with two-factor off: %d", st)
	}
	entries, _, _ := e.Server.Audit.Store.FindAuditEntries(ctx, app.AuditFilter{Limit: 100})
	seen := map[string]bool{}
	for _, en := range entries {
		seen[en.Action] = true
	}
	for _, a := range []string{"2fa.enable", "2fa.policy", "2fa.disable"} {
		if !seen[a] {
			t.Errorf("audit lacks %s", a)
		}
	}
}

// TestPortal_LastOwnerAndPasswords: the last owner of an account can be
// neither demoted nor removed (a second owner makes both possible); a
// user changes their password (a wrong current one refused) and signs in
// with the new one only; a reset link sets a new one.
func TestPortal_LastOwnerAndPasswords(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	owner := map[string]string{"psid": e.A.Cookie}
	post := func(path string, form url.Values) (int, *http.Response) {
		st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, CSRF: true, Cookies: owner})
		return st, resp
	}
	role := func(id int64) string {
		u, err := e.Server.Users.Users.FindUserByID(ctx, id)
		if err != nil {
			return "gone"
		}
		return u.Role
	}
	ownerPath := "/team/" + strconv.FormatInt(e.A.Owner.ID, 10)
	if st, _ := post(ownerPath+"/role", url.Values{"role": {app.UserRoleMember}}); st != 303 || role(e.A.Owner.ID) != app.UserRoleOwner {
		t.Fatalf("demoting the last owner: %d, role %s", st, role(e.A.Owner.ID))
	}
	if st, _ := post(ownerPath+"/delete", nil); st != 303 || role(e.A.Owner.ID) != app.UserRoleOwner {
		t.Fatalf("removing the last owner: %d, role %s", st, role(e.A.Owner.ID))
	}
	// The flash on the way back says why.
	_, resp := post(ownerPath+"/delete", nil)
	if fl := tenantCookie(resp, "flash"); !strings.Contains(decodeFlash(fl), "at least one owner") {
		t.Fatalf("flash %q does not say why", decodeFlash(fl))
	}
	// A second owner: now the first may step down.
	memberPath := "/team/" + strconv.FormatInt(e.A.Member.ID, 10)
	if st, _ := post(memberPath+"/role", url.Values{"role": {app.UserRoleOwner}}); st != 303 || role(e.A.Member.ID) != app.UserRoleOwner {
		t.Fatalf("promote: %d", st)
	}
	if st, _ := post(ownerPath+"/role", url.Values{"role": {app.UserRoleMember}}); st != 303 || role(e.A.Owner.ID) != app.UserRoleMember {
		t.Fatalf("demote with another owner: %d, role %s", st, role(e.A.Owner.ID))
	}

	// Password change: the signed-in user (now a member).
	const next = "a brand new long password"
	if st, _ := post("/account/password", url.Values{"current": {"wrong"}, "password": {next}, "confirm": {next}}); st != 400 {
		t.Fatalf("wrong current password: %d", st)
	}
	if st, _ := post("/account/password", url.Values{"current": {tenantTestPassword}, "password": {next}, "confirm": {"other"}}); st != 400 {
		t.Fatalf("mismatch: %d", st)
	}
	if st, _ := post("/account/password", url.Values{"current": {tenantTestPassword}, "password": {next}, "confirm": {next}}); st != 303 {
		t.Fatalf("change: %d", st)
	}
	login := func(pw string) int {
		st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/login", CSRF: true, Form: url.Values{"email": {e.A.Owner.Email}, "password": {pw}}})
		return st
	}
	if login(tenantTestPassword) != 401 || login(next) != 303 {
		t.Fatal("after the change the old password works or the new one does not")
	}
}

func decodeFlash(v string) string {
	b, _ := base64.RawURLEncoding.DecodeString(v)
	return string(b)
}
