package federal

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Points per factor. The maxima add up to 100.
const (
	PointsNAICSPrimary = 30
	PointsNAICSOther   = 22
	PointsNAICSPrefix  = 10
	PointsPSC          = 5
	PointsSetAsideFit  = 20 // set aside for a program the company is in
	PointsSetAsideOpen = 10 // unrestricted (full and open)
	PointsKeywordsMax  = 20
	PointsKeywordTitle = 6
	PointsKeywordDesc  = 3
	PointsPlaceMatch   = 10
	PointsPlaceUnknown = 5
	PointsDeadlineMax  = 15

	// IneligibleCap caps the score of a notice set aside for a program the
	// company is not in: it can only team or subcontract.
	IneligibleCap = 25
)

// Reason explains the points one factor contributed. Points may be negative
// for a gate (expired, archived, not eligible) that lowers the total; the
// Points of all reasons always add up to FitScore.Score.
type Reason struct {
	Factor string // naics, psc, set-aside, keywords, place, deadline, status, registration
	Points int
	Text   string
}

// FitScore is how well a notice fits a profile, 0-100, with the reasons.
type FitScore struct {
	Score   int
	Reasons []Reason
}

// Score rates notice n for profile p at time now. It is deterministic: the
// same inputs give the same score and reasons in the same order (naics,
// psc, set-aside, keywords, place, deadline, then gates and warnings).
//
// Gates: an archived notice, an award notice or a passed response deadline
// scores 0; a set-aside the company is not eligible for caps the score at
// IneligibleCap.
func Score(p Profile, n Notice, now time.Time) FitScore {
	var fs FitScore
	fs.scoreNAICS(p, n)
	fs.scorePSC(p, n)
	eligible := fs.scoreSetAside(p, n)
	fs.scoreKeywords(p, n)
	fs.scorePlace(p, n)
	expired := fs.scoreDeadline(n, now)
	// Gates, in fixed order; the first that applies sets the total.
	switch {
	case !n.Active:
		fs.add("status", -fs.Score, "The notice is archived (inactive): score set to 0")
	case n.IsAward():
		fs.add("status", -fs.Score, "Award notice: nothing to bid on, score set to 0")
	case expired:
		fs.add("deadline", -fs.Score, "The response deadline has passed: score set to 0")
	case !eligible && fs.Score > IneligibleCap:
		fs.add("set-aside", IneligibleCap-fs.Score, "Not eligible for the set-aside: score capped at %d (teaming or subcontracting only)", IneligibleCap)
	}
	// Registration warnings (no points).
	if !p.SAMExpires.IsZero() {
		switch {
		case !p.SAMExpires.After(now):
			fs.add("registration", 0, "Your SAM registration expired on %s: renew it before submitting", p.SAMExpires.Format(time.DateOnly))
		case !n.ResponseDeadline.IsZero() && p.SAMExpires.Before(n.ResponseDeadline):
			fs.add("registration", 0, "Your SAM registration expires on %s, before this response is due", p.SAMExpires.Format(time.DateOnly))
		}
	}
	return fs
}

// add adds a factor's points and the reason.
func (fs *FitScore) add(factor string, pts int, format string, args ...any) {
	fs.Reasons = append(fs.Reasons, Reason{Factor: factor, Points: pts, Text: fmt.Sprintf(format, args...)})
	fs.Score += pts
}

// scoreNAICS scores the notice's NAICS codes against the profile's:
// primary, other, or the same industry group (first four digits).
func (fs *FitScore) scoreNAICS(p Profile, n Notice) {
	codes := n.AllNAICS()
	switch {
	case len(codes) == 0:
		fs.add("naics", 0, "The notice lists no NAICS code")
	case slices.Contains(codes, p.NAICSPrimary):
		fs.add("naics", PointsNAICSPrimary, "NAICS %s is your primary NAICS", p.NAICSPrimary)
	default:
		other, prefix := "", ""
		for _, c := range codes {
			if other == "" && slices.Contains(p.NAICSOther, c) {
				other = c
			}
			if prefix == "" && len(c) >= 4 {
				for _, mine := range append([]string{p.NAICSPrimary}, p.NAICSOther...) {
					if len(mine) >= 4 && mine[:4] == c[:4] {
						prefix = c + " shares the industry group " + c[:4] + " with your " + mine
						break
					}
				}
			}
		}
		switch {
		case other != "":
			fs.add("naics", PointsNAICSOther, "NAICS %s is one of your other NAICS codes", other)
		case prefix != "":
			fs.add("naics", PointsNAICSPrefix, "NAICS %s", prefix)
		default:
			fs.add("naics", 0, "NAICS %s is not among your codes", strings.Join(codes, ", "))
		}
	}
}

// scorePSC scores the product/service code, when both give one.
func (fs *FitScore) scorePSC(p Profile, n Notice) {
	if n.ClassificationCode != "" && len(p.PSCCodes) > 0 {
		if slices.Contains(p.PSCCodes, strings.ToUpper(n.ClassificationCode)) {
			fs.add("psc", PointsPSC, "Product/service code %s is one of yours", n.ClassificationCode)
		} else {
			fs.add("psc", 0, "Product/service code %s is not among yours", n.ClassificationCode)
		}
	}
}

// scoreSetAside scores the set-aside; false when it is one the profile is
// not eligible for.
func (fs *FitScore) scoreSetAside(p Profile, n Notice) (eligible bool) {
	eligible = true
	switch code, known := CanonicalSetAside(n.SetAside); {
	case isUnrestricted(n.SetAside):
		fs.add("set-aside", PointsSetAsideOpen, "No set-aside: open to all offerors")
	case known && slices.Contains(p.SetAsides, code):
		fs.add("set-aside", PointsSetAsideFit, "Set aside %s (%s), which you are eligible for", code, setAsideByUpper[strings.ToUpper(code)].Description)
	case known:
		eligible = false
		fs.add("set-aside", 0, "Set aside %s (%s), which you are not eligible for", code, setAsideByUpper[strings.ToUpper(code)].Description)
	default:
		fs.add("set-aside", 0, "Unrecognised set-aside %q (%s): check eligibility on the notice", n.SetAside, n.SetAsideDesc)
	}
	return eligible
}

// scoreKeywords scores the profile's keywords found in the title and the
// description, up to PointsKeywordsMax.
func (fs *FitScore) scoreKeywords(p Profile, n Notice) {
	if len(p.Keywords) == 0 {
		fs.add("keywords", 0, "No keywords in your profile")
	} else {
		title, desc := normalizeWords(n.Title), normalizeWords(PlainText(n.DescriptionText))
		var inTitle, inDesc []string
		pts := 0
		for _, k := range p.Keywords {
			nk := normalizeWords(k)
			if strings.TrimSpace(nk) == "" {
				continue
			}
			switch {
			case strings.Contains(title, nk):
				inTitle = append(inTitle, strings.TrimSpace(k))
				pts += PointsKeywordTitle
			case strings.Contains(desc, nk):
				inDesc = append(inDesc, strings.TrimSpace(k))
				pts += PointsKeywordDesc
			}
		}
		pts = min(pts, PointsKeywordsMax)
		switch {
		case len(inTitle)+len(inDesc) == 0 && n.DescriptionText == "":
			fs.add("keywords", 0, "None of your keywords is in the title (description not fetched)")
		case len(inTitle)+len(inDesc) == 0:
			fs.add("keywords", 0, "None of your keywords is in the title or description")
		default:
			var parts []string
			if len(inTitle) > 0 {
				parts = append(parts, "in the title: "+quoteList(inTitle))
			}
			if len(inDesc) > 0 {
				parts = append(parts, "in the description: "+quoteList(inDesc))
			}
			fs.add("keywords", pts, "Keywords %s", strings.Join(parts, "; "))
		}
	}
}

// scorePlace scores the place of performance against the profile's states.
func (fs *FitScore) scorePlace(p Profile, n Notice) {
	state, country := placeState(n.PlaceOfPerformance)
	switch {
	case len(p.States) == 0:
		fs.add("place", PointsPlaceUnknown, "No states of interest in your profile")
	case state == "" && (country == "" || country == "USA" || country == "US"):
		fs.add("place", PointsPlaceUnknown, "No place of performance state given")
	case state == "":
		fs.add("place", 0, "Performed outside the United States (%s)", country)
	case slices.Contains(p.States, state):
		fs.add("place", PointsPlaceMatch, "Performed in %s, one of your states", state)
	default:
		fs.add("place", 0, "Performed in %s, outside your states (%s)", state, strings.Join(p.States, ", "))
	}
}

// scoreDeadline scores the time left to respond; true when the deadline
// has passed.
func (fs *FitScore) scoreDeadline(n Notice, now time.Time) (expired bool) {
	if n.ResponseDeadline.IsZero() {
		fs.add("deadline", 0, "No response deadline given")
	} else {
		left := n.ResponseDeadline.Sub(now)
		days := int(left.Hours() / 24)
		due := n.ResponseDeadline.Format("2006-01-02 15:04 -07:00")
		switch {
		case left <= 0:
			expired = true
			fs.add("deadline", 0, "Response deadline passed (%s)", due)
		case days >= 21:
			fs.add("deadline", PointsDeadlineMax, "%d days left to respond (due %s)", days, due)
		case days >= 14:
			fs.add("deadline", 12, "%d days left to respond (due %s)", days, due)
		case days >= 7:
			fs.add("deadline", 8, "%d days left to respond (due %s): tight", days, due)
		case days >= 3:
			fs.add("deadline", 4, "Only %d days left to respond (due %s)", days, due)
		default:
			fs.add("deadline", 1, "Less than 3 days left to respond (due %s)", due)
		}
	}
	return expired
}

// normalizeWords lower-cases s, turns every non-alphanumeric run into one
// space and pads with spaces, so that Contains(" cloud ") matches whole words.
func normalizeWords(s string) string {
	var b strings.Builder
	b.WriteByte(' ')
	space := true
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// placeState returns the two-letter state and the country code of a place.
func placeState(pl *Place) (state, country string) {
	if pl == nil {
		return "", ""
	}
	country = strings.ToUpper(firstNonEmpty(pl.Country.Code, pl.Country.Name))
	for _, v := range []string{pl.State.Code, pl.State.Name} {
		v = strings.TrimSpace(v)
		if len(v) == 2 {
			return strings.ToUpper(v), country
		}
		if code, ok := stateCodes[strings.ToUpper(v)]; ok {
			return code, country
		}
	}
	return "", country
}

var stateCodes = map[string]string{
	"ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
	"COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
	"FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
	"INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
	"MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
	"MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
	"NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
	"NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
	"PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
	"TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
	"WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
	"PUERTO RICO": "PR", "GUAM": "GU", "VIRGIN ISLANDS": "VI", "AMERICAN SAMOA": "AS",
	"NORTHERN MARIANA ISLANDS": "MP",
}
