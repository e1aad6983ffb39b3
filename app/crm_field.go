package app

import (
	"slices"
	"strings"
	"time"
)

// ValueType is the value type of a built-in CRM field.
type ValueType string

// Built-in field value types. Text, long text and select fields hold
// a string; date fields a *time.Time (a day, no time of day).
const (
	ValueText     ValueType = "text"      // one line; control characters dropped
	ValueLongText ValueType = "long_text" // lines kept; imported columns joined with ", "
	ValueSelect   ValueType = "select"    // one of Options, or empty
	ValueDate     ValueType = "date"      // YYYY-MM-DD in forms, the API and CSV
)

// Field describes one built-in scalar field of a CRM record kind once, for
// every place that names it: the API (JSON key, type, OpenAPI, GraphQL),
// the record form and info panel, list columns and cells, view filters and
// sorting, CSV import and export, the merge "fill what is missing" rule
// and the store's column lists.
//
// Fields with rules of their own stay written out where they are used and
// are not descriptors: a person's emails, phones, company link, owner,
// tags and consent; a company's tags; a deal's amount, currency, pipeline,
// stage, expected close, probability, company, people and tags.
type Field struct {
	Key    string // API/JSON name, form name, view, import and export column
	Column string // SQL column of the record's table
	Type   ValueType
	Label  string // form, info panel, error messages
	// FormLabel, ColumnLabel and ImportLabel replace Label where they say
	// more (the form's "Size (employees)", the column "Job title", the
	// import's "Address (columns joined)"); ImportLabel defaults to
	// ColumnLabel.
	FormLabel, ColumnLabel, ImportLabel string

	Max      int      // most bytes of a text value; 0: checked by the kind
	Required bool     // a value is required ("<Label> required.")
	Options  []string // select: the accepted values

	// Heading marks the fields that make the record's name, shown as
	// its page's heading rather than in its info panel.
	Heading bool
	List    bool // a column of the kind's list without a view
	Filter  bool // an API list filter (?key=value, exact match)
	Sort    bool // a sort key of the kind's lists (key, -key)
	// Search puts the field's text in the record's full-text search
	// (the list's ?q= and the global search box).
	Search bool
	// Aliases are further normalised CSV headers that map to the field
	// (NormalizeHeader); the key always does.
	Aliases []string
	// MergeKeeps keeps the record's value when an import's row brings
	// another (where a person came from); a merge still fills it when
	// the kept record has none.
	MergeKeeps bool
	// Twenty is the field's path in Twenty's record shape where
	// app/twenty maps it by hand (a person's title is "jobTitle", a
	// company's domain "domainName.primaryLinkUrl"). Empty for a field
	// Twenty's model lacks: the Twenty-compatible REST API then carries
	// it at the record's top level under its key in lowerCamelCase (a
	// person's birthday is "birthday"), reads, filters and sorts it
	// there, with no code in app/twenty; GraphQL has it as a field of the
	// record's type and inputs (ui/api/graphql_extra.go generates it:
	// run TestGraphQL_ExtraGenerated with -update-graphql).
	Twenty string
	// FromImport rewrites an imported cell before it is checked (a
	// company's "42" employees becomes the size "11-50"); nil keeps it.
	FromImport func(string) string

	// ptr returns the address of the field in a record of its kind:
	// *string, or **time.Time for dates.
	ptr func(rec any) any
}

// FormTitle is the field's label on the record form.
func (f *Field) FormTitle() string { return orLabel(f.FormLabel, f.Label) }

// ColumnTitle is the field's label as a column of lists, views and exports.
func (f *Field) ColumnTitle() string { return orLabel(f.ColumnLabel, f.Label) }

// ImportTitle is the field's label among an import's targets.
func (f *Field) ImportTitle() string { return orLabel(f.ImportLabel, f.ColumnTitle()) }

func orLabel(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Ptr returns the address of the field in rec (a record of its kind):
// *string or **time.Time. The store scans into it and writes from it.
func (f *Field) Ptr(rec any) any { return f.ptr(rec) }

// Value returns the field's value in rec: a string, or a *time.Time.
func (f *Field) Value(rec any) any {
	switch p := f.ptr(rec).(type) {
	case *string:
		return *p
	case **time.Time:
		return *p
	}
	return nil
}

// Set stores v (a value of the field's type as Parse returns it) in rec.
func (f *Field) Set(rec any, v any) {
	switch p := f.ptr(rec).(type) {
	case *string:
		*p, _ = v.(string)
	case **time.Time:
		*p, _ = v.(*time.Time)
	}
}

// Text is the field's value in rec as forms, cells and CSV show it.
func (f *Field) Text(rec any) string { return FormatFieldValue(f.Value(rec)) }

// FormatFieldValue is a field value as text: dates as YYYY-MM-DD.
func FormatFieldValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case *time.Time:
		if x != nil {
			return x.UTC().Format("2006-01-02")
		}
	}
	return ""
}

// JSON is the field's value in rec as the API writes it: a string, or for
// dates "YYYY-MM-DD" or null.
func (f *Field) JSON(rec any) any {
	if f.Type == ValueDate {
		if t, _ := f.Value(rec).(*time.Time); t != nil {
			return t.UTC().Format("2006-01-02")
		}
		return nil
	}
	return f.Value(rec)
}

// Parse reads the field's value from text (a form, a CSV cell, an API
// string). Returns EINVALID naming the field.
func (f *Field) Parse(s string) (any, error) {
	if f.Type == ValueDate {
		return ParseDate(f.Key, s)
	}
	return s, nil
}

// IsEmpty reports whether the field has no value in rec.
func (f *Field) IsEmpty(rec any) bool { return f.Text(rec) == "" }

// normalize cleans the field's value in rec and checks it. Returns
// EINVALID naming the field.
func (f *Field) normalize(rec any) error {
	p, ok := f.ptr(rec).(*string)
	if !ok {
		return nil
	}
	if f.Type == ValueLongText {
		*p = strings.TrimSpace(*p)
	} else {
		*p = clean(*p)
	}
	switch {
	case f.Required && *p == "":
		return FieldErrorf(f.Key, "%s required.", f.Label)
	case f.Max > 0 && len(*p) > f.Max:
		return FieldErrorf(f.Key, "%s must be at most %d characters.", f.Label, f.Max)
	case f.Type == ValueSelect && *p != "" && !slices.Contains(f.Options, *p):
		return FieldErrorf(f.Key, "%s must be one of %s.", f.Label, strings.Join(f.Options, ", "))
	}
	return nil
}

// FieldValues are values of a kind's fields by key, each of the field's
// type (Field.Parse): the changes of an update.
type FieldValues map[string]any

// Field returns the kind's field with key, or nil (also for a nil kind).
func (k *RecordKind) Field(key string) *Field {
	if k == nil {
		return nil
	}
	for _, f := range k.Fields {
		if f.Key == key {
			return f
		}
	}
	return nil
}

// SetFields copies vals onto rec.
func (k *RecordKind) SetFields(rec any, vals FieldValues) {
	for key, v := range vals {
		if f := k.Field(key); f != nil {
			f.Set(rec, v)
		}
	}
}

// normalize cleans and checks every field of rec in order. Returns
// EINVALID naming the first field at fault.
func (k *RecordKind) normalize(rec any) error {
	for _, f := range k.Fields {
		if err := f.normalize(rec); err != nil {
			return err
		}
	}
	return nil
}

// FieldsWhere lists the kind's fields for which keep is true.
func (k *RecordKind) FieldsWhere(keep func(*Field) bool) []*Field {
	var out []*Field
	for _, f := range k.Fields {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// strField is a text field of records of type T.
func strField[T any](f Field, get func(*T) *string) *Field {
	f.ptr = func(rec any) any { return get(rec.(*T)) }
	if f.Type == "" {
		f.Type = ValueText
	}
	return &f
}

// dateField is a date field of records of type T.
func dateField[T any](f Field, get func(*T) **time.Time) *Field {
	f.ptr = func(rec any) any { return get(rec.(*T)) }
	f.Type = ValueDate
	return &f
}

// The built-in scalar fields of each kind, in form order.
var (
	personFields = []*Field{
		strField(Field{Key: "first_name", Column: "first_name", Label: "First name", Twenty: "name.firstName", Heading: true, Search: true, Max: MaxPersonName,
			Aliases: []string{"firstname", "first", "given_name", "name_first_name"}}, func(p *Person) *string { return &p.FirstName }),
		strField(Field{Key: "last_name", Column: "last_name", Label: "Last name", Twenty: "name.lastName", Heading: true, Search: true, Max: MaxPersonName,
			Aliases: []string{"lastname", "last", "surname", "family_name", "name_last_name"}}, func(p *Person) *string { return &p.LastName }),
		strField(Field{Key: "title", Column: "title", Label: "Title", Twenty: "jobTitle", ColumnLabel: "Job title", Max: 200, Sort: true, Search: true,
			Aliases: []string{"job_title", "jobtitle", "position"}}, func(p *Person) *string { return &p.Title }),
		strField(Field{Key: "address", Column: "address", Type: ValueLongText, Label: "Address", Twenty: "city", ImportLabel: "Address (columns joined)", Max: 500,
			Aliases: []string{"city", "street"}}, func(p *Person) *string { return &p.Address }),
		strField(Field{Key: "source", Column: "source", Label: "Source", Twenty: "source", Max: 100, Filter: true, Sort: true, Search: true, MergeKeeps: true},
			func(p *Person) *string { return &p.Source }),
		dateField(Field{Key: "birthday", Column: "birthday", Label: "Birthday", Sort: true,
			Aliases: []string{"date_of_birth", "dob", "birth_date", "birthdate"}}, func(p *Person) **time.Time { return &p.Birthday }),
	}
	companyFields = []*Field{
		strField(Field{Key: "name", Column: "name", Label: "Name", Twenty: "name", Heading: true, Required: true, Max: 200, List: true, Search: true,
			Aliases: []string{"company", "company_name"}}, func(c *Company) *string { return &c.Name }),
		// The domain is normalised and checked by Company.Validate, and
		// filtered on by CompanyFilter.Domain (lowercased).
		strField(Field{Key: "domain", Column: "domain", Label: "Domain", Twenty: "domainName.primaryLinkUrl", List: true, Sort: true, Search: true,
			Aliases: []string{"website", "domain_name", "domain_name_primary_link_url"}}, func(c *Company) *string { return &c.Domain }),
		strField(Field{Key: "industry", Column: "industry", Label: "Industry", Twenty: "industry", Max: 100, List: true, Filter: true, Sort: true, Search: true},
			func(c *Company) *string { return &c.Industry }),
		strField(Field{Key: "size", Column: "size", Type: ValueSelect, Label: "Size", Twenty: "employees", FormLabel: "Size (employees)", ImportLabel: "Size (employees)",
			Options: CompanySizes, List: true, Sort: true, Aliases: []string{"employees"}, FromImport: sizeBucket},
			func(c *Company) *string { return &c.Size }),
		strField(Field{Key: "address", Column: "address", Type: ValueLongText, Label: "Address", Twenty: "address.addressStreet1", ImportLabel: "Address (columns joined)", Max: 500,
			Aliases: []string{"address_address_street1", "address_address_street2", "address_address_city",
				"address_address_state", "address_address_postcode", "address_address_country", "city"}},
			func(c *Company) *string { return &c.Address }),
	}
	// A deal's name is checked by Deal.Validate ("Deal name required");
	// an import's row that matched a deal leaves its name.
	dealFields = []*Field{
		strField(Field{Key: "name", Column: "name", Label: "Deal name", Twenty: "name", Heading: true, ColumnLabel: "Name", List: true, Search: true,
			Aliases: []string{"deal", "deal_name", "opportunity"}}, func(d *Deal) *string { return &d.Name }),
	}
)

// Put sets one value, making the map if needed.
func (v *FieldValues) Put(key string, val any) {
	if *v == nil {
		*v = FieldValues{}
	}
	(*v)[key] = val
}

// ParseFields reads the kind's fields present in vals (text by key, as a
// form or a CSV row brings them). Returns EINVALID naming the field.
func (k *RecordKind) ParseFields(vals map[string]string) (FieldValues, error) {
	out := FieldValues{}
	for _, f := range k.Fields {
		s, ok := vals[f.Key]
		if !ok {
			continue
		}
		v, err := f.Parse(s)
		if err != nil {
			return nil, err
		}
		out[f.Key] = v
	}
	return out, nil
}

// FieldTexts returns the kind's fields of rec as text by key.
func (k *RecordKind) FieldTexts(rec any) map[string]string {
	out := make(map[string]string, len(k.Fields))
	for _, f := range k.Fields {
		out[f.Key] = f.Text(rec)
	}
	return out
}

// SearchTexts returns the text of rec's Search fields, in field order:
// the start of the record's full-text search body.
func (k *RecordKind) SearchTexts(rec any) []string {
	var out []string
	for _, f := range k.Fields {
		if f.Search {
			out = append(out, f.Text(rec))
		}
	}
	return out
}

// FieldKeys lists the keys of the kind's fields, then extra.
func (k *RecordKind) FieldKeys(extra ...string) []string {
	out := make([]string, 0, len(k.Fields)+len(extra))
	for _, f := range k.Fields {
		out = append(out, f.Key)
	}
	return append(out, extra...)
}

// fieldItems returns head, then the kind's fields keep selects as
// ImportFields labelled by label, then tail.
func (k *RecordKind) fieldItems(head []ImportField, keep func(*Field) bool, label func(*Field) string, tail ...ImportField) []ImportField {
	out := slices.Clone(head)
	for _, f := range k.Fields {
		if keep == nil || keep(f) {
			out = append(out, ImportField{f.Key, label(f)})
		}
	}
	return append(out, tail...)
}

// fieldKeysWhere returns head, then the keys of the kind's fields keep
// selects, then tail.
func (k *RecordKind) fieldKeysWhere(head []string, keep func(*Field) bool, tail ...string) []string {
	out := slices.Clone(head)
	for _, f := range k.FieldsWhere(keep) {
		out = append(out, f.Key)
	}
	return append(out, tail...)
}

// mergeFields folds in's fields into m under the merge rule (MergePerson):
// in's non-empty value wins when inWins, else fills m's empty one; a
// MergeKeeps field is never replaced by a winning in.
func (k *RecordKind) mergeFields(m, in any, inWins bool) {
	for _, f := range k.Fields {
		switch {
		case f.IsEmpty(in):
		case f.MergeKeeps && inWins:
		case inWins || f.IsEmpty(m):
			f.Set(m, f.Value(in))
		}
	}
}

// KindOfRecord returns the kind of a *Person, *Company or *Deal; nil for
// anything else.
func KindOfRecord(rec any) *RecordKind {
	switch rec.(type) {
	case *Person:
		return KindPerson
	case *Company:
		return KindCompany
	case *Deal:
		return KindDeal
	}
	return nil
}
