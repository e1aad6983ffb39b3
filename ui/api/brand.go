package api

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/brand"
	"orengen/ui/web"
)

// Brand & press kit API (issue #22): a tenant key reads and changes its
// own kit; an admin key any tenant's (?tenant=ID or slug; without it the
// agency's, the house tenant's). Images travel base64-encoded in JSON
// (the body limit of 1 MiB bounds them to about 750 KiB). Every call goes
// through brand.Service, the same calls the pages make.

func (s *Handler) registerBrandAPIRoutes(api fiber.Router) {
	if s.Brand == nil {
		return
	}
	b := func(fn fiber.Handler) fiber.Handler { return s.brandScope(fn) }
	api.Get("/brand", b(s.apiBrand))
	api.Put("/brand", web.RequireWriteKey, b(s.apiBrandUpdate))
	api.Put("/brand/logos/:variant", web.RequireWriteKey, b(s.apiBrandLogo))
	api.Delete("/brand/logos/:variant", web.RequireWriteKey, b(s.apiBrandLogoDelete))
	api.Post("/brand/screenshots", web.RequireWriteKey, b(s.apiBrandScreenshot))
	api.Get("/brand/assets/:id", b(s.apiBrandAsset))
	api.Delete("/brand/assets/:id", web.RequireWriteKey, b(s.apiBrandAssetDelete))
	api.Post("/brand/people", web.RequireWriteKey, b(s.apiBrandPersonAdd))
	api.Delete("/brand/people/:id", web.RequireWriteKey, b(s.apiBrandPersonDelete))
	api.Get("/brand/releases", b(s.apiBrandReleases))
	api.Post("/brand/releases", web.RequireWriteKey, b(s.apiBrandReleaseCreate))
	api.Get("/brand/releases/:id", b(s.apiBrandRelease))
	api.Put("/brand/releases/:id", web.RequireWriteKey, b(s.apiBrandReleaseUpdate))
	api.Delete("/brand/releases/:id", web.RequireWriteKey, b(s.apiBrandReleaseDelete))
	api.Get("/brand/kit.zip", b(s.apiBrandZip))
}

// brandScope scopes an admin key's request to ?tenant= (the house tenant
// without it); a tenant key's request is its tenant's already.
func (s *Handler) brandScope(fn fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		k := app.APIKeyFromContext(ctx)
		if k == nil {
			return app.Errorf(app.EUNAUTHORIZED, "API key required.")
		}
		if k.Admin() {
			ref := utils.CopyString(c.Query("tenant"))
			if ref == "" {
				ref = strconv.FormatInt(app.HouseTenantID, 10)
			}
			t, err := s.Tenants.TenantByRef(ctx, ref)
			if err != nil {
				return app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
			}
			c.SetUserContext(app.NewContextWithTenant(ctx, t))
		}
		return fn(c)
	}
}

type apiBrandAsset struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	Caption string    `json:"caption"`
	Type    string    `json:"content_type"`
	Width   int       `json:"width"`
	Height  int       `json:"height"`
	Created time.Time `json:"created_at"`
}

func toAPIBrandAsset(a *brand.Asset) apiBrandAsset {
	return apiBrandAsset{a.ID, a.Kind, a.Caption, a.ContentType, a.Width, a.Height, a.CreatedAt}
}

type apiBrandPerson struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Title   string `json:"title"`
	Bio     string `json:"bio"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	PhotoID *int64 `json:"photo_id"`
}

func toAPIBrandPerson(p *brand.Person) apiBrandPerson {
	return apiBrandPerson{p.ID, p.Kind, p.Name, p.Title, p.Bio, p.Email, p.Phone, web.OptID(p.PhotoID)}
}

type apiBrandRelease struct {
	ID          int64      `json:"id"`
	Slug        string     `json:"slug"`
	Title       string     `json:"title"`
	Summary     string     `json:"summary"`
	Body        string     `json:"body"`
	Published   bool       `json:"published"`
	PublishedAt *time.Time `json:"published_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func toAPIBrandRelease(r *brand.Release) apiBrandRelease {
	return apiBrandRelease{r.ID, r.Slug, r.Title, r.Summary, r.Body, r.Published(), r.PublishedAt, r.CreatedAt, r.UpdatedAt}
}

type apiBrandContrast struct {
	Field      string  `json:"field"`
	Foreground string  `json:"foreground"`
	Background string  `json:"background"`
	Ratio      float64 `json:"ratio"`
	PassesAA   bool    `json:"passes_aa"`
}

type apiBrandKit struct {
	TenantID        int64              `json:"tenant_id"`
	Name            string             `json:"name"`
	PrimaryColor    string             `json:"primary_color"`
	AccentColor     string             `json:"accent_color"`
	TextColor       string             `json:"text_color"`
	BackgroundColor string             `json:"background_color"`
	HeadingFont     string             `json:"heading_font"`
	BodyFont        string             `json:"body_font"`
	Tagline         string             `json:"tagline"`
	Boilerplate     string             `json:"boilerplate"`
	HasLogo         bool               `json:"has_logo"`
	Contrast        []apiBrandContrast `json:"contrast"`
	Assets          []apiBrandAsset    `json:"assets"`
	People          []apiBrandPerson   `json:"people"`
	UpdatedAt       time.Time          `json:"updated_at"`
}

func (s *Handler) apiBrand(c *fiber.Ctx) error {
	ctx := c.UserContext()
	k, err := s.Brand.Kit(ctx)
	if err != nil {
		return err
	}
	out := apiBrandKit{TenantID: k.TenantID, Name: k.Name, PrimaryColor: k.PrimaryColor, AccentColor: k.AccentColor, TextColor: k.TextColor,
		BackgroundColor: k.BackgroundColor, HeadingFont: k.HeadingFont, BodyFont: k.BodyFont, Tagline: k.Tagline, Boilerplate: k.Boilerplate,
		HasLogo: k.LogoHash != "", UpdatedAt: k.UpdatedAt, Assets: []apiBrandAsset{}, People: []apiBrandPerson{}}
	for _, p := range k.Pairs() {
		r, _ := app.ContrastRatio(p.Foreground, p.Background)
		out.Contrast = append(out.Contrast, apiBrandContrast{p.Field, p.Foreground, p.Background, float64(int(r*100+0.5)) / 100, r >= app.MinContrast})
	}
	as, err := s.Brand.Assets(ctx, "")
	if err != nil {
		return err
	}
	for _, a := range as {
		out.Assets = append(out.Assets, toAPIBrandAsset(a))
	}
	ps, err := s.Brand.People(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		out.People = append(out.People, toAPIBrandPerson(p))
	}
	return c.JSON(fiber.Map{"data": out})
}

func (s *Handler) apiBrandUpdate(c *fiber.Ctx) error {
	var in struct {
		PrimaryColor    *string `json:"primary_color"`
		AccentColor     *string `json:"accent_color"`
		TextColor       *string `json:"text_color"`
		BackgroundColor *string `json:"background_color"`
		HeadingFont     *string `json:"heading_font"`
		BodyFont        *string `json:"body_font"`
		Tagline         *string `json:"tagline"`
		Boilerplate     *string `json:"boilerplate"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if _, err := s.Brand.UpdateKit(c.UserContext(), brand.KitUpdate{PrimaryColor: in.PrimaryColor, AccentColor: in.AccentColor, TextColor: in.TextColor,
		BackgroundColor: in.BackgroundColor, HeadingFont: in.HeadingFont, BodyFont: in.BodyFont, Tagline: in.Tagline, Boilerplate: in.Boilerplate}); err != nil {
		return err
	}
	return s.apiBrand(c)
}

// decodeImage reads a base64 image field; field names the error.
func decodeImage(field, v string) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, app.FieldErrorf(field, "%s must be base64.", field)
	}
	return b, nil
}

func (s *Handler) apiBrandLogo(c *fiber.Ctx) error {
	var in struct {
		Data string `json:"data_base64"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	data, err := decodeImage("data_base64", in.Data)
	if err != nil {
		return err
	}
	if err := s.Brand.SetLogo(c.UserContext(), utils.CopyString(c.Params("variant")), data); err != nil {
		if app.ErrorField(err) == "logo" {
			return &app.Error{Code: app.ErrorCode(err), Field: "data_base64", Message: app.ErrorMessage(err)}
		}
		return err
	}
	return s.apiBrand(c)
}

func (s *Handler) apiBrandLogoDelete(c *fiber.Ctx) error {
	if err := s.Brand.DeleteLogo(c.UserContext(), utils.CopyString(c.Params("variant"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Handler) apiBrandScreenshot(c *fiber.Ctx) error {
	var in struct {
		Caption string `json:"caption"`
		Data    string `json:"data_base64"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	data, err := decodeImage("data_base64", in.Data)
	if err != nil {
		return err
	}
	a, err := s.Brand.AddScreenshot(c.UserContext(), in.Caption, data)
	if err != nil {
		if app.ErrorField(err) == "file" {
			return &app.Error{Code: app.ErrorCode(err), Field: "data_base64", Message: app.ErrorMessage(err)}
		}
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPIBrandAsset(a)})
}

func (s *Handler) apiBrandAsset(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.Brand.Asset(c.UserContext(), id)
	if err != nil {
		return err
	}
	return web.SendAttachment(c, "image-"+strconv.FormatInt(a.ID, 10)+a.Ext(), a.ContentType, false, a.Data, "private, no-cache")
}

func (s *Handler) apiBrandAssetDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Brand.DeleteAsset(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Handler) apiBrandPersonAdd(c *fiber.Ctx) error {
	var in struct {
		Kind, Name, Title, Bio, Email, Phone string
		Photo                                string `json:"photo_base64"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	photo, err := decodeImage("photo_base64", in.Photo)
	if err != nil {
		return err
	}
	p := &brand.Person{Kind: in.Kind, Name: in.Name, Title: in.Title, Bio: in.Bio, Email: in.Email, Phone: in.Phone}
	if err := s.Brand.AddPerson(c.UserContext(), p, photo); err != nil {
		if app.ErrorField(err) == "photo" {
			return &app.Error{Code: app.ErrorCode(err), Field: "photo_base64", Message: app.ErrorMessage(err)}
		}
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPIBrandPerson(p)})
}

func (s *Handler) apiBrandPersonDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Brand.DeletePerson(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Handler) apiBrandReleases(c *fiber.Ctx) error {
	rs, err := s.Brand.Releases(c.UserContext(), c.Query("published") == "true")
	if err != nil {
		return err
	}
	return sendAll(c, rs, toAPIBrandRelease)
}

type apiBrandReleaseInput struct {
	Title     string `json:"title"`
	Slug      string `json:"slug"`
	Summary   string `json:"summary"`
	Body      string `json:"body"`
	Published bool   `json:"published"`
}

func (s *Handler) apiBrandReleaseCreate(c *fiber.Ctx) error {
	var in apiBrandReleaseInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	r := &brand.Release{Title: in.Title, Slug: in.Slug, Summary: in.Summary, Body: in.Body}
	if err := s.Brand.SaveRelease(c.UserContext(), r, in.Published); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPIBrandRelease(r)})
}

func (s *Handler) apiBrandRelease(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.Brand.Release(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIBrandRelease(r)})
}

func (s *Handler) apiBrandReleaseUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Brand.Release(c.UserContext(), id); err != nil {
		return err
	}
	var in apiBrandReleaseInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	r := &brand.Release{ID: id, Title: in.Title, Slug: in.Slug, Summary: in.Summary, Body: in.Body}
	if err := s.Brand.SaveRelease(c.UserContext(), r, in.Published); err != nil {
		return err
	}
	r, err = s.Brand.Release(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIBrandRelease(r)})
}

func (s *Handler) apiBrandReleaseDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Brand.DeleteRelease(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Handler) apiBrandZip(c *fiber.Ctx) error {
	ctx := c.UserContext()
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

// addBrandAPI documents the brand & press kit endpoints.
func addBrandAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenant := qparam("tenant", "admin keys: the tenant (ID or slug); default the agency (house tenant)", str)
	color := obj{"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}
	fonts := []string{}
	for _, f := range brand.Fonts {
		fonts = append(fonts, f.Key)
	}
	font := obj{"type": "string", "enum": fonts}
	kitProps := obj{"primary_color": color, "accent_color": color, "text_color": color, "background_color": color, "heading_font": font, "body_font": font,
		"tagline": obj{"type": "string", "maxLength": 200}, "boilerplate": obj{"type": "string", "maxLength": brand.MaxBoilerplate, "description": "markdown"}}
	schemas["BrandKitInput"] = props(nil, kitProps)
	schemas["BrandAsset"] = props([]string{"id", "kind"}, obj{"id": integ, "kind": obj{"type": "string", "enum": []string{brand.KindLogoSquare, brand.KindLogoDark, brand.KindPhoto, brand.KindScreenshot}},
		"caption": str, "content_type": str, "width": integ, "height": integ, "created_at": tstamp})
	schemas["BrandPerson"] = props([]string{"id", "kind", "name"}, obj{"id": integ, "kind": obj{"type": "string", "enum": []string{brand.PersonFounder, brand.PersonContact}},
		"name": str, "title": str, "bio": str, "email": str, "phone": str, "photo_id": nInt})
	kit := obj{"tenant_id": integ, "name": str, "has_logo": obj{"type": "boolean"}, "updated_at": tstamp,
		"contrast": obj{"type": "array", "items": props([]string{"field", "foreground", "background", "ratio", "passes_aa"}, obj{"field": str, "foreground": color, "background": color,
			"ratio": obj{"type": "number", "description": "WCAG 2 contrast ratio (1 to 21)"}, "passes_aa": obj{"type": "boolean"}})},
		"assets": obj{"type": "array", "items": ref("BrandAsset")}, "people": obj{"type": "array", "items": ref("BrandPerson")}}
	for k, v := range kitProps {
		kit[k] = v
	}
	schemas["BrandKit"] = props([]string{"tenant_id", "primary_color", "accent_color", "text_color", "background_color"}, kit)
	schemas["BrandRelease"] = props([]string{"id", "slug", "title", "published"}, obj{"id": integ, "slug": str, "title": str, "summary": str, "body": obj{"type": "string", "description": "markdown"},
		"published": obj{"type": "boolean"}, "published_at": nTime, "created_at": tstamp, "updated_at": tstamp})
	schemas["BrandReleaseInput"] = props([]string{"title"}, obj{"title": obj{"type": "string", "maxLength": 200}, "slug": obj{"type": "string", "description": "empty: from the title"},
		"summary": obj{"type": "string", "maxLength": 500}, "body": obj{"type": "string", "description": "markdown"}, "published": obj{"type": "boolean", "description": "public at /press/SLUG"}})
	b64 := obj{"type": "string", "contentEncoding": "base64", "description": "a PNG or JPEG file (sniffed; SVG refused)"}
	variant := obj{"name": "variant", "in": "path", "required": true, "schema": obj{"type": "string", "enum": []string{brand.LogoPrimary, brand.LogoSquare, brand.LogoDark}}}
	paths["/api/v1/brand"] = obj{"parameters": []obj{tenant},
		"get": obj{"summary": "The brand & press kit: colours (the primary and accent are the portal theme's) with their WCAG contrast, fonts, tagline, boilerplate, images and people",
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("BrandKit")))}, "400")},
		"put": obj{"summary": "Change the kit; a colour pair below 4.5:1 (text on background, white on primary or accent) is refused naming both colours and the ratio, and nothing is written",
			"requestBody": jsonBody(ref("BrandKitInput")), "responses": std(obj{"200": jsonResp("OK", dataOf(ref("BrandKit")))}, "400", "403")}}
	paths["/api/v1/brand/logos/{variant}"] = obj{"parameters": []obj{variant, tenant},
		"put": obj{"summary": "Upload a logo variant (primary: the portal's logo, at most 512 KiB)", "requestBody": jsonBody(props([]string{"data_base64"}, obj{"data_base64": b64})),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("BrandKit")))}, "400", "403", "413")},
		"delete": obj{"summary": "Remove a logo variant", "responses": std(obj{"204": obj{"description": "Removed"}}, "400", "403")}}
	paths["/api/v1/brand/screenshots"] = obj{"parameters": []obj{tenant},
		"post": obj{"summary": "Add a product screenshot", "requestBody": jsonBody(props([]string{"data_base64"}, obj{"caption": str, "data_base64": b64})),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("BrandAsset")))}, "400", "403", "409", "413")}}
	paths["/api/v1/brand/assets/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"get":    obj{"summary": "An image of the kit (its bytes)", "responses": std(obj{"200": obj{"description": "The image (PNG or JPEG)", "content": obj{"image/*": obj{"schema": obj{"type": "string", "format": "binary"}}}}}, "404")},
		"delete": obj{"summary": "Remove an image", "responses": std(obj{"204": obj{"description": "Removed"}}, "403", "404")}}
	paths["/api/v1/brand/people"] = obj{"parameters": []obj{tenant},
		"post": obj{"summary": "Add a founder (with a bio and photo) or a press contact (with an email or phone)",
			"requestBody": jsonBody(props([]string{"kind", "name"}, obj{"kind": obj{"type": "string", "enum": []string{brand.PersonFounder, brand.PersonContact}}, "name": str, "title": str,
				"bio": str, "email": str, "phone": str, "photo_base64": b64})),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("BrandPerson")))}, "400", "403", "409", "413")}}
	paths["/api/v1/brand/people/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"delete": obj{"summary": "Remove a founder or contact and its photo", "responses": std(obj{"204": obj{"description": "Removed"}}, "403", "404")}}
	paths["/api/v1/brand/releases"] = obj{"parameters": []obj{tenant},
		"get": obj{"summary": "Press releases, newest first", "parameters": []obj{qparam("published", "true: published ones only", str)},
			"responses": std(obj{"200": jsonResp("OK", pageOf(ref("BrandRelease")))})},
		"post": obj{"summary": "Write a press release (markdown)", "requestBody": jsonBody(ref("BrandReleaseInput")),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("BrandRelease")))}, "400", "403", "409")}}
	paths["/api/v1/brand/releases/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"get": obj{"summary": "A press release", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("BrandRelease")))}, "404")},
		"put": obj{"summary": "Replace a press release's fields; published keeps its first date", "requestBody": jsonBody(ref("BrandReleaseInput")),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("BrandRelease")))}, "400", "403", "404", "409")},
		"delete": obj{"summary": "Delete a press release", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")}}
	paths["/api/v1/brand/kit.zip"] = obj{"parameters": []obj{tenant},
		"get": obj{"summary": "The downloadable kit: logos, founders' photos, screenshots, published releases, boilerplate.md and one-pager.pdf",
			"responses": std(obj{"200": obj{"description": "A zip file", "content": obj{"application/zip": obj{"schema": obj{"type": "string", "format": "binary"}}}}})}}
}
