package inbox

import (
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// An email's HTML is sanitised twice: when it is imported (bluemonday's
// UGC policy: no script, no event handler, no style, no form) and when
// it is shown, in a frame of its own (sandboxed, its own CSP), where
// remote images are blocked unless the person asks to see them: an
// image from the sender's server tells the sender the mail was read.

var (
	policyImages = sync.OnceValue(func() *bluemonday.Policy { return bluemonday.UGCPolicy() })
	policyBlock  = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RewriteSrc(func(u *url.URL) {
			if isRemote(u) {
				*u = url.URL{Path: "#blocked"}
			}
		})
		return p
	})
	imgSrcRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)<img[^>]+src\s*=\s*["']?\s*(?:https?:)?//`) })
)

func isRemote(u *url.URL) bool {
	s := strings.ToLower(u.Scheme)
	return s == "http" || s == "https" || (s == "" && u.Host != "")
}

// SanitizeHTML is the import-time sanitising of an email's HTML.
func SanitizeHTML(h string) string { return policyImages().Sanitize(h) }

// DisplayHTML returns the document the thread's frame shows for an
// email's stored HTML: sanitised again, remote images blocked unless
// images (blocked counts them), links opening outside the frame.
func DisplayHTML(stored string, images bool) (doc string, blocked int) {
	body := ""
	if images {
		body = policyImages().Sanitize(stored)
	} else {
		blocked = len(imgSrcRE().FindAllStringIndex(stored, -1))
		body = policyBlock().Sanitize(stored)
	}
	return `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><style>body{font:14px/1.45 system-ui,sans-serif;margin:8px;color:#222;overflow-wrap:anywhere}img{max-width:100%;height:auto}img[src="#blocked"]{display:none}</style></head><body>` +
		body + `</body></html>`, blocked
}
