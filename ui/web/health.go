package web

import (
	"context"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
)

// HandleHealth answers GET /healthz on every host: 200 when ok or
// degraded, 503 when any check is in error. Anyone gets the status; the
// details (version, uptime and each check: disk space, replication lag,
// certificates) only a request from loopback (install.sh, doctor, a local
// probe), a scraper with the metrics token or a signed-in Nexus admin:
// they would tell an attacker which version runs and how full the disk is.
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
	if !k.healthDetails(c) {
		return c.JSON(fiber.Map{"status": status})
	}
	return c.JSON(out)
}

// healthDetails reports whether the request may see /healthz's details.
func (k *Kit) healthDetails(c *fiber.Ctx) bool {
	if ip := net.ParseIP(c.IP()); ip != nil && ip.IsLoopback() {
		return true
	}
	if k.Metrics != nil && k.Metrics.TokenOK(c.Get(fiber.HeaderAuthorization)) {
		return true
	}
	return k.SignedInAdmin != nil && k.SignedInAdmin(c)
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
