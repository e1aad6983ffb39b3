package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// HandleHealth answers GET /healthz on every host: overall status,
// version, uptime and each registered check. 200 when ok or degraded, 503
// when any check is in error.
func (k *Kit) HandleHealth(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	out := fiber.Map{
		"version":        k.Version,
		"uptime_seconds": int64(time.Since(k.StartedAt).Seconds()),
	}
	status := "ok"
	for _, check := range k.Health {
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

// HealthItem is one line of /healthz: a key, its value and a status
// ("ok", "degraded" or "error").
type HealthItem struct {
	Key    string
	Value  any
	Status string
}

// HealthCheck reports one aspect of the server's health.
type HealthCheck func(ctx context.Context) HealthItem
