// Package twenty is the CRM in Twenty's shapes: Twenty CRM's object and
// field names (people with name.firstName and emails.primaryEmail,
// companies with domainName, opportunities with amount.amountMicros,
// notes, tasks), its filter language (field[comparator]:value with
// and(...), or(...) and not(...) groups), its ordering and its cursors,
// so scripts and n8n workflows written for Twenty's REST and GraphQL APIs
// run against the appliance unchanged. The REST handlers (/rest) and the
// GraphQL resolvers (/graphql) in ui/api are thin: they call Service.
//
// IDs are the records' numeric IDs written as UUIDs
// (00000000-0000-4000-8000-0000000004d2 is record 1234), so clients that
// check for Twenty's UUIDs accept them; the plain number is read too.
//
// twenty imports app only.
package twenty

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"orengen/app"
)

// idPrefix is the fixed part of every ID in UUID form.
const idPrefix = "00000000-0000-4000-8000-"

// FormatID writes a record ID in UUID form.
func FormatID(id int64) string {
	if id <= 0 {
		return ""
	}
	return fmt.Sprintf("%s%012x", idPrefix, id)
}

// optID is FormatID for an optional reference: nil when unset.
func optID(id int64) *string {
	if id <= 0 {
		return nil
	}
	s := FormatID(id)
	return &s
}

// ParseID reads an ID in UUID form or as a plain number. Returns
// EINVALID naming field for anything else, and ENOTFOUND (with what) for
// a well-formed UUID that is not one of ours (a Twenty ID from before a
// migration).
func ParseID(field, what, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	if len(s) == 36 && strings.Count(s, "-") == 4 {
		if rest, ok := strings.CutPrefix(strings.ToLower(s), idPrefix); ok {
			if n, err := strconv.ParseInt(rest, 16, 64); err == nil && n > 0 {
				return n, nil
			}
		}
		if isHexUUID(s) {
			return 0, app.Errorf(app.ENOTFOUND, "%s not found.", what)
		}
	}
	return 0, app.FieldErrorf(field, "%s must be an ID like %s (or the plain number).", field, FormatID(1234))
}

func isHexUUID(s string) bool {
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
			continue
		}
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// Object is one of Twenty's record collections.
type Object struct {
	Singular string // person
	Plural   string // people
	Record   string // app.RecordPerson
	// Label names a record in messages ("Person").
	Label string
	// fields map Twenty's filter paths to the CRM's filter fields.
	fields map[string]fieldMap
	// sorts map Twenty's order_by fields to the CRM's sort keys.
	sorts map[string]string
	// target is the field of a note's or task's targets that links to
	// a record of this object (nil: notes and tasks link to none).
	target func(*Targets) **string
}

// fieldMap is how one Twenty field filters: the CRM field and the value
// conversion (kind: "" as is, "id" a UUID, "micros" amountMicros,
// "stage" a stage name, "status" a task status, "employees" a count).
type fieldMap struct {
	field, kind string
}

// The objects, by Twenty's plural name.
var (
	People = &Object{Singular: "person", Plural: "people", Record: app.RecordPerson, Label: "Person",
		fields: withExtraFilters(app.KindPerson, map[string]fieldMap{
			"id": {"id", "id"}, "name.firstName": {"first_name", ""}, "name.lastName": {"last_name", ""},
			"emails.primaryEmail": {"email", ""}, "emails.additionalEmails": {"email", ""},
			"phones.primaryPhoneNumber": {"phone", ""}, "phones.additionalPhones": {"phone", ""},
			"jobTitle": {"title", ""}, "companyId": {"company_id", "id"}, "createdAt": {"created_at", ""}, "updatedAt": {"updated_at", ""},
			"source": {"source", ""}, "tags": {"tag", ""}, "city": {"address", ""},
		}),
		sorts: withExtraSorts(app.KindPerson, map[string]string{"createdAt": "created_at", "updatedAt": "updated_at", "name": "name", "name.firstName": "name", "name.lastName": "name",
			"jobTitle": "title", "source": "source", "position": "created_at"}),
		target: func(t *Targets) **string { return &t.PersonID },
	}
	Companies = &Object{Singular: "company", Plural: "companies", Record: app.RecordCompany, Label: "Company",
		fields: withExtraFilters(app.KindCompany, map[string]fieldMap{
			"id": {"id", "id"}, "name": {"name", ""}, "domainName.primaryLinkUrl": {"domain", "domain"}, "domainName": {"domain", "domain"},
			"employees": {"size", "employees"}, "address.addressStreet1": {"address", ""}, "industry": {"industry", ""}, "tags": {"tag", ""},
			"createdAt": {"created_at", ""}, "updatedAt": {"updated_at", ""},
		}),
		sorts: withExtraSorts(app.KindCompany, map[string]string{"createdAt": "created_at", "updatedAt": "updated_at", "name": "name", "domainName": "domain",
			"domainName.primaryLinkUrl": "domain", "industry": "industry", "employees": "size", "position": "created_at"}),
		target: func(t *Targets) **string { return &t.CompanyID },
	}
	Opportunities = &Object{Singular: "opportunity", Plural: "opportunities", Record: app.RecordDeal, Label: "Opportunity",
		fields: withExtraFilters(app.KindDeal, map[string]fieldMap{
			"id": {"id", "id"}, "name": {"name", ""}, "amount.amountMicros": {"amount", "micros"}, "amount.currencyCode": {"currency", ""},
			"closeDate": {"expected_close", ""}, "stage": {"stage", "stage"}, "probability": {"probability", ""},
			"companyId": {"company_id", "id"}, "pointOfContactId": {"person_id", "id"}, "tags": {"tag", ""},
			"createdAt": {"created_at", ""}, "updatedAt": {"updated_at", ""},
		}),
		sorts: withExtraSorts(app.KindDeal, map[string]string{"createdAt": "created_at", "updatedAt": "updated_at", "name": "name", "amount": "amount",
			"amount.amountMicros": "amount", "closeDate": "expected_close", "probability": "probability", "position": "created_at"}),
		target: func(t *Targets) **string { return &t.OpportunityID },
	}
	Notes = &Object{Singular: "note", Plural: "notes", Record: app.RecordNote, Label: "Note",
		fields: map[string]fieldMap{
			"id": {"id", "id"}, "title": {"body", "title"}, "bodyV2.markdown": {"body", ""}, "createdAt": {"created_at", ""}, "updatedAt": {"updated_at", ""},
			"personId": {"record_id", "target:person"}, "companyId": {"record_id", "target:company"}, "opportunityId": {"record_id", "target:deal"},
		},
		sorts: map[string]string{"createdAt": "created_at", "updatedAt": "updated_at", "position": "created_at"},
	}
	Tasks = &Object{Singular: "task", Plural: "tasks", Record: app.RecordTask, Label: "Task",
		fields: map[string]fieldMap{
			"id": {"id", "id"}, "title": {"title", ""}, "dueAt": {"due", ""}, "status": {"done", "status"}, "assigneeId": {"assignee_id", "id"},
			"createdAt": {"created_at", ""}, "updatedAt": {"updated_at", ""},
			"personId": {"record_id", "target:person"}, "companyId": {"record_id", "target:company"}, "opportunityId": {"record_id", "target:deal"},
		},
		sorts: map[string]string{"createdAt": "created_at", "updatedAt": "updated_at", "position": "created_at"},
	}
	// Objects are every object, by plural name.
	Objects = map[string]*Object{"people": People, "companies": Companies, "opportunities": Opportunities, "notes": Notes, "tasks": Tasks}
)

// FilterFields lists the object's filterable fields (Twenty's paths), for
// messages and the API documentation.
func (o *Object) FilterFields() []string {
	out := make([]string, 0, len(o.fields))
	for k := range o.fields {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// SortFields lists the fields the object's lists order by.
func (o *Object) SortFields() []string {
	out := make([]string, 0, len(o.sorts))
	for k := range o.sorts {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Upper writes a stage name the way Twenty writes its stage values
// ("Closed won" is CLOSED_WON).
func Upper(name string) string {
	return strings.ToUpper(strings.Join(strings.Fields(name), "_"))
}
