package app

import (
	"context"
	"time"
)

type contextKey int

const (
	adminContextKey contextKey = iota + 1
	requestContextKey
	startDelayContextKey
)

// RequestInfo describes where a request came from, for audit and rate limits.
type RequestInfo struct {
	IP        string
	UserAgent string
}

// NewContextWithAdmin returns a copy of ctx carrying the signed-in admin.
func NewContextWithAdmin(ctx context.Context, a *Admin) context.Context {
	return context.WithValue(ctx, adminContextKey, a)
}

// AdminFromContext returns the signed-in admin, or nil.
func AdminFromContext(ctx context.Context) *Admin {
	a, _ := ctx.Value(adminContextKey).(*Admin)
	return a
}

// NewContextWithRequest returns a copy of ctx carrying request information.
func NewContextWithRequest(ctx context.Context, r RequestInfo) context.Context {
	return context.WithValue(ctx, requestContextKey, r)
}

// RequestFromContext returns the request information in ctx, if any.
func RequestFromContext(ctx context.Context) RequestInfo {
	r, _ := ctx.Value(requestContextKey).(RequestInfo)
	return r
}

// WithoutValues is ctx without its values (the signed-in person, the API
// key, the tenant), keeping its deadline and cancellation: for the
// appliance's own reads of a tenant's channel settings (its Twilio
// account, its mailer), which may fall back to the agency's global
// secrets that a tenant's person may not read. The tenant is passed
// explicitly, never taken from a request.
func WithoutValues(ctx context.Context) context.Context { return noValues{ctx} }

type noValues struct{ context.Context }

func (noValues) Value(any) any { return nil }

// NewContextWithStartDelay returns a copy of ctx in which Every waits d
// before its first run: serve starts the background jobs once it takes
// requests, and their first passes (each a read connection to open, its
// schema to parse, a table to scan) would otherwise all land on the
// first requests after a restart.
func NewContextWithStartDelay(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, startDelayContextKey, d)
}

// AfterStartDelay waits out the start delay ctx carries (at once without
// one) and reports whether ctx is still live. A value on wake (work
// arrived: a run enqueued) ends the wait early.
func AfterStartDelay(ctx context.Context, wake <-chan struct{}) bool {
	d, _ := ctx.Value(startDelayContextKey).(time.Duration)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}

// Every runs f at once (after the start delay ctx carries, if any) and
// then every interval until ctx is done (the appliance's background jobs:
// sync, reminders, polling).
func Every(ctx context.Context, interval time.Duration, f func(context.Context)) {
	if !AfterStartDelay(ctx, nil) {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
