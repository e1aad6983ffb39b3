package portal

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"orengen/app"
)

// FuzzParseLoginForm feeds raw form bodies through the sign-in form
// parser: it never panics, the redirect target always stays on this host,
// and an accepted form has a bounded, normalised email.
func FuzzParseLoginForm(f *testing.F) {
	for _, s := range []string{
		"", "email=a%40b.test&password=secret", "email=%20A%40B.TEST%20&password=x&next=%2Fleads",
		"email=a@b&password=x&next=//evil.test", "email=a@b&password=x&next=/\\evil", "email=%00&password=x",
		"email=" + strings.Repeat("a", 300) + "&password=x", "password=" + strings.Repeat("p", 2000) + "&email=a@b.c", "email=%ff%fe&password=x", "&&&=&=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		vals, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form, err := parseLoginForm(vals.Get)
		if !strings.HasPrefix(form.Next, "/") || strings.HasPrefix(form.Next, "//") || strings.HasPrefix(form.Next, "/\\") {
			t.Fatalf("next %q leaves the host", form.Next)
		}
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) == "" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if form.Email == "" || len(form.Email) > 254 || form.Email != strings.ToLower(strings.TrimSpace(form.Email)) || !utf8.ValidString(form.Email) {
			t.Fatalf("accepted email %q", form.Email)
		}
		if form.Password == "" || len(form.Password) > 1024 {
			t.Fatalf("accepted password of %d bytes", len(form.Password))
		}
	})
}
