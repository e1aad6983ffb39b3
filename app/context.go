package app

import "context"

type contextKey int

const (
	adminContextKey contextKey = iota + 1
	requestContextKey
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
