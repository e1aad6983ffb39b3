package brand_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/brand"
)

func kit() *brand.Kit {
	return &brand.Kit{PrimaryColor: "#4f46e5", AccentColor: "#0e7490", TextColor: "#111827", BackgroundColor: "#ffffff", HeadingFont: "georgia", BodyFont: "system"}
}

// Known WCAG 2 ratios: black on white is 21:1, #777 on white 4.48:1
// (just under AA), #767676 on white 4.54:1 (the lightest grey that passes).
func TestContrast_KnownRatios(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want string
	}{{"#000000", "#ffffff", "21"}, {"#777777", "#ffffff", "4.48"}, {"#767676", "#ffffff", "4.54"}, {"#ffffff", "#ffffff", "1"}} {
		r, err := app.ContrastRatio(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := brand.FormatRatio(r); got != c.want {
			t.Errorf("%s on %s: %s (%.4f), want %s", c.a, c.b, got, r, c.want)
		}
	}
	if got := brand.FormatRatio(4.4999); got != "4.49" {
		t.Errorf("4.4999 shown as %s: a failing ratio must never read 4.5", got)
	}
}

func TestKit_ValidateContrast(t *testing.T) {
	k := kit()
	if err := k.Validate(); err != nil {
		t.Fatalf("good kit refused: %v", err)
	}
	k = kit()
	k.TextColor = "#777" // short form: #777777
	err := k.Validate()
	if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != "text_color" {
		t.Fatalf("#777 on white: %v (field %q), want EINVALID text_color", err, app.ErrorField(err))
	}
	for _, w := range []string{"#777777", "#ffffff", "4.48:1", "4.5:1"} {
		if !strings.Contains(app.ErrorMessage(err), w) {
			t.Errorf("message %q lacks %q", app.ErrorMessage(err), w)
		}
	}
	// A dark background with light text passes; the same text on white
	// does not.
	k = kit()
	k.TextColor, k.BackgroundColor = "#f9fafb", "#111827"
	if err := k.Validate(); err != nil {
		t.Errorf("light on dark refused: %v", err)
	}
	k = kit()
	k.PrimaryColor = "#a5b4fc"
	if err := k.Validate(); app.ErrorField(err) != "primary_color" || !strings.Contains(app.ErrorMessage(err), "#a5b4fc") || !strings.Contains(app.ErrorMessage(err), "#ffffff") {
		t.Errorf("light primary: %v", err)
	}
	k = kit()
	k.HeadingFont = "Comic Sans from a CDN"
	if err := k.Validate(); app.ErrorField(err) != "heading_font" {
		t.Errorf("unknown font: %v", err)
	}
	k = kit()
	k.BackgroundColor = "white"
	if err := k.Validate(); app.ErrorField(err) != "background_color" {
		t.Errorf("named colour: %v", err)
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, 0, color.RGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestNewImage_Sniffs(t *testing.T) {
	a, err := brand.NewImage("file", pngOf(t, 40, 20), brand.MaxImageBytes)
	if err != nil || a.ContentType != "image/png" || a.Width != 40 || a.Height != 20 || a.Hash == "" {
		t.Fatalf("png: %v %+v", err, a)
	}
	for name, data := range map[string][]byte{
		"svg":       []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"html":      []byte("<html><script>alert(1)</script></html>"),
		"truncated": pngOf(t, 40, 20)[:60],
		"empty":     nil,
	} {
		if _, err := brand.NewImage("file", data, brand.MaxImageBytes); app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != "file" {
			t.Errorf("%s: %v, want EINVALID naming file", name, err)
		}
	}
	big := append(pngOf(t, 4, 4), make([]byte, brand.MaxImageBytes)...)
	if _, err := brand.NewImage("file", big, brand.MaxImageBytes); app.ErrorCode(err) != app.ETOOLARGE {
		t.Errorf("too large: %v", err)
	}
}

func TestRelease_Validate(t *testing.T) {
	r := &brand.Release{Title: "Alpha raises $2M seed round!"}
	if err := r.Validate(); err != nil || r.Slug != "alpha-raises-2m-seed-round" {
		t.Errorf("slug from title: %v %q", err, r.Slug)
	}
	r = &brand.Release{Title: "x", Slug: "../etc"}
	if err := r.Validate(); app.ErrorField(err) != "slug" {
		t.Errorf("bad slug: %v", err)
	}
	p := &brand.Person{Kind: brand.PersonContact, Name: "Press desk"}
	if err := p.Validate(); app.ErrorField(err) != "email" {
		t.Errorf("contact without a way to reach: %v", err)
	}
}

// The markdown of a release is rendered safely: raw HTML is text, a
// javascript: link is dropped.
func TestRenderMarkdown_Safe(t *testing.T) {
	h := brand.RenderMarkdown("# Launch\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold** <img src=x onerror=alert(1)>")
	if strings.Contains(h, "<script") || strings.Contains(h, "javascript:") || !strings.Contains(h, "<strong>bold</strong>") || !strings.Contains(h, "<h1") {
		t.Errorf("rendered: %s", h)
	}
}
