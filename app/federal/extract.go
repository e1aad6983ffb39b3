package federal

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Requirement kinds.
const (
	KindShall      = "shall"
	KindMust       = "must"
	KindEvaluation = "evaluation"
)

// Requirement is one obligation or evaluation statement found in
// solicitation text, with the section it sits in ("L.3.2", "M", "C.4").
type Requirement struct {
	Section string
	Text    string
	Kind    string // KindShall, KindMust or KindEvaluation
	Origin  string // OriginRules or OriginLLM; "" counts as rules
}

// DatedItem is a date found in solicitation text.
type DatedItem struct {
	Label   string    // "proposals due", "questions due", "site visit", "conference", "anticipated award", "performance period", "date"
	Date    time.Time // in the stated zone; UTC when none was stated
	HasTime bool      // a time of day was given
	Zone    string    // the zone as written ("ET", "Eastern Time"), "" when none
	Section string
	Text    string // the sentence it came from
}

// Extraction is what ExtractRequirements found, in document order.
type Extraction struct {
	Dates             []DatedItem
	Requirements      []Requirement
	EvaluationFactors []string
}

var (
	// "SECTION L - INSTRUCTIONS ..." / "Section M: Evaluation"
	sectionLetterRE = lazyRE(`^(?i:section)\s+([A-M])\b[\s.:\-–—]*(.*)$`)
	// "L.3.2 Technical Volume", "Section L.3.2", "C.4.1. The Contractor shall ..."
	sectionNumberRE = lazyRE(`^(?:(?i:section)\s+)?([A-M])\.(\d+(?:\.\d+)*)\.?(?:\s+(.*))?$`)
	// "(a) ...", "a. ...", "1. ...", "- ...", "• ..."
	bulletRE = lazyRE(`^(?:\(?[a-z0-9]{1,3}\)|[a-z0-9]{1,2}\.\s|[-•*–]\s)`)
	// "Factor 1 – Technical Approach", "M.2.1 Factor 2: Past Performance"
	factorRE = lazyRE(`^(?:[A-M]\.\d+(?:\.\d+)*\.?\s+)?(?i:(?:evaluation\s+)?factor)\s+(\d+|[A-Z]|one|two|three|four|five|six|seven|eight)\s*[:.\-–—)]\s*(.+?)\.?$`)
	// "The evaluation factors are: Technical, Past Performance, and Price."
	factorListRE = lazyRE(`(?i)\bfactors\s+(?:are|include)[^:]{0,60}:\s*(.+?)\.?$`)

	shallRE = lazyRE(`(?i)\bshall\b`)
	mustRE  = lazyRE(`(?i)\bmust\b`)
	evalRE  = lazyRE(`(?i)\b(evaluat\w*|rated|rating|assess\w*|trade-?off|best[- ]value|lowest price technically acceptable|LPTA)\b`)
)

// ExtractRequirements finds requirements, dates and evaluation factors in
// solicitation text with fixed rules (no model), so the result is
// deterministic and explainable:
//
//   - Section headings: "SECTION L", "L.3.2 Title", "Section M.2" set the
//     section of the text that follows.
//   - A sentence with "shall" is a KindShall requirement, with "must" a
//     KindMust one; in Section M a sentence about evaluation/rating is
//     KindEvaluation.
//   - "Factor N – Name" lines (or "factors are: A, B and C") give the
//     evaluation factors.
//   - Dates such as "March 3, 2027 at 2:00 PM ET", "03/03/2027 1400 hours
//     EST", "3 March 2027" are labelled from their sentence. ET/CT/MT/PT
//     follow US daylight-saving rules.
func ExtractRequirements(text string) Extraction {
	var ex Extraction
	section := ""
	var para []string
	seenFactor := map[string]bool{}
	addFactor := func(f string) {
		f = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(f), ".;"))
		if f != "" && !seenFactor[strings.ToLower(f)] {
			seenFactor[strings.ToLower(f)] = true
			ex.EvaluationFactors = append(ex.EvaluationFactors, f)
		}
	}
	flush := func() {
		if len(para) == 0 {
			return
		}
		joined := strings.Join(para, " ")
		para = nil
		for _, s := range splitSentences(joined) {
			ex.scanSentence(section, s)
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			flush()
			continue
		}
		if m := sectionLetterRE().FindStringSubmatch(line); m != nil {
			flush()
			section = strings.ToUpper(m[1])
			continue
		}
		if m := sectionNumberRE().FindStringSubmatch(line); m != nil {
			flush()
			section = strings.ToUpper(m[1]) + "." + m[2]
			rest := m[3]
			if rest == "" || isHeadingTitle(rest) {
				if f := factorRE().FindStringSubmatch(rest); f != nil {
					addFactor(f[2])
				}
				continue
			}
			line = rest
		}
		if f := factorRE().FindStringSubmatch(line); f != nil {
			flush()
			addFactor(f[2])
			continue
		}
		if isBareHeading(line) {
			// A heading without a section number ("Evaluation of
			// Proposals", "INSTRUCTIONS TO OFFERORS") ends the paragraph
			// and is not itself a requirement.
			flush()
			continue
		}
		if bulletRE().MatchString(line) {
			flush()
		}
		para = append(para, line)
	}
	flush()
	if len(ex.EvaluationFactors) == 0 {
		for _, r := range ex.Requirements {
			if !strings.HasPrefix(r.Section, "M") {
				continue
			}
			if m := factorListRE().FindStringSubmatch(r.Text); m != nil {
				for _, part := range regexp.MustCompile(`\s*(?:,|;|\band\b)\s*`).Split(m[1], -1) {
					addFactor(part)
				}
			}
		}
	}
	return ex
}

// isHeadingTitle reports whether the text after a section number is a short
// title ("Technical Volume", "EVALUATION FACTORS") rather than a sentence.
func isHeadingTitle(s string) bool {
	if len(s) > 80 || shallRE().MatchString(s) || mustRE().MatchString(s) {
		return false
	}
	return !strings.HasSuffix(s, ".") || len(strings.Fields(s)) <= 6
}

// isBareHeading reports a line that reads as a heading: at most 8 words,
// no sentence punctuation at its end, no obligation or date, and in
// capitals or in title case (small words like "of" aside).
func isBareHeading(line string) bool {
	words := strings.Fields(line)
	if len(words) == 0 || len(words) > 8 || strings.ContainsAny(line[len(line)-1:], ".!?;,:") ||
		shallRE().MatchString(line) || mustRE().MatchString(line) || bulletRE().MatchString(line) || len(findDates(line)) > 0 {
		return false
	}
	small := map[string]bool{"of": true, "and": true, "or": true, "for": true, "the": true, "to": true, "a": true, "an": true, "in": true, "on": true, "by": true, "with": true}
	for i, w := range words {
		r := []rune(strings.Trim(w, "()\"'“”‘’-–—/&"))
		if len(r) == 0 {
			continue
		}
		if i > 0 && small[strings.ToLower(string(r))] {
			continue
		}
		if !unicode.IsUpper(r[0]) && !unicode.IsDigit(r[0]) {
			return false
		}
	}
	return true
}

func (ex *Extraction) scanSentence(section, s string) {
	kind := ""
	switch {
	case strings.HasPrefix(section, "M") && evalRE().MatchString(s):
		kind = KindEvaluation
	case shallRE().MatchString(s):
		kind = KindShall
	case mustRE().MatchString(s):
		kind = KindMust
	}
	if kind != "" {
		ex.Requirements = append(ex.Requirements, Requirement{Section: section, Text: s, Kind: kind})
	} else if strings.HasPrefix(section, "M") {
		if m := factorListRE().FindStringSubmatch(s); m != nil {
			ex.Requirements = append(ex.Requirements, Requirement{Section: section, Text: s, Kind: KindEvaluation})
		}
	}
	dates := findDates(s)
	if len(dates) == 0 {
		return
	}
	label := dateLabel(s) // once per sentence: it lower-cases the whole sentence
	for _, d := range dates {
		d.Section, d.Text, d.Label = section, s, label
		ex.Dates = append(ex.Dates, d)
	}
}

// abbreviations whose trailing period does not end a sentence.
var abbreviations = map[string]bool{
	"a.m": true, "p.m": true, "u.s": true, "e.g": true, "i.e": true, "no": true, "vs": true,
	"etc": true, "inc": true, "st": true, "mr": true, "ms": true, "mrs": true, "dr": true,
	"jr": true, "co": true, "corp": true, "approx": true, "sec": true, "para": true, "u.s.c": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
}

// splitSentences splits at ". ", "? ", "! " or "; " before an upper-case
// letter, digit or quote, except after abbreviations and single letters.
func splitSentences(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s)-2; i++ {
		c := s[i]
		if (c != '.' && c != '?' && c != '!') || s[i+1] != ' ' {
			continue
		}
		next := s[i+2]
		if !(next >= 'A' && next <= 'Z' || next >= '0' && next <= '9' || next == '"' || next == '(') {
			continue
		}
		if c == '.' {
			w := s[start:i]
			if j := strings.LastIndexByte(w, ' '); j >= 0 {
				w = w[j+1:]
			}
			w = strings.ToLower(strings.TrimLeft(w, "(\""))
			if abbreviations[w] || len(w) == 1 {
				continue
			}
		}
		out = append(out, strings.TrimSpace(s[start:i+1]))
		start = i + 2
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

var months = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

const (
	monthPat = `(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?`
	timePat  = `(\d{1,2})(?::(\d{2}))?\s*([AaPp]\.?\s?[Mm]\b\.?)|(\d{1,2}):(\d{2})|(\d{2})(\d{2})\s*(?:hours|hrs)\b`
	zonePat  = `(?:\s*\(?\s*(E[SD]?T|C[SD]?T|M[SD]?T|P[SD]?T|UTC|GMT|Z|Eastern(?:\s+(?:Standard|Daylight|Prevailing))?(?:\s+Time)?|Central(?:\s+(?:Standard|Daylight|Prevailing))?(?:\s+Time)?|Mountain(?:\s+(?:Standard|Daylight|Prevailing))?(?:\s+Time)?|Pacific(?:\s+(?:Standard|Daylight|Prevailing))?(?:\s+Time)?|local\s+time)\b\)?)?`
)

var (
	// Date forms: 1 "March 3, 2027", 2 "3 March 2027", 3 "03/03/2027", 4 "2027-03-03".
	dateRE = lazyRE(`\b(?:` + monthPat + `\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})` +
		`|(\d{1,2})\s+` + monthPat + `,?\s+(\d{4})` +
		`|(\d{1,2})/(\d{1,2})/(\d{4})` +
		`|(\d{4})-(\d{2})-(\d{2}))\b`)
	timeAfterRE  = lazyRE(`^(?:\s*,)?\s*(?:at|by|no later than|NLT|@)?\s*(?:` + timePat + `)` + zonePat)
	timeBeforeRE = lazyRE(`(?:` + timePat + `)` + zonePat + `\s*(?:,|on)?\s*(?:\w+day,?\s*)?$`)
)

// lazyRE compiles a regexp on its first use. The extraction rules run
// when someone extracts an RFP; compiled at package init they cost every
// orengen process (the server, the replicator, each CLI command) their
// compile time and about 400 KB of heap.
func lazyRE(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func findDates(s string) []DatedItem {
	var out []DatedItem
	for _, m := range dateRE().FindAllStringSubmatchIndex(s, -1) {
		g := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		var y, d int
		var mon time.Month
		switch {
		case g(1) != "":
			mon, d, y = months[strings.ToLower(g(1))], atoi(g(2)), atoi(g(3))
		case g(4) != "":
			d, mon, y = atoi(g(4)), months[strings.ToLower(g(5))], atoi(g(6))
		case g(7) != "":
			mon, d, y = time.Month(atoi(g(7))), atoi(g(8)), atoi(g(9))
		default:
			y, mon, d = atoi(g(10)), time.Month(atoi(g(11))), atoi(g(12))
		}
		if mon < 1 || mon > 12 || d < 1 || d > 31 || y < 1900 || y > 2200 {
			continue
		}
		date := time.Date(y, mon, d, 0, 0, 0, 0, time.UTC)
		if date.Day() != d { // February 30
			continue
		}
		item := DatedItem{Date: date}
		tm := timeAfterRE().FindStringSubmatch(s[m[1]:])
		if tm == nil {
			// Only the text just before the date can hold its time; bounding
			// it keeps a long sentence full of dates linear.
			tm = timeBeforeRE().FindStringSubmatch(s[max(0, m[0]-80):m[0]])
		}
		if tm != nil {
			if h, mi, ok := clock(tm); ok {
				item.HasTime = true
				item.Zone = strings.Join(strings.Fields(tm[8]), " ")
				item.Date = inUSZone(y, mon, d, h, mi, item.Zone)
			}
		}
		out = append(out, item)
	}
	return out
}

// clock reads hour and minute from a timePat submatch.
func clock(tm []string) (h, m int, ok bool) {
	if tm[1] != "" {
		h, m = atoi(tm[1]), atoi(tm[2])
		pm := strings.HasPrefix(strings.ToLower(tm[3]), "p")
		if h < 1 || h > 12 || m > 59 {
			return 0, 0, false
		}
		if h == 12 {
			h = 0
		}
		if pm {
			h += 12
		}
		return h, m, true
	}
	if tm[4] != "" {
		h, m = atoi(tm[4]), atoi(tm[5])
	} else {
		h, m = atoi(tm[6]), atoi(tm[7])
	}
	if h > 23 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// inUSZone builds the time in a US zone as written. "ET"/"Eastern Time"
// follow daylight-saving rules (second Sunday of March to first Sunday of
// November, 2:00 local); "EST"/"EDT" are taken literally. An unknown or
// missing zone gives UTC wall-clock time.
func inUSZone(y int, mon time.Month, d, h, mi int, zone string) time.Time {
	z := strings.ToUpper(zone)
	std := map[byte]int{'E': -5, 'C': -6, 'M': -7, 'P': -8}
	var base int
	var ok bool
	switch {
	case z == "" || strings.HasPrefix(z, "LOCAL"):
		return time.Date(y, mon, d, h, mi, 0, 0, time.UTC)
	case z == "UTC" || z == "GMT" || z == "Z":
		return time.Date(y, mon, d, h, mi, 0, 0, time.UTC)
	default:
		base, ok = std[z[0]]
		if !ok {
			return time.Date(y, mon, d, h, mi, 0, 0, time.UTC)
		}
	}
	offset := base
	switch {
	case len(z) == 3 && z[1] == 'D' || strings.Contains(z, "DAYLIGHT"):
		offset++
	case len(z) == 3 && z[1] == 'S' || strings.Contains(z, "STANDARD"):
	default:
		if usDST(y, mon, d, h) {
			offset++
		}
	}
	return time.Date(y, mon, d, h, mi, 0, 0, time.FixedZone(zone, offset*3600))
}

// usDST reports whether local wall time falls in US daylight saving time
// (rules since 2007).
func usDST(y int, mon time.Month, d, h int) bool {
	nthSunday := func(m time.Month, n int) int {
		first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
		return 1 + (7-int(first))%7 + 7*(n-1)
	}
	start, end := nthSunday(time.March, 2), nthSunday(time.November, 1)
	switch {
	case mon > time.March && mon < time.November:
		return true
	case mon == time.March:
		return d > start || d == start && h >= 2
	case mon == time.November:
		return d < end || d == end && h < 2
	}
	return false
}

func dateLabel(s string) string {
	l := strings.ToLower(s)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(l, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("question", "inquir", "rfi response"):
		return "questions due"
	case has("site visit"):
		return "site visit"
	case has("conference", "industry day", "pre-proposal", "preproposal"):
		return "conference"
	case has("proposal", "offer", "quote", "quotation", "response", "submission") && has("due", "receiv", "submit", "no later than", "closing"):
		return "proposals due"
	case has("period of performance", "base period", "option period", "performance period"):
		return "performance period"
	case has("award"):
		return "anticipated award"
	}
	return "date"
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

var (
	scriptRE  = lazyRE(`(?is)<(script|style)\b.*?</(script|style)>`)
	blockRE   = lazyRE(`(?i)<(br|/p|/div|/li|/h[1-6]|/tr|p|div|li|h[1-6]|tr)\b[^>]*>`)
	tagRE     = lazyRE(`<[^>]*>`)
	spacesRE  = lazyRE(`[ \t\x{00a0}]+`)
	newlineRE = lazyRE(`\n{3,}`)
)

// PlainText turns an HTML description (SAM.gov noticedesc, Grants.gov
// synopsisDesc) into plain text with line breaks at block elements, for
// Score and ExtractRequirements. Text without tags is returned trimmed.
func PlainText(s string) string {
	if !strings.Contains(s, "<") {
		return strings.TrimSpace(html.UnescapeString(s))
	}
	s = scriptRE().ReplaceAllString(s, " ")
	s = blockRE().ReplaceAllString(s, "\n")
	s = tagRE().ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(spacesRE().ReplaceAllString(l, " "))
	}
	return strings.TrimSpace(newlineRE().ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
