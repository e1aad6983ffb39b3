package app

import (
	"context"
	"strings"
)

// RecordKind describes one kind of CRM record once, for every place that
// names it: its record type (notes, tasks, timeline, custom fields,
// imports, views), the URL segment of its pages and API path, its labels,
// and what is done to any record of it (delete, set tags). Code that
// would switch on the record type looks its kind up instead (KindOf,
// kindOfType).
//
// A new kind (say "ticket") adds its record type, data type (with
// Validate and an Update) and store methods, then fills in descriptor
// values where the existing kinds have theirs, no switch to hunt:
//   - app: a RecordKind here, in RecordKinds (TagCount, DateTrigger,
//     fires when its events start workflows); its Fields (crm_field.go)
//     and a case in KindOfRecord; its import fields, aliases and builder
//     (importFields, importAliases, importBuilders in crm_import.go); its
//     Columns beside its Fields and meta (crm_column.go: the cells of
//     tables, views and CSV; its view fields follow from them), its
//     viewFields entry and default columns (DefaultViewColumns in
//     crm_view.go) and sort fields (ObjectSortFields in crm.go);
//   - store: its recordOps (crm.go: type, find, insert, replace, what a
//     delete removes first), its importer (crm_import.go: its record in
//     an import row, duplicate match, merge) and storeKinds value
//     (crm_kind.go: name SQL, link resolve query, tag load, date trigger
//     contact and columns, import);
//     its table, label and search code in recordTable, linkTable,
//     recordLabel and ftsCode; a migration;
//   - ui: its crmPages and crmForms values (ui/crm/kinds.go) and its
//     crmOps (ui/api/crm_ops.go);
//   - Twenty, when the kind has a Twenty object: its Object and objectOps
//     (app/twenty).
//
// Still written per kind as code rather than values: the merge rules
// (crm_merge.go).
type RecordKind struct {
	Type        string // record_type: "person"
	Plural      string // URL segment and API path: "people"
	Label       string // "Person"
	PluralLabel string // "People"
	ImportLabel string // the import form's choice
	// Aliases are other spellings callers use (Twenty's "opportunity").
	Aliases []string
	// Fields are the kind's built-in scalar fields (crm_field.go).
	Fields []*Field
	// Columns are the kind's other columns of tables, views and CSV
	// export (crm_column.go).
	Columns []*Column
	// TagCount is where a TagCount keeps the number of the kind's records
	// carrying the tag; nil for a kind without tags.
	TagCount func(*TagCount) *int
	// DateTrigger: a date_reached workflow can watch the kind's records,
	// their custom date fields and the built-in DateTriggerFields.
	DateTrigger       bool
	DateTriggerFields []string

	// meta reads what every record has (crm_column.go).
	meta func(rec any) recordMeta
	// fires lists the workflow triggers an event on one of the kind's
	// records fires (CRMEvent.RunsFor), with the run's contact and deal.
	fires func(ev *CRMEvent, with func(kv ...string) map[string]string) (fires []eventFire, contactID, dealID int64)

	delete  func(s *CRMService, ctx context.Context, id int64) error
	setTags func(s *CRMService, ctx context.Context, id int64, tags []string) error
	find    func(s *CRMService, ctx context.Context, opts ListOptions) ([]any, string, error)
}

// findAs lists records of one kind by opts with find, as []any.
func findAs[T any, F any](find func(*CRMService, context.Context, F) ([]T, string, error), filter func(ListOptions) F) func(*CRMService, context.Context, ListOptions) ([]any, string, error) {
	return func(s *CRMService, ctx context.Context, opts ListOptions) ([]any, string, error) {
		recs, next, err := find(s, ctx, filter(opts))
		out := make([]any, len(recs))
		for i, r := range recs {
			out[i] = r
		}
		return out, next, err
	}
}

// UpsertAs upserts records held as []any (each a T, as the APIs decode
// a batch) in one call of upsert and returns their IDs in order.
func UpsertAs[T any](ctx context.Context, recs []any, upsert func(context.Context, []T) error, id func(T) int64) ([]int64, error) {
	typed := make([]T, len(recs))
	for i, r := range recs {
		typed[i] = r.(T)
	}
	if err := upsert(ctx, typed); err != nil {
		return nil, err
	}
	ids := make([]int64, len(typed))
	for i, r := range typed {
		ids[i] = id(r)
	}
	return ids, nil
}

// The CRM record kinds with pages, an API and CSV import.
var (
	KindPerson = &RecordKind{Type: RecordPerson, Plural: "people", Label: "Person", PluralLabel: "People", ImportLabel: "People", Fields: personFields, Columns: personColumns, meta: personMeta,
		TagCount: func(t *TagCount) *int { return &t.People }, DateTrigger: true, fires: personEventFires,
		delete: (*CRMService).DeletePerson,
		find:   findAs((*CRMService).FindPeople, func(o ListOptions) PersonFilter { return PersonFilter{ListOptions: o} }),
		setTags: func(s *CRMService, ctx context.Context, id int64, tags []string) error {
			_, err := s.UpdatePerson(ctx, id, PersonUpdate{Tags: &tags})
			return err
		}}
	KindCompany = &RecordKind{Type: RecordCompany, Plural: "companies", Label: "Company", PluralLabel: "Companies", ImportLabel: "Companies", Fields: companyFields, Columns: companyColumns, meta: companyMeta,
		TagCount: func(t *TagCount) *int { return &t.Companies },
		delete:   (*CRMService).DeleteCompany,
		find:     findAs((*CRMService).FindCompanies, func(o ListOptions) CompanyFilter { return CompanyFilter{ListOptions: o} }),
		setTags: func(s *CRMService, ctx context.Context, id int64, tags []string) error {
			_, err := s.UpdateCompany(ctx, id, CompanyUpdate{Tags: &tags})
			return err
		}}
	KindDeal = &RecordKind{Type: RecordDeal, Plural: "deals", Label: "Deal", PluralLabel: "Deals", ImportLabel: "Deals (opportunities)", Fields: dealFields, Columns: dealColumns, meta: dealMeta,
		Aliases:  []string{"opportunity", "opportunities"},
		TagCount: func(t *TagCount) *int { return &t.Deals }, DateTrigger: true, DateTriggerFields: []string{"expected_close"}, fires: dealEventFires,
		delete: (*CRMService).DeleteDeal,
		find:   findAs((*CRMService).FindDeals, func(o ListOptions) DealFilter { return DealFilter{ListOptions: o} }),
		setTags: func(s *CRMService, ctx context.Context, id int64, tags []string) error {
			_, err := s.UpdateDeal(ctx, id, DealUpdate{Tags: &tags})
			return err
		}}
)

// RecordKinds lists the kinds in menu order.
var RecordKinds = []*RecordKind{KindPerson, KindCompany, KindDeal}

// KindOf returns the kind any spelling names (type, plural or alias,
// any case); nil for none.
func KindOf(name string) *RecordKind {
	name = strings.ToLower(name)
	for _, k := range RecordKinds {
		if name == k.Type || name == k.Plural {
			return k
		}
		for _, a := range k.Aliases {
			if name == a {
				return k
			}
		}
	}
	return nil
}

// kindOfType returns the kind of record type typ, spelt exactly; nil for
// none.
func kindOfType(typ string) *RecordKind {
	for _, k := range RecordKinds {
		if k.Type == typ {
			return k
		}
	}
	return nil
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// DeleteRecord deletes a person, company or deal (recordType any
// spelling KindOf takes). Returns ENOTFOUND.
func (s *CRMService) DeleteRecord(ctx context.Context, recordType string, id int64) error {
	k := KindOf(recordType)
	if k == nil {
		return Errorf(ENOTFOUND, "Unknown record type.")
	}
	return k.delete(s, ctx, id)
}

// SetRecordTags replaces the tags of a person, company or deal. Returns
// ENOTFOUND or EINVALID naming tags.
func (s *CRMService) SetRecordTags(ctx context.Context, recordType string, id int64, tags []string) error {
	k := KindOf(recordType)
	if k == nil {
		return Errorf(ENOTFOUND, "Unknown record type.")
	}
	return k.setTags(s, ctx, id, tags)
}

// FindRecords lists people, companies or deals (recordType any spelling
// KindOf takes) by opts alone, as *Person, *Company or *Deal. Returns
// ENOTFOUND for another type, EINVALID for bad options.
func (s *CRMService) FindRecords(ctx context.Context, recordType string, opts ListOptions) ([]any, string, error) {
	k := KindOf(recordType)
	if k == nil {
		return nil, "", Errorf(ENOTFOUND, "Unknown record type.")
	}
	return k.find(s, ctx, opts)
}
