package app

import (
	"regexp"
	"strings"
	"testing"
)

// validTag replaced a regexp to save its heap; the regexp stays here as
// the oracle the hand-written check must agree with.
func TestValidTag_AgreesWithTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} _.:/-]{0,49}$`)
	cases := []string{"", "a", "vip", "Zoë", "東京", "٣", "Ⅻ", "a b", " a", "_a", "-a", "a-b_c.d:e/f", "a\tb", "a\nb", "a!",
		"a\xff", "\xff", "1", strings.Repeat("a", 50), strings.Repeat("a", 51), strings.Repeat("é", 50), strings.Repeat("é", 51),
		"a" + strings.Repeat(" ", 49), "a" + strings.Repeat(" ", 50), "🙂", "a🙂", "a\u00a0b", "a\u200bb", "x/y:z"}
	for _, c := range cases {
		if got, want := validTag(c), re.MatchString(c); got != want {
			t.Errorf("validTag(%q) = %v, the regexp says %v", c, got, want)
		}
	}
}

func FuzzValidTag(f *testing.F) {
	re := regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} _.:/-]{0,49}$`)
	for _, s := range []string{"vip", "a b", "Zoë", "-a", "a\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validTag(s), re.MatchString(s); got != want {
			t.Errorf("validTag(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
