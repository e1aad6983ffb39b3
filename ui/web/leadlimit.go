package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// WebhookBodyLimit is the largest public form post (the lead-capture
// API, hosted forms).
const WebhookBodyLimit = 64 << 10

// DefaultLeadRateLimit is how many public form posts an IP may make a
// minute when LeadLimit.PerMinute is 0.
const DefaultLeadRateLimit = 60

// LeadLimit limits public form posts (the lead-capture API, hosted
// forms) per client IP.
type LeadLimit struct {
	Limiter app.RateLimiter // nil: no limit
	// PerMinute is the posts an IP may make a minute (0:
	// DefaultLeadRateLimit; negative: unlimited, for load tests).
	PerMinute int
}

// Check counts a public form post against its IP's budget.
func (l *LeadLimit) Check(c *fiber.Ctx) error {
	limit := l.PerMinute
	if limit == 0 {
		limit = DefaultLeadRateLimit
	}
	if limit < 0 || l.Limiter == nil {
		return nil
	}
	ctx := c.UserContext()
	n, reset, err := l.Limiter.Hit(ctx, "leadform:"+app.RequestFromContext(ctx).IP, time.Minute)
	if err != nil {
		return err
	}
	if n > limit {
		return &app.RateLimitError{Err: app.Errorf(app.ETOOMANY, "Too many submissions from your address; try again in a minute."), RetryAfter: time.Until(reset)}
	}
	return nil
}
