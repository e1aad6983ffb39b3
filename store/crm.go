package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"orengen/app"
)

// CRMStore implements app.CRMStore on SQLite.
type CRMStore struct{ db *DB }

var _ app.CRMStore = (*CRMStore)(nil)

// NewCRMStore returns a CRMStore on db.
func NewCRMStore(db *DB) *CRMStore { return &CRMStore{db: db} }

// FTS type codes: crm_fts rowid = record id * 8 + code.
var ftsCode = map[string]int64{app.RecordPerson: 1, app.RecordCompany: 2, app.RecordDeal: 3, app.RecordNote: 4, app.RecordTask: 5}

var recordTable = map[string]string{
	app.RecordPerson: "crm_people", app.RecordCompany: "crm_companies", app.RecordDeal: "crm_deals",
	app.RecordNote: "crm_notes", app.RecordTask: "crm_tasks",
}

// linkTable maps the record types a note or task links to (the CRM's own
// records and pursuits) to their tables; checkRecord reads it.
var linkTable = map[string]string{
	app.RecordPerson: "crm_people", app.RecordCompany: "crm_companies", app.RecordDeal: "crm_deals",
	app.RecordNote: "crm_notes", app.RecordTask: "crm_tasks",
	app.RecordPursuit: "federal_pipeline", app.RecordGrantPursuit: "federal_grant_pipeline",
}

var recordLabel = map[string]string{
	app.RecordPerson: "Person", app.RecordCompany: "Company", app.RecordDeal: "Deal", app.RecordNote: "Note", app.RecordTask: "Task",
	app.RecordPursuit: "Pursuit", app.RecordGrantPursuit: "Grant pursuit",
}

type scanner = interface{ Scan(...any) error }

// querier runs queries on the read pool or in a transaction.
type querier interface {
	queryer
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func notFound(typ string) error { return app.Errorf(app.ENOTFOUND, "%s not found.", recordLabel[typ]) }

// ---- shared helpers ----

// writeScope begins a write: the tenant from ctx and a transaction.
func (s *CRMStore) writeScope(ctx context.Context) (int64, *Tx, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return 0, nil, err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return 0, nil, err
	}
	return tid, tx, nil
}

// checkRecord returns ENOTFOUND (or EINVALID naming field when field is
// set) unless the record exists in tenant tid.
func checkRecord(ctx context.Context, q queryer, typ string, id, tid int64, field string) error {
	var one int
	table, ok := linkTable[typ]
	if !ok {
		return app.FieldErrorf("record_type", "record_type must be person, company, deal, pursuit or grant_pursuit.")
	}
	err := q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ? AND tenant_id = ?`, id, tid).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		if field != "" {
			return app.FieldErrorf(field, "Unknown %s %d.", strings.ToLower(recordLabel[typ]), id)
		}
		return notFound(typ)
	}
	return err
}

// checkUser checks that a user ID (owner, assignee) is a user of tid.
func checkUser(ctx context.Context, q queryer, id, tid int64, field string) error {
	if id == 0 {
		return nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM tenant_users WHERE id = ? AND tenant_id = ?`, id, tid).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return app.FieldErrorf(field, "Unknown user %d.", id)
	}
	return err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return FormatTime(*t)
}

// scanAll reads every row of rows with scan, then closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func jsonList[T any](v []T) string {
	if v == nil {
		v = []T{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func setFTS(ctx context.Context, tx *Tx, typ string, id int64, body string) error {
	rowid := id*8 + ftsCode[typ]
	if _, err := tx.ExecContext(ctx, `DELETE FROM crm_fts WHERE rowid = ?`, rowid); err != nil {
		return fmt.Errorf("fts delete: %w", err)
	}
	return addFTS(ctx, tx, typ, id, body)
}

// addFTS indexes a record that is new (nothing to delete first).
func addFTS(ctx context.Context, tx *Tx, typ string, id int64, body string) error {
	rowid := id*8 + ftsCode[typ]
	if _, err := tx.ExecContext(ctx, `INSERT INTO crm_fts (rowid, body) VALUES (?, ?)`, rowid, body); err != nil {
		return fmt.Errorf("fts insert: %w", err)
	}
	return nil
}

func deleteFTS(ctx context.Context, tx *Tx, typ string, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM crm_fts WHERE rowid = ?`, id*8+ftsCode[typ])
	return err
}

// ftsQuery turns user input into a safe FTS5 query: every word a quoted
// prefix term, all required. A phone number is searched in its E.164
// digits. Returns "" when nothing searchable is left.
func ftsQuery(q string) string {
	if strings.Count(q, "") > 8 && strings.Trim(q, "+0123456789 ()-.") == "" {
		if e, err := app.NormalizePhone("q", q); err == nil {
			return `"` + strings.TrimPrefix(e, "+") + `"`
		}
	}
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var terms []string
	for _, w := range words {
		if len(terms) == 10 {
			break
		}
		terms = append(terms, `"`+w+`"*`)
	}
	return strings.Join(terms, " ")
}

// AddTimelineEntryTx writes e inside tx, for stores of later features
// (forms, SMS, calls, email) that record activity in the same transaction
// as their own write. The caller has checked the record belongs to
// e.TenantID (CheckRecordTx). Actor defaults to the principal in ctx.
func AddTimelineEntryTx(ctx context.Context, tx *Tx, e *app.TimelineEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Actor == "" {
		e.Actor = app.ActorFromContext(ctx)
	}
	e.CreatedAt = tx.now
	e.Tx = tx.seq
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_timeline (tenant_id, record_type, record_id, kind, actor, field, old, new, body, ref_type, ref_id, created_at, tx)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TenantID, e.RecordType, e.RecordID, e.Kind, e.Actor, e.Field, e.Old, e.New, e.Body, e.RefType, e.RefID, FormatTime(tx.now), tx.seq)
	if err != nil {
		return fmt.Errorf("add timeline entry: %w", err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

// CheckRecordTx returns ENOTFOUND unless the record (a CRM record or a
// pursuit) exists in tenant tid (for later features that link to CRM
// records), EINVALID for an unknown record type.
func CheckRecordTx(ctx context.Context, tx *Tx, recordType string, id, tid int64) error {
	return checkRecord(ctx, tx, recordType, id, tid, "")
}

func timeline(ctx context.Context, tx *Tx, tid int64, typ string, id int64, kind string) *app.TimelineEntry {
	return &app.TimelineEntry{TenantID: tid, RecordType: typ, RecordID: id, Kind: kind, Actor: app.ActorFromContext(ctx)}
}

// diffTimeline writes one "updated" entry per changed field. Lists may
// differ in length (custom fields come and go).
func diffTimeline(ctx context.Context, tx *Tx, tid int64, typ string, id int64, old, cur [][2]string) error {
	was := map[string]string{}
	for _, kv := range old {
		was[kv[0]] = kv[1]
	}
	seen := map[string]bool{}
	changes := [][3]string{}
	for _, kv := range cur {
		seen[kv[0]] = true
		if was[kv[0]] != kv[1] {
			changes = append(changes, [3]string{kv[0], was[kv[0]], kv[1]})
		}
	}
	for _, kv := range old {
		if !seen[kv[0]] && kv[1] != "" {
			changes = append(changes, [3]string{kv[0], kv[1], ""})
		}
	}
	for _, c := range changes {
		e := timeline(ctx, tx, tid, typ, id, app.TimelineUpdated)
		e.Field, e.Old, e.New = c[0], c[1], c[2]
		if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// customFields appends a record's custom values to its timeline fields.
func customFields(fs [][2]string, custom map[string]any) [][2]string {
	keys := make([]string, 0, len(custom))
	for k := range custom {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := custom[k]
		var s string
		switch x := v.(type) {
		case string:
			s = x
		default:
			b, _ := json.Marshal(x)
			s = string(b)
		}
		fs = append(fs, [2]string{"custom." + k, s})
	}
	return fs
}

func customJSON(m map[string]any) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func scanCustom(s string, dst *map[string]any) error {
	*dst = map[string]any{}
	return json.Unmarshal([]byte(s), dst)
}

// checkCustom validates custom values against the tenant's definitions.
func checkCustom(ctx context.Context, tx *Tx, tid int64, object string, vals *map[string]any) error {
	if len(*vals) == 0 {
		*vals = map[string]any{}
		return nil
	}
	defs, err := findCustomFields(ctx, tx, tid, object)
	if err != nil {
		return err
	}
	out, err := app.CheckCustom(defs, *vals)
	if err != nil {
		return err
	}
	*vals = out
	return nil
}

// AddTimelineEntry writes e for the tenant in ctx. Returns EUNAUTHORIZED,
// EINVALID or ENOTFOUND (the record is not the tenant's).
func (s *CRMStore) AddTimelineEntry(ctx context.Context, e *app.TimelineEntry) error {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := e.Validate(); err != nil {
		return err
	}
	if err := checkRecord(ctx, tx, e.RecordType, e.RecordID, tid, ""); err != nil {
		return err
	}
	e.TenantID = tid
	if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
		return err
	}
	return tx.Commit()
}

// FindTimeline returns a record's entries, oldest first. Returns
// ENOTFOUND when the record is not in scope.
func (s *CRMStore) FindTimeline(ctx context.Context, typ string, id int64) ([]*app.TimelineEntry, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := recordTable[typ]; !ok || typ == app.RecordNote || typ == app.RecordTask {
		return nil, app.Errorf(app.ENOTFOUND, "Record not found.")
	}
	if tid == 0 {
		if tid, err = s.recordTenant(ctx, typ, id); err != nil {
			return nil, err
		}
	} else if err := checkRecord(ctx, s.db.read, typ, id, tid, ""); err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, record_type, record_id, kind, actor, field, old, new, body, ref_type, ref_id, created_at
		FROM crm_timeline WHERE record_type = ? AND record_id = ? AND tenant_id = ? ORDER BY created_at, id LIMIT 1000`, typ, id, tid)
	if err != nil {
		return nil, fmt.Errorf("find timeline: %w", err)
	}
	defer rows.Close()
	var out []*app.TimelineEntry
	for rows.Next() {
		var e app.TimelineEntry
		if err := rows.Scan(&e.ID, &e.TenantID, &e.RecordType, &e.RecordID, &e.Kind, &e.Actor, &e.Field, &e.Old, &e.New, &e.Body, &e.RefType, &e.RefID, Time{&e.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

func (s *CRMStore) recordTenant(ctx context.Context, typ string, id int64) (int64, error) {
	table, ok := recordTable[typ]
	if !ok {
		return 0, app.Errorf(app.ENOTFOUND, "Record not found.")
	}
	var tid int64
	err := s.db.read.QueryRowContext(ctx, `SELECT tenant_id FROM `+table+` WHERE id = ?`, id).Scan(&tid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound(typ)
	}
	return tid, err
}

// RecordTenant returns the tenant owning a record, within the read scope
// of ctx. Returns ENOTFOUND.
func (s *CRMStore) RecordTenant(ctx context.Context, typ string, id int64) (int64, error) {
	scope, err := app.CRMReadScope(ctx)
	if err != nil {
		return 0, err
	}
	tid, err := s.recordTenant(ctx, typ, id)
	if err != nil {
		return 0, err
	}
	if scope != 0 && scope != tid {
		return 0, notFound(typ)
	}
	return tid, nil
}

// ---- listing ----

// list runs a paged query. cols select the record's columns (alias r);
// the sort column is appended and read into the cursor.
type list struct {
	table, cols, join string
	typ               string
	where             []string
	args              []any
	opts              app.ListOptions
	searchExtra       string // extra FTS source (people: their notes)
	// selective is set by filters that match few rows (an email, a
	// company, a search): the rows are then found through the filter's
	// index and sorted, instead of walking the sort index and testing
	// each row, which is slow when the filter matches few of many.
	selective bool
}

func (l *list) filter(cond string, args ...any) {
	l.where = append(l.where, cond)
	l.args = append(l.args, args...)
}

func (l *list) query(ctx context.Context, db *sql.DB, tid int64, scan func(scanner, *string) (int64, error)) (string, error) {
	if err := l.opts.Normalize(); err != nil {
		return "", err
	}
	if cond, args, err := whereSQL(l.typ, l.opts.Where); err != nil {
		return "", err
	} else if cond != "" {
		l.filter(cond, args...)
	}
	col, desc := strings.TrimPrefix(l.opts.Sort, "-"), strings.HasPrefix(l.opts.Sort, "-")
	if col == "name" && l.typ == app.RecordNote {
		return "", app.FieldErrorf("sort", "Notes sort by created_at or updated_at.")
	}
	if !slices.Contains(app.SortKeysFor(l.typ), l.opts.Sort) && col != "name" {
		return "", app.FieldErrorf("sort", "sort must be one of %s.", strings.Join(app.SortKeysFor(l.typ), ", "))
	}
	// The sort expression never yields NULL, so row-value comparisons for
	// the cursor hold (a NULL would make them false and drop rows).
	expr := map[string]string{
		"name": "r.name_key", "expected_close": "COALESCE(r.expected_close, '')", "probability": "COALESCE(r.probability, -1)",
	}[col]
	if expr == "" {
		expr = "r." + col
	}
	// The cursor carries the key as text; numeric keys compare as numbers
	// (an expression has no column affinity to convert it).
	param := "?"
	if col == "amount" || col == "probability" {
		param = "CAST(? AS INTEGER)"
	}
	if l.opts.Q != "" {
		fq := ftsQuery(l.opts.Q)
		if fq == "" {
			return "", nil
		}
		cond := `r.id IN (SELECT rowid >> 3 FROM crm_fts WHERE crm_fts MATCH ? AND (rowid & 7) = ?`
		args := []any{fq, ftsCode[l.typ]}
		if l.searchExtra != "" {
			cond += ` UNION ` + l.searchExtra
			args = append(args, fq)
		}
		l.filter(cond+")", args...)
		l.selective = true
	}
	if l.opts.Count != nil {
		if err := l.count(ctx, db, tid); err != nil {
			return "", err
		}
	}
	if l.opts.Cursor != "" {
		c, _ := app.DecodeCursor(l.opts.Cursor)
		op := ">"
		if desc {
			op = "<"
		}
		if l.selective {
			l.filter(`(+`+expr+`, +r.id) `+op+` (`+param+`, ?)`, c.Key, c.ID)
		} else {
			l.filter(`(`+expr+`, r.id) `+op+` (`+param+`, ?)`, c.Key, c.ID)
		}
	}
	if tid != 0 {
		// With a selective filter the tenant test must not pick the
		// tenant-prefixed sort index either (unary + again).
		cond := "r.tenant_id = ?"
		if l.selective {
			cond = "+r.tenant_id = ?"
		}
		l.where = append([]string{cond}, l.where...)
		l.args = append([]any{tid}, l.args...)
	}
	dir := ""
	if desc {
		dir = " DESC"
	}
	q := `SELECT ` + l.cols + `, ` + expr + ` FROM ` + l.table + ` r` + l.join
	if len(l.where) > 0 {
		q += ` WHERE ` + strings.Join(l.where, " AND ")
	}
	// A unary + keeps SQLite from using the sort index (see selective).
	plus := ""
	if l.selective {
		plus = "+"
	}
	q += ` ORDER BY ` + plus + expr + dir + `, ` + plus + `r.id` + dir + ` LIMIT ?`
	rows, err := db.QueryContext(ctx, q, append(l.args, l.opts.Limit+1)...)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", l.table, err)
	}
	defer rows.Close()
	n := 0
	var next string
	for rows.Next() {
		n++
		var key string
		id, err := scan(rows, &key)
		if err != nil {
			return "", err
		}
		if n > l.opts.Limit {
			return next, rows.Err()
		}
		if n == l.opts.Limit || l.opts.RowCursors != nil {
			cur := app.Cursor{Sort: l.opts.Sort, Key: key, ID: id}.Encode()
			if n == l.opts.Limit {
				next = cur
			}
			if l.opts.RowCursors != nil {
				*l.opts.RowCursors = append(*l.opts.RowCursors, cur)
			}
		}
	}
	return "", rows.Err()
}

// count sets *opts.Count to the rows the filters match (the tenant's, or
// every tenant's when tid is 0), before the cursor is applied.
func (l *list) count(ctx context.Context, db *sql.DB, tid int64) error {
	where, args := l.where, l.args
	if tid != 0 {
		where = append([]string{"r.tenant_id = ?"}, where...)
		args = append([]any{tid}, args...)
	}
	q := `SELECT COUNT(*) FROM ` + l.table + ` r` + l.join
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	if err := db.QueryRowContext(ctx, q, args...).Scan(l.opts.Count); err != nil {
		return fmt.Errorf("count %s: %w", l.table, err)
	}
	return nil
}

// ---- people ----

const personCols = `r.id, r.tenant_id, r.first_name, r.last_name, r.emails, r.phones, COALESCE(r.company_id, 0), COALESCE(c.name, ''),
	r.title, r.address, r.source, COALESCE(r.owner_id, 0), r.tags, r.consent_email, r.consent_sms, r.consent_calls, r.custom, r.created_at, r.updated_at`

const personJoin = ` LEFT JOIN crm_companies c ON c.id = r.company_id`

func scanPerson(row scanner, extra ...any) (*app.Person, error) {
	var p app.Person
	var emails, phones, tags, custom string
	dest := []any{&p.ID, &p.TenantID, &p.FirstName, &p.LastName, &emails, &phones, &p.CompanyID, &p.CompanyName,
		&p.Title, &p.Address, &p.Source, &p.OwnerID, &tags, &p.Consent.Email, &p.Consent.SMS, &p.Consent.Calls, &custom, Time{&p.CreatedAt}, Time{&p.UpdatedAt}}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		s   string
		dst *[]string
	}{{emails, &p.Emails}, {phones, &p.Phones}, {tags, &p.Tags}} {
		if err := json.Unmarshal([]byte(f.s), f.dst); err != nil {
			return nil, fmt.Errorf("person %d: %w", p.ID, err)
		}
	}
	if err := scanCustom(custom, &p.Custom); err != nil {
		return nil, fmt.Errorf("person %d custom: %w", p.ID, err)
	}
	return &p, nil
}

func personFields(p *app.Person) [][2]string {
	b := func(v bool) string { return strconv.FormatBool(v) }
	return customFields([][2]string{
		{"first_name", p.FirstName}, {"last_name", p.LastName}, {"emails", strings.Join(p.Emails, ", ")}, {"phones", strings.Join(p.Phones, ", ")},
		{"company_id", idStr(p.CompanyID)}, {"title", p.Title}, {"address", p.Address}, {"source", p.Source}, {"owner_id", idStr(p.OwnerID)},
		{"tags", strings.Join(p.Tags, ", ")}, {"consent.email", b(p.Consent.Email)}, {"consent.sms", b(p.Consent.SMS)}, {"consent.calls", b(p.Consent.Calls)},
	}, p.Custom)
}

func idStr(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func personFTS(p *app.Person) string {
	parts := []string{p.FirstName, p.LastName, p.Title, p.Source}
	parts = append(parts, p.Emails...)
	for _, ph := range p.Phones {
		d := strings.TrimPrefix(ph, "+")
		parts = append(parts, d)
		if strings.HasPrefix(d, "1") && len(d) == 11 {
			parts = append(parts, d[1:])
		}
	}
	parts = append(parts, p.Tags...)
	return strings.Join(parts, " ")
}

// FindPeople lists people in scope. Returns EINVALID for bad options.
func (s *CRMStore) FindPeople(ctx context.Context, f app.PersonFilter) ([]*app.Person, string, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, "", err
	}
	// A whole email address is looked up in the contact-point index: as
	// FTS terms its domain part would match most rows.
	if q := strings.ToLower(strings.TrimSpace(f.Q)); f.Email == nil && strings.Contains(q, "@") && app.ValidateEmail("q", q) == nil {
		f.Email, f.Q = &q, ""
	}
	l := &list{table: "crm_people", cols: personCols, join: personJoin, typ: app.RecordPerson, opts: f.ListOptions,
		searchExtra: `SELECT n.record_id FROM crm_notes n WHERE n.record_type = 'person' AND n.id IN (SELECT rowid >> 3 FROM crm_fts WHERE crm_fts MATCH ? AND (rowid & 7) = 4)`}
	if f.Email != nil {
		l.filter(`r.id IN (SELECT person_id FROM crm_contact_points WHERE kind = 'email' AND value = ?)`, strings.ToLower(strings.TrimSpace(*f.Email)))
		l.selective = true
	}
	if f.Phone != nil {
		ph, err := app.NormalizePhone("phone", *f.Phone)
		if err != nil {
			return nil, "", err
		}
		l.filter(`r.id IN (SELECT person_id FROM crm_contact_points WHERE kind = 'phone' AND value = ?)`, ph)
		l.selective = true
	}
	if f.CompanyID != nil {
		l.filter(`r.company_id = ?`, *f.CompanyID)
		l.selective = true
	}
	if f.OwnerID != nil {
		l.filter(`r.owner_id = ?`, *f.OwnerID)
	}
	if f.Source != nil {
		l.filter(`r.source = ?`, *f.Source)
	}
	if f.Tag != nil {
		l.filter(tagFilter, strings.ToLower(strings.TrimSpace(*f.Tag)))
	}
	var out []*app.Person
	next, err := l.query(ctx, s.db.read, tid, func(row scanner, key *string) (int64, error) {
		p, err := scanPerson(row, key)
		if err != nil {
			return 0, err
		}
		if len(out) < l.opts.Limit {
			out = append(out, p)
		}
		return p.ID, nil
	})
	return out, next, err
}

func findPerson(ctx context.Context, q queryer, id, tid int64) (*app.Person, error) {
	where, args := `r.id = ?`, []any{id}
	if tid != 0 {
		where, args = where+` AND r.tenant_id = ?`, append(args, tid)
	}
	p, err := scanPerson(q.QueryRowContext(ctx, `SELECT `+personCols+` FROM crm_people r`+personJoin+` WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(app.RecordPerson)
	} else if err != nil {
		return nil, fmt.Errorf("find person: %w", err)
	}
	return p, nil
}

// FindPerson returns ENOTFOUND for an unknown person or another tenant's.
func (s *CRMStore) FindPerson(ctx context.Context, id int64) (*app.Person, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	return findPerson(ctx, s.db.read, id, tid)
}

func personRefs(ctx context.Context, tx *Tx, tid int64, p *app.Person) error {
	if err := checkCustom(ctx, tx, tid, app.RecordPerson, &p.Custom); err != nil {
		return err
	}
	if p.CompanyID != 0 {
		if err := checkRecord(ctx, tx, app.RecordCompany, p.CompanyID, tid, "company_id"); err != nil {
			return err
		}
	}
	return checkUser(ctx, tx, p.OwnerID, tid, "owner_id")
}

func writeContactPoints(ctx context.Context, tx *Tx, tid int64, p *app.Person, fresh bool) error {
	if !fresh { // a new person has none yet
		if _, err := tx.ExecContext(ctx, `DELETE FROM crm_contact_points WHERE person_id = ?`, p.ID); err != nil {
			return err
		}
	}
	for _, e := range p.Emails {
		if _, err := tx.ExecContext(ctx, `INSERT INTO crm_contact_points (tenant_id, person_id, kind, value) VALUES (?, ?, 'email', ?)`, tid, p.ID, e); err != nil {
			return err
		}
	}
	for _, ph := range p.Phones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO crm_contact_points (tenant_id, person_id, kind, value) VALUES (?, ?, 'phone', ?)`, tid, p.ID, ph); err != nil {
			return err
		}
	}
	return nil
}

func insertPerson(ctx context.Context, tx *Tx, tid int64, p *app.Person) error {
	if err := personRefs(ctx, tx, tid, p); err != nil {
		return err
	}
	p.TenantID, p.CreatedAt, p.UpdatedAt = tid, tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_people (tenant_id, first_name, last_name, name_key, emails, phones, company_id, title, address, source,
		owner_id, tags, consent_email, consent_sms, consent_calls, custom, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, p.FirstName, p.LastName, strings.ToLower(p.Name()), jsonList(p.Emails), jsonList(p.Phones), nullID(p.CompanyID), p.Title, p.Address, p.Source,
		nullID(p.OwnerID), jsonList(p.Tags), p.Consent.Email, p.Consent.SMS, p.Consent.Calls, customJSON(p.Custom), FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Person already exists.")
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := writeContactPoints(ctx, tx, tid, p, true); err != nil {
		return fmt.Errorf("contact points: %w", err)
	}
	if err := addFTS(ctx, tx, app.RecordPerson, p.ID, personFTS(p)); err != nil {
		return err
	}
	return AddTimelineEntryTx(ctx, tx, timeline(ctx, tx, tid, app.RecordPerson, p.ID, app.TimelineCreated))
}

func replacePerson(ctx context.Context, tx *Tx, tid int64, old, p *app.Person) error {
	if err := personRefs(ctx, tx, tid, p); err != nil {
		return err
	}
	p.ID, p.TenantID, p.CreatedAt, p.UpdatedAt = old.ID, tid, old.CreatedAt, tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE crm_people SET first_name = ?, last_name = ?, name_key = ?, emails = ?, phones = ?, company_id = ?, title = ?,
		address = ?, source = ?, owner_id = ?, tags = ?, consent_email = ?, consent_sms = ?, consent_calls = ?, custom = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
		p.FirstName, p.LastName, strings.ToLower(p.Name()), jsonList(p.Emails), jsonList(p.Phones), nullID(p.CompanyID), p.Title, p.Address, p.Source,
		nullID(p.OwnerID), jsonList(p.Tags), p.Consent.Email, p.Consent.SMS, p.Consent.Calls, customJSON(p.Custom), FormatTime(tx.now), p.ID, tid); err != nil {
		return fmt.Errorf("update person: %w", err)
	}
	if err := writeContactPoints(ctx, tx, tid, p, false); err != nil {
		return fmt.Errorf("contact points: %w", err)
	}
	if err := setFTS(ctx, tx, app.RecordPerson, p.ID, personFTS(p)); err != nil {
		return err
	}
	return diffTimeline(ctx, tx, tid, app.RecordPerson, p.ID, personFields(old), personFields(p))
}

// CreatePerson validates and stores p in the tenant of ctx, with its
// "created" timeline entry. Returns EUNAUTHORIZED or EINVALID.
func (s *CRMStore) CreatePerson(ctx context.Context, p *app.Person) error {
	return createRecord(ctx, s, personOps, p)
}

// UpdatePerson applies upd, writing one timeline entry per changed field.
// Returns ENOTFOUND or EINVALID.
func (s *CRMStore) UpdatePerson(ctx context.Context, id int64, upd app.PersonUpdate) (*app.Person, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	old, err := findPerson(ctx, tx, id, tid)
	if err != nil {
		return nil, err
	}
	p := *old
	upd.Apply(&p)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := replacePerson(ctx, tx, tid, old, &p); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.FindPerson(ctx, id)
}

// UpsertPeople creates or replaces people in one transaction. Returns a
// *app.BatchError (EINVALID or ENOTFOUND) naming the first bad record;
// then nothing is written.
func (s *CRMStore) UpsertPeople(ctx context.Context, ps []*app.Person) error {
	return upsertRecords(ctx, s, personOps, ps)
}

// FindDuplicates returns the tenant's other people sharing an email or a
// phone with person id, oldest first. Returns ENOTFOUND.
func (s *CRMStore) FindDuplicates(ctx context.Context, id int64) ([]*app.Person, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	p, err := findPerson(ctx, s.db.read, id, tid)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+personCols+` FROM crm_people r`+personJoin+` WHERE r.id IN (
		SELECT o.person_id FROM crm_contact_points m JOIN crm_contact_points o ON o.tenant_id = m.tenant_id AND o.kind = m.kind AND o.value = m.value
		WHERE m.person_id = ? AND o.person_id <> m.person_id) AND r.tenant_id = ? ORDER BY r.id LIMIT 50`, id, p.TenantID)
	if err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	defer rows.Close()
	var out []*app.Person
	for rows.Next() {
		d, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// MergePeople merges dropID into keepID in one transaction (see
// app.CRMStore). Returns ENOTFOUND or EINVALID.
func (s *CRMStore) MergePeople(ctx context.Context, keepID, dropID int64) (*app.Person, error) {
	if keepID == dropID {
		return nil, app.FieldErrorf("merge_id", "A person cannot be merged into themselves.")
	}
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	keep, err := findPerson(ctx, tx, keepID, tid)
	if err != nil {
		return nil, err
	}
	drop, err := findPerson(ctx, tx, dropID, tid)
	if err != nil {
		return nil, err
	}
	m := *keep
	m.Emails = append(slices.Clone(keep.Emails), drop.Emails...)
	m.Phones = append(slices.Clone(keep.Phones), drop.Phones...)
	m.Tags = append(slices.Clone(keep.Tags), drop.Tags...)
	for _, f := range []struct{ dst, src *string }{{&m.FirstName, &drop.FirstName}, {&m.LastName, &drop.LastName}, {&m.Title, &drop.Title},
		{&m.Address, &drop.Address}, {&m.Source, &drop.Source}} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	if m.CompanyID == 0 {
		m.CompanyID = drop.CompanyID
	}
	if m.OwnerID == 0 {
		m.OwnerID = drop.OwnerID
	}
	m.Consent = app.Consent{Email: keep.Consent.Email || drop.Consent.Email, SMS: keep.Consent.SMS || drop.Consent.SMS, Calls: keep.Consent.Calls || drop.Consent.Calls}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	// Move everything attached to drop, then delete it (its contact
	// points go with it) before keep takes over its emails and phones.
	for _, q := range []string{
		`UPDATE crm_notes SET record_id = ? WHERE record_type = 'person' AND record_id = ? AND tenant_id = ?`,
		`UPDATE crm_tasks SET record_id = ? WHERE record_type = 'person' AND record_id = ? AND tenant_id = ?`,
		`UPDATE crm_timeline SET record_id = ? WHERE record_type = 'person' AND record_id = ? AND tenant_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, keepID, dropID, tid); err != nil {
			return nil, fmt.Errorf("merge people: %w", err)
		}
	}
	// Both people are the tenant's (found above), so are their deals.
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO crm_deal_people (deal_id, person_id) SELECT deal_id, ? FROM crm_deal_people WHERE person_id = ?`, keepID, dropID); err != nil {
		return nil, fmt.Errorf("merge deal links: %w", err)
	}
	if err := deleteFTS(ctx, tx, app.RecordPerson, dropID); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM crm_people WHERE id = ? AND tenant_id = ?`, dropID, tid); err != nil {
		return nil, fmt.Errorf("merge people: %w", err)
	}
	if err := replacePerson(ctx, tx, tid, keep, &m); err != nil {
		return nil, err
	}
	e := timeline(ctx, tx, tid, app.RecordPerson, keepID, app.TimelineMerged)
	e.Body, e.RefType, e.RefID = fmt.Sprintf("Merged %s (#%d) into this person.", drop.Name(), dropID), app.RecordPerson, dropID
	if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.FindPerson(ctx, keepID)
}

// deleteLinked removes a record's notes, timeline and index entries and
// unlinks its tasks, in tx.
func deleteLinked(ctx context.Context, tx *Tx, tid int64, typ string, id int64) error {
	stmts := []string{
		`DELETE FROM crm_fts WHERE rowid IN (SELECT id * 8 + 4 FROM crm_notes WHERE record_type = ? AND record_id = ? AND tenant_id = ?)`,
		`DELETE FROM crm_notes WHERE record_type = ? AND record_id = ? AND tenant_id = ?`,
		`UPDATE crm_tasks SET record_type = '', record_id = 0 WHERE record_type = ? AND record_id = ? AND tenant_id = ?`,
		`DELETE FROM crm_timeline WHERE record_type = ? AND record_id = ? AND tenant_id = ?`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, typ, id, tid); err != nil {
			return fmt.Errorf("delete linked: %w", err)
		}
	}
	return deleteFTS(ctx, tx, typ, id)
}

func (s *CRMStore) deleteRecord(ctx context.Context, typ string, id int64) error {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := checkRecord(ctx, tx, typ, id, tid, ""); err != nil {
		return err
	}
	switch typ {
	case app.RecordPerson, app.RecordCompany, app.RecordDeal:
		if err := deleteLinked(ctx, tx, tid, typ, id); err != nil {
			return err
		}
	case app.RecordNote:
		if _, err := tx.ExecContext(ctx, `DELETE FROM crm_timeline WHERE ref_type = 'note' AND ref_id = ? AND tenant_id = ?`, id, tid); err != nil {
			return err
		}
		if err := deleteFTS(ctx, tx, typ, id); err != nil {
			return err
		}
	case app.RecordTask:
		if err := deleteFTS(ctx, tx, typ, id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+recordTable[typ]+` WHERE id = ? AND tenant_id = ?`, id, tid); err != nil {
		return FormatError(err, "The record is in use.")
	}
	return tx.Commit()
}

// DeletePerson deletes a person with their notes and timeline; their tasks
// stay, unlinked. Returns ENOTFOUND.
func (s *CRMStore) DeletePerson(ctx context.Context, id int64) error {
	return s.deleteRecord(ctx, app.RecordPerson, id)
}

// ---- companies ----

const companyCols = `r.id, r.tenant_id, r.name, r.domain, r.industry, r.size, r.address, r.tags, r.custom, r.created_at, r.updated_at`

func scanCompany(row scanner, extra ...any) (*app.Company, error) {
	var c app.Company
	var tags, custom string
	if err := row.Scan(append([]any{&c.ID, &c.TenantID, &c.Name, &c.Domain, &c.Industry, &c.Size, &c.Address, &tags, &custom, Time{&c.CreatedAt}, Time{&c.UpdatedAt}}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return nil, fmt.Errorf("company %d tags: %w", c.ID, err)
	}
	return &c, scanCustom(custom, &c.Custom)
}

func companyFields(c *app.Company) [][2]string {
	return customFields([][2]string{{"name", c.Name}, {"domain", c.Domain}, {"industry", c.Industry}, {"size", c.Size}, {"address", c.Address},
		{"tags", strings.Join(c.Tags, ", ")}}, c.Custom)
}

func companyFTS(c *app.Company) string {
	return strings.Join(append([]string{c.Name, c.Domain, c.Industry}, c.Tags...), " ")
}

// tagFilter is the list condition of the tag filter (people, companies,
// deals: each has a tags JSON list).
const tagFilter = `EXISTS (SELECT 1 FROM json_each(r.tags) WHERE value = ?)`

// FindCompanies lists companies in scope.
func (s *CRMStore) FindCompanies(ctx context.Context, f app.CompanyFilter) ([]*app.Company, string, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, "", err
	}
	l := &list{table: "crm_companies", cols: companyCols, typ: app.RecordCompany, opts: f.ListOptions}
	if f.Domain != nil {
		l.filter(`r.domain = ?`, strings.ToLower(strings.TrimSpace(*f.Domain)))
	}
	if f.Industry != nil {
		l.filter(`r.industry = ?`, *f.Industry)
	}
	if f.Tag != nil {
		l.filter(tagFilter, strings.ToLower(strings.TrimSpace(*f.Tag)))
	}
	var out []*app.Company
	next, err := l.query(ctx, s.db.read, tid, func(row scanner, key *string) (int64, error) {
		c, err := scanCompany(row, key)
		if err != nil {
			return 0, err
		}
		if len(out) < l.opts.Limit {
			out = append(out, c)
		}
		return c.ID, nil
	})
	return out, next, err
}

func findCompany(ctx context.Context, q queryer, id, tid int64) (*app.Company, error) {
	where, args := `r.id = ?`, []any{id}
	if tid != 0 {
		where, args = where+` AND r.tenant_id = ?`, append(args, tid)
	}
	c, err := scanCompany(q.QueryRowContext(ctx, `SELECT `+companyCols+` FROM crm_companies r WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(app.RecordCompany)
	} else if err != nil {
		return nil, fmt.Errorf("find company: %w", err)
	}
	return c, nil
}

// FindCompany returns ENOTFOUND for an unknown company or another tenant's.
func (s *CRMStore) FindCompany(ctx context.Context, id int64) (*app.Company, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	return findCompany(ctx, s.db.read, id, tid)
}

func insertCompany(ctx context.Context, tx *Tx, tid int64, c *app.Company) error {
	if err := checkCustom(ctx, tx, tid, app.RecordCompany, &c.Custom); err != nil {
		return err
	}
	c.TenantID, c.CreatedAt, c.UpdatedAt = tid, tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_companies (tenant_id, name, name_key, domain, industry, size, address, tags, custom, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, c.Name, strings.ToLower(c.Name), c.Domain, c.Industry, c.Size, c.Address, jsonList(c.Tags), customJSON(c.Custom),
		FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Company already exists.")
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := addFTS(ctx, tx, app.RecordCompany, c.ID, companyFTS(c)); err != nil {
		return err
	}
	return AddTimelineEntryTx(ctx, tx, timeline(ctx, tx, tid, app.RecordCompany, c.ID, app.TimelineCreated))
}

func replaceCompany(ctx context.Context, tx *Tx, tid int64, old, c *app.Company) error {
	if err := checkCustom(ctx, tx, tid, app.RecordCompany, &c.Custom); err != nil {
		return err
	}
	c.ID, c.TenantID, c.CreatedAt, c.UpdatedAt = old.ID, tid, old.CreatedAt, tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE crm_companies SET name = ?, name_key = ?, domain = ?, industry = ?, size = ?, address = ?, tags = ?, custom = ?, updated_at = ?
		WHERE id = ? AND tenant_id = ?`, c.Name, strings.ToLower(c.Name), c.Domain, c.Industry, c.Size, c.Address, jsonList(c.Tags), customJSON(c.Custom),
		FormatTime(tx.now), c.ID, tid); err != nil {
		return fmt.Errorf("update company: %w", err)
	}
	if err := setFTS(ctx, tx, app.RecordCompany, c.ID, companyFTS(c)); err != nil {
		return err
	}
	return diffTimeline(ctx, tx, tid, app.RecordCompany, c.ID, companyFields(old), companyFields(c))
}

// CreateCompany validates and stores c. Returns EUNAUTHORIZED or EINVALID.
func (s *CRMStore) CreateCompany(ctx context.Context, c *app.Company) error {
	return createRecord(ctx, s, companyOps, c)
}

// UpdateCompany applies upd. Returns ENOTFOUND or EINVALID.
func (s *CRMStore) UpdateCompany(ctx context.Context, id int64, upd app.CompanyUpdate) (*app.Company, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	old, err := findCompany(ctx, tx, id, tid)
	if err != nil {
		return nil, err
	}
	c := *old
	upd.Apply(&c)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := replaceCompany(ctx, tx, tid, old, &c); err != nil {
		return nil, err
	}
	return &c, tx.Commit()
}

// UpsertCompanies creates or replaces companies in one transaction.
// Returns a *app.BatchError naming the first bad record.
func (s *CRMStore) UpsertCompanies(ctx context.Context, cs []*app.Company) error {
	return upsertRecords(ctx, s, companyOps, cs)
}

// DeleteCompany deletes a company; its people and deals stay, without a
// company. Returns ENOTFOUND.
func (s *CRMStore) DeleteCompany(ctx context.Context, id int64) error {
	return s.deleteRecord(ctx, app.RecordCompany, id)
}

// ---- pipelines ----

func findPipelines(ctx context.Context, q querier, tid int64) ([]*app.Pipeline, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.tenant_id, p.name, p.created_at, s.id, s.name, s.position, s.probability, s.won, s.lost
		FROM crm_pipelines p JOIN crm_stages s ON s.pipeline_id = p.id WHERE p.tenant_id = ? ORDER BY p.position, p.id, s.position`, tid)
	if err != nil {
		return nil, fmt.Errorf("find pipelines: %w", err)
	}
	defer rows.Close()
	var out []*app.Pipeline
	for rows.Next() {
		var p app.Pipeline
		var st app.Stage
		if err := rows.Scan(&p.ID, &p.TenantID, &p.Name, Time{&p.CreatedAt}, &st.ID, &st.Name, &st.Position, &st.Probability, &st.Won, &st.Lost); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != p.ID {
			out = append(out, &p)
		}
		st.PipelineID = p.ID
		cur := out[len(out)-1]
		cur.Stages = append(cur.Stages, &st)
	}
	return out, rows.Err()
}

// ensurePipelines returns the tenant's pipelines, creating the default
// one in tx when there is none.
func ensurePipelines(ctx context.Context, tx *Tx, tid int64) ([]*app.Pipeline, error) {
	ps, err := findPipelines(ctx, tx, tid)
	if err != nil || len(ps) > 0 {
		return ps, err
	}
	p := &app.Pipeline{Name: app.DefaultPipelineName, Stages: app.DefaultStages()}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_pipelines (tenant_id, name, position, created_at) VALUES (?, ?, 0, ?)`, tid, p.Name, FormatTime(tx.now))
	if err != nil {
		return nil, fmt.Errorf("create pipeline: %w", err)
	}
	pid, _ := res.LastInsertId()
	for _, st := range p.Stages {
		if _, err := tx.ExecContext(ctx, `INSERT INTO crm_stages (tenant_id, pipeline_id, name, position, probability, won, lost) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tid, pid, st.Name, st.Position, st.Probability, st.Won, st.Lost); err != nil {
			return nil, fmt.Errorf("create stage: %w", err)
		}
	}
	return findPipelines(ctx, tx, tid)
}

// Pipelines returns the tenant's pipelines with their stages, creating the
// default "Sales" pipeline on first use. Returns EUNAUTHORIZED without a
// tenant.
func (s *CRMStore) Pipelines(ctx context.Context) ([]*app.Pipeline, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := findPipelines(ctx, s.db.read, tid)
	if err != nil || len(ps) > 0 {
		return ps, err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if ps, err = ensurePipelines(ctx, tx, tid); err != nil {
		return nil, err
	}
	return ps, tx.Commit()
}

// StageTotals counts and sums the deals of each stage of a pipeline of
// the tenant in ctx, per currency. Returns EUNAUTHORIZED without a tenant.
func (s *CRMStore) StageTotals(ctx context.Context, pipelineID int64) ([]app.StageTotal, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT stage_id, currency, count(*), sum(amount) FROM crm_deals
		WHERE tenant_id = ? AND pipeline_id = ? GROUP BY stage_id, currency ORDER BY stage_id, currency`, tid, pipelineID)
	if err != nil {
		return nil, fmt.Errorf("stage totals: %w", err)
	}
	defer rows.Close()
	var out []app.StageTotal
	for rows.Next() {
		var t app.StageTotal
		if err := rows.Scan(&t.StageID, &t.Currency, &t.Count, &t.Amount); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreatePipeline adds a pipeline with its stages for the tenant in ctx.
// Returns EINVALID or ECONFLICT.
func (s *CRMStore) CreatePipeline(ctx context.Context, p *app.Pipeline) error {
	if err := p.Validate(); err != nil {
		return err
	}
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := ensurePipelines(ctx, tx, tid); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_pipelines (tenant_id, name, position, created_at)
		VALUES (?, ?, (SELECT COALESCE(max(position), 0) + 1 FROM crm_pipelines WHERE tenant_id = ?), ?)`, tid, p.Name, tid, FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "A pipeline with this name already exists.")
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	p.TenantID, p.CreatedAt = tid, tx.now
	for _, st := range p.Stages {
		st.PipelineID = p.ID
		res, err := tx.ExecContext(ctx, `INSERT INTO crm_stages (tenant_id, pipeline_id, name, position, probability, won, lost) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tid, p.ID, st.Name, st.Position, st.Probability, st.Won, st.Lost)
		if err != nil {
			return fmt.Errorf("create stage: %w", err)
		}
		st.ID, _ = res.LastInsertId()
	}
	return tx.Commit()
}

// UpdatePipeline renames a pipeline and replaces its stages (see
// app.CRMStore). Returns ENOTFOUND or EINVALID.
func (s *CRMStore) UpdatePipeline(ctx context.Context, id int64, name *string, stages []*app.Stage) (*app.Pipeline, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ps, err := findPipelines(ctx, tx, tid)
	if err != nil {
		return nil, err
	}
	var cur *app.Pipeline
	for _, p := range ps {
		if p.ID == id {
			cur = p
		}
	}
	if cur == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Pipeline not found.")
	}
	next := &app.Pipeline{ID: id, Name: cur.Name, Stages: cur.Stages}
	if name != nil {
		next.Name = *name
	}
	if stages != nil {
		next.Stages = stages
	}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE crm_pipelines SET name = ? WHERE id = ? AND tenant_id = ?`, next.Name, id, tid); err != nil {
		return nil, FormatError(err, "A pipeline with this name already exists.")
	}
	if stages != nil {
		keep := map[int64]bool{}
		for _, st := range stages {
			if st.ID != 0 {
				if cur.StageByRef(strconv.FormatInt(st.ID, 10)) == nil {
					return nil, app.FieldErrorf("stages", "Stage %d is not in this pipeline.", st.ID)
				}
				keep[st.ID] = true
			}
		}
		for _, old := range cur.Stages {
			if keep[old.ID] {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM crm_deals WHERE stage_id = ?`, old.ID).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, app.FieldErrorf("stages", "Stage %q still has %d deals; move them before removing it.", old.Name, n)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM crm_stages WHERE id = ?`, old.ID); err != nil {
				return nil, err
			}
		}
		// Free the names first, so stages may swap names.
		if _, err := tx.ExecContext(ctx, `UPDATE crm_stages SET name = '~' || id WHERE pipeline_id = ?`, id); err != nil {
			return nil, err
		}
		for _, st := range stages {
			if st.ID != 0 {
				_, err = tx.ExecContext(ctx, `UPDATE crm_stages SET name = ?, position = ?, probability = ?, won = ?, lost = ? WHERE id = ? AND pipeline_id = ?`,
					st.Name, st.Position, st.Probability, st.Won, st.Lost, st.ID, id)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO crm_stages (tenant_id, pipeline_id, name, position, probability, won, lost) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					tid, id, st.Name, st.Position, st.Probability, st.Won, st.Lost)
			}
			if err != nil {
				return nil, fmt.Errorf("update stage: %w", err)
			}
		}
	}
	ps, err = findPipelines(ctx, tx, tid)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "Pipeline not found.")
}

// ---- deals ----

const dealCols = `r.id, r.tenant_id, r.name, r.amount, r.currency, r.pipeline_id, r.stage_id, st.name, r.expected_close, r.probability,
	COALESCE(r.owner_id, 0), COALESCE(r.company_id, 0), r.tags, r.custom, r.created_at, r.updated_at`

const dealJoin = ` JOIN crm_stages st ON st.id = r.stage_id`

func scanDeal(row scanner, extra ...any) (*app.Deal, error) {
	var d app.Deal
	var prob sql.NullInt64
	var tags, custom string
	if err := row.Scan(append([]any{&d.ID, &d.TenantID, &d.Name, &d.Amount, &d.Currency, &d.PipelineID, &d.StageID, &d.Stage, NullTime{}.into(&d.ExpectedClose),
		&prob, &d.OwnerID, &d.CompanyID, &tags, &custom, Time{&d.CreatedAt}, Time{&d.UpdatedAt}}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &d.Tags); err != nil {
		return nil, fmt.Errorf("deal %d tags: %w", d.ID, err)
	}
	if err := scanCustom(custom, &d.Custom); err != nil {
		return nil, err
	}
	if prob.Valid {
		v := int(prob.Int64)
		d.Probability = &v
	}
	return &d, nil
}

// nullTimeInto scans a nullable time column into a **time.Time.
type nullTimeInto struct{ dst **time.Time }

func (NullTime) into(dst **time.Time) nullTimeInto { return nullTimeInto{dst} }

func (n nullTimeInto) Scan(v any) error {
	var nt NullTime
	if err := nt.Scan(v); err != nil {
		return err
	}
	*n.dst = nt.T
	return nil
}

func dealFields(d *app.Deal) [][2]string {
	ec, pr := "", ""
	if d.ExpectedClose != nil {
		ec = d.ExpectedClose.Format("2006-01-02")
	}
	if d.Probability != nil {
		pr = strconv.Itoa(*d.Probability)
	}
	ids := make([]string, len(d.PersonIDs))
	for i, id := range d.PersonIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return customFields([][2]string{{"name", d.Name}, {"amount", strconv.FormatInt(d.Amount, 10)}, {"currency", d.Currency}, {"pipeline_id", idStr(d.PipelineID)},
		{"stage", d.Stage}, {"expected_close", ec}, {"probability", pr}, {"owner_id", idStr(d.OwnerID)}, {"company_id", idStr(d.CompanyID)},
		{"person_ids", strings.Join(ids, ", ")}, {"tags", strings.Join(d.Tags, ", ")}}, d.Custom)
}

func dealFTS(d *app.Deal) string {
	return strings.Join(append([]string{d.Name}, d.Tags...), " ")
}

func loadDealPeople(ctx context.Context, q querier, ds []*app.Deal) error {
	if len(ds) == 0 {
		return nil
	}
	byID := map[int64]*app.Deal{}
	ph := make([]string, len(ds))
	args := make([]any, len(ds))
	for i, d := range ds {
		byID[d.ID], ph[i], args[i] = d, "?", d.ID
		d.PersonIDs = []int64{}
	}
	rows, err := q.QueryContext(ctx, `SELECT deal_id, person_id FROM crm_deal_people WHERE deal_id IN (`+strings.Join(ph, ",")+`) ORDER BY person_id`, args...)
	if err != nil {
		return fmt.Errorf("deal people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var did, pid int64
		if err := rows.Scan(&did, &pid); err != nil {
			return err
		}
		byID[did].PersonIDs = append(byID[did].PersonIDs, pid)
	}
	return rows.Err()
}

// FindDeals lists deals in scope. Stage filters by stage ID or name.
func (s *CRMStore) FindDeals(ctx context.Context, f app.DealFilter) ([]*app.Deal, string, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, "", err
	}
	l := &list{table: "crm_deals", cols: dealCols, join: dealJoin, typ: app.RecordDeal, opts: f.ListOptions}
	if f.PipelineID != nil {
		l.filter(`r.pipeline_id = ?`, *f.PipelineID)
	}
	if f.Stage != nil {
		if id, err := strconv.ParseInt(*f.Stage, 10, 64); err == nil {
			l.filter(`r.stage_id = ?`, id)
		} else {
			l.filter(`st.name = ? COLLATE NOCASE`, strings.TrimSpace(*f.Stage))
		}
	}
	if f.CompanyID != nil {
		l.filter(`r.company_id = ?`, *f.CompanyID)
		l.selective = true
	}
	if f.OwnerID != nil {
		l.filter(`r.owner_id = ?`, *f.OwnerID)
	}
	if f.PersonID != nil {
		l.filter(`r.id IN (SELECT deal_id FROM crm_deal_people WHERE person_id = ?)`, *f.PersonID)
		l.selective = true
	}
	if f.Tag != nil {
		l.filter(tagFilter, strings.ToLower(strings.TrimSpace(*f.Tag)))
	}
	var out []*app.Deal
	next, err := l.query(ctx, s.db.read, tid, func(row scanner, key *string) (int64, error) {
		d, err := scanDeal(row, key)
		if err != nil {
			return 0, err
		}
		if len(out) < l.opts.Limit {
			out = append(out, d)
		}
		return d.ID, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, loadDealPeople(ctx, s.db.read, out)
}

func findDeal(ctx context.Context, q querier, id, tid int64) (*app.Deal, error) {
	where, args := `r.id = ?`, []any{id}
	if tid != 0 {
		where, args = where+` AND r.tenant_id = ?`, append(args, tid)
	}
	d, err := scanDeal(q.QueryRowContext(ctx, `SELECT `+dealCols+` FROM crm_deals r`+dealJoin+` WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(app.RecordDeal)
	} else if err != nil {
		return nil, fmt.Errorf("find deal: %w", err)
	}
	return d, loadDealPeople(ctx, q, []*app.Deal{d})
}

// FindDeal returns ENOTFOUND for an unknown deal or another tenant's.
func (s *CRMStore) FindDeal(ctx context.Context, id int64) (*app.Deal, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	return findDeal(ctx, s.db.read, id, tid)
}

// resolveDeal checks a deal's references in tenant tid and resolves its
// pipeline (default: the first) and stage (StageRef, StageID or the first
// stage). Returns EINVALID naming the field.
func resolveDeal(ctx context.Context, tx *Tx, tid int64, d *app.Deal) error {
	if err := checkCustom(ctx, tx, tid, app.RecordDeal, &d.Custom); err != nil {
		return err
	}
	ps, err := ensurePipelines(ctx, tx, tid)
	if err != nil {
		return err
	}
	var p *app.Pipeline
	for _, x := range ps {
		if d.PipelineID == 0 && p == nil || x.ID == d.PipelineID {
			p = x
		}
	}
	if p == nil {
		return app.FieldErrorf("pipeline_id", "Unknown pipeline %d.", d.PipelineID)
	}
	d.PipelineID = p.ID
	var st *app.Stage
	switch {
	case d.StageRef != "":
		if st = p.StageByRef(d.StageRef); st == nil {
			return app.FieldErrorf("stage", "Unknown stage %q in pipeline %s.", d.StageRef, p.Name)
		}
	case d.StageID != 0:
		if st = p.StageByRef(strconv.FormatInt(d.StageID, 10)); st == nil {
			return app.FieldErrorf("stage", "Unknown stage %d in pipeline %s.", d.StageID, p.Name)
		}
	default:
		st = p.Stages[0]
	}
	d.StageID, d.Stage, d.StageRef = st.ID, st.Name, ""
	if d.CompanyID != 0 {
		if err := checkRecord(ctx, tx, app.RecordCompany, d.CompanyID, tid, "company_id"); err != nil {
			return err
		}
	}
	for _, pid := range d.PersonIDs {
		if err := checkRecord(ctx, tx, app.RecordPerson, pid, tid, "person_ids"); err != nil {
			return err
		}
	}
	return checkUser(ctx, tx, d.OwnerID, tid, "owner_id")
}

func writeDealPeople(ctx context.Context, tx *Tx, d *app.Deal) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM crm_deal_people WHERE deal_id = ?`, d.ID); err != nil {
		return err
	}
	for _, pid := range d.PersonIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO crm_deal_people (deal_id, person_id) VALUES (?, ?)`, d.ID, pid); err != nil {
			return err
		}
	}
	return nil
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func insertDeal(ctx context.Context, tx *Tx, tid int64, d *app.Deal) error {
	if err := resolveDeal(ctx, tx, tid, d); err != nil {
		return err
	}
	if d.PersonIDs == nil {
		d.PersonIDs = []int64{}
	}
	d.TenantID, d.CreatedAt, d.UpdatedAt = tid, tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_deals (tenant_id, name, name_key, amount, currency, pipeline_id, stage_id, expected_close, probability,
		owner_id, company_id, tags, custom, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, d.Name, strings.ToLower(d.Name), d.Amount, d.Currency, d.PipelineID, d.StageID, nullTime(d.ExpectedClose), nullInt(d.Probability),
		nullID(d.OwnerID), nullID(d.CompanyID), jsonList(d.Tags), customJSON(d.Custom), FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Deal already exists.")
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := writeDealPeople(ctx, tx, d); err != nil {
		return err
	}
	if err := addFTS(ctx, tx, app.RecordDeal, d.ID, dealFTS(d)); err != nil {
		return err
	}
	e := timeline(ctx, tx, tid, app.RecordDeal, d.ID, app.TimelineCreated)
	e.New = d.Stage
	return AddTimelineEntryTx(ctx, tx, e)
}

func replaceDeal(ctx context.Context, tx *Tx, tid int64, old, d *app.Deal) error {
	if err := resolveDeal(ctx, tx, tid, d); err != nil {
		return err
	}
	if d.PersonIDs == nil {
		d.PersonIDs = []int64{}
	}
	d.ID, d.TenantID, d.CreatedAt, d.UpdatedAt = old.ID, tid, old.CreatedAt, tx.now
	if _, err := tx.ExecContext(ctx, `UPDATE crm_deals SET name = ?, name_key = ?, amount = ?, currency = ?, pipeline_id = ?, stage_id = ?, expected_close = ?,
		probability = ?, owner_id = ?, company_id = ?, tags = ?, custom = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
		d.Name, strings.ToLower(d.Name), d.Amount, d.Currency, d.PipelineID, d.StageID, nullTime(d.ExpectedClose), nullInt(d.Probability),
		nullID(d.OwnerID), nullID(d.CompanyID), jsonList(d.Tags), customJSON(d.Custom), FormatTime(tx.now), d.ID, tid); err != nil {
		return fmt.Errorf("update deal: %w", err)
	}
	if err := writeDealPeople(ctx, tx, d); err != nil {
		return err
	}
	if err := setFTS(ctx, tx, app.RecordDeal, d.ID, dealFTS(d)); err != nil {
		return err
	}
	return diffTimeline(ctx, tx, tid, app.RecordDeal, d.ID, dealFields(old), dealFields(d))
}

// CreateDeal validates and stores d in the tenant's pipeline and stage
// (default pipeline and first stage when unset). Returns EINVALID naming
// the field (stage, company_id, ...).
func (s *CRMStore) CreateDeal(ctx context.Context, d *app.Deal) error {
	return createRecord(ctx, s, dealOps, d)
}

// UpdateDeal applies upd (a stage move is a "stage" field change on the
// timeline). Returns ENOTFOUND or EINVALID.
func (s *CRMStore) UpdateDeal(ctx context.Context, id int64, upd app.DealUpdate) (*app.Deal, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	old, err := findDeal(ctx, tx, id, tid)
	if err != nil {
		return nil, err
	}
	d := *old
	d.PersonIDs = slices.Clone(old.PersonIDs)
	upd.Apply(&d)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := replaceDeal(ctx, tx, tid, old, &d); err != nil {
		return nil, err
	}
	return &d, tx.Commit()
}

// UpsertDeals creates or replaces deals in one transaction. Returns a
// *app.BatchError naming the first bad record.
func (s *CRMStore) UpsertDeals(ctx context.Context, ds []*app.Deal) error {
	return upsertRecords(ctx, s, dealOps, ds)
}

// DeleteDeal deletes a deal with its notes and timeline. Returns ENOTFOUND.
func (s *CRMStore) DeleteDeal(ctx context.Context, id int64) error {
	return s.deleteRecord(ctx, app.RecordDeal, id)
}

// ---- notes ----

const noteCols = `r.id, r.tenant_id, r.record_type, r.record_id, r.body, r.author, r.created_at, r.updated_at`

func scanNote(row scanner, extra ...any) (*app.Note, error) {
	var n app.Note
	if err := row.Scan(append([]any{&n.ID, &n.TenantID, &n.RecordType, &n.RecordID, &n.Body, &n.Author, Time{&n.CreatedAt}, Time{&n.UpdatedAt}}, extra...)...); err != nil {
		return nil, err
	}
	return &n, nil
}

// FindNotes lists notes in scope, newest first by default.
func (s *CRMStore) FindNotes(ctx context.Context, f app.NoteFilter) ([]*app.Note, string, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, "", err
	}
	l := &list{table: "crm_notes", cols: noteCols, typ: app.RecordNote, opts: f.ListOptions}
	if f.RecordType != nil {
		l.filter(`r.record_type = ?`, *f.RecordType)
	}
	if f.RecordID != nil {
		l.filter(`r.record_id = ?`, *f.RecordID)
		l.selective = true
	}
	var out []*app.Note
	next, err := l.query(ctx, s.db.read, tid, func(row scanner, key *string) (int64, error) {
		n, err := scanNote(row, key)
		if err != nil {
			return 0, err
		}
		if len(out) < l.opts.Limit {
			out = append(out, n)
		}
		return n.ID, nil
	})
	return out, next, err
}

func findNote(ctx context.Context, q queryer, id, tid int64) (*app.Note, error) {
	where, args := `r.id = ?`, []any{id}
	if tid != 0 {
		where, args = where+` AND r.tenant_id = ?`, append(args, tid)
	}
	n, err := scanNote(q.QueryRowContext(ctx, `SELECT `+noteCols+` FROM crm_notes r WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(app.RecordNote)
	} else if err != nil {
		return nil, fmt.Errorf("find note: %w", err)
	}
	return n, nil
}

// FindNote returns ENOTFOUND for an unknown note or another tenant's.
func (s *CRMStore) FindNote(ctx context.Context, id int64) (*app.Note, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	return findNote(ctx, s.db.read, id, tid)
}

func insertNote(ctx context.Context, tx *Tx, tid int64, n *app.Note) error {
	if err := checkRecord(ctx, tx, n.RecordType, n.RecordID, tid, "record_id"); err != nil {
		return err
	}
	n.TenantID, n.CreatedAt, n.UpdatedAt, n.Author = tid, tx.now, tx.now, app.ActorFromContext(ctx)
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_notes (tenant_id, record_type, record_id, body, author, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tid, n.RecordType, n.RecordID, n.Body, n.Author, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Note already exists.")
	}
	if n.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := addFTS(ctx, tx, app.RecordNote, n.ID, n.Body); err != nil {
		return err
	}
	e := timeline(ctx, tx, tid, n.RecordType, n.RecordID, app.TimelineNote)
	e.Body, e.RefType, e.RefID = n.Body, app.RecordNote, n.ID
	return AddTimelineEntryTx(ctx, tx, e)
}

func replaceNote(ctx context.Context, tx *Tx, tid int64, old, n *app.Note) error {
	if n.RecordType != old.RecordType || n.RecordID != old.RecordID {
		return app.FieldErrorf("record_id", "A note cannot move to another record.")
	}
	n.ID, n.TenantID, n.CreatedAt, n.UpdatedAt, n.Author = old.ID, tid, old.CreatedAt, tx.now, old.Author
	if _, err := tx.ExecContext(ctx, `UPDATE crm_notes SET body = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, n.Body, FormatTime(tx.now), n.ID, tid); err != nil {
		return fmt.Errorf("update note: %w", err)
	}
	// The note's timeline entry shows its current text.
	if _, err := tx.ExecContext(ctx, `UPDATE crm_timeline SET body = ? WHERE ref_type = 'note' AND ref_id = ? AND tenant_id = ?`, n.Body, n.ID, tid); err != nil {
		return err
	}
	return setFTS(ctx, tx, app.RecordNote, n.ID, n.Body)
}

// CreateNote stores a note on a record of the tenant, with its timeline
// entry. Returns EINVALID (record_id names an unknown record).
func (s *CRMStore) CreateNote(ctx context.Context, n *app.Note) error {
	return createRecord(ctx, s, noteOps, n)
}

// UpdateNote changes a note's text. Returns ENOTFOUND or EINVALID.
func (s *CRMStore) UpdateNote(ctx context.Context, id int64, upd app.NoteUpdate) (*app.Note, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	old, err := findNote(ctx, tx, id, tid)
	if err != nil {
		return nil, err
	}
	n := *old
	setStr(&n.Body, upd.Body)
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if err := replaceNote(ctx, tx, tid, old, &n); err != nil {
		return nil, err
	}
	return &n, tx.Commit()
}

func setStr(dst, src *string) {
	if src != nil {
		*dst = *src
	}
}

// UpsertNotes creates or replaces notes in one transaction.
func (s *CRMStore) UpsertNotes(ctx context.Context, ns []*app.Note) error {
	return upsertRecords(ctx, s, noteOps, ns)
}

// DeleteNote deletes a note and its timeline entry. Returns ENOTFOUND.
func (s *CRMStore) DeleteNote(ctx context.Context, id int64) error {
	return s.deleteRecord(ctx, app.RecordNote, id)
}

// ---- tasks ----

const taskCols = `r.id, r.tenant_id, r.title, r.due, COALESCE(r.assignee_id, 0), r.done, r.done_at, r.record_type, r.record_id, r.created_at, r.updated_at`

func scanTask(row scanner, extra ...any) (*app.Task, error) {
	var t app.Task
	if err := row.Scan(append([]any{&t.ID, &t.TenantID, &t.Title, NullTime{}.into(&t.Due), &t.AssigneeID, &t.Done, NullTime{}.into(&t.DoneAt),
		&t.RecordType, &t.RecordID, Time{&t.CreatedAt}, Time{&t.UpdatedAt}}, extra...)...); err != nil {
		return nil, err
	}
	return &t, nil
}

// FindTasks lists tasks in scope.
func (s *CRMStore) FindTasks(ctx context.Context, f app.TaskFilter) ([]*app.Task, string, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, "", err
	}
	l := &list{table: "crm_tasks", cols: taskCols, typ: app.RecordTask, opts: f.ListOptions}
	if f.Done != nil {
		l.filter(`r.done = ?`, *f.Done)
	}
	if f.AssigneeID != nil {
		l.filter(`r.assignee_id = ?`, *f.AssigneeID)
	}
	if f.RecordType != nil {
		l.filter(`r.record_type = ?`, *f.RecordType)
	}
	if f.RecordID != nil {
		l.filter(`r.record_id = ?`, *f.RecordID)
		l.selective = true
	}
	var out []*app.Task
	next, err := l.query(ctx, s.db.read, tid, func(row scanner, key *string) (int64, error) {
		t, err := scanTask(row, key)
		if err != nil {
			return 0, err
		}
		if len(out) < l.opts.Limit {
			out = append(out, t)
		}
		return t.ID, nil
	})
	return out, next, err
}

func findTask(ctx context.Context, q queryer, id, tid int64) (*app.Task, error) {
	where, args := `r.id = ?`, []any{id}
	if tid != 0 {
		where, args = where+` AND r.tenant_id = ?`, append(args, tid)
	}
	t, err := scanTask(q.QueryRowContext(ctx, `SELECT `+taskCols+` FROM crm_tasks r WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(app.RecordTask)
	} else if err != nil {
		return nil, fmt.Errorf("find task: %w", err)
	}
	return t, nil
}

// FindTask returns ENOTFOUND for an unknown task or another tenant's.
func (s *CRMStore) FindTask(ctx context.Context, id int64) (*app.Task, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	return findTask(ctx, s.db.read, id, tid)
}

func taskRefs(ctx context.Context, tx *Tx, tid int64, t *app.Task) error {
	if t.RecordType != "" {
		if err := checkRecord(ctx, tx, t.RecordType, t.RecordID, tid, "record_id"); err != nil {
			return err
		}
	}
	return checkUser(ctx, tx, t.AssigneeID, tid, "assignee_id")
}

func insertTask(ctx context.Context, tx *Tx, tid int64, t *app.Task) error {
	if err := taskRefs(ctx, tx, tid, t); err != nil {
		return err
	}
	t.TenantID, t.CreatedAt, t.UpdatedAt = tid, tx.now, tx.now
	if t.Done {
		t.DoneAt = &tx.now
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_tasks (tenant_id, title, name_key, due, assignee_id, done, done_at, record_type, record_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, t.Title, strings.ToLower(t.Title), nullTime(t.Due), nullID(t.AssigneeID), t.Done, nullTime(t.DoneAt),
		t.RecordType, t.RecordID, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Task already exists.")
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := addFTS(ctx, tx, app.RecordTask, t.ID, t.Title); err != nil {
		return err
	}
	if t.RecordType == "" {
		return nil
	}
	e := timeline(ctx, tx, tid, t.RecordType, t.RecordID, app.TimelineTask)
	e.Body, e.RefType, e.RefID = t.Title, app.RecordTask, t.ID
	return AddTimelineEntryTx(ctx, tx, e)
}

func replaceTask(ctx context.Context, tx *Tx, tid int64, old, t *app.Task) error {
	if t.RecordType != old.RecordType || t.RecordID != old.RecordID {
		return app.FieldErrorf("record_id", "A task cannot move to another record.")
	}
	if err := taskRefs(ctx, tx, tid, t); err != nil {
		return err
	}
	t.ID, t.TenantID, t.CreatedAt, t.UpdatedAt = old.ID, tid, old.CreatedAt, tx.now
	switch {
	case t.Done && !old.Done:
		t.DoneAt = &tx.now
	case !t.Done:
		t.DoneAt = nil
	default:
		t.DoneAt = old.DoneAt
	}
	if _, err := tx.ExecContext(ctx, `UPDATE crm_tasks SET title = ?, name_key = ?, due = ?, assignee_id = ?, done = ?, done_at = ?, updated_at = ?
		WHERE id = ? AND tenant_id = ?`, t.Title, strings.ToLower(t.Title), nullTime(t.Due), nullID(t.AssigneeID), t.Done, nullTime(t.DoneAt),
		FormatTime(tx.now), t.ID, tid); err != nil {
		return fmt.Errorf("update task: %w", err)
	}
	if err := setFTS(ctx, tx, app.RecordTask, t.ID, t.Title); err != nil {
		return err
	}
	if t.RecordType != "" && t.Done && !old.Done {
		e := timeline(ctx, tx, tid, t.RecordType, t.RecordID, app.TimelineTaskDone)
		e.Body, e.RefType, e.RefID = t.Title, app.RecordTask, t.ID
		return AddTimelineEntryTx(ctx, tx, e)
	}
	return nil
}

// CreateTask stores a task (linked to a record of the tenant, or not).
// Returns EINVALID.
func (s *CRMStore) CreateTask(ctx context.Context, t *app.Task) error {
	return createRecord(ctx, s, taskOps, t)
}

// UpdateTask applies upd; marking a linked task done adds a task_done
// timeline entry. Returns ENOTFOUND or EINVALID.
func (s *CRMStore) UpdateTask(ctx context.Context, id int64, upd app.TaskUpdate) (*app.Task, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	old, err := findTask(ctx, tx, id, tid)
	if err != nil {
		return nil, err
	}
	t := *old
	upd.Apply(&t)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := replaceTask(ctx, tx, tid, old, &t); err != nil {
		return nil, err
	}
	return &t, tx.Commit()
}

// UpsertTasks creates or replaces tasks in one transaction.
func (s *CRMStore) UpsertTasks(ctx context.Context, ts []*app.Task) error {
	return upsertRecords(ctx, s, taskOps, ts)
}

// DeleteTask deletes a task. Returns ENOTFOUND.
func (s *CRMStore) DeleteTask(ctx context.Context, id int64) error {
	return s.deleteRecord(ctx, app.RecordTask, id)
}

// recordOps are the per-object pieces the generic CRM writes use.
type recordOps[T interface{ Validate() error }] struct {
	id      func(T) int64
	find    func(ctx context.Context, tx *Tx, id, tid int64) (T, error)
	insert  func(ctx context.Context, tx *Tx, tid int64, r T) error
	replace func(ctx context.Context, tx *Tx, tid int64, old, r T) error
}

var (
	personOps = recordOps[*app.Person]{id: func(r *app.Person) int64 { return r.ID }, insert: insertPerson, replace: replacePerson,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Person, error) {
			return findPerson(ctx, tx, id, tid)
		}}
	companyOps = recordOps[*app.Company]{id: func(r *app.Company) int64 { return r.ID }, insert: insertCompany, replace: replaceCompany,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Company, error) {
			return findCompany(ctx, tx, id, tid)
		}}
	dealOps = recordOps[*app.Deal]{id: func(r *app.Deal) int64 { return r.ID }, insert: insertDeal, replace: replaceDeal,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Deal, error) { return findDeal(ctx, tx, id, tid) }}
	noteOps = recordOps[*app.Note]{id: func(r *app.Note) int64 { return r.ID }, insert: insertNote, replace: replaceNote,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Note, error) { return findNote(ctx, tx, id, tid) }}
	taskOps = recordOps[*app.Task]{id: func(r *app.Task) int64 { return r.ID }, insert: insertTask, replace: replaceTask,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Task, error) { return findTask(ctx, tx, id, tid) }}
)

// createRecord validates r and inserts it (with its timeline entry) in the
// tenant of ctx. Returns EUNAUTHORIZED or EINVALID.
func createRecord[T interface{ Validate() error }](ctx context.Context, s *CRMStore, ops recordOps[T], r T) error {
	if err := r.Validate(); err != nil {
		return err
	}
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	// Creates from concurrent requests share a commit (DB.Group).
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error { return ops.insert(ctx, tx, tid, r) })
}

// upsertRecords creates (ID 0) or replaces records in one transaction.
// Returns a *app.BatchError naming the first bad record; then nothing is
// written.
func upsertRecords[T interface{ Validate() error }](ctx context.Context, s *CRMStore, ops recordOps[T], rs []T) error {
	if len(rs) > app.MaxBatch {
		return app.FieldErrorf("records", "A batch takes at most %d records.", app.MaxBatch)
	}
	for i, r := range rs {
		if err := r.Validate(); err != nil {
			return app.BatchFail(i, err)
		}
	}
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, r := range rs {
		if ops.id(r) == 0 {
			err = ops.insert(ctx, tx, tid, r)
		} else {
			var old T
			if old, err = ops.find(ctx, tx, ops.id(r), tid); err == nil {
				err = ops.replace(ctx, tx, tid, old, r)
			}
		}
		if err != nil {
			return app.BatchFail(i, err)
		}
	}
	return tx.Commit()
}
