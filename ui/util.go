package ui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

func itoa(n int) string { return strconv.Itoa(n) }

func atoiDefault(s string, def int) (int, error) {
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

func asRateLimit(err error, rl **app.RateLimitError) bool { return errors.As(err, rl) }

// requestURI is the path and query of the request, whatever form the
// request line had (absolute-form requests carry scheme and host).
func requestURI(c *fiber.Ctx) string { return string(c.Request().URI().RequestURI()) }
