package web

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Content is a stored file served with HTTP range requests (RFC 9110
// section 14), as net/http's ServeContent serves one, through Fiber: a
// video element asks for the bytes it plays next, and seeking asks for
// another range.
type Content struct {
	Name        string
	ContentType string
	Size        int64
	// ETag is a strong validator of the bytes (a quoted string, e.g.
	// the content hash), for If-Range and If-None-Match.
	ETag     string
	Modified time.Time
	// Inline shows the file in the page (a video); otherwise it is a
	// download.
	Inline bool
	Cache  string // Cache-Control
}

// ByteRange is one satisfiable range: Start and Length in bytes.
type ByteRange struct {
	Start, Length int64
}

// ParseRange reads a Range header for a file of size bytes. It answers
// ok=false when the header is to be ignored (absent, not bytes, several
// ranges: the whole file is sent, as RFC 9110 allows), and
// satisfiable=false when no range overlaps the file (416).
func ParseRange(h string, size int64) (r ByteRange, ok, satisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || spec == "" || strings.Contains(spec, ",") {
		return r, false, true
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return r, false, true
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" { // suffix: the last N bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return r, false, true
		}
		if n == 0 || size == 0 {
			return r, true, false
		}
		n = min(n, size)
		return ByteRange{Start: size - n, Length: n}, true, true
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return r, false, true
	}
	if start >= size {
		return r, true, false
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return r, false, true
		}
		end = min(e, size-1)
	}
	return ByteRange{Start: start, Length: end - start + 1}, true, true
}

// ServeContent answers a GET or HEAD for content read from body:
// 200 with the whole file, 206 with one range (Content-Range), 416 for a
// range past the end, 304 when If-None-Match matches; If-Range with
// another validator sends the whole file. The body is streamed from body
// after the handler returns (never held in memory whole).
func ServeContent(c *fiber.Ctx, ct Content, body io.ReadSeeker) error {
	c.Set(fiber.HeaderContentType, ct.ContentType)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox") // a file, never a page
	c.Set("Accept-Ranges", "bytes")
	if ct.Cache != "" {
		c.Set(fiber.HeaderCacheControl, ct.Cache)
	}
	if ct.ETag != "" {
		c.Set(fiber.HeaderETag, ct.ETag)
	}
	if !ct.Modified.IsZero() {
		c.Set(fiber.HeaderLastModified, ct.Modified.UTC().Format(time.RFC1123[:len(time.RFC1123)-3]+"GMT"))
	}
	disp := "attachment"
	if ct.Inline {
		disp = "inline"
	}
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disp, ASCIIName(ct.Name), url.PathEscape(ct.Name)))
	if ct.ETag != "" && c.Get(fiber.HeaderIfNoneMatch) == ct.ETag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	start, length := int64(0), ct.Size
	if h := c.Get(fiber.HeaderRange); h != "" {
		if ir := c.Get(fiber.HeaderIfRange); ir != "" && (ct.ETag == "" || ir != ct.ETag) {
			h = "" // the client's copy is another version: send it whole
		}
		r, ok, satisfiable := ParseRange(h, ct.Size)
		switch {
		case !satisfiable:
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", ct.Size))
			return c.Status(fiber.StatusRequestedRangeNotSatisfiable).SendString("The range asked for is past the end of the file.")
		case ok:
			start, length = r.Start, r.Length
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", r.Start, r.Start+r.Length-1, ct.Size))
			c.Status(fiber.StatusPartialContent)
		}
	}
	if start > 0 {
		if _, err := body.Seek(start, io.SeekStart); err != nil {
			return fmt.Errorf("seek content: %w", err)
		}
	}
	if c.Method() == fiber.MethodHead {
		c.Set(fiber.HeaderContentLength, strconv.FormatInt(length, 10))
		c.Context().SetBodyString("")
		c.Context().Response.SkipBody = true
		c.Response().Header.SetContentLength(int(length))
		return nil
	}
	c.Context().SetBodyStream(io.LimitReader(body, length), int(length))
	return nil
}
