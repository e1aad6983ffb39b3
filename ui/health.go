package ui

import (
	"context"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// handleHealth answers GET /healthz on every host: 200 when ok or
// degraded, 503 when any check is in error. Anyone gets the status; the
// details (version, uptime and each check: disk space, replication lag,
// certificates) only a request from loopback (install.sh, doctor, a local
// probe), a scraper with the metrics token or a signed-in Nexus admin:
// they would tell an attacker which version runs and how full the disk is.
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
	if !s.healthDetails(c) {
		return c.JSON(fiber.Map{"status": status})
	}
	return c.JSON(out)
}

// healthDetails reports whether the request may see /healthz's details.
func (s *Server) healthDetails(c *fiber.Ctx) bool {
	if ip := net.ParseIP(c.IP()); ip != nil && ip.IsLoopback() {
		return true
	}
	if s.Metrics != nil && s.Metrics.tokenOK(c.Get(fiber.HeaderAuthorization)) {
		return true
	}
	// The Nexus session cookie is host-only: only the nexus host sees it.
	if id := s.cookie(c, sessionCookie); id != "" && s.Auth != nil {
		if _, a, err := s.Auth.Authenticate(c.UserContext(), utils.CopyString(id)); err == nil && a != nil {
			return true
		}
	}
	return false
}
