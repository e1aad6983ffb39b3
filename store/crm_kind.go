package store

import (
	"context"

	"orengen/app"
)

// storeKind is the store's side of one CRM record kind (app.RecordKind,
// keyed here by its Type): the SQL and loads the kind-generic code uses
// (sheet links, tags, the date trigger). app says what a kind is; this says how it is kept.
// A new kind adds one value to storeKinds with its importer
// (crm_import.go: match, merge), its recordOps (crm.go: find,
// insert, replace, what a delete removes with it) and its table, label
// and search code in crmRecords (crm.go).
type storeKind struct {
	// name is the SQL of a record's display name, on its table.
	name string
	// resolve finds the record a reference names: ?1 the tenant, ?2 the
	// lowercased reference; the oldest record wins a tie.
	resolve string
	// contact is the SQL of the contact (a person's ID, 0: none) of a
	// date trigger's run on record r; "" when the trigger does not
	// watch the kind. dateColumns are the columns of its built-in date
	// fields (app.RecordKind.DateTriggerFields) by key.
	contact     string
	dateColumns map[string]string
	// tags loads record id's tags, and a function that sets them to
	// others and returns the record's search text then.
	tags func(ctx context.Context, tx *Tx, id, tid int64) ([]string, func([]string) string, error)
	// importOne writes an import row's record of the kind under the
	// dedupe policy and counts it in n (importer, crm_import.go).
	importOne func(ctx context.Context, tx *Tx, tid int64, policy string, r *app.ImportRecord, n *app.ImportCounts) error
}

// storeKinds are the record kinds by type.
var storeKinds = map[string]*storeKind{
	app.RecordPerson: {name: "trim(first_name || ' ' || last_name)", contact: "r.id",
		resolve: `SELECT coalesce((SELECT person_id FROM crm_contact_points WHERE tenant_id = ?1 AND kind = 'email' AND value = ?2 ORDER BY person_id LIMIT 1),
			(SELECT id FROM crm_people WHERE tenant_id = ?1 AND lower(trim(first_name || ' ' || last_name)) = ?2 ORDER BY id LIMIT 1))`,
		tags:      tagsOf(personOps, func(p *app.Person) *[]string { return &p.Tags }, personFTS),
		importOne: personImport.importOne},
	app.RecordCompany: {name: "name",
		resolve:   `SELECT id FROM crm_companies WHERE tenant_id = ?1 AND (name_key = ?2 OR lower(domain) = ?2) ORDER BY id LIMIT 1`,
		tags:      tagsOf(companyOps, func(c *app.Company) *[]string { return &c.Tags }, companyFTS),
		importOne: companyImport.importOne},
	app.RecordDeal: {name: "name", contact: "coalesce((SELECT min(person_id) FROM crm_deal_people WHERE deal_id = r.id), 0)",
		dateColumns: map[string]string{"expected_close": "expected_close"},
		resolve:     `SELECT id FROM crm_deals WHERE tenant_id = ?1 AND lower(name) = ?2 ORDER BY id LIMIT 1`,
		tags:        tagsOf(dealOps, func(d *app.Deal) *[]string { return &d.Tags }, dealFTS),
		importOne:   dealImport.importOne},
}

// tagsOf is storeKind.tags for records found by ops, their tags list
// and search text.
func tagsOf[T interface{ Validate() error }](ops recordOps[T], tags func(T) *[]string, fts func(T) string) func(context.Context, *Tx, int64, int64) ([]string, func([]string) string, error) {
	return func(ctx context.Context, tx *Tx, id, tid int64) ([]string, func([]string) string, error) {
		r, err := ops.find(ctx, tx, id, tid)
		if err != nil {
			return nil, nil, err
		}
		list := tags(r)
		return *list, func(cur []string) string { *list = cur; return fts(r) }, nil
	}
}
