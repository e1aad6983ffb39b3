package sites

import (
	"net/url"
	"regexp"
	"strings"
	"sync"

	"orengen/app"
)

// Redirect is a permanent (301) redirect of a site: a visitor asking for
// From (a path the site has no page at, an old address) is sent to To, a
// /path of the site or a full https:// address. Redirects are part of the
// site's settings, so they are published (and rolled back) with it.
type Redirect struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// MaxRedirects is the most redirects a site holds.
const MaxRedirects = 500

// redirectPathRE is a path a redirect may start from or lead to: a
// leading slash and URL-safe characters (percent-escapes allowed).
var redirectPathRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+/?$`) })

// normRedirectPath trims the trailing slash the public host ignores.
func normRedirectPath(p string) string {
	if len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}

// localTarget returns the path of a redirect's local target (without
// its query), or "" for an https:// address.
func localTarget(to string) string {
	if !strings.HasPrefix(to, "/") {
		return ""
	}
	p, _, _ := strings.Cut(to, "?")
	p, _, _ = strings.Cut(p, "#")
	return normRedirectPath(p)
}

// checkRedirects validates redirects in place (trimmed, trailing slashes
// dropped) against the site's page slugs (nil: pages not checked).
// Returns EINVALID naming "redirects" with the line in the message: a bad
// path or address, a path that is a page of the site, a path listed
// twice, or a loop (a -> a, a -> b -> a, or any chain coming back).
func (st *Settings) checkRedirects(slugs map[string]bool) error {
	rs := st.Redirects
	if len(rs) > MaxRedirects {
		return app.FieldErrorf("redirects", "A site may have at most %d redirects.", MaxRedirects)
	}
	from := map[string]int{}
	for i := range rs {
		r := &rs[i]
		r.From, r.To = normRedirectPath(strings.TrimSpace(r.From)), strings.TrimSpace(r.To)
		n := i + 1
		if r.From == "/" || len(r.From) > 500 || !redirectPathRE().MatchString(r.From) || strings.Contains(r.From, "//") {
			return app.FieldErrorf("redirects", "Redirect %d: %q is not a path to redirect from; write an old address like /old-page (not the home page).", n, r.From)
		}
		if strings.HasPrefix(r.From, "/_") || strings.HasPrefix(r.From, "/f/") {
			return app.FieldErrorf("redirects", "Redirect %d: %s is an address the site uses itself.", n, r.From)
		}
		if slugs != nil && slugs[strings.TrimPrefix(r.From, "/")] {
			return app.FieldErrorf("redirects", "Redirect %d: %s is a page of this site; a redirect from it would hide the page. Rename or delete the page first.", n, r.From)
		}
		if j, dup := from[r.From]; dup {
			return app.FieldErrorf("redirects", "Redirect %d: %s is already redirected by redirect %d.", n, r.From, j)
		}
		from[r.From] = n
		switch {
		case len(r.To) > 2000:
			return app.FieldErrorf("redirects", "Redirect %d: the address to redirect to is too long.", n)
		case strings.HasPrefix(r.To, "/"):
			p := localTarget(r.To)
			if p != "/" && (!redirectPathRE().MatchString(p) || strings.Contains(p, "//")) || strings.ContainsAny(r.To, " \"'<>\\") {
				return app.FieldErrorf("redirects", "Redirect %d: %q is not a path of the site (like /new-page).", n, r.To)
			}
		default:
			u, err := url.Parse(r.To)
			if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(r.To, " \"'<>\\") {
				return app.FieldErrorf("redirects", "Redirect %d: redirect to a /path of the site or a full https:// address.", n)
			}
		}
	}
	// A loop: following local targets from a redirect comes back to a
	// path already on the chain.
	next := map[string]string{}
	for _, r := range rs {
		if t := localTarget(r.To); t != "" {
			next[r.From] = t
		}
	}
	for _, r := range rs {
		seen := map[string]bool{r.From: true}
		chain := []string{r.From}
		for p, ok := next[r.From]; ok; p, ok = next[p] {
			chain = append(chain, p)
			if seen[p] {
				return app.FieldErrorf("redirects", "Redirect %d makes a loop: %s. A visitor would never arrive; point one of them at a page.", from[r.From], strings.Join(chain, " → "))
			}
			seen[p] = true
		}
	}
	return nil
}

// RedirectFor returns where a request for path (with its raw query, "":
// none) is redirected, if a redirect starts there. A local target
// without a query of its own keeps the request's query (UTM tags).
func (st *Settings) RedirectFor(path, query string) (string, bool) {
	path = normRedirectPath(path)
	for _, r := range st.Redirects {
		if r.From == path {
			to := r.To
			if query != "" && strings.HasPrefix(to, "/") && !strings.ContainsAny(to, "?#") {
				to += "?" + query
			}
			return to, true
		}
	}
	return "", false
}

// ParseRedirects reads the editor's redirects: one "/old -> /new" (or
// "/old -> https://...") a line.
func ParseRedirects(src string) ([]Redirect, error) {
	var out []Redirect
	err := eachPair(src, "->", func(n int, from, to string, ok bool) error {
		if !ok {
			return app.FieldErrorf("redirects", "Redirect line %d: write \"/old-address -> /new-address\".", n)
		}
		out = append(out, Redirect{From: from, To: to})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FormatRedirects is the inverse of ParseRedirects.
func FormatRedirects(rs []Redirect) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.From + " -> " + r.To + "\n")
	}
	return b.String()
}
