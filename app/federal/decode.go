package federal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// errUnparsable is returned by the tolerant parsers for input they cannot read.
var errUnparsable = errors.New("unrecognized format")

// timeLayouts lists every date and time format seen from SAM.gov and
// Grants.gov (see SAM_GRANTS_API_NOTES.md): documented, 2018 examples, 2026
// live captures, Grants.gov MM/dd/yyyy and the gateway's nextAccessTime.
// Layouts without a zone are read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,                      // 2026-03-02T16:00:00-05:00
	"2006-01-02T15:04:05.999999999Z0700",  // 2026-03-02T16:00:00-0500
	"2006-01-02T15:04:05.999999999Z07",    // 2026-03-02T16:00:00-05
	"2006-01-02T15:04:05.999999999",       // 2026-03-02T16:00:00
	"2006-01-02T15:04Z07:00",              // 2026-03-02T16:00-05:00
	"2006-01-02T15:04",                    //
	"2006-01-02 15:04:05.999999999Z07:00", // 2018-05-09 23:45:22+00:00
	"2006-01-02 15:04:05.999999999Z0700",  // 2018-05-09 23:45:22+0000
	"2006-01-02 15:04:05.999999999Z07",    // 2018-05-09 23:45:22+00
	"2006-01-02 15:04:05.999999999",       // 2018-05-09 23:45:22
	"2006-01-02",                          // 2026-02-02
	"01/02/2006 15:04:05",                 //
	"01/02/2006",                          // Grants.gov openDate
	"1/2/2006",                            //
	"2006-Jan-02 15:04:05Z0700",           // 2026-May-23 00:00:00+0000 (nextAccessTime, " UTC" trimmed)
	"Jan 2, 2006 3:04:05 PM",              // Oct 11, 2023 12:00:00 AM (zone abbreviation handled separately)
	"Jan 2, 2006 3:04 PM",                 //
	"Jan 2, 2006",                         //
	"January 2, 2006",                     //
	time.RFC1123Z,                         //
	time.RFC1123,                          // HTTP dates
	"Mon, 02 Jan 2006 15:04:05",           // HTTP date after " GMT" was resolved
}

// zoneOffsets maps the zone abbreviations that appear in federal data to
// their UTC offsets in seconds. time.Parse would invent a zero-offset zone
// for an abbreviation it does not know locally, so they are resolved here.
var zoneOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600,
	"CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600,
	"PST": -8 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600,
	"HST": -10 * 3600,
}

// ParseTime reads a date or timestamp in any format SAM.gov or Grants.gov is
// known to send: "2026-02-02", "2018-05-09 23:45:22+00", "2026-03-02T16:00:00-05:00",
// "02/10/2026", "Oct 11, 2023 12:00:00 AM EDT", "2026-May-23 00:00:00+0000 UTC"
// and HTTP dates. A value without a zone is read as UTC. An empty string (or
// "null") yields the zero time and no error.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if len(s) > 64 {
		return time.Time{}, fmt.Errorf("parse time %.20q...: %w", s, errUnparsable)
	}
	// A trailing zone abbreviation ("EDT", "UTC") after a complete timestamp.
	offset, hasAbbr := 0, false
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		if off, ok := zoneOffsets[strings.ToUpper(s[i+1:])]; ok {
			offset, hasAbbr = off, true
			s = strings.TrimSpace(s[:i])
		}
	}
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if hasAbbr {
			if hasExplicitOffset(layout) {
				// "2026-May-23 00:00:00+0000 UTC": the numeric offset wins.
				return t, nil
			}
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(),
				fixedZone(offset)), nil
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("parse time %q: %w", s, errUnparsable)
}

func hasExplicitOffset(layout string) bool {
	return strings.Contains(layout, "Z07") || strings.Contains(layout, "-0700") || strings.Contains(layout, "MST")
}

func fixedZone(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	return time.FixedZone("", offset)
}

// Amount is a money value in cents. SAM.gov documents award amounts as
// numbers but sends strings ("5000000.00"); Grants.gov sends strings with or
// without decimals. Valid is false when the source was null, empty or
// unreadable.
type Amount struct {
	Cents int64
	Valid bool
}

// String formats a as "1234.56" (no currency sign), or "" when not valid.
func (a Amount) String() string {
	if !a.Valid {
		return ""
	}
	c := a.Cents
	sign := ""
	if c < 0 {
		sign = "-"
	}
	u := uint64(c)
	if c < 0 {
		u = uint64(-(c + 1)) + 1 // safe for math.MinInt64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// MarshalJSON encodes a valid amount as a decimal string and an invalid one
// as null, the shape SAM.gov uses.
func (a Amount) MarshalJSON() ([]byte, error) {
	if !a.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(a.String())
}

// UnmarshalJSON accepts a JSON number, a string ("5000000.00", "$1,250.5",
// "1.2E6"), "" or null. Unreadable text gives an invalid Amount, not an
// error, so one odd record cannot fail a page.
func (a *Amount) UnmarshalJSON(b []byte) error {
	*a = Amount{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var s string
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return nil
		}
	} else {
		s = string(b)
	}
	v, err := ParseAmount(s)
	if err == nil {
		*a = v
	}
	return nil
}

// ParseAmount reads a decimal money amount: optional sign, optional "$",
// thousands separators, optional fraction and optional exponent (|exp| <= 18).
// Fractions beyond cents are rounded half away from zero. An empty string
// gives an invalid Amount and no error.
func ParseAmount(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return Amount{}, nil
	}
	if len(s) > 64 {
		return Amount{}, fmt.Errorf("parse amount: %w", errUnparsable)
	}
	orig := s
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	s = strings.TrimPrefix(s, "$")
	s = strings.TrimPrefix(s, "USD")
	s = strings.TrimSpace(s)
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 18 || e < -18 {
			return Amount{}, fmt.Errorf("parse amount %q: %w", orig, errUnparsable)
		}
		mant, exp = s[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	intPart = strings.ReplaceAll(intPart, ",", "")
	if intPart == "" && frac == "" {
		return Amount{}, fmt.Errorf("parse amount %q: %w", orig, errUnparsable)
	}
	digits := intPart + frac
	for _, r := range digits {
		if r < '0' || r > '9' {
			return Amount{}, fmt.Errorf("parse amount %q: %w", orig, errUnparsable)
		}
	}
	// value = digits * 10^(exp - len(frac)); cents = value * 100.
	shift := exp - len(frac) + 2
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return Amount{Valid: true}, nil
	}
	roundUp := false
	if shift < 0 {
		drop := -shift
		if drop > len(digits) {
			digits = ""
		} else {
			roundUp = digits[len(digits)-drop] >= '5'
			digits = digits[:len(digits)-drop]
		}
		shift = 0
	}
	if len(digits)+shift > 18 {
		return Amount{}, fmt.Errorf("parse amount %q: out of range: %w", orig, errUnparsable)
	}
	var cents int64
	for _, r := range digits {
		cents = cents*10 + int64(r-'0')
	}
	for range shift {
		cents *= 10
	}
	if roundUp {
		cents++
	}
	if neg {
		cents = -cents
	}
	return Amount{Cents: cents, Valid: true}, nil
}

// FlexString decodes a JSON string, number or boolean into a string; null
// and objects or arrays become "".
type FlexString string

func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*f = ""
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
	case '{', '[':
		// Unexpected shape: ignore rather than fail the page.
	default:
		*f = FlexString(b) // number or true/false
	}
	return nil
}

// flexStrings decodes a JSON array of strings, a single string or null.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*f = nil
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '[' {
		var items []FlexString
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		for _, it := range items {
			if s := strings.TrimSpace(string(it)); s != "" {
				*f = append(*f, s)
			}
		}
		return nil
	}
	var s FlexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if v := strings.TrimSpace(string(s)); v != "" {
		*f = flexStrings{v}
	}
	return nil
}

// flexTime decodes any ParseTime format; unreadable text is kept in bad so
// the caller can report it.
type flexTime struct {
	t   time.Time
	bad string
}

func (f *flexTime) UnmarshalJSON(b []byte) error {
	var s FlexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	t, err := ParseTime(string(s))
	if err != nil {
		*f = flexTime{bad: string(s)}
		return nil
	}
	*f = flexTime{t: t}
	return nil
}

// FlexInt decodes a number or numeric string; anything else is 0.
type FlexInt int

func (f *FlexInt) UnmarshalJSON(b []byte) error {
	var s FlexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	if err != nil || n > 1e15 || n < -1e15 {
		*f = 0
		return nil
	}
	*f = FlexInt(n)
	return nil
}
