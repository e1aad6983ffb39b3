package federal

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DateFormat is the SAM.gov request date format, MM/dd/yyyy.
const DateFormat = "01/02/2006"

// Limits of the Get Opportunities v2 API.
const (
	MaxLimit     = 1000 // records per page
	DefaultLimit = 1000 // the quota counts requests, not records: ask for the most
)

// ProcurementTypes are the ptype codes v2 accepts. "f" and "l" are retired.
var ProcurementTypes = map[string]string{
	"u": "Justification and Approval (J&A)",
	"p": "Presolicitation",
	"a": "Award Notice",
	"r": "Sources Sought",
	"s": "Special Notice",
	"o": "Solicitation",
	"g": "Sale of Surplus Property",
	"k": "Combined Synopsis/Solicitation",
	"i": "Intent to Bundle Requirements (DoD-Funded)",
}

// NoticeStatuses are the documented v2 status values (the docs mark the
// status filter as not yet live: whether the API applies it is UNCONFIRMED).
var NoticeStatuses = []string{"active", "inactive", "archived", "cancelled", "deleted"}

// SearchParams holds every documented Get Opportunities v2 query parameter
// except api_key, which package sam adds. Dates are MM/dd/yyyy strings (use
// FormatDate).
type SearchParams struct {
	PostedFrom string // postedFrom, required
	PostedTo   string // postedTo, required; at most one year after PostedFrom

	Limit  int // limit, 1..1000; 0 means DefaultLimit
	Offset int // offset (see sam.Client.PageIndexOffsets)

	ProcurementTypes    []string // ptype, repeated (ptype=o&ptype=k)
	SolicitationNumber  string   // solnum
	NoticeID            string   // noticeid (lowercase: camelCase is ignored by the API)
	Title               string   // title, the only free-text filter
	State               string   // state (place of performance)
	Zip                 string   // zip (place of performance)
	SetAside            string   // typeOfSetAside, one code from SetAsides
	SetAsideDescription string   // typeOfSetAsideDescription
	NAICS               string   // ncode, up to 6 digits
	PSC                 string   // ccode, classification code
	ResponseFrom        string   // rdlfrom, MM/dd/yyyy
	ResponseTo          string   // rdlto, MM/dd/yyyy; at most one year after ResponseFrom
	Status              string   // status (v2, documented as not yet live): one of NoticeStatuses
	OrganizationCode    string   // organizationCode (v2)
	OrganizationName    string   // organizationName (v2)

	// DeptName and SubTier are v1 parameters, deprecated in v2 (issue
	// #1012); they are sent when set, for completeness.
	DeptName string // deptname
	SubTier  string // subtier
}

// FormatDate formats t as MM/dd/yyyy (in t's own location).
func FormatDate(t time.Time) string { return t.Format(DateFormat) }

func parseParamDate(field, v string) (time.Time, error) {
	t, err := time.Parse(DateFormat, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, invalid(field, "must be a date in MM/dd/yyyy format, got %q", v)
	}
	return t, nil
}

// withinOneYear reports whether to is on or after from and less than one
// calendar year later ("01/01/2026".."12/31/2026" is the longest window
// starting Jan 1). SAM answers "Date range must be 1 year(s) apart" beyond that.
func withinOneYear(from, to time.Time) bool {
	return !to.Before(from) && to.Before(from.AddDate(1, 0, 0))
}

// Validate checks the parameters before any request is spent. Errors are
// *ValidationError naming the API parameter (postedFrom, postedTo, limit,
// typeOfSetAside ...); all problems are joined.
func (p SearchParams) Validate() error {
	var errs []error
	var from, to time.Time
	var fromErr, toErr error
	if strings.TrimSpace(p.PostedFrom) == "" {
		fromErr = invalid("postedFrom", "required (MM/dd/yyyy)")
	} else {
		from, fromErr = parseParamDate("postedFrom", p.PostedFrom)
	}
	if strings.TrimSpace(p.PostedTo) == "" {
		toErr = invalid("postedTo", "required (MM/dd/yyyy)")
	} else {
		to, toErr = parseParamDate("postedTo", p.PostedTo)
	}
	errs = append(errs, fromErr, toErr)
	if fromErr == nil && toErr == nil {
		if to.Before(from) {
			errs = append(errs, invalid("postedTo", "%s is before postedFrom %s", p.PostedTo, p.PostedFrom))
		} else if !withinOneYear(from, to) {
			errs = append(errs, invalid("postedTo", "window %s-%s is longer than one year; split it with SplitWindows", p.PostedFrom, p.PostedTo))
		}
	}
	var rFrom, rTo time.Time
	var rFromErr, rToErr error
	if p.ResponseFrom != "" {
		rFrom, rFromErr = parseParamDate("rdlfrom", p.ResponseFrom)
		errs = append(errs, rFromErr)
	}
	if p.ResponseTo != "" {
		rTo, rToErr = parseParamDate("rdlto", p.ResponseTo)
		errs = append(errs, rToErr)
	}
	if p.ResponseFrom != "" && p.ResponseTo != "" && rFromErr == nil && rToErr == nil {
		if rTo.Before(rFrom) {
			errs = append(errs, invalid("rdlto", "%s is before rdlfrom %s", p.ResponseTo, p.ResponseFrom))
		} else if !withinOneYear(rFrom, rTo) {
			errs = append(errs, invalid("rdlto", "window %s-%s is longer than one year", p.ResponseFrom, p.ResponseTo))
		}
	}
	if p.Limit < 0 || p.Limit > MaxLimit {
		errs = append(errs, invalid("limit", "must be between 1 and %d, got %d", MaxLimit, p.Limit))
	}
	if p.Offset < 0 {
		errs = append(errs, invalid("offset", "must not be negative, got %d", p.Offset))
	}
	for _, t := range p.ProcurementTypes {
		if _, ok := ProcurementTypes[t]; !ok {
			msg := "unknown procurement type %q"
			if t == "f" || t == "l" {
				msg = "procurement type %q is retired"
			}
			errs = append(errs, invalid("ptype", msg, t))
		}
	}
	if p.SetAside != "" {
		if c, ok := CanonicalSetAside(p.SetAside); !ok || c != p.SetAside {
			errs = append(errs, invalid("typeOfSetAside", "unknown set-aside code %q (known: %s)", p.SetAside, knownSetAsideList()))
		}
	}
	if p.NAICS != "" && (len(p.NAICS) > 6 || !isDigits(p.NAICS, len(p.NAICS))) {
		errs = append(errs, invalid("ncode", "must be up to 6 digits, got %q", p.NAICS))
	}
	if p.State != "" && !isUpperLetters(p.State, 2) {
		errs = append(errs, invalid("state", "must be a two-letter upper-case state code, got %q", p.State))
	}
	if p.Status != "" {
		ok := false
		for _, s := range NoticeStatuses {
			ok = ok || s == p.Status
		}
		if !ok {
			errs = append(errs, invalid("status", "must be one of %s, got %q", strings.Join(NoticeStatuses, ", "), p.Status))
		}
	}
	return errors.Join(errs...)
}

// Query encodes the parameters (without api_key). Limit 0 becomes
// DefaultLimit; empty parameters are omitted.
func (p SearchParams) Query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			q.Set(k, v)
		}
	}
	set("postedFrom", p.PostedFrom)
	set("postedTo", p.PostedTo)
	limit := p.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("offset", strconv.Itoa(p.Offset))
	for _, t := range p.ProcurementTypes {
		q.Add("ptype", t)
	}
	set("solnum", p.SolicitationNumber)
	set("noticeid", p.NoticeID)
	set("title", p.Title)
	set("state", p.State)
	set("zip", p.Zip)
	set("typeOfSetAside", p.SetAside)
	set("typeOfSetAsideDescription", p.SetAsideDescription)
	set("ncode", p.NAICS)
	set("ccode", p.PSC)
	set("rdlfrom", p.ResponseFrom)
	set("rdlto", p.ResponseTo)
	set("status", p.Status)
	set("organizationCode", p.OrganizationCode)
	set("organizationName", p.OrganizationName)
	set("deptname", p.DeptName)
	set("subtier", p.SubTier)
	return q
}

// Window is an inclusive range of calendar days.
type Window struct {
	From, To time.Time
}

// SplitWindows splits the inclusive day range from..to into consecutive
// windows that each satisfy the one-year limit (the longest is one calendar
// year minus a day), oldest first. Times are truncated to their date. It
// returns nil when to is before from.
func SplitWindows(from, to time.Time) []Window {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	from, to = day(from), day(to)
	var out []Window
	for !from.After(to) {
		end := from.AddDate(1, 0, -1)
		if end.After(to) {
			end = to
		}
		out = append(out, Window{From: from, To: end})
		from = end.AddDate(0, 0, 1)
	}
	return out
}

// Windows returns copies of p, one per SplitWindows window of the
// PostedFrom..PostedTo range, so a range longer than a year can be searched.
// Only the dates are checked here; each copy still goes through Validate.
func (p SearchParams) Windows() ([]SearchParams, error) {
	from, err := parseParamDate("postedFrom", p.PostedFrom)
	if err != nil {
		return nil, err
	}
	to, err := parseParamDate("postedTo", p.PostedTo)
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, invalid("postedTo", "%s is before postedFrom %s", p.PostedTo, p.PostedFrom)
	}
	var out []SearchParams
	for _, w := range SplitWindows(from, to) {
		c := p
		c.ProcurementTypes = append([]string(nil), p.ProcurementTypes...)
		c.PostedFrom, c.PostedTo = FormatDate(w.From), FormatDate(w.To)
		out = append(out, c)
	}
	return out, nil
}

// String formats the window as "MM/dd/yyyy-MM/dd/yyyy".
func (w Window) String() string { return fmt.Sprintf("%s-%s", FormatDate(w.From), FormatDate(w.To)) }
