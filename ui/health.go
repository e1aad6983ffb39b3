package ui

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// handleHealth answers GET /healthz on every host: overall status,
// version, uptime and each registered check. 200 when ok or degraded, 503
// when any check is in error.
func (s *Server) handleHealth(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	out := fiber.Map{
		"version":        s.Version,
		"uptime_seconds": int64(time.Since(s.StartedAt).Seconds()),
	}
	status := "ok"
	for _, check := range s.Health {
		it := check(ctx)
		out[it.Key] = it.Value
		switch {
		case it.Status == "error":
			status = "error"
		case it.Status == "degraded" && status == "ok":
			status = "degraded"
		}
	}
	out["status"] = status
	c.Set(fiber.HeaderCacheControl, "no-store")
	if status == "error" {
		c.Status(fiber.StatusServiceUnavailable)
	}
	return c.JSON(out)
}
