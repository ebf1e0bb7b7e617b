package devicecfg

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Sentinel errors that callers test with errors.Is.
var (
	// ErrURLTooLong means a webhook URL is longer than the 191 characters the
	// adapter keeps; it would silently cut the rest.
	ErrURLTooLong = errors.New("webhook URL longer than 191 characters")
	// ErrNoData means the adapter has read no parameter yet.
	ErrNoData = errors.New("adapter has no data")
	// ErrHTTPSUnsupported means the adapter posts over plain HTTP only (non-Pro) and
	// was asked to post to an https:// URL.
	ErrHTTPSUnsupported = errors.New("adapter posts over plain http only")
	// ErrBadHost means the host is not "name", "name:port", an IP or an IP with port.
	ErrBadHost = errors.New("bad adapter host")
	// ErrBadUpdate means a WebhookUpdate the adapter would reject or misread.
	ErrBadUpdate = errors.New("bad webhook update")
)

// errTooLarge is a response over maxBody. It is not retried.
var errTooLarge = errors.New("response larger than 1 MiB")

// StatusError is a non-2xx response of the adapter.
type StatusError struct {
	// Status is the HTTP status code.
	Status int
	// Text is the adapter's short explanation, trimmed, with webhook ids redacted.
	Text string
}

// Error returns "HTTP <status>: <text>".
func (e *StatusError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Text)
}

// newStatusError keeps a short, printable, redacted version of the response body.
func newStatusError(status int, body []byte) *StatusError {
	text := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, string(body))
	text = strings.TrimSpace(text)
	if r := []rune(text); len(r) > maxErrText {
		text = string(r[:maxErrText]) + "…"
	}
	return &StatusError{Status: status, Text: RedactURL(text)}
}
