package cloudsage

import (
	"errors"
	"fmt"
)

// ErrorKind classifies an application error; the web layer maps it to an
// HTTP status in one place.
type ErrorKind string

// Error kinds.
const (
	Invalid      ErrorKind = "invalid"
	NotFound     ErrorKind = "not_found"
	Conflict     ErrorKind = "conflict"
	Unauthorized ErrorKind = "unauthorized"
	Forbidden    ErrorKind = "forbidden"
	TooLarge     ErrorKind = "too_large"
	Unsupported  ErrorKind = "unsupported_media_type" // a body of a type that cannot be taken
	RateLimited  ErrorKind = "rate_limited"
	// PaymentRequired: the account's plan does not allow it (the optional paid plan).
	PaymentRequired ErrorKind = "payment_required"
	Unavailable     ErrorKind = "unavailable"
	Internal        ErrorKind = "internal"
)

// Error is an application error whose Message is safe to show a user.
type Error struct {
	Kind    ErrorKind
	Message string
	Detail  any   // optional machine-readable detail, shown to the user as JSON
	Err     error // the underlying cause, never shown to the user
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind k with a formatted message.
func Errorf(k ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of the first *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// MessageOf returns the user-safe message of err: the *Error's Message, or
// "internal error" for anything else.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return e.Message
	}
	return "internal error"
}
