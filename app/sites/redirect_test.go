package sites

import (
	"strings"
	"testing"

	"orengen/app"
)

func TestRedirects_Validate(t *testing.T) {
	slugs := map[string]bool{"": true, "about": true, "pricing": true}
	for _, tc := range []struct {
		name string
		rs   []Redirect
		want string // "" valid; else a piece of the message
	}{
		{"ok", []Redirect{{"/old-about", "/about"}, {"/blog/2019/post.html", "https://example.com/post"}, {"/x/", "/pricing?utm_source=x"}}, ""},
		{"chain to a page", []Redirect{{"/a", "/b"}, {"/b", "/about"}}, ""},
		{"self", []Redirect{{"/a", "/a/"}}, "loop"},
		{"two", []Redirect{{"/a", "/b"}, {"/b", "/a"}}, "loop"},
		{"chain back", []Redirect{{"/a", "/b"}, {"/b", "/c"}, {"/c", "/b?x=1"}}, "loop"},
		{"page's path", []Redirect{{"/about", "/pricing"}}, "is a page of this site"},
		{"home", []Redirect{{"/", "/about"}}, "not the home page"},
		{"no slash", []Redirect{{"old", "/about"}}, "not a path"},
		{"double slash", []Redirect{{"//evil.com", "/about"}}, "not a path"},
		{"space", []Redirect{{"/a b", "/about"}}, "not a path"},
		{"twice", []Redirect{{"/a", "/about"}, {"/a/", "/pricing"}}, "already redirected"},
		{"http", []Redirect{{"/a", "http://example.com"}}, "https://"},
		{"javascript", []Redirect{{"/a", "javascript:alert(1)"}}, "https://"},
		{"protocol-relative", []Redirect{{"/a", "//evil.com/x"}}, "not a path of the site"},
		{"own path", []Redirect{{"/_404", "/about"}}, "uses itself"},
	} {
		st := Settings{Redirects: tc.rs}
		err := st.checkRedirects(slugs)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (app.ErrorField(err) != "redirects" || !strings.Contains(app.ErrorMessage(err), tc.want)):
			t.Errorf("%s: %v, want field redirects and %q", tc.name, err, tc.want)
		}
	}
}

func TestRedirects_ParseAndFor(t *testing.T) {
	rs, err := ParseRedirects("/old -> /about\n\n /gone/ -> https://example.com/x \n")
	if err != nil || len(rs) != 2 || rs[1].From != "/gone/" || rs[1].To != "https://example.com/x" {
		t.Fatalf("%v %+v", err, rs)
	}
	if _, err := ParseRedirects("/old /about"); app.ErrorField(err) != "redirects" {
		t.Errorf("line without ->: %v", err)
	}
	st := Settings{Redirects: rs}
	if err := st.checkRedirects(nil); err != nil {
		t.Fatal(err)
	}
	if to, ok := st.RedirectFor("/old/", "utm_source=mail"); !ok || to != "/about?utm_source=mail" {
		t.Errorf("RedirectFor: %q %v", to, ok)
	}
	if to, ok := st.RedirectFor("/gone", "a=1"); !ok || to != "https://example.com/x" {
		t.Errorf("RedirectFor external: %q %v", to, ok)
	}
	if _, ok := st.RedirectFor("/about", ""); ok {
		t.Error("a path without a redirect was redirected")
	}
	if got := FormatRedirects(st.Redirects); got != "/old -> /about\n/gone -> https://example.com/x\n" {
		t.Errorf("format: %q", got)
	}
}
