package app

import (
	"net/url"
	"strings"
)

// LocalPath reports whether s is a same-origin path that is safe to put in
// a Location header after sign-in or a form post: it starts with one /,
// has no backslash and no control character (browsers drop a tab or a
// newline, so "/\t/evil.test" would become "//evil.test", another host),
// and parses as a path with no scheme and no host. Anything else is an
// open redirect waiting to happen.
func LocalPath(s string) bool {
	if len(s) == 0 || len(s) > 2000 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.ContainsRune(s, '\\') {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//")
}
