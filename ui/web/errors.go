package web

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// codes maps application error codes to HTTP statuses; the only place
// that does (WTF).
var codes = map[string]int{
	app.ECONFLICT:     fiber.StatusConflict,
	app.EINVALID:      fiber.StatusBadRequest,
	app.ENOTFOUND:     fiber.StatusNotFound,
	app.EUNAUTHORIZED: fiber.StatusUnauthorized,
	app.EFORBIDDEN:    fiber.StatusForbidden,
	app.ETOOMANY:      fiber.StatusTooManyRequests,
	app.ETOOLARGE:     fiber.StatusRequestEntityTooLarge,
	app.EINTERNAL:     fiber.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status for an application error code.
func ErrorStatus(code string) int {
	if s, ok := codes[code]; ok {
		return s
	}
	return fiber.StatusInternalServerError
}

// ErrorPage is the data of every host's error page.
type ErrorPage struct {
	Layout
	Status  int
	Message string
}

// ErrorHandler answers every error that reaches Fiber: app errors by
// their code, Fiber's own errors (404, 405, 413) by their status, and
// anything else as 500 with the details only in the log.
func (k *Kit) ErrorHandler(host string) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, msg := fiber.StatusInternalServerError, "Internal error."
		var fe *fiber.Error
		var rl *app.RateLimitError
		switch {
		case errors.As(err, &fe):
			status, msg = fe.Code, fe.Message
			if status == fiber.StatusNotFound {
				msg = "Page not found."
			} else if status == fiber.StatusRequestEntityTooLarge {
				msg = "The request is too large."
				// The root app answers a body over the limit before
				// dispatch; the portal (its own or a tenant's domain)
				// is any host that is neither the site nor Nexus.
				kind := host
				if kind == "" {
					kind = k.HostKind(c.Hostname())
				}
				if kind != HostSite && kind != HostNexus && c.Path() == "/crm/import" {
					msg = fmt.Sprintf("The file is larger than the %s a single upload takes. Turn JavaScript on for this site: the import page then sends files of any size in pieces. Or split the file.",
						app.FormatBytes(int64(k.BodyLimit)))
				}
			}
		case app.ErrorCode(err) != app.EINTERNAL:
			status, msg = ErrorStatus(app.ErrorCode(err)), app.ErrorMessage(err)
		}
		if errors.As(err, &rl) {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
		}
		if status >= 500 {
			k.Logger.Error("request failed", "err", err, "method", c.Method(), "path", c.Path(), "host", c.Hostname(), "status", status)
		} else {
			k.Logger.Debug("request error", "err", err, "method", c.Method(), "path", c.Path(), "status", status)
		}
		c.Status(status)
		if WantsJSON(c) {
			return c.JSON(fiber.Map{"error": fiber.Map{"code": jsonCode(status, err), "message": msg, "field": app.ErrorField(err)}})
		}
		if rerr := k.RenderError(c, host, status, msg); rerr != nil {
			k.Logger.Error("render error page", "err", rerr)
			c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
			return c.SendString(msg)
		}
		return nil
	}
}

// RenderError renders the host's error page. The page needs data (the
// site's navigation) that may be what failed, so a panic here is caught
// and answered as plain text.
func (k *Kit) RenderError(c *fiber.Ctx, host string, status int, msg string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic rendering error page: %v", v)
		}
	}()
	p := &ErrorPage{Status: status, Message: msg}
	p.Layout = k.Layout(c, host, strconv.Itoa(status))
	return k.Render(c, LayoutForHost(host)+"/error", p)
}

// LayoutForHost is the layout (and template directory) of a host kind;
// anything but the site and Nexus is the portal.
func LayoutForHost(host string) string {
	switch host {
	case HostSite:
		return "site"
	case HostNexus:
		return "nexus"
	default:
		return "portal"
	}
}

func jsonCode(status int, err error) string {
	if c := app.ErrorCode(err); c != app.EINTERNAL || status == fiber.StatusInternalServerError {
		return c
	}
	switch status {
	case fiber.StatusNotFound:
		return app.ENOTFOUND
	case fiber.StatusRequestEntityTooLarge:
		return app.ETOOLARGE
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	}
	return strings.ToLower(strings.ReplaceAll(fiber.ErrInternalServerError.Message, " ", "_"))
}

// WantsJSON reports whether errors on this request are answered as JSON.
func WantsJSON(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Path(), "/api/") || strings.HasPrefix(c.Path(), "/webhook/") || c.Path() == "/healthz" ||
		strings.HasPrefix(c.Path(), "/rest/") || c.Path() == "/graphql" || c.Path() == "/mcp" ||
		strings.Contains(c.Get(fiber.HeaderAccept), "application/json") && !strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

// logRecovered logs a panic with its value; the recover middleware turns
// it into a 500.
func logRecovered(l *slog.Logger, c *fiber.Ctx, v any, stack []byte) {
	l.Error("panic in handler", "panic", v, "method", c.Method(), "path", c.Path(), "stack", string(stack))
}
