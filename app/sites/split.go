package sites

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
)

// TestFor returns the split test served at slug, or nil.
func (st *Settings) TestFor(slug string) *SplitTest {
	for i := range st.Tests {
		if st.Tests[i].Page == slug {
			return &st.Tests[i]
		}
	}
	return nil
}

// Assign picks the variant a visitor sees: a hash of the site's salt, the
// page and the visitor (no cookie: the same visitor, the same variant),
// mapped onto the weights.
func (t *SplitTest) Assign(salt, visitor string) string {
	total := 0
	for _, v := range t.Variants {
		total += v.Weight
	}
	if total <= 0 {
		return t.Page
	}
	h := sha256.Sum256([]byte(salt + "|" + t.Page + "|" + visitor))
	n := int(binary.BigEndian.Uint64(h[:8]) % uint64(total))
	for _, v := range t.Variants {
		if n < v.Weight {
			return v.Slug
		}
		n -= v.Weight
	}
	return t.Page
}

// NextStep returns the slug of the funnel step after slug ("", false when
// slug is no funnel's step or its last).
func (st *Settings) NextStep(slug string) (string, bool) {
	for _, f := range st.Funnels {
		for i, s := range f.Steps {
			if s == slug && i+1 < len(f.Steps) {
				return f.Steps[i+1], true
			}
		}
	}
	return "", false
}

func atoiStrict(s string) (int, error) { return strconv.Atoi(s) }

func itoa(n int) string { return strconv.Itoa(n) }
