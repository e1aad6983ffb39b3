package federal

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// SetAside describes one SAM.gov typeOfSetAside code.
type SetAside struct {
	Code        string
	Description string
}

// SetAsides lists the set-aside codes the Get Opportunities v2 API accepts in
// typeOfSetAside (S1 in the notes), in documented order.
var SetAsides = []SetAside{
	{"SBA", "Total Small Business Set-Aside (FAR 19.5)"},
	{"SBP", "Partial Small Business Set-Aside (FAR 19.5)"},
	{"8A", "8(a) Set-Aside (FAR 19.8)"},
	{"8AN", "8(a) Sole Source (FAR 19.8)"},
	{"HZC", "Historically Underutilized Business (HUBZone) Set-Aside (FAR 19.13)"},
	{"HZS", "Historically Underutilized Business (HUBZone) Sole Source (FAR 19.13)"},
	{"SDVOSBC", "Service-Disabled Veteran-Owned Small Business (SDVOSB) Set-Aside (FAR 19.14)"},
	{"SDVOSBS", "Service-Disabled Veteran-Owned Small Business (SDVOSB) Sole Source (FAR 19.14)"},
	{"WOSB", "Women-Owned Small Business (WOSB) Program Set-Aside (FAR 19.15)"},
	{"WOSBSS", "Women-Owned Small Business (WOSB) Program Sole Source (FAR 19.15)"},
	{"EDWOSB", "Economically Disadvantaged WOSB (EDWOSB) Program Set-Aside (FAR 19.15)"},
	{"EDWOSBSS", "Economically Disadvantaged WOSB (EDWOSB) Program Sole Source (FAR 19.15)"},
	{"LAS", "Local Area Set-Aside (FAR 26.2)"},
	{"IEE", "Indian Economic Enterprise (IEE) Set-Aside (specific to Department of Interior and Indian Health Services)"},
	{"ISBEE", "Indian Small Business Economic Enterprise (ISBEE) Set-Aside (specific to Department of Interior and Indian Health Services)"},
	{"BICiv", "Buy Indian Set-Aside (specific to Department of Health and Human Services, Indian Health Services)"},
	{"VSA", "Veteran-Owned Small Business Set-Aside (specific to Department of Veterans Affairs)"},
	{"VSS", "Veteran-Owned Small Business Sole Source (specific to Department of Veterans Affairs)"},
}

var setAsideByUpper = func() map[string]SetAside {
	m := make(map[string]SetAside, len(SetAsides))
	for _, s := range SetAsides {
		m[strings.ToUpper(s.Code)] = s
	}
	return m
}()

// CanonicalSetAside returns the documented spelling of a set-aside code
// ("sdvosbc" → "SDVOSBC", "biciv" → "BICiv") and whether it is known.
func CanonicalSetAside(code string) (string, bool) {
	s, ok := setAsideByUpper[strings.ToUpper(strings.TrimSpace(code))]
	return s.Code, ok
}

// isUnrestricted reports whether a notice's set-aside value means "open to
// everyone": empty, null or the "NONE" value seen in notices.
func isUnrestricted(code string) bool {
	c := strings.ToUpper(strings.TrimSpace(code))
	return c == "" || c == "NONE" || c == "N/A"
}

// Certification is a certification or registration the company holds (8(a),
// HUBZone, ISO 9001, CMMC Level 2, a facility clearance ...).
type Certification struct {
	Name    string
	Number  string    // optional certificate or case number
	Expires time.Time // zero when it does not expire
}

// Profile is the company the scout looks for work for.
type Profile struct {
	UEI            string   // SAM.gov Unique Entity ID: 12 letters or digits
	CAGE           string   // CAGE code: 5 letters or digits (optional for new registrants)
	NAICSPrimary   string   // 6 digits, required
	NAICSOther     []string // 6 digits each
	PSCCodes       []string // product/service codes, 4 characters each
	SetAsides      []string // set-aside codes the company is eligible for (SetAsides list)
	Keywords       []string // matched in titles and descriptions, case-insensitive
	States         []string // two-letter place-of-performance states of interest
	SAMExpires     time.Time
	Certifications []Certification
}

// Normalize trims and upper-cases codes in place and canonicalizes set-aside
// spelling, so that input typed by a human validates.
func (p *Profile) Normalize() {
	up := func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
	p.UEI, p.CAGE, p.NAICSPrimary = up(p.UEI), up(p.CAGE), strings.TrimSpace(p.NAICSPrimary)
	for i := range p.NAICSOther {
		p.NAICSOther[i] = strings.TrimSpace(p.NAICSOther[i])
	}
	for i := range p.PSCCodes {
		p.PSCCodes[i] = up(p.PSCCodes[i])
	}
	for i := range p.SetAsides {
		if c, ok := CanonicalSetAside(p.SetAsides[i]); ok {
			p.SetAsides[i] = c
		} else {
			p.SetAsides[i] = strings.TrimSpace(p.SetAsides[i])
		}
	}
	for i := range p.Keywords {
		p.Keywords[i] = strings.TrimSpace(p.Keywords[i])
	}
	for i := range p.States {
		p.States[i] = up(p.States[i])
	}
}

// Validate checks every field and returns all problems joined; each is a
// *ValidationError naming the field (errors.As finds the first).
func (p Profile) Validate() error {
	var errs []error
	if p.UEI != "" && !isAlnum(p.UEI, 12) {
		errs = append(errs, invalid("uei", "must be 12 upper-case letters or digits, got %q", p.UEI))
	}
	if p.CAGE != "" && !isAlnum(p.CAGE, 5) {
		errs = append(errs, invalid("cage", "must be 5 upper-case letters or digits, got %q", p.CAGE))
	}
	if p.NAICSPrimary == "" {
		errs = append(errs, invalid("naicsPrimary", "required"))
	} else if !isDigits(p.NAICSPrimary, 6) {
		errs = append(errs, invalid("naicsPrimary", "must be 6 digits, got %q", p.NAICSPrimary))
	}
	for i, c := range p.NAICSOther {
		if !isDigits(c, 6) {
			errs = append(errs, invalid(fmt.Sprintf("naicsOther[%d]", i), "must be 6 digits, got %q", c))
		}
	}
	for i, c := range p.PSCCodes {
		if !isAlnum(c, 4) {
			errs = append(errs, invalid(fmt.Sprintf("psc[%d]", i), "must be 4 upper-case letters or digits, got %q", c))
		}
	}
	for i, c := range p.SetAsides {
		if canon, ok := CanonicalSetAside(c); !ok || canon != c {
			errs = append(errs, invalid(fmt.Sprintf("setAsides[%d]", i), "unknown set-aside code %q (known: %s)", c, knownSetAsideList()))
		}
	}
	for i, k := range p.Keywords {
		if strings.TrimSpace(k) == "" {
			errs = append(errs, invalid(fmt.Sprintf("keywords[%d]", i), "must not be empty"))
		}
	}
	for i, s := range p.States {
		if !isUpperLetters(s, 2) {
			errs = append(errs, invalid(fmt.Sprintf("states[%d]", i), "must be a two-letter state code, got %q", s))
		}
	}
	for i, c := range p.Certifications {
		if strings.TrimSpace(c.Name) == "" {
			errs = append(errs, invalid(fmt.Sprintf("certifications[%d].name", i), "required"))
		}
	}
	return errors.Join(errs...)
}

// Expiry is a registration or certification that lapses soon or has lapsed.
type Expiry struct {
	Name    string // "SAM registration" or the certification name
	Expires time.Time
	Expired bool
}

// Expiring lists the SAM registration and certifications that have expired
// or expire within the given window after now, soonest first. The scheduler
// turns these into reminders (SAM registrations lapse after a year).
func (p Profile) Expiring(now time.Time, within time.Duration) []Expiry {
	var out []Expiry
	add := func(name string, t time.Time) {
		if t.IsZero() || t.After(now.Add(within)) {
			return
		}
		out = append(out, Expiry{Name: name, Expires: t, Expired: !t.After(now)})
	}
	add("SAM registration", p.SAMExpires)
	for _, c := range p.Certifications {
		add(c.Name, c.Expires)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Expires.Before(out[j].Expires) })
	return out
}

func knownSetAsideList() string {
	codes := make([]string, len(SetAsides))
	for i, s := range SetAsides {
		codes[i] = s.Code
	}
	return strings.Join(codes, ", ")
}

func isAlnum(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUpperLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
