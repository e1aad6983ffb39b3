package site

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"orengen/ui/web"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/assets"
)

// Hosted form spam defences.
const (
	// DefaultFormMinFillTime is how long a person needs at least to fill
	// a form; a faster post is a bot (or a very fast person, who is told
	// to wait a moment).
	DefaultFormMinFillTime = 3 * time.Second
	// formMaxAge is how long a rendered form may be submitted.
	formMaxAge = 24 * time.Hour
	// formHoneypot is a field hidden from people; bots fill it.
	formHoneypot   = "website_url"
	formStampField = "_ts"
)

// registerHostedFormRoutes adds the public hosted form: on the portal
// host (app.DOMAIN and tenants' custom domains) and, for the house
// tenant's forms, on the marketing host. The page and its post may be
// framed by any site (web.Embeddable); nothing else on the host may.
func (s *Handler) MountForms(r fiber.Router, host string) {
	mark := func(c *fiber.Ctx) error { formHost.Set(c, host); return c.Next() }
	r.Get("/embed.js", s.handleEmbedJS)
	r.Get("/f/:id", web.Embeddable, mark, s.handleHostedForm)
	r.Post("/f/:id", web.Embeddable, mark, s.handleHostedFormSubmit)
	r.Get("/f/:id/brand.css", mark, s.handleHostedFormCSS)
	r.Get("/f/:id/logo", mark, s.handleHostedFormLogo)
}

// hostedForm finds the form of /f/:id that this host may serve: on the
// marketing host only the house tenant's, on a custom domain only that
// tenant's, on app.DOMAIN any active tenant's. Anything else is 404.
func (s *Handler) hostedForm(c *fiber.Ctx) (*app.Form, *app.Tenant, error) {
	notFound := app.Errorf(app.ENOTFOUND, "Form not found.")
	if s.Forms == nil {
		return nil, nil, notFound
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, notFound
	}
	f, err := s.Forms.PublicForm(c.UserContext(), id)
	if err != nil {
		return nil, nil, err
	}
	host, _ := formHost.Get(c)
	switch {
	case host == web.HostSite && f.TenantID != app.HouseTenantID:
		return nil, nil, notFound
	case web.DomainTenant(c) != nil && web.DomainTenant(c).ID != f.TenantID:
		return nil, nil, notFound
	}
	t, err := s.Tenants.TenantByID(c.UserContext(), f.TenantID)
	if err != nil {
		return nil, nil, err
	}
	if t.Status == app.TenantSuspended {
		return nil, nil, notFound
	}
	return f, t, nil
}

type hostedFormPage struct {
	web.Layout
	Form    *app.Form
	Action  string
	Values  map[string]string
	Errors  map[string]string
	Error   string // a message not about one field
	Stamp   string
	Message string // after a submission
	// ChatAgent is the public key of the tenant's agent whose chat
	// button shows on its hosted forms ("" = none).
	ChatAgent string
}

func (s *Handler) hostedLayout(c *fiber.Ctx, f *app.Form, t *app.Tenant, title string) web.Layout {
	id := strconv.FormatInt(f.ID, 10)
	b := web.Brand{Name: t.BrandName(), CSSURL: "/f/" + id + "/brand.css?v=" + t.BrandVersion()}
	if t.LogoHash != "" {
		b.LogoURL = "/f/" + id + "/logo?v=" + t.LogoHash
	}
	if t.ID == app.HouseTenantID {
		// The house tenant's name ("House") is internal: its forms carry
		// the agency's brand, the marketing site's name (Site settings).
		b.Name = "OrenGen"
		if st, err := s.Site.Settings(c.UserContext()); err == nil && st.Name != "" {
			b.Name = st.Name
		}
		if t.LogoHash == "" {
			b.LogoURL = assets.URL("img/logo.svg")
		}
	}
	return web.Layout{Title: title, Path: c.Path(), Tenant: t, Brand: b, Year: time.Now().Year()}
}

func (s *Handler) renderHostedForm(c *fiber.Ctx, f *app.Form, t *app.Tenant, p *hostedFormPage) error {
	p.Form = f
	p.Action = "/f/" + strconv.FormatInt(f.ID, 10)
	p.Stamp = s.formStamp(f.ID, time.Now())
	p.Layout = s.hostedLayout(c, f, t, f.Name)
	if s.ChatPages != nil && s.ChatPages.Agents != nil {
		if a, err := s.ChatPages.Agents.FormsAgent(c.UserContext(), t.ID); err == nil {
			p.ChatAgent = a.PublicKey
		}
	}
	return s.Render(c, "hosted/form", p)
}

func (s *Handler) handleHostedForm(c *fiber.Ctx) error {
	f, t, err := s.hostedForm(c)
	if err != nil {
		return err
	}
	vals := map[string]string{}
	for _, k := range app.UTMFields {
		if v := c.Query(k); v != "" && len(v) <= 200 {
			vals[k] = utils.CopyString(v)
		}
	}
	return s.renderHostedForm(c, f, t, &hostedFormPage{Values: vals})
}

// formStamp signs the time a form was rendered, so a post can prove how
// long its visitor took (without a cookie, which a framed page may not
// get).
func (s *Handler) formStamp(id int64, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return ts + "." + s.formStampMAC(id, ts)
}

func (s *Handler) formStampMAC(id int64, ts string) string {
	m := hmac.New(sha256.New, s.SessionKey)
	m.Write([]byte("form|" + strconv.FormatInt(id, 10) + "|" + ts))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkFormStamp refuses a missing, forged, expired or too quick stamp.
func (s *Handler) checkFormStamp(id int64, stamp string) error {
	ts, mac, ok := strings.Cut(stamp, ".")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || !hmac.Equal([]byte(mac), []byte(s.formStampMAC(id, ts))) {
		return app.FieldErrorf(formStampField, "This form could not be checked. Reload the page and submit it again.")
	}
	age := time.Since(time.Unix(sec, 0))
	min := s.FormMinFillTime
	if min == 0 {
		min = DefaultFormMinFillTime
	}
	switch {
	case age > formMaxAge:
		return app.FieldErrorf(formStampField, "This form has expired. Reload the page and submit it again.")
	case age < min:
		return app.FieldErrorf(formStampField, "That was too fast: please take a few seconds to check your answers, then submit again.")
	}
	return nil
}

// handleHostedFormSubmit is POST /f/:id: rate limit, honeypot and fill
// time first, then the form's own rules; a valid post is stored with its
// contact and runs in one transaction. A refused post shows the form
// again (400) with nothing written.
func (s *Handler) handleHostedFormSubmit(c *fiber.Ctx) error {
	f, t, err := s.hostedForm(c)
	if err != nil {
		return err
	}
	if err := s.LeadLimit.Check(c); err != nil {
		return err
	}
	if len(c.Body()) > web.WebhookBodyLimit {
		return app.FieldErrorf("body", "The form must be at most 64 KB.")
	}
	vals := map[string]string{}
	get := func(k string) string {
		v, ok := vals[k]
		if !ok {
			v = utils.CopyString(c.FormValue(k))
			vals[k] = v
		}
		return v
	}
	p := &hostedFormPage{Values: vals}
	refuse := func(err error) error {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		if field := app.ErrorField(err); field != "" && field != formStampField && field != formHoneypot {
			p.Errors = map[string]string{field: app.ErrorMessage(err)}
		} else {
			p.Error = app.ErrorMessage(err)
		}
		for _, fd := range f.Fields {
			get(fd.Name)
		}
		for _, k := range app.UTMFields {
			get(k)
		}
		get(app.ConsentField)
		c.Status(fiber.StatusBadRequest)
		return s.renderHostedForm(c, f, t, p)
	}
	if get(formHoneypot) != "" {
		return refuse(app.FieldErrorf(formHoneypot, "This submission was refused as automated."))
	}
	if err := s.checkFormStamp(f.ID, get(formStampField)); err != nil {
		return refuse(err)
	}
	if _, err := s.Forms.Submit(c.UserContext(), f, get); err != nil {
		return refuse(err)
	}
	if f.RedirectURL != "" {
		return c.Redirect(f.RedirectURL, fiber.StatusSeeOther)
	}
	msg := f.SuccessMessage
	if msg == "" {
		msg = "Thank you. We will be in touch soon."
	}
	c.Status(fiber.StatusOK)
	return s.Render(c, "hosted/done", &hostedFormPage{Layout: s.hostedLayout(c, f, t, f.Name), Form: f, Message: msg})
}

// handleHostedFormCSS serves the form's tenant brand colours (the portal's
// /brand.css depends on a session a visitor does not have).
func (s *Handler) handleHostedFormCSS(c *fiber.Ctx) error {
	_, t, err := s.hostedForm(c)
	if err != nil {
		return err
	}
	if c.Query("v") == t.BrandVersion() {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	return c.SendString(t.BrandCSS())
}

func (s *Handler) handleHostedFormLogo(c *fiber.Ctx) error {
	_, t, err := s.hostedForm(c)
	if err != nil {
		return err
	}
	l, err := s.Tenants.Logo(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return web.SendLogo(c, l, "public")
}

// handleEmbedJS serves the embed script at a stable URL (asset URLs change
// with each release; the snippet on a client's site does not).
func (s *Handler) handleEmbedJS(c *fiber.Ctx) error {
	f, ok := assets.Get("js/embed.js")
	if !ok {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return c.Send(f.Body())
}

// formHost is the host kind a hosted form is served on.
var formHost = web.NewKey[string]("form_host")
