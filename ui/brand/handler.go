// Package brand serves the brand & press kit (issue #22): the kit's
// editor in the portal (/brand, the signed-in tenant's; owners change
// it) and in Nexus (/brand: the agency's kit and every client's, at
// /brand/tenants/:id), the downloadable kit (a zip with a PDF one-pager),
// and the public press page (/press, /press/SLUG, /press/kit.zip) on a
// tenant's own domain and, for the agency, on DOMAIN. The JSON API of
// the same kit is in ui/api.
//
// brand imports app, app/brand and ui/web; never a store.
package brand

import (
	"context"
	"embed"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/brand"
	"orengen/ui/web"
)

// Templates are this package's pages and partials.
//
//go:embed templates
var Templates embed.FS

// NavItem is the kit's entry in the portal's and Nexus's navigation.
var NavItem = web.NavItem{Label: "Brand & press kit", Path: "/brand"}

// Handler serves the kit's pages.
type Handler struct {
	*web.Kit
	Brand   *brand.Service // nil: no routes
	Tenants *app.TenantService
}

// On reports whether the kit is wired.
func (s *Handler) On() bool { return s != nil && s.Brand != nil }

// Mount adds the kit's editor behind the host's sign-in.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if !s.On() {
		return
	}
	base := "/brand"
	if sc.Nexus() {
		r.Get("/brand", s.handleNexusIndex)
		base = "/brand/tenants/:id"
	}
	k := func(fn func(c *fiber.Ctx, kc *kitCtx) error) fiber.Handler {
		return web.TenantRoute(s.Tenants, sc, "/brand", fn)
	}
	r.Get(base, k(s.handleKit))
	r.Post(base, csrf, k(s.handleKitSave))
	r.Post(base+"/logos/:variant", csrf, k(s.handleLogoUpload))
	r.Post(base+"/logos/:variant/delete", csrf, k(s.handleLogoDelete))
	r.Get(base+"/assets/:asset", k(s.handleAsset))
	r.Post(base+"/assets/:asset/delete", csrf, k(s.handleAssetDelete))
	r.Post(base+"/screenshots", csrf, k(s.handleScreenshotAdd))
	r.Post(base+"/people", csrf, k(s.handlePersonAdd))
	r.Post(base+"/people/:person/delete", csrf, k(s.handlePersonDelete))
	r.Get(base+"/releases/new", k(s.handleReleaseNew))
	r.Post(base+"/releases", csrf, k(s.handleReleaseCreate))
	r.Get(base+"/releases/:release", k(s.handleRelease))
	r.Post(base+"/releases/:release", csrf, k(s.handleReleaseUpdate))
	r.Post(base+"/releases/:release/delete", csrf, k(s.handleReleaseDelete))
	r.Get(base+"/kit.zip", k(s.handleKitZip))
}

// kitCtx is the kit a request works on: the signed-in tenant's in the
// portal, the :id tenant's in Nexus.
type kitCtx = web.TenantPage

// ratioView is a colour pair's contrast as the page shows it.
type ratioView struct {
	What, Ratio string
	OK          bool
}

type kitPage struct {
	web.Layout
	Base        string
	Tenant      *app.Tenant
	Kit         *brand.Kit
	Fonts       []brand.Font
	Ratios      []ratioView
	LogoURL     string // the primary logo ("" none)
	LogoSquare  *brand.Asset
	LogoDark    *brand.Asset
	Screenshots []*brand.Asset
	Founders    []*brand.Person
	Contacts    []*brand.Person
	Releases    []*brand.Release
	PressURL    string
	CanEdit     bool
	Errors      map[string]string
}

func (s *Handler) handleKit(c *fiber.Ctx, kc *kitCtx) error {
	return s.renderKit(c, kc, nil, nil)
}

// renderKit shows the kit; form (after a refused save) replaces the
// stored kit's fields so the page shows what was typed.
func (s *Handler) renderKit(c *fiber.Ctx, kc *kitCtx, form *brand.Kit, errs map[string]string) error {
	p, err := s.Brand.Press(kc.Ctx, false)
	if err != nil {
		return err
	}
	k := p.Kit
	pg := &kitPage{Base: kc.Base, Tenant: kc.Tenant, Kit: k, Fonts: brand.Fonts, LogoSquare: p.LogoSquare, LogoDark: p.LogoDark,
		Screenshots: p.Screenshots, Founders: p.Founders, Contacts: p.Contacts, Errors: errs}
	if k.LogoHash != "" {
		pg.LogoURL = "/logo?v=" + k.LogoHash // the portal's logo route
		if kc.Scope.Nexus() {
			pg.LogoURL = "/tenants/" + strconv.FormatInt(kc.Tenant.ID, 10) + "/logo?v=" + k.LogoHash
		}
	}
	if form != nil {
		pg.Kit = form
	}
	for _, pr := range pg.Kit.Pairs() {
		r, err := app.ContrastRatio(pr.Foreground, pr.Background)
		if err == nil {
			pg.Ratios = append(pg.Ratios, ratioView{What: pr.What, Ratio: brand.FormatRatio(r) + ":1", OK: r >= app.MinContrast})
		}
	}
	if pg.Releases, err = s.Brand.Releases(kc.Ctx, false); err != nil {
		return err
	}
	pg.PressURL = s.pressURL(c, kc)
	pg.CanEdit = kc.Scope.Nexus() || web.User(c) != nil && web.User(c).Role == app.UserRoleOwner
	title := "Brand & press kit"
	if kc.Scope.Nexus() {
		title += " · " + kc.Tenant.BrandName()
	}
	pg.Layout = s.Layout(c, kc.Scope.Host, title)
	return s.Render(c, kc.Scope.Page("brand_kit"), pg)
}

// pressURL is where the tenant's public press page is: DOMAIN/press for
// the agency, the tenant's own domain otherwise ("" when it has none).
func (s *Handler) pressURL(c *fiber.Ctx, kc *kitCtx) string {
	if kc.Tenant.ID == app.HouseTenantID {
		return s.URL(web.HostSite) + "/press"
	}
	if s.Tenants.Domains != nil {
		if ds, err := s.Tenants.Domains.DomainsByTenant(kc.Ctx, kc.Tenant.ID); err == nil && len(ds) > 0 {
			return s.TenantURL(ds[0]) + "/press"
		}
	}
	if dt := web.DomainTenant(c); dt != nil {
		return "/press"
	}
	return ""
}

func (s *Handler) handleKitSave(c *fiber.Ctx, kc *kitCtx) error {
	g := web.FormGetter(c)
	upd := brand.KitUpdate{}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"primary_color", &upd.PrimaryColor}, {"accent_color", &upd.AccentColor}, {"text_color", &upd.TextColor}, {"background_color", &upd.BackgroundColor},
		{"heading_font", &upd.HeadingFont}, {"body_font", &upd.BodyFont}, {"tagline", &upd.Tagline}, {"boilerplate", &upd.Boilerplate}} {
		if v := g(f.name); v != "" || f.name == "tagline" || f.name == "boilerplate" {
			*f.dst = &v
		}
	}
	if _, err := s.Brand.UpdateKit(kc.Ctx, upd); err != nil {
		return web.FormError(c, err, "primary_color", func(e map[string]string) error {
			k, ferr := s.Brand.Kit(kc.Ctx)
			if ferr != nil {
				return ferr
			}
			upd.Apply(k)
			return s.renderKit(c, kc, k, e)
		})
	}
	s.SetFlash(c, "ok", "Brand kit saved.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

// formFile reads an uploaded file of at most max bytes (+1, so the
// service sees it is too large); none is an empty slice.
func formFile(c *fiber.Ctx, field string, max int) ([]byte, error) {
	fh, err := c.FormFile(field)
	if err != nil {
		return nil, nil
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(max)+1))
}

func (s *Handler) handleLogoUpload(c *fiber.Ctx, kc *kitCtx) error {
	variant := utils.CopyString(c.Params("variant"))
	data, err := formFile(c, "logo", app.MaxLogoBytes)
	if err == nil {
		err = s.Brand.SetLogo(kc.Ctx, variant, data)
	}
	if err != nil {
		return web.FormError(c, err, "logo", func(e map[string]string) error { return s.renderKit(c, kc, nil, e) })
	}
	s.SetFlash(c, "ok", "Logo saved.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

func (s *Handler) handleLogoDelete(c *fiber.Ctx, kc *kitCtx) error {
	if err := s.Brand.DeleteLogo(kc.Ctx, utils.CopyString(c.Params("variant"))); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Logo removed.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

// handleAsset serves an image of the kit (the primary logo is the
// tenant's, served by the host's logo route).
func (s *Handler) handleAsset(c *fiber.Ctx, kc *kitCtx) error {
	id, err := web.ParamID(c, "asset")
	if err != nil {
		return err
	}
	a, err := s.Brand.Asset(kc.Ctx, id)
	if err != nil {
		return err
	}
	return web.SendAttachment(c, "image"+a.Ext(), a.ContentType, true, a.Data, "private, max-age=300")
}

func (s *Handler) handleAssetDelete(c *fiber.Ctx, kc *kitCtx) error {
	id, err := web.ParamID(c, "asset")
	if err != nil {
		return err
	}
	if err := s.Brand.DeleteAsset(kc.Ctx, id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Image removed.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

func (s *Handler) handleScreenshotAdd(c *fiber.Ctx, kc *kitCtx) error {
	data, err := formFile(c, "file", brand.MaxImageBytes)
	if err == nil {
		_, err = s.Brand.AddScreenshot(kc.Ctx, web.FormGetter(c)("caption"), data)
	}
	if err != nil {
		return web.FormError(c, err, "file", func(e map[string]string) error { return s.renderKit(c, kc, nil, e) })
	}
	s.SetFlash(c, "ok", "Screenshot added.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

func (s *Handler) handlePersonAdd(c *fiber.Ctx, kc *kitCtx) error {
	g := web.FormGetter(c)
	p := &brand.Person{Kind: g("kind"), Name: g("name"), Title: g("title"), Bio: g("bio"), Email: g("email"), Phone: g("phone")}
	photo, err := formFile(c, "photo", brand.MaxImageBytes)
	if err == nil {
		err = s.Brand.AddPerson(kc.Ctx, p, photo)
	}
	if err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error {
			// Errors of the founder and contact forms are kept apart.
			out := map[string]string{}
			for k, v := range e {
				out[p.Kind+"_"+k] = v
			}
			return s.renderKit(c, kc, nil, out)
		})
	}
	s.SetFlash(c, "ok", p.Name+" added.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

func (s *Handler) handlePersonDelete(c *fiber.Ctx, kc *kitCtx) error {
	id, err := web.ParamID(c, "person")
	if err != nil {
		return err
	}
	if err := s.Brand.DeletePerson(kc.Ctx, id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Removed.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

type releasePage struct {
	web.Layout
	Base     string
	Release  *brand.Release
	Publish  bool
	Preview  template.HTML
	PressURL string
	CanEdit  bool
	Errors   map[string]string
}

func (s *Handler) renderRelease(c *fiber.Ctx, kc *kitCtx, r *brand.Release, publish bool, errs map[string]string) error {
	pg := &releasePage{Base: kc.Base, Release: r, Publish: publish, Errors: errs, Preview: template.HTML(brand.RenderMarkdown(r.Body))}
	if r.Published() {
		if u := s.pressURL(c, kc); u != "" {
			pg.PressURL = u + "/" + r.Slug
		}
	}
	pg.CanEdit = kc.Scope.Nexus() || web.User(c) != nil && web.User(c).Role == app.UserRoleOwner
	title := "New press release"
	if r.ID != 0 {
		title = r.Title
	}
	pg.Layout = s.Layout(c, kc.Scope.Host, title)
	return s.Render(c, kc.Scope.Page("brand_release"), pg)
}

func (s *Handler) handleReleaseNew(c *fiber.Ctx, kc *kitCtx) error {
	return s.renderRelease(c, kc, &brand.Release{}, false, nil)
}

func (s *Handler) releaseID(c *fiber.Ctx, kc *kitCtx) (*brand.Release, error) {
	id, err := web.ParamID(c, "release")
	if err != nil {
		return nil, err
	}
	return s.Brand.Release(kc.Ctx, id)
}

func (s *Handler) handleRelease(c *fiber.Ctx, kc *kitCtx) error {
	r, err := s.releaseID(c, kc)
	if err != nil {
		return err
	}
	return s.renderRelease(c, kc, r, r.Published(), nil)
}

func releaseForm(c *fiber.Ctx, r *brand.Release) bool {
	g := web.FormGetter(c)
	r.Title, r.Slug, r.Summary, r.Body = g("title"), g("slug"), g("summary"), g("body")
	return g("publish") != ""
}

func (s *Handler) handleReleaseCreate(c *fiber.Ctx, kc *kitCtx) error {
	r := &brand.Release{}
	publish := releaseForm(c, r)
	if err := s.Brand.SaveRelease(kc.Ctx, r, publish); err != nil {
		return web.FormError(c, err, "title", func(e map[string]string) error { r.ID = 0; return s.renderRelease(c, kc, r, publish, e) })
	}
	s.SetFlash(c, "ok", "Press release saved.")
	return c.Redirect(kc.Base+"/releases/"+strconv.FormatInt(r.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleReleaseUpdate(c *fiber.Ctx, kc *kitCtx) error {
	r, err := s.releaseID(c, kc)
	if err != nil {
		return err
	}
	publish := releaseForm(c, r)
	if err := s.Brand.SaveRelease(kc.Ctx, r, publish); err != nil {
		return web.FormError(c, err, "title", func(e map[string]string) error { return s.renderRelease(c, kc, r, publish, e) })
	}
	s.SetFlash(c, "ok", "Press release saved.")
	return c.Redirect(kc.Base+"/releases/"+strconv.FormatInt(r.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleReleaseDelete(c *fiber.Ctx, kc *kitCtx) error {
	r, err := s.releaseID(c, kc)
	if err != nil {
		return err
	}
	if err := s.Brand.DeleteRelease(kc.Ctx, r.ID); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Press release deleted.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

func (s *Handler) handleKitZip(c *fiber.Ctx, kc *kitCtx) error {
	return s.sendZip(c, kc.Ctx)
}

func (s *Handler) sendZip(c *fiber.Ctx, ctx context.Context) error {
	k, err := s.Brand.Kit(ctx)
	if err != nil {
		return err
	}
	b, err := s.Brand.KitZip(ctx)
	if err != nil {
		return err
	}
	return web.SendZip(c, (&brand.Press{Kit: k}).FileName(), b)
}

type nexusIndexPage struct {
	web.Layout
	Tenants []*app.Tenant
}

func (s *Handler) handleNexusIndex(c *fiber.Ctx) error {
	ts, err := s.Tenants.ListTenants(c.UserContext())
	if err != nil {
		return err
	}
	pg := &nexusIndexPage{Tenants: ts}
	pg.Layout = s.Layout(c, web.HostNexus, "Brand & press kits")
	return s.Render(c, "nexus/brand_index", pg)
}

// KitCSS is the press page's stylesheet: the kit's text and background
// colours and font stacks (the CSP allows no inline style).
func KitCSS(k *brand.Kit) string {
	var b strings.Builder
	b.WriteString(".press{color:" + k.TextColor + ";background:" + k.BackgroundColor + ";font-family:" + brand.FontByKey(k.BodyFont).Stack + ";padding:1.5rem;border-radius:8px}\n")
	b.WriteString(".press h1,.press h2,.press h3{font-family:" + brand.FontByKey(k.HeadingFont).Stack + "}\n")
	b.WriteString(".press a{color:" + k.TextColor + ";text-decoration:underline}\n")
	b.WriteString(".press .press-tagline{color:inherit;font-style:italic}\n.press img{max-width:100%;height:auto}\n")
	b.WriteString(".press .press-people{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:1rem}\n")
	b.WriteString(".press .press-shots{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:1rem}\n")
	b.WriteString(".press .press-kit-download{display:inline-block;padding:.5rem 1rem;background:" + k.PrimaryColor + ";color:#fff;border-radius:6px;text-decoration:none}\n")
	return b.String()
}
