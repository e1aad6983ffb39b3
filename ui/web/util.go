package web

import (
	"errors"
	"fmt"
	"github.com/gofiber/fiber/v2/utils"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// Itoa is strconv.Itoa, short for handlers and templates.
func Itoa(n int) string { return strconv.Itoa(n) }

// AtoiDefault parses a form or query number; blank is def.
func AtoiDefault(s string, def int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return def, err
	}
	return n, nil
}

// AsRateLimit finds a rate-limit error in err's chain.
func AsRateLimit(err error, rl **app.RateLimitError) bool { return errors.As(err, rl) }

// RequestURI is the path and query of the request, whatever form the
// request line had (absolute-form requests carry scheme and host).
func RequestURI(c *fiber.Ctx) string { return string(c.Request().URI().RequestURI()) }

// Ago formats how long ago t was ("never" for the zero time).
func Ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// StagesText is a pipeline's stages as the settings form shows them.
func StagesText(p *app.Pipeline) string {
	var b strings.Builder
	for _, st := range p.Stages {
		fmt.Fprintf(&b, "%s | %d", st.Name, st.Probability)
		if st.Won {
			b.WriteString(" | won")
		} else if st.Lost {
			b.WriteString(" | lost")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ParamID parses a positive ID path parameter; anything else is
// ENOTFOUND.
func ParamID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.Errorf(app.ENOTFOUND, "Not found.")
	}
	return id, nil
}

// formError re-renders a form for a user-facing error, or returns err.
// FormError answers a form's error: an EINTERNAL is returned as is,
// anything else re-renders the form with the message under its field (def
// when the error names none) and the code's status.
func FormError(c *fiber.Ctx, err error, def string, render func(map[string]string) error) error {
	code := app.ErrorCode(err)
	if code == app.EINTERNAL {
		return err
	}
	c.Status(ErrorStatus(code))
	return render(map[string]string{FieldOr(err, def): app.ErrorMessage(err)})
}

// FieldOr is the field an error names, else def.
func FieldOr(err error, def string) string {
	if f := app.ErrorField(err); f != "" {
		return f
	}
	return def
}

// SafeNext keeps a post-login redirect on this host.
func SafeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// RequireWriteKey refuses a read-only API key.
func RequireWriteKey(c *fiber.Ctx) error {
	if k := APIKey(c); k == nil || !k.CanWrite() {
		return app.Errorf(app.EFORBIDDEN, "This API key is read-only; create a write key to change data.")
	}
	return c.Next()
}

// LeadForm is the marketing site's lead form, as posted.
type LeadForm struct {
	FirstName, LastName, Email, Phone, Company, Message string
}

// SendLogo serves a tenant's logo: immutable for a year when the request
// names its hash (?v=), else revalidated; never run as a document.
func SendLogo(c *fiber.Ctx, l *app.Logo, cache string) error {
	c.Set(fiber.HeaderContentType, l.ContentType)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if c.Query("v") == l.Hash {
		c.Set(fiber.HeaderCacheControl, cache+", max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return c.Send(l.Data)
}

// FormGetter reads form values as copies (they outlive the handler).
func FormGetter(c *fiber.Ctx) func(string) string {
	return func(k string) string { return utils.CopyString(c.FormValue(k)) }
}

// RequireOwner refuses a tenant member an owner-only action.
func RequireOwner(c *fiber.Ctx, what string) error {
	if u := User(c); u == nil || u.Role != app.UserRoleOwner {
		return app.Errorf(app.EFORBIDDEN, "Only the account owner can %s.", what)
	}
	return nil
}

// FormMap reads the named form values (copies).
func FormMap(c *fiber.Ctx, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = utils.CopyString(c.FormValue(n))
	}
	return m
}

// SplitList splits a list typed into one field at commas, semicolons and
// line breaks.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' })
}

// OptID is nil for 0 (JSON null), else the ID.
func OptID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// BareHost is a Host header without its port, lower case, without a
// trailing dot (a new string: it outlives the request in caches).
func BareHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.Clone(strings.TrimSuffix(strings.ToLower(host), "."))
}
