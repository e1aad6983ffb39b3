// Package federal is the domain of federal contracting: SAM.gov notices
// and Grants.gov opportunities as records (and how their JSON reads),
// search parameters, the scout that runs saved searches, fit scoring
// against a company profile, amendment diffs, requirement extraction from
// solicitation text, the proposal studio and the daily digest.
//
// It imports no other orengen package, holds no SQL and runs no HTTP
// server. What speaks to the outside is behind interfaces: SAMAPI
// (package sam), GrantsAPI (package grants); the stores (Stores) are implemented by store. The API behaviour it codes against is
// described in /work/shared/federal/SAM_GRANTS_API_NOTES.md.
//
// Secrets: the SAM.gov API key is a Secret, whose printing forms redact it.
package federal

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrInvalidKey means SAM.gov rejected or did not recognise the API key
	// (401, 403, an empty or non-JSON 404, or a documented invalid-key body).
	// It is a configuration error: never read it as "no results".
	ErrInvalidKey = errors.New("sam.gov api key rejected")

	// ErrQuotaExhausted means the local daily request counter for the key type
	// is spent; no request was sent.
	ErrQuotaExhausted = errors.New("sam.gov daily request quota exhausted")

	// ErrTimeout means the remote API did not answer in time (client timeout
	// or context deadline).
	ErrTimeout = errors.New("federal api request timed out")

	// ErrDescriptionNotFound means SAM.gov answered "Description Not Found"
	// for a notice description URL.
	ErrDescriptionNotFound = errors.New("sam.gov notice description not found")
)

// RateLimitError is returned when the remote API answered 429. RetryAt is the
// earliest time to call again: SAM.gov's nextAccessTime, the Retry-After
// header, or (when neither is readable) the next 00:00 UTC, when SAM.gov
// resets daily quotas.
type RateLimitError struct {
	RetryAt time.Time
	Message string
}

// Error says when to retry.
func (e *RateLimitError) Error() string {
	msg := "rate limited"
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return fmt.Sprintf("%s; retry at %s", msg, e.RetryAt.UTC().Format(time.RFC3339))
}

// APIError is an unexpected answer: an error status with a JSON or HTML
// body, malformed JSON, or a Grants.gov errorcode. Message never contains the
// API key.
type APIError struct {
	Status  int    // HTTP status (200 for a malformed 200 body)
	Code    string // code from the body (errorCode, code, error.code), if any
	Message string
}

// Error gives status, code and message (never the API key).
func (e *APIError) Error() string {
	s := fmt.Sprintf("api error: status %d", e.Status)
	if e.Code != "" {
		s += " code " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Temporary reports whether retrying later may succeed (5xx, 502-504 gateway
// pages). It costs another request from the quota.
func (e *APIError) Temporary() bool { return e.Status >= 500 }

// ValidationError reports bad input. Field names the offending field by its
// API or profile name ("postedTo", "naicsPrimary").
type ValidationError struct {
	Field   string
	Message string
}

// Error reads "field: message".
func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Secret is a credential. Its String, GoString, LogValue and MarshalText
// methods redact it, so printing a struct that holds one (%v, %+v, slog,
// JSON) never shows the value. Use string(s) only where it is sent.
type Secret string

// Redacted replaces a secret in text that leaves the process.
const Redacted = "REDACTED"

// String redacts the secret ("" stays "", so a missing key is visible).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString redacts the secret for %#v.
func (s Secret) GoString() string { return `federal.Secret("` + s.String() + `")` }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret in JSON and text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Scrub removes every occurrence of the secret from msg.
func (s Secret) Scrub(msg string) string {
	if len(s) < 4 { // too short to scrub without mangling messages; never a real key
		return msg
	}
	return strings.ReplaceAll(msg, string(s), Redacted)
}
