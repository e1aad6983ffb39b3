// Package brand is the brand & press kit of a tenant (issue #22; the
// house tenant's kit is the agency's): logo variants, colours checked for
// contrast, fonts from a fixed list of system stacks (nothing is fetched
// from a font service), a tagline and boilerplate, founders with bios and
// photos, product screenshots, press contacts and press releases in
// markdown. It feeds the public press page (/press on the tenant's
// domain, the agency's on DOMAIN) and a downloadable kit (a zip with the
// images, boilerplate.md and a PDF one-pager).
//
// The white-label theme has one source: the tenant's primary and accent
// colours and its logo (tenants, tenant_logos). The kit does not copy
// them: it reads them from the tenant and writes them back through the
// tenant's own fields (in the transaction that saves the kit) and
// app.TenantService.SetLogo, so a colour changed here is the portal's
// colour at once.
//
// brand imports app and app/wiki (its markdown renderer); never a store,
// HTTP or PDF package.
package brand

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"regexp"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// Asset kinds.
const (
	KindLogoSquare = "logo_square" // square / icon logo
	KindLogoDark   = "logo_dark"   // logo for dark backgrounds
	KindPhoto      = "photo"       // a founder's photo
	KindScreenshot = "screenshot"  // a product screenshot
)

// Logo variants: the primary logo is the tenant's own (the theme's).
const (
	LogoPrimary = "primary"
	LogoSquare  = "square"
	LogoDark    = "dark"
)

// People kinds.
const (
	PersonFounder = "founder"
	PersonContact = "contact"
)

// Limits.
const (
	// MaxImageBytes caps a photo or screenshot (the request body limit is
	// 1 MiB, multipart included).
	MaxImageBytes = 960 << 10
	// MaxImageSide caps an image's width and height in pixels.
	MaxImageSide   = 8192
	MaxBoilerplate = 5000
	MaxReleaseBody = 100_000
	MaxScreenshots = 24
	MaxPeople      = 24
)

// Defaults of a kit never saved.
const (
	DefaultTextColor       = "#111827"
	DefaultBackgroundColor = "#ffffff"
	DefaultFont            = "system"
)

// Font is one of the fixed font stacks: system and web-safe fonts only,
// so no page or PDF of the kit fetches anything from a font service.
type Font struct {
	Key, Name, Stack string
	// PDF is the PDF standard font closest to the stack.
	PDF string
}

// Fonts are the stacks a kit may choose, in the order the form lists them.
var Fonts = []Font{
	{"system", "System UI", `system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif`, "Helvetica"},
	{"helvetica", "Helvetica / Arial", `"Helvetica Neue", Helvetica, Arial, sans-serif`, "Helvetica"},
	{"verdana", "Verdana", `Verdana, Geneva, Tahoma, sans-serif`, "Helvetica"},
	{"trebuchet", "Trebuchet", `"Trebuchet MS", "Lucida Grande", "Lucida Sans Unicode", sans-serif`, "Helvetica"},
	{"georgia", "Georgia", `Georgia, "Times New Roman", Times, serif`, "Times"},
	{"palatino", "Palatino", `"Palatino Linotype", Palatino, "Book Antiqua", serif`, "Times"},
	{"times", "Times", `"Times New Roman", Times, serif`, "Times"},
	{"mono", "Monospace", `ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace`, "Courier"},
}

// FontByKey returns the font with key, or the system stack.
func FontByKey(key string) Font {
	for _, f := range Fonts {
		if f.Key == key {
			return f
		}
	}
	return Fonts[0]
}

func validFont(key string) bool {
	for _, f := range Fonts {
		if f.Key == key {
			return true
		}
	}
	return false
}

// Kit is a tenant's brand kit: the theme's fields (read from the tenant)
// and the kit's own.
type Kit struct {
	TenantID int64
	Name     string // the tenant's brand name
	// PrimaryColor, AccentColor and LogoHash are the tenant's (the
	// theme's); LogoHash is "" without a primary logo.
	PrimaryColor    string
	AccentColor     string
	LogoHash        string
	TextColor       string
	BackgroundColor string
	HeadingFont     string
	BodyFont        string
	Tagline         string
	Boilerplate     string // markdown
	UpdatedAt       time.Time
}

// KitUpdate holds the fields to change; nil fields are kept.
type KitUpdate struct {
	PrimaryColor, AccentColor, TextColor, BackgroundColor *string
	HeadingFont, BodyFont, Tagline, Boilerplate           *string
}

// Apply copies the set fields onto k.
func (u KitUpdate) Apply(k *Kit) {
	for _, f := range []struct{ dst, src *string }{{&k.PrimaryColor, u.PrimaryColor}, {&k.AccentColor, u.AccentColor},
		{&k.TextColor, u.TextColor}, {&k.BackgroundColor, u.BackgroundColor}, {&k.HeadingFont, u.HeadingFont},
		{&k.BodyFont, u.BodyFont}, {&k.Tagline, u.Tagline}, {&k.Boilerplate, u.Boilerplate}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
}

var hexColorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^#[0-9a-f]{6}$`) })

// ContrastPair is two colours that are shown one on the other.
type ContrastPair struct {
	Field      string // the field refused when the pair fails
	Foreground string
	Background string
	What       string // "Text colour #777777 on background #ffffff"
}

// Pairs are the kit's colour pairs that carry text: body text on the
// background, and the white text of buttons and links on the primary and
// accent colours (the portal's theme).
func (k *Kit) Pairs() []ContrastPair {
	return []ContrastPair{
		{"text_color", k.TextColor, k.BackgroundColor, fmt.Sprintf("Text colour %s on background colour %s", k.TextColor, k.BackgroundColor)},
		{"primary_color", "#ffffff", k.PrimaryColor, fmt.Sprintf("White text #ffffff on primary colour %s", k.PrimaryColor)},
		{"accent_color", "#ffffff", k.AccentColor, fmt.Sprintf("White text #ffffff on accent colour %s", k.AccentColor)},
	}
}

// Validate normalises and checks a kit: colours, fonts, lengths and the
// WCAG 2 contrast of every pair in Pairs (AA, 4.5:1 for normal text).
// Returns EINVALID naming the field; a contrast refusal names both
// colours and the ratio.
func (k *Kit) Validate() error {
	for _, c := range []struct {
		field, label string
		v            *string
	}{{"primary_color", "Primary colour", &k.PrimaryColor}, {"accent_color", "Accent colour", &k.AccentColor},
		{"text_color", "Text colour", &k.TextColor}, {"background_color", "Background colour", &k.BackgroundColor}} {
		*c.v = strings.ToLower(strings.TrimSpace(*c.v))
		if len(*c.v) == 4 && strings.HasPrefix(*c.v, "#") { // #abc is #aabbcc
			s := *c.v
			*c.v = "#" + string([]byte{s[1], s[1], s[2], s[2], s[3], s[3]})
		}
		if !hexColorRE().MatchString(*c.v) {
			return app.FieldErrorf(c.field, "%s must be a hex colour like #1d4ed8.", c.label)
		}
	}
	if !validFont(k.HeadingFont) {
		return app.FieldErrorf("heading_font", "Heading font must be one of the listed fonts.")
	}
	if !validFont(k.BodyFont) {
		return app.FieldErrorf("body_font", "Body font must be one of the listed fonts.")
	}
	k.Tagline = strings.TrimSpace(k.Tagline)
	k.Boilerplate = strings.TrimSpace(strings.ReplaceAll(k.Boilerplate, "\r\n", "\n"))
	if len(k.Tagline) > 200 {
		return app.FieldErrorf("tagline", "Tagline must be at most 200 characters.")
	}
	if len(k.Boilerplate) > MaxBoilerplate {
		return app.FieldErrorf("boilerplate", "Boilerplate must be at most %d characters.", MaxBoilerplate)
	}
	for _, p := range k.Pairs() {
		r, err := app.ContrastRatio(p.Foreground, p.Background)
		if err != nil {
			return app.FieldErrorf(p.Field, "%s", app.ErrorMessage(err))
		}
		if r < app.MinContrast {
			return app.FieldErrorf(p.Field, "%s: contrast %s:1 is below the %.1f:1 WCAG AA needs for text. Pick a darker or lighter shade.",
				p.What, FormatRatio(r), app.MinContrast)
		}
	}
	return nil
}

// FormatRatio shows a contrast ratio with at most two decimals (21,
// 4.48). A ratio below AA never shows as 4.5: WCAG does not round up to
// pass.
func FormatRatio(r float64) string {
	s := fmt.Sprintf("%.2f", r)
	if r < app.MinContrast && s == "4.50" {
		s = "4.49"
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// Asset is an image of the kit: a logo variant, a founder's photo or a
// product screenshot.
type Asset struct {
	ID          int64
	TenantID    int64
	Kind        string
	Caption     string
	ContentType string
	Data        []byte // nil in listings
	Hash        string
	Width       int
	Height      int
	CreatedAt   time.Time
}

// Ext is the file extension of the asset's type.
func (a *Asset) Ext() string {
	if a.ContentType == "image/jpeg" {
		return ".jpg"
	}
	return ".png"
}

// NewImage checks an uploaded image: PNG or JPEG by its content (never
// by its name or declared type; SVG is refused, it can carry script), at
// most max bytes and MaxImageSide pixels a side, and decodable whole.
// Returns EINVALID or ETOOLARGE naming field.
func NewImage(field string, data []byte, max int) (*Asset, error) {
	if len(data) == 0 {
		return nil, app.FieldErrorf(field, "Choose an image file.")
	}
	if len(data) > max {
		return nil, &app.Error{Code: app.ETOOLARGE, Field: field, Message: fmt.Sprintf("The image must be at most %d KiB.", max>>10)}
	}
	var ct string
	var cfg image.Config
	var err error
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		ct = "image/png"
		if cfg, err = png.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width <= MaxImageSide && cfg.Height <= MaxImageSide {
			_, err = png.Decode(bytes.NewReader(data))
		}
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		ct = "image/jpeg"
		if cfg, err = jpeg.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width <= MaxImageSide && cfg.Height <= MaxImageSide {
			_, err = jpeg.Decode(bytes.NewReader(data))
		}
	default:
		return nil, app.FieldErrorf(field, "The image must be a PNG or JPEG file (SVG and other types are not accepted).")
	}
	if err != nil {
		return nil, app.FieldErrorf(field, "The file is not a valid %s image.", strings.TrimPrefix(ct, "image/"))
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return nil, app.FieldErrorf(field, "The image must be between 1 and %d pixels wide and high.", MaxImageSide)
	}
	sum := sha256.Sum256(data)
	return &Asset{ContentType: ct, Data: data, Hash: hex.EncodeToString(sum[:8]), Width: cfg.Width, Height: cfg.Height}, nil
}

// Person is a founder (name, title, bio, photo) or a press contact
// (name, title, email, phone).
type Person struct {
	ID        int64
	TenantID  int64
	Kind      string
	Name      string
	Title     string
	Bio       string
	Email     string
	Phone     string
	PhotoID   int64 // 0: no photo
	Position  int
	CreatedAt time.Time
}

// Validate normalises and checks a person. Returns EINVALID.
func (p *Person) Validate() error {
	p.Name, p.Title, p.Bio = strings.TrimSpace(p.Name), strings.TrimSpace(p.Title), strings.TrimSpace(strings.ReplaceAll(p.Bio, "\r\n", "\n"))
	p.Email, p.Phone = strings.ToLower(strings.TrimSpace(p.Email)), strings.TrimSpace(p.Phone)
	if p.Kind != PersonFounder && p.Kind != PersonContact {
		return app.FieldErrorf("kind", "Kind must be founder or contact.")
	}
	if p.Name == "" {
		return app.FieldErrorf("name", "Name required.")
	}
	if len(p.Name) > 120 || len(p.Title) > 120 {
		return app.FieldErrorf("name", "Name and title must be at most 120 characters.")
	}
	if len(p.Bio) > 3000 {
		return app.FieldErrorf("bio", "Bio must be at most 3000 characters.")
	}
	if p.Email != "" {
		if err := app.ValidateEmail("email", p.Email); err != nil {
			return err
		}
	}
	if len(p.Phone) > 40 {
		return app.FieldErrorf("phone", "Phone must be at most 40 characters.")
	}
	if p.Kind == PersonContact && p.Email == "" && p.Phone == "" {
		return app.FieldErrorf("email", "A press contact needs an email or a phone number.")
	}
	return nil
}

// Release is a press release; public at /press/SLUG once published.
type Release struct {
	ID          int64
	TenantID    int64
	Slug        string
	Title       string
	Summary     string
	Body        string // markdown
	PublishedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Published reports whether the release is public.
func (r *Release) Published() bool { return r.PublishedAt != nil }

// Validate normalises and checks a release. Returns EINVALID.
func (r *Release) Validate() error {
	r.Title, r.Summary = strings.TrimSpace(r.Title), strings.TrimSpace(r.Summary)
	r.Body = strings.ReplaceAll(r.Body, "\r\n", "\n")
	r.Slug = strings.ToLower(strings.TrimSpace(r.Slug))
	if r.Title == "" {
		return app.FieldErrorf("title", "Title required.")
	}
	if len(r.Title) > 200 {
		return app.FieldErrorf("title", "Title must be at most 200 characters.")
	}
	if r.Slug == "" {
		r.Slug = app.Slugify(r.Title)
	}
	if !slugRE().MatchString(r.Slug) || len(r.Slug) > 80 || r.Slug == "kit.zip" {
		return app.FieldErrorf("slug", "Slug may contain lowercase letters, digits and single dashes (at most 80).")
	}
	if len(r.Summary) > 500 {
		return app.FieldErrorf("summary", "Summary must be at most 500 characters.")
	}
	if len(r.Body) > MaxReleaseBody {
		return app.FieldErrorf("body", "The release must be at most %d characters.", MaxReleaseBody)
	}
	return nil
}

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`) })

// Stores are where the brand & press kit keeps its data, one small store
// per kind of record (package store's BrandStore is every one of them),
// scoped to the tenant in ctx (EUNAUTHORIZED without one).
type Stores struct {
	Kit      KitStore
	Assets   AssetStore
	People   PersonStore
	Releases ReleaseStore
}

// KitStore keeps the kit's own fields and the theme's colours.
type KitStore interface {
	// FindKit returns the kit's own fields (defaults when never saved)
	// with the tenant's theme fields.
	FindKit(ctx context.Context) (*Kit, error)
	// SaveKit writes the tenant's primary and accent colours (the theme)
	// and the kit's fields in one transaction. k is validated.
	SaveKit(ctx context.Context, k *Kit) error
}

// AssetStore keeps the kit's images (logos, screenshots).
type AssetStore interface {
	// FindAssets lists the kit's images of kind ("" every kind), without
	// their data.
	FindAssets(ctx context.Context, kind string) ([]*Asset, error)
	// FindAsset returns an image with its data, or ENOTFOUND.
	FindAsset(ctx context.Context, id int64) (*Asset, error)
	// AddAsset inserts an image; a logo variant replaces the previous
	// one. Returns ECONFLICT past MaxScreenshots.
	AddAsset(ctx context.Context, a *Asset) error
	// DeleteAsset returns ENOTFOUND.
	DeleteAsset(ctx context.Context, id int64) error
}

// PersonStore keeps the kit's founders and press contacts.
type PersonStore interface {
	// FindPeople lists founders and contacts by kind and position.
	FindPeople(ctx context.Context) ([]*Person, error)
	// AddPerson inserts p and its photo (nil: none) in one transaction.
	AddPerson(ctx context.Context, p *Person, photo *Asset) error
	// DeletePerson deletes a person and its photo. Returns ENOTFOUND.
	DeletePerson(ctx context.Context, id int64) error
}

// ReleaseStore keeps press releases.
type ReleaseStore interface {
	// FindReleases lists releases, newest first; published only if asked.
	FindReleases(ctx context.Context, publishedOnly bool) ([]*Release, error)
	// FindRelease returns ENOTFOUND.
	FindRelease(ctx context.Context, id int64) (*Release, error)
	// FindReleaseBySlug returns a published release, or ENOTFOUND.
	FindReleaseBySlug(ctx context.Context, slug string) (*Release, error)
	// SaveRelease inserts (ID 0) or updates a release. Returns ECONFLICT
	// for a slug in use, ENOTFOUND.
	SaveRelease(ctx context.Context, r *Release) error
	// DeleteRelease returns ENOTFOUND.
	DeleteRelease(ctx context.Context, id int64) error
}
