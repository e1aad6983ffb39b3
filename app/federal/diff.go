package federal

import (
	"strings"
	"time"
)

// FieldChange is one field that differs between two versions of a notice.
// Field uses the SAM.gov JSON name, dotted for nested values
// ("award.amount", "placeOfPerformance.state"); Old and New are display
// strings ("" for absent).
type FieldChange struct {
	Field string
	Old   string
	New   string
}

// DiffNotice compares two versions of the same notice (an amendment) field
// by field, in a fixed order, and returns the fields that changed. Raw and
// Warnings are not compared; DescriptionText is compared only when both
// versions have it (it is fetched separately).
func DiffNotice(old, new Notice) []FieldChange {
	a, b := noticeFields(old), noticeFields(new)
	var out []FieldChange
	for i := range a {
		if a[i].name == "descriptionText" && (old.DescriptionText == "" || new.DescriptionText == "") {
			continue
		}
		if a[i].value != b[i].value {
			out = append(out, FieldChange{Field: a[i].name, Old: a[i].value, New: b[i].value})
		}
	}
	return out
}

type namedValue struct{ name, value string }

func noticeFields(n Notice) []namedValue {
	f := []namedValue{
		{"noticeId", n.NoticeID},
		{"title", n.Title},
		{"solicitationNumber", n.SolicitationNumber},
		{"fullParentPathName", n.FullParentPathName},
		{"fullParentPathCode", n.FullParentPathCode},
		{"postedDate", fmtTime(n.PostedDate)},
		{"type", n.Type},
		{"baseType", n.BaseType},
		{"archiveType", n.ArchiveType},
		{"archiveDate", fmtTime(n.ArchiveDate)},
		{"typeOfSetAside", n.SetAside},
		{"typeOfSetAsideDescription", n.SetAsideDesc},
		{"responseDeadLine", fmtTime(n.ResponseDeadline)},
		{"naicsCode", n.NAICSCode},
		{"naicsCodes", strings.Join(n.NAICSCodes, ", ")},
		{"classificationCode", n.ClassificationCode},
		{"active", map[bool]string{true: "Yes", false: "No"}[n.Active]},
	}
	var aw Award
	if n.Award != nil {
		aw = *n.Award
	}
	f = append(f,
		namedValue{"award.date", fmtTime(aw.Date)},
		namedValue{"award.number", aw.Number},
		namedValue{"award.amount", aw.Amount.String()},
		namedValue{"award.awardee.name", aw.Awardee.Name},
		namedValue{"award.awardee.ueiSAM", aw.Awardee.UEI},
		namedValue{"award.awardee.cageCode", aw.Awardee.CAGE},
		namedValue{"award.awardee.location", fmtAddress(aw.Awardee.Location)},
	)
	var contacts []string
	for _, c := range n.PointsOfContact {
		contacts = append(contacts, joinNonEmpty(" / ", c.Type, c.FullName, c.Title, c.Email, c.Phone, c.Fax, c.AdditionalInfo))
	}
	var office string
	if o := n.OfficeAddress; o != nil {
		office = joinNonEmpty(", ", o.City, o.State, o.Zipcode, o.CountryCode)
	}
	var place string
	if pl := n.PlaceOfPerformance; pl != nil {
		place = fmtAddress(*pl)
	}
	var links []string
	for _, l := range n.Links {
		links = append(links, l.Rel+" "+l.Href)
	}
	f = append(f,
		namedValue{"pointOfContact", strings.Join(contacts, "; ")},
		namedValue{"description", n.DescriptionURL},
		namedValue{"organizationType", n.OrganizationType},
		namedValue{"officeAddress", office},
		namedValue{"placeOfPerformance", place},
		namedValue{"additionalInfoLink", n.AdditionalInfoLink},
		namedValue{"uiLink", n.UILink},
		namedValue{"links", strings.Join(links, "; ")},
		namedValue{"resourceLinks", strings.Join(n.ResourceLinks, "; ")},
		namedValue{"descriptionText", n.DescriptionText},
	)
	return f
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 && t.Location() == time.UTC {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

func fmtAddress(a Address) string {
	name := func(c CodeName) string {
		if c.Name != "" && c.Code != "" && c.Name != c.Code {
			return c.Name + " (" + c.Code + ")"
		}
		return firstNonEmpty(c.Name, c.Code)
	}
	return joinNonEmpty(", ", a.StreetAddress, a.StreetAddress2, name(a.City), name(a.State), a.Zip, name(a.Country))
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}
