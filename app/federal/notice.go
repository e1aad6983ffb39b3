package federal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Notice is one SAM.gov contract opportunity as returned by Get Opportunities
// v2 (opportunitiesData[]). Every field the v2 response carries is decoded;
// nullable strings become "", null lists nil, null dates the zero time.
//
// Decode with json.Unmarshal (Notice implements json.Unmarshaler over the SAM
// wire format). Raw keeps the record's original JSON: persist Raw and decode
// it again to get the same Notice.
type Notice struct {
	NoticeID           string // 32 lowercase hex characters
	Title              string
	SolicitationNumber string // trimmed (SAM sometimes pads it)
	FullParentPathName string // "DEPT.SUBTIER.OFFICE"
	FullParentPathCode string // "070.7003.70SBUR"
	Department         string // deprecated in v2; filled from FullParentPathName when absent
	SubTier            string // deprecated in v2; filled from FullParentPathName when absent
	Office             string // deprecated in v2; filled from FullParentPathName when absent
	PostedDate         time.Time
	Type               string // current notice type, e.g. "Award Notice"
	BaseType           string // original type, e.g. "Combined Synopsis/Solicitation"
	ArchiveType        string // auto15, autocustom, manual
	ArchiveDate        time.Time
	SetAside           string    // typeOfSetAside: a SetAsides code, "NONE", a legacy value or ""
	SetAsideDesc       string    // typeOfSetAsideDescription
	ResponseDeadline   time.Time // responseDeadLine; zero for award and special notices
	NAICSCode          string
	NAICSCodes         []string
	ClassificationCode string // PSC
	Active             bool   // false only for an explicit "No" (archived); true when missing
	Award              *Award // nil when the notice has no award
	PointsOfContact    []Contact
	DescriptionURL     string // "description": a URL, fetched with SAMAPI.FetchDescription
	OrganizationType   string // "OFFICE", "SUB COMMAND" ...
	OfficeAddress      *OfficeAddress
	PlaceOfPerformance *Place
	AdditionalInfoLink string
	UILink             string
	Links              []Link
	ResourceLinks      []string // attachment download URLs

	// DescriptionText is not in the search response: the caller fills it
	// from FetchDescription so Score and DiffNotice can use it.
	DescriptionText string
	// Warnings lists values that could not be decoded (an unreadable date, an
	// unknown shape) so they can be shown instead of silently dropped.
	Warnings []string
	// Raw is the record's original JSON.
	Raw json.RawMessage
}

// Award is the award part of an award notice.
type Award struct {
	Date    time.Time
	Number  string
	Amount  Amount
	Awardee Awardee
}

// Awardee is the company an award went to.
type Awardee struct {
	Name     string
	Location Address
	UEI      string // ueiSAM
	DUNS     string
	CAGE     string
}

// Address is a structured address (awardee location, place of performance).
type Address struct {
	StreetAddress  string
	StreetAddress2 string
	City           CodeName
	State          CodeName
	Zip            string
	Country        CodeName
}

// Place is a place of performance.
type Place = Address

// CodeName is a coded value with its label ({"code":"VA","name":"Virginia"}).
// A bare string in the JSON is kept in both fields.
type CodeName struct {
	Code string
	Name string
}

// UnmarshalJSON accepts {"code","name"}, a bare string or null.
func (c *CodeName) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*c = CodeName{}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] != '{' {
		var s FlexString
		if err := s.UnmarshalJSON(b); err != nil {
			return err
		}
		v := strings.TrimSpace(string(s))
		*c = CodeName{Code: v, Name: v}
		return nil
	}
	var w struct {
		Code FlexString `json:"code"`
		Name FlexString `json:"name"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = CodeName{Code: strings.TrimSpace(string(w.Code)), Name: strings.TrimSpace(string(w.Name))}
	return nil
}

// IsZero reports whether the address holds no value at all (null, {} or
// all empty strings, all seen live).
func (a Address) IsZero() bool { return a == Address{} }

// Contact is one pointOfContact entry.
type Contact struct {
	Type           string // "primary" / "secondary"
	FullName       string
	Title          string
	Email          string
	Phone          string
	Fax            string
	AdditionalInfo string
}

// OfficeAddress is the contracting office address.
type OfficeAddress struct {
	Zipcode     string
	City        string
	CountryCode string
	State       string
}

// Link is a HATEOAS link ({"rel":"self","href":...}).
type Link struct {
	Rel  string
	Href string
}

// wire types: the SAM.gov JSON shape, tolerant of null and type variants.

type wireAddress struct {
	StreetAddress  FlexString `json:"streetAddress"`
	StreetAddress2 FlexString `json:"streetAddress2"`
	City           CodeName   `json:"city"`
	State          CodeName   `json:"state"`
	Zip            FlexString `json:"zip"`
	Country        CodeName   `json:"country"`
}

func (w *wireAddress) address() Address {
	if w == nil {
		return Address{}
	}
	return Address{
		StreetAddress:  strings.TrimSpace(string(w.StreetAddress)),
		StreetAddress2: strings.TrimSpace(string(w.StreetAddress2)),
		City:           w.City, State: w.State, Country: w.Country,
		Zip: strings.TrimSpace(string(w.Zip)),
	}
}

type wireNotice struct {
	NoticeID           FlexString  `json:"noticeId"`
	NoticeIDLower      FlexString  `json:"noticeid"`
	Title              FlexString  `json:"title"`
	SolicitationNumber FlexString  `json:"solicitationNumber"`
	FullParentPathName FlexString  `json:"fullParentPathName"`
	FullParentPathCode FlexString  `json:"fullParentPathCode"`
	Department         FlexString  `json:"department"`
	SubTier            FlexString  `json:"subTier"`
	Office             FlexString  `json:"office"`
	PostedDate         flexTime    `json:"postedDate"`
	Type               FlexString  `json:"type"`
	BaseType           FlexString  `json:"baseType"`
	ArchiveType        FlexString  `json:"archiveType"`
	ArchiveDate        flexTime    `json:"archiveDate"`
	SetAsideDesc       FlexString  `json:"typeOfSetAsideDescription"`
	SetAside           FlexString  `json:"typeOfSetAside"`
	SetAsideDescDoc    FlexString  `json:"setAside"`     // S1 table name
	SetAsideDoc        FlexString  `json:"setAsideCode"` // S1 table name
	ResponseDeadline   flexTime    `json:"responseDeadLine"`
	ResponseDeadlineDo flexTime    `json:"reponseDeadLine"` // S1 table misspelling
	NAICSCode          FlexString  `json:"naicsCode"`
	NAICSCodes         flexStrings `json:"naicsCodes"`
	ClassificationCode FlexString  `json:"classificationCode"`
	Active             FlexString  `json:"active"`
	Award              *struct {
		Date    flexTime   `json:"date"`
		Number  FlexString `json:"number"`
		Amount  Amount     `json:"amount"`
		Awardee *struct {
			Name     FlexString   `json:"name"`
			Location *wireAddress `json:"location"`
			UEI      FlexString   `json:"ueiSAM"`
			DUNS     FlexString   `json:"duns"`
			CAGE     FlexString   `json:"cageCode"`
		} `json:"awardee"`
	} `json:"award"`
	PointOfContact []struct {
		Fax            FlexString `json:"fax"`
		Type           FlexString `json:"type"`
		Email          FlexString `json:"email"`
		Phone          FlexString `json:"phone"`
		Title          FlexString `json:"title"`
		FullName       FlexString `json:"fullName"`
		AdditionalInfo *struct {
			Content FlexString `json:"content"`
		} `json:"additionalInfo"`
	} `json:"pointOfContact"`
	Description      FlexString `json:"description"`
	OrganizationType FlexString `json:"organizationType"`
	OfficeAddress    *struct {
		Zipcode     FlexString `json:"zipcode"`
		City        FlexString `json:"city"`
		CountryCode FlexString `json:"countryCode"`
		State       FlexString `json:"state"`
	} `json:"officeAddress"`
	PlaceOfPerformance *wireAddress `json:"placeOfPerformance"`
	AdditionalInfoLink FlexString   `json:"additionalInfoLink"`
	UILink             FlexString   `json:"uiLink"`
	Links              []struct {
		Rel  FlexString `json:"rel"`
		Href FlexString `json:"href"`
	} `json:"links"`
	ResourceLinks   flexStrings `json:"resourceLinks"`
	DescriptionText FlexString  `json:"descriptionText"` // not from SAM; kept if a caller stored it
}

// UnmarshalJSON decodes one opportunitiesData record. It fails only on JSON
// that is not an object; odd values are recorded in Warnings.
func (n *Notice) UnmarshalJSON(b []byte) error {
	var w wireNotice
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode notice: %w", err)
	}
	s := func(f FlexString) string { return strings.TrimSpace(string(f)) }
	*n = Notice{
		NoticeID:           s(w.NoticeID),
		Title:              s(w.Title),
		SolicitationNumber: s(w.SolicitationNumber),
		FullParentPathName: s(w.FullParentPathName),
		FullParentPathCode: s(w.FullParentPathCode),
		Department:         s(w.Department),
		SubTier:            s(w.SubTier),
		Office:             s(w.Office),
		Type:               s(w.Type),
		BaseType:           s(w.BaseType),
		ArchiveType:        s(w.ArchiveType),
		SetAside:           s(w.SetAside),
		SetAsideDesc:       s(w.SetAsideDesc),
		NAICSCode:          s(w.NAICSCode),
		NAICSCodes:         []string(w.NAICSCodes),
		ClassificationCode: s(w.ClassificationCode),
		DescriptionURL:     s(w.Description),
		OrganizationType:   s(w.OrganizationType),
		AdditionalInfoLink: s(w.AdditionalInfoLink),
		UILink:             s(w.UILink),
		ResourceLinks:      []string(w.ResourceLinks),
		DescriptionText:    string(w.DescriptionText),
		Raw:                append(json.RawMessage(nil), b...),
	}
	if n.NoticeID == "" {
		n.NoticeID = s(w.NoticeIDLower)
	}
	if n.SetAside == "" {
		n.SetAside = s(w.SetAsideDoc)
	}
	if n.SetAsideDesc == "" {
		n.SetAsideDesc = s(w.SetAsideDescDoc)
	}
	if c, ok := CanonicalSetAside(n.SetAside); ok {
		n.SetAside = c
	}
	// Department/subTier/office are gone in v2: derive them from the path.
	if parts := strings.Split(n.FullParentPathName, "."); n.FullParentPathName != "" {
		if n.Department == "" && len(parts) > 0 {
			n.Department = strings.TrimSpace(parts[0])
		}
		if n.SubTier == "" && len(parts) > 1 {
			n.SubTier = strings.TrimSpace(parts[1])
		}
		if n.Office == "" && len(parts) > 2 {
			n.Office = strings.TrimSpace(parts[len(parts)-1])
		}
	}
	// Only an explicit "No" marks a notice archived: a missing or null
	// "active" must not zero every score.
	switch strings.ToLower(s(w.Active)) {
	case "no", "false", "n", "0":
	case "yes", "true", "y", "1", "":
		n.Active = true
	default:
		n.Active = true
		n.warn("active", string(w.Active))
	}
	n.PostedDate = n.timeOf("postedDate", w.PostedDate)
	n.ArchiveDate = n.timeOf("archiveDate", w.ArchiveDate)
	n.ResponseDeadline = n.timeOf("responseDeadLine", w.ResponseDeadline)
	if n.ResponseDeadline.IsZero() && w.ResponseDeadline.bad == "" {
		n.ResponseDeadline = n.timeOf("reponseDeadLine", w.ResponseDeadlineDo)
	}
	if n.NAICSCode == "" && len(n.NAICSCodes) > 0 {
		n.NAICSCode = n.NAICSCodes[0]
	}
	if a := w.Award; a != nil {
		award := &Award{Date: n.timeOf("award.date", a.Date), Number: s(a.Number), Amount: a.Amount}
		if aw := a.Awardee; aw != nil {
			award.Awardee = Awardee{Name: s(aw.Name), Location: aw.Location.address(), UEI: s(aw.UEI), DUNS: s(aw.DUNS), CAGE: s(aw.CAGE)}
		}
		if award.Date.IsZero() && award.Number == "" && !award.Amount.Valid && award.Awardee == (Awardee{}) {
			award = nil
		}
		n.Award = award
	}
	for _, p := range w.PointOfContact {
		c := Contact{Type: s(p.Type), FullName: s(p.FullName), Title: s(p.Title), Email: s(p.Email), Phone: s(p.Phone), Fax: s(p.Fax)}
		if p.AdditionalInfo != nil {
			c.AdditionalInfo = s(p.AdditionalInfo.Content)
		}
		if c != (Contact{}) {
			n.PointsOfContact = append(n.PointsOfContact, c)
		}
	}
	if o := w.OfficeAddress; o != nil {
		addr := &OfficeAddress{Zipcode: s(o.Zipcode), City: s(o.City), CountryCode: s(o.CountryCode), State: s(o.State)}
		if *addr != (OfficeAddress{}) {
			n.OfficeAddress = addr
		}
	}
	if p := w.PlaceOfPerformance.address(); !p.IsZero() {
		n.PlaceOfPerformance = &p
	}
	for _, l := range w.Links {
		n.Links = append(n.Links, Link{Rel: s(l.Rel), Href: s(l.Href)})
	}
	n.redactURLs()
	return nil
}

// redactURLs removes an api_key the API might echo in a URL, so that a
// stored notice never carries a key. FetchDescription sets its own key.
func (n *Notice) redactURLs() {
	r := func(u *string) {
		if strings.Contains(*u, "api_key") {
			*u = RedactURL(*u)
		}
	}
	r(&n.DescriptionURL)
	r(&n.AdditionalInfoLink)
	r(&n.UILink)
	for i := range n.Links {
		r(&n.Links[i].Href)
	}
	for i := range n.ResourceLinks {
		r(&n.ResourceLinks[i])
	}
}

func (n *Notice) warn(field, value string) {
	n.Warnings = append(n.Warnings, fmt.Sprintf("%s: unreadable value %q", field, value))
}

func (n *Notice) timeOf(field string, f flexTime) time.Time {
	if f.bad != "" {
		n.warn(field, f.bad)
	}
	return f.t
}

// AllNAICS returns naicsCode and naicsCodes without duplicates, in order.
func (n Notice) AllNAICS() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range append([]string{n.NAICSCode}, n.NAICSCodes...) {
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// IsAward reports whether the notice announces an award (nothing to bid on).
func (n Notice) IsAward() bool {
	return strings.EqualFold(n.Type, "Award Notice") || n.Award != nil && n.ResponseDeadline.IsZero() && n.Award.Awardee.Name != ""
}

// Page is one page of Get Opportunities v2 results.
type Page struct {
	TotalRecords int
	Limit        int
	Offset       int
	Notices      []Notice
	Links        []Link
}

// RedactURL replaces the value of any api_key query parameter.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return APIKeyRE.ReplaceAllString(s, "${1}"+Redacted)
	}
	q := u.Query()
	if _, ok := q["api_key"]; !ok {
		return s
	}
	q.Set("api_key", Redacted)
	u.RawQuery = q.Encode()
	return u.String()
}

// APIKeyRE finds an api_key query parameter in free text.
var APIKeyRE = regexp.MustCompile(`(?i)(api_key=)[^&\s"]*`)
