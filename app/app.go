// Package app holds orengen's domain: types, validation, services, error
// codes and the small store interfaces those services consume. It imports no
// other project package, no HTTP framework and no SQL driver.
package app

import (
	"errors"
	"fmt"
)

// Error codes. The ui package maps each to an HTTP status in one place.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOMANY      = "too_many_requests"
	ETOOLARGE     = "too_large"
)

// Error is an application error with a code, a user-facing message and,
// for validation errors, the name of the field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
}

// Error implements the error interface. Not used by the application
// otherwise (WTF).
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("orengen error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("orengen error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID error that names the field at fault.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the root *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err, or "Internal error."
// for errors that are not *Error, so internals never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the field named by a validation error, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
