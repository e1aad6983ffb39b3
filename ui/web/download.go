package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// SendAttachment writes a stored file with headers that keep it inert:
// its sniffed type, no sniffing by the browser, a sandboxing CSP, and a
// Content-Disposition naming it (inline only where asked, for images).
func SendAttachment(c *fiber.Ctx, name, contentType string, inline bool, data []byte, cache string) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	c.Set(fiber.HeaderCacheControl, cache)
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disp, ASCIIName(name), url.PathEscape(name)))
	return c.Send(data)
}

// SendZip answers a zip download named name (.zip added), never cached.
func SendZip(c *fiber.Ctx, name string, data []byte) error {
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ASCIIName(name)+`.zip"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(data)
}

// ASCIIName is a file name safe in a quoted header parameter.
func ASCIIName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, s)
}

// InertType is the type a stored file is sent with: what its bytes are
// (sniffed), never a kind a browser would render as a page (HTML, XML,
// SVG are sent as application/octet-stream).
func InertType(data []byte) string {
	t := http.DetectContentType(data)
	if strings.HasPrefix(t, "text/html") || strings.Contains(t, "xml") || strings.Contains(t, "svg") {
		return "application/octet-stream"
	}
	return t
}
