package brand

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/wiki"
)

// Service is the brand & press kit's use cases. Every method works on the
// tenant ctx is scoped to (the portal's signed-in tenant, the tenant key's,
// or the one a Nexus page or admin key names).
type Service struct {
	stores  Stores
	Tenants *app.TenantService
	Audit   *app.AuditService
	// RenderPDF renders the kit's one-pager (brandpdf.Render); nil: the
	// kit zip has no PDF.
	RenderPDF func(p *Press) ([]byte, error)
	Now       func() time.Time
}

// NewService returns the brand & press kit's service over st; the wiring
// fills the other fields. The stores stay the service's: callers read
// and write the kit through its methods.
func NewService(st Stores) *Service { return &Service{stores: st} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// canWrite refuses a tenant member who is not the owner (the portal's
// writes are the owner's; API keys are checked for their write scope at
// the edge, admins may write any kit).
func canWrite(ctx context.Context) error {
	if u := app.UserFromContext(ctx); u != nil && u.Role != app.UserRoleOwner {
		return app.Errorf(app.EFORBIDDEN, "Only the account owner can change the brand kit.")
	}
	return nil
}

// Kit returns the tenant's kit. Returns EUNAUTHORIZED without a tenant.
func (s *Service) Kit(ctx context.Context) (*Kit, error) {
	return s.stores.Kit.FindKit(ctx)
}

// UpdateKit changes the kit: colours (the primary and accent are the
// tenant's theme), fonts, tagline and boilerplate. Everything is checked
// first, the contrast of every pair included; a refusal writes nothing.
// Returns EINVALID naming the field, EFORBIDDEN.
func (s *Service) UpdateKit(ctx context.Context, upd KitUpdate) (*Kit, error) {
	if err := canWrite(ctx); err != nil {
		return nil, err
	}
	k, err := s.stores.Kit.FindKit(ctx)
	if err != nil {
		return nil, err
	}
	upd.Apply(k)
	if err := k.Validate(); err != nil {
		return nil, err
	}
	if err := s.stores.Kit.SaveKit(ctx, k); err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, "brand.update", fmt.Sprintf("tenant:%d", k.TenantID), k.PrimaryColor+" "+k.AccentColor+" "+k.TextColor+" "+k.BackgroundColor)
	return s.stores.Kit.FindKit(ctx)
}

// SetLogo stores a logo variant: the primary logo is the tenant's own
// (app.TenantService.SetLogo: the portal's theme shows it), the square
// and dark-background ones are the kit's. Returns EINVALID, ETOOLARGE,
// EFORBIDDEN.
func (s *Service) SetLogo(ctx context.Context, variant string, data []byte) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	var kind string
	switch variant {
	case LogoPrimary:
		return s.Tenants.SetLogo(ctx, tid, data)
	case LogoSquare:
		kind = KindLogoSquare
	case LogoDark:
		kind = KindLogoDark
	default:
		return app.FieldErrorf("variant", "Logo variant must be primary, square or dark.")
	}
	a, err := NewImage("logo", data, app.MaxLogoBytes)
	if err != nil {
		return err
	}
	a.Kind = kind
	if err := s.stores.Assets.AddAsset(ctx, a); err != nil {
		return err
	}
	s.Audit.Record(ctx, "brand.logo", fmt.Sprintf("tenant:%d", tid), variant)
	return nil
}

// AddScreenshot stores a product screenshot. Returns EINVALID, ETOOLARGE,
// ECONFLICT past MaxScreenshots, EFORBIDDEN.
func (s *Service) AddScreenshot(ctx context.Context, caption string, data []byte) (*Asset, error) {
	if err := canWrite(ctx); err != nil {
		return nil, err
	}
	caption = strings.TrimSpace(caption)
	if len(caption) > 200 {
		return nil, app.FieldErrorf("caption", "Caption must be at most 200 characters.")
	}
	a, err := NewImage("file", data, MaxImageBytes)
	if err != nil {
		return nil, err
	}
	a.Kind, a.Caption = KindScreenshot, caption
	if err := s.stores.Assets.AddAsset(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Assets lists the kit's images (without data) of kind ("" every kind).
func (s *Service) Assets(ctx context.Context, kind string) ([]*Asset, error) {
	return s.stores.Assets.FindAssets(ctx, kind)
}

// Asset returns an image with its data, or ENOTFOUND.
func (s *Service) Asset(ctx context.Context, id int64) (*Asset, error) {
	return s.stores.Assets.FindAsset(ctx, id)
}

// DeleteAsset removes an image. Returns ENOTFOUND, EFORBIDDEN.
func (s *Service) DeleteAsset(ctx context.Context, id int64) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	return s.stores.Assets.DeleteAsset(ctx, id)
}

// DeleteLogo removes a logo variant (the primary one is the tenant's).
// Returns EINVALID, EFORBIDDEN.
func (s *Service) DeleteLogo(ctx context.Context, variant string) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	kind := map[string]string{LogoSquare: KindLogoSquare, LogoDark: KindLogoDark}[variant]
	if variant == LogoPrimary {
		if err := s.Tenants.ClearLogo(ctx, tid); err != nil {
			return err
		}
	} else if kind == "" {
		return app.FieldErrorf("variant", "Logo variant must be primary, square or dark.")
	} else {
		as, err := s.stores.Assets.FindAssets(ctx, kind)
		if err != nil {
			return err
		}
		for _, a := range as {
			if err := s.stores.Assets.DeleteAsset(ctx, a.ID); err != nil {
				return err
			}
		}
	}
	// As an upload is (brand.logo, or tenant.logo for the primary).
	s.Audit.Record(ctx, "brand.logo_delete", fmt.Sprintf("tenant:%d", tid), variant)
	return nil
}

// People lists founders and press contacts.
func (s *Service) People(ctx context.Context) ([]*Person, error) {
	return s.stores.People.FindPeople(ctx)
}

// AddPerson adds a founder or press contact with an optional photo
// (photo nil or empty: none), in one transaction. Returns EINVALID,
// ETOOLARGE, EFORBIDDEN.
func (s *Service) AddPerson(ctx context.Context, p *Person, photo []byte) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	var a *Asset
	if len(photo) > 0 {
		var err error
		if a, err = NewImage("photo", photo, MaxImageBytes); err != nil {
			return err
		}
		a.Kind, a.Caption = KindPhoto, p.Name
	}
	return s.stores.People.AddPerson(ctx, p, a)
}

// DeletePerson removes a founder or contact and its photo. Returns
// ENOTFOUND, EFORBIDDEN.
func (s *Service) DeletePerson(ctx context.Context, id int64) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	return s.stores.People.DeletePerson(ctx, id)
}

// Releases lists the press releases, newest first.
func (s *Service) Releases(ctx context.Context, publishedOnly bool) ([]*Release, error) {
	return s.stores.Releases.FindReleases(ctx, publishedOnly)
}

// Release returns a release, or ENOTFOUND.
func (s *Service) Release(ctx context.Context, id int64) (*Release, error) {
	return s.stores.Releases.FindRelease(ctx, id)
}

// PublishedRelease returns a published release by slug, or ENOTFOUND.
func (s *Service) PublishedRelease(ctx context.Context, slug string) (*Release, error) {
	return s.stores.Releases.FindReleaseBySlug(ctx, slug)
}

// SaveRelease creates (ID 0) or updates a release; publish sets or
// clears its publication (a release published again keeps its first
// date). Returns EINVALID, ECONFLICT (slug in use), ENOTFOUND,
// EFORBIDDEN.
func (s *Service) SaveRelease(ctx context.Context, r *Release, publish bool) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if r.ID != 0 {
		old, err := s.stores.Releases.FindRelease(ctx, r.ID)
		if err != nil {
			return err
		}
		r.PublishedAt = old.PublishedAt
	}
	switch {
	case publish && r.PublishedAt == nil:
		now := s.now().UTC()
		r.PublishedAt = &now
	case !publish:
		r.PublishedAt = nil
	}
	return s.stores.Releases.SaveRelease(ctx, r)
}

// DeleteRelease returns ENOTFOUND, EFORBIDDEN.
func (s *Service) DeleteRelease(ctx context.Context, id int64) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	return s.stores.Releases.DeleteRelease(ctx, id)
}

// RenderMarkdown is a release's or the boilerplate's safe HTML: the
// wiki's renderer (goldmark without raw HTML, then bluemonday's
// allow-list).
func RenderMarkdown(src string) string { return wiki.Render(src, wiki.Resolver{}) }

// Press is everything the public press page, the zip and the one-pager
// show.
type Press struct {
	Kit         *Kit
	Logo        *app.Logo // the primary logo (nil: none)
	LogoSquare  *Asset    // with data when built WithData
	LogoDark    *Asset
	Founders    []*Person
	Contacts    []*Person
	Photos      map[int64]*Asset // founders' photos by ID
	Screenshots []*Asset
	Releases    []*Release // published, newest first
}

// Press gathers the kit for the press page (withData false: images
// without their bytes) or for the zip and PDF (true).
func (s *Service) Press(ctx context.Context, withData bool) (*Press, error) {
	k, err := s.stores.Kit.FindKit(ctx)
	if err != nil {
		return nil, err
	}
	p := &Press{Kit: k, Photos: map[int64]*Asset{}}
	if k.LogoHash != "" && withData {
		if l, err := s.Tenants.Logo(ctx, k.TenantID); err == nil {
			p.Logo = l
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return nil, err
		}
	}
	as, err := s.stores.Assets.FindAssets(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if withData {
			if a, err = s.stores.Assets.FindAsset(ctx, a.ID); err != nil {
				return nil, err
			}
		}
		switch a.Kind {
		case KindLogoSquare:
			p.LogoSquare = a
		case KindLogoDark:
			p.LogoDark = a
		case KindPhoto:
			p.Photos[a.ID] = a
		case KindScreenshot:
			p.Screenshots = append(p.Screenshots, a)
		}
	}
	ps, err := s.stores.People.FindPeople(ctx)
	if err != nil {
		return nil, err
	}
	for _, pe := range ps {
		if pe.Kind == PersonFounder {
			p.Founders = append(p.Founders, pe)
		} else {
			p.Contacts = append(p.Contacts, pe)
		}
	}
	if p.Releases, err = s.stores.Releases.FindReleases(ctx, true); err != nil {
		return nil, err
	}
	return p, nil
}

// Boilerplate is the kit's boilerplate.md: the tagline, the boilerplate,
// founders and press contacts, the colours and fonts.
func (p *Press) Boilerplate() string {
	var b strings.Builder
	k := p.Kit
	fmt.Fprintf(&b, "# %s\n\n", k.Name)
	if k.Tagline != "" {
		fmt.Fprintf(&b, "_%s_\n\n", k.Tagline)
	}
	if k.Boilerplate != "" {
		fmt.Fprintf(&b, "## About\n\n%s\n\n", k.Boilerplate)
	}
	if len(p.Founders) > 0 {
		b.WriteString("## Founders\n\n")
		for _, f := range p.Founders {
			fmt.Fprintf(&b, "### %s", f.Name)
			if f.Title != "" {
				fmt.Fprintf(&b, ", %s", f.Title)
			}
			b.WriteString("\n\n")
			if f.Bio != "" {
				fmt.Fprintf(&b, "%s\n\n", f.Bio)
			}
		}
	}
	if len(p.Contacts) > 0 {
		b.WriteString("## Press contacts\n\n")
		for _, c := range p.Contacts {
			parts := []string{c.Name}
			for _, v := range []string{c.Title, c.Email, c.Phone} {
				if v != "" {
					parts = append(parts, v)
				}
			}
			fmt.Fprintf(&b, "- %s\n", strings.Join(parts, " · "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "## Colours\n\n- Primary %s\n- Accent %s\n- Text %s\n- Background %s\n\n", k.PrimaryColor, k.AccentColor, k.TextColor, k.BackgroundColor)
	fmt.Fprintf(&b, "## Fonts\n\n- Headings: %s (%s)\n- Body: %s (%s)\n", FontByKey(k.HeadingFont).Name, FontByKey(k.HeadingFont).Stack,
		FontByKey(k.BodyFont).Name, FontByKey(k.BodyFont).Stack)
	return b.String()
}

// KitZip builds the downloadable kit: logos/, photos/, screenshots/,
// releases/ (published, markdown), boilerplate.md and one-pager.pdf.
func (s *Service) KitZip(ctx context.Context) ([]byte, error) {
	p, err := s.Press(ctx, true)
	if err != nil {
		return nil, err
	}
	var pdf []byte
	if s.RenderPDF != nil {
		if pdf, err = s.RenderPDF(p); err != nil {
			return nil, fmt.Errorf("brand one-pager: %w", err)
		}
	}
	return p.Zip(pdf)
}

// Zip writes the kit's files, with pdf as one-pager.pdf (nil: none).
func (p *Press) Zip(pdf []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mod := p.Kit.UpdatedAt
	if mod.IsZero() {
		mod = time.Now()
	}
	add := func(name string, data []byte, compress bool) error {
		m := zip.Deflate
		if !compress { // PNG and JPEG are compressed already
			m = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: m, Modified: mod})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	base := app.Slugify(p.Kit.Name)
	if base == "" {
		base = "brand"
	}
	if p.Logo != nil {
		ext := ".png"
		if p.Logo.ContentType == "image/jpeg" {
			ext = ".jpg"
		}
		if err := add("logos/"+base+"-logo"+ext, p.Logo.Data, false); err != nil {
			return nil, err
		}
	}
	for _, l := range []struct {
		a    *Asset
		name string
	}{{p.LogoSquare, "-logo-square"}, {p.LogoDark, "-logo-dark-background"}} {
		if l.a != nil {
			if err := add("logos/"+base+l.name+l.a.Ext(), l.a.Data, false); err != nil {
				return nil, err
			}
		}
	}
	for _, f := range p.Founders {
		if a := p.Photos[f.PhotoID]; a != nil {
			if err := add("photos/"+app.Slugify(f.Name)+a.Ext(), a.Data, false); err != nil {
				return nil, err
			}
		}
	}
	for i, a := range p.Screenshots {
		name := fmt.Sprintf("screenshots/%02d", i+1)
		if c := app.Slugify(a.Caption); c != "" {
			name += "-" + c
		}
		if err := add(name+a.Ext(), a.Data, false); err != nil {
			return nil, err
		}
	}
	for _, r := range p.Releases {
		md := "# " + r.Title + "\n\n"
		if r.PublishedAt != nil {
			md += "_" + r.PublishedAt.Format("January 2, 2006") + "_\n\n"
		}
		if r.Summary != "" {
			md += r.Summary + "\n\n"
		}
		md += r.Body + "\n"
		if err := add("releases/"+r.Slug+".md", []byte(md), true); err != nil {
			return nil, err
		}
	}
	if err := add("boilerplate.md", []byte(p.Boilerplate()), true); err != nil {
		return nil, err
	}
	if pdf != nil {
		if err := add("one-pager.pdf", pdf, true); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FileName is the download name of the kit's zip (without .zip).
func (p *Press) FileName() string {
	n := app.Slugify(p.Kit.Name)
	if n == "" {
		n = strconv.FormatInt(p.Kit.TenantID, 10)
	}
	return n + "-press-kit"
}
