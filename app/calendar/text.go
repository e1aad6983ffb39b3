package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// The text forms of availability that the calendar pages edit: hours as
// "09:00-12:00, 13:00-17:00", an override a line "2026-12-24 09:00-12:00"
// (or "2026-12-24 off"), a holiday a line "2026-12-25 Christmas Day".

// ParseSpans reads "09:00-12:00, 13:00-17:00" ("" or "off": none; 24:00
// is the end of the day). Returns EINVALID naming field.
func ParseSpans(field, text string) ([]Span, error) {
	text = strings.TrimSpace(text)
	if text == "" || strings.EqualFold(text, "off") {
		return nil, nil
	}
	var out []Span
	for _, part := range strings.Split(text, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		s, err1 := parseClock(a)
		e, err2 := parseClock(b)
		if !ok || err1 != nil || err2 != nil {
			return nil, app.FieldErrorf(field, "Hours %q are not like 09:00-17:00.", strings.TrimSpace(part))
		}
		out = append(out, Span{Start: s, End: e})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bad clock %q", s)
	}
	return hh*60 + mm, nil
}

// FormatSpans is the text ParseSpans reads ("off" for none).
func FormatSpans(ss []Span) string {
	if len(ss) == 0 {
		return "off"
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// ParseOverrides reads one override a line: a date, then hours or "off".
func ParseOverrides(text string) ([]Override, error) {
	var out []Override
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		date, rest, _ := strings.Cut(line, " ")
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return nil, app.FieldErrorf("overrides", "Override %q does not start with a date like 2026-12-24.", line)
		}
		spans, err := ParseSpans("overrides", rest)
		if err != nil {
			return nil, err
		}
		out = append(out, Override{Date: date, Spans: spans})
	}
	return out, nil
}

// FormatOverrides is the text ParseOverrides reads.
func FormatOverrides(os []Override) string {
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "%s %s\n", o.Date, FormatSpans(o.Spans))
	}
	return b.String()
}

// ParseHolidays reads one holiday a line: a date, then its name.
func ParseHolidays(text string) ([]Holiday, error) {
	var out []Holiday
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		date, name, _ := strings.Cut(line, " ")
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return nil, app.FieldErrorf("holidays", "Holiday %q does not start with a date like 2026-12-25.", line)
		}
		out = append(out, Holiday{Date: date, Name: strings.TrimSpace(name)})
	}
	return out, nil
}

// FormatHolidays is the text ParseHolidays reads.
func FormatHolidays(hs []Holiday) string {
	var b strings.Builder
	for _, h := range hs {
		fmt.Fprintf(&b, "%s %s\n", h.Date, h.Name)
	}
	return b.String()
}

// ParseDurations reads "30, 60".
func ParseDurations(text string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, app.FieldErrorf("durations", "Durations are minutes like 30, 60.")
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseQuestions reads one question a line: "key | Label | field |
// required" (field and required optional; field phone, company or title).
func ParseQuestions(text string) ([]Question, error) {
	var out []Question
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(line, "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if len(parts) < 2 {
			return nil, app.FieldErrorf("questions", "Question %q is not like company | Company | company | required.", line)
		}
		q := Question{Key: parts[0], Label: parts[1]}
		for _, p := range parts[2:] {
			switch {
			case strings.EqualFold(p, "required"):
				q.Required = true
			case slices.Contains(questionFields, p):
				q.Field = p
			default:
				return nil, app.FieldErrorf("questions", "Question %q: %q is neither a CRM field (phone, company, title) nor \"required\".", q.Key, p)
			}
		}
		out = append(out, q)
	}
	return out, nil
}

// FormatQuestions is the text ParseQuestions reads.
func FormatQuestions(qs []Question) string {
	var b strings.Builder
	for _, q := range qs {
		b.WriteString(q.Key + " | " + q.Label)
		if q.Field != "" {
			b.WriteString(" | " + q.Field)
		}
		if q.Required {
			b.WriteString(" | required")
		}
		b.WriteString("\n")
	}
	return b.String()
}
