package wiki

import (
	"net/url"
	"strconv"
	"strings"
)

// asciiName is a file name safe in a quoted header parameter.
func asciiName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, s)
}

func urlPathEscape(s string) string { return url.PathEscape(s) }

// joinMax joins at most n items, saying how many more there are.
func joinMax(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:n], "; ") + "; and " + strconv.Itoa(len(items)-n) + " more"
}
