package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"orengen/app"
)

// The CRM's stores on SQLite: one per record kind (people, companies,
// pipelines, deals, notes, tasks), the timeline, custom fields, and the
// saved views, tag administration and CSV import. Each keeps only its
// kind's methods, on the database they share (crmDB); what one write does
// to other kinds (a merge moving notes and tasks, an import creating a
// company, a delete removing notes) it does through this package's
// helpers in its own one transaction. Every method is tenant-scoped: the
// tenant comes from ctx (app.TenantIDFromContext).
type (
	PersonStore      struct{ crmDB }
	CompanyStore     struct{ crmDB }
	PipelineStore    struct{ crmDB }
	DealStore        struct{ crmDB }
	NoteStore        struct{ crmDB }
	TaskStore        struct{ crmDB }
	TimelineStore    struct{ crmDB } // the timeline and which tenant a record is in
	CustomFieldStore struct{ crmDB }
	CRMViewStore     struct{ crmDB }
	CRMTagStore      struct{ crmDB }
	CRMImportStore   struct{ crmDB }
)

var (
	_ app.PersonStore      = (*PersonStore)(nil)
	_ app.CompanyStore     = (*CompanyStore)(nil)
	_ app.PipelineStore    = (*PipelineStore)(nil)
	_ app.DealStore        = (*DealStore)(nil)
	_ app.NoteStore        = (*NoteStore)(nil)
	_ app.TaskStore        = (*TaskStore)(nil)
	_ app.Timeline         = (*TimelineStore)(nil)
	_ app.RecordOwnerStore = (*TimelineStore)(nil)
	_ app.CustomFieldStore = (*CustomFieldStore)(nil)
)

// crmDB is what the CRM's stores share: the database and how a write
// starts (writeScope).
type crmDB struct{ db *DB }

// CRMStores are the CRM's stores on one database, by what they keep.
type CRMStores struct {
	People    *PersonStore
	Companies *CompanyStore
	Stages    *PipelineStore
	Deals     *DealStore
	Notes     *NoteStore
	Tasks     *TaskStore
	Timeline  *TimelineStore
	Fields    *CustomFieldStore
	Views     *CRMViewStore
	Tags      *CRMTagStore
	Imports   *CRMImportStore
}

// NewCRMStores returns every CRM store on db.
func NewCRMStores(db *DB) *CRMStores {
	c := crmDB{db: db}
	return &CRMStores{People: &PersonStore{c}, Companies: &CompanyStore{c}, Stages: &PipelineStore{c}, Deals: &DealStore{c},
		Notes: &NoteStore{c}, Tasks: &TaskStore{c}, Timeline: &TimelineStore{c}, Fields: &CustomFieldStore{c},
		Views: &CRMViewStore{c}, Tags: &CRMTagStore{c}, Imports: &CRMImportStore{c}}
}

// Service returns the CRM service on the stores with every capability
// (saved views, tag administration, CSV import): the one place its
// fields are filled, for the wiring and the tests.
func (st *CRMStores) Service() *app.CRMService {
	return &app.CRMService{Timeline: st.Timeline, Fields: st.Fields, People: st.People, Companies: st.Companies, Stages: st.Stages,
		Deals: st.Deals, Notes: st.Notes, Tasks: st.Tasks, Owners: st.Timeline, Views: st.Views, Tags: st.Tags, Imports: st.Imports}
}

// crmRecord is how the store keeps a record type that notes, tasks and
// the timeline name: its table, its label in messages, and its code in
// the CRM's full-text index (crm_fts rowid = record id * 8 + code; 0: a
// type outside the CRM's own records, which notes and tasks may still
// link to).
type crmRecord struct {
	table, label string
	fts          int64
}

// crmRecords are the record types by type: a new kind is one line here.
var crmRecords = map[string]crmRecord{
	app.RecordPerson: {"crm_people", "Person", 1}, app.RecordCompany: {"crm_companies", "Company", 2},
	app.RecordDeal: {"crm_deals", "Deal", 3}, app.RecordNote: {"crm_notes", "Note", 4}, app.RecordTask: {"crm_tasks", "Task", 5},
	app.RecordPursuit: {"federal_pipeline", "Pursuit", 0}, app.RecordGrantPursuit: {"federal_grant_pipeline", "Grant pursuit", 0},
}

// Read from crmRecords: recordTable and ftsCode hold the CRM's own
// records; linkTable (what checkRecord accepts) and recordLabel every
// type.
var recordTable, linkTable, recordLabel, ftsCode = func() (tables, links, labels map[string]string, codes map[string]int64) {
	tables, links, labels, codes = map[string]string{}, map[string]string{}, map[string]string{}, map[string]int64{}
	for typ, r := range crmRecords {
		links[typ], labels[typ] = r.table, r.label
		if r.fts != 0 {
			tables[typ], codes[typ] = r.table, r.fts
		}
	}
	return
}()

type scanner = interface{ Scan(...any) error }

// querier runs queries on the read pool or in a transaction.
type querier interface {
	queryer
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func notFound(typ string) error { return app.Errorf(app.ENOTFOUND, "%s not found.", recordLabel[typ]) }

// ---- shared helpers ----

// writeScope begins a write: the tenant from ctx and a transaction.
func (s *crmDB) writeScope(ctx context.Context) (int64, *Tx, error) {
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
		return app.ErrLinkType()
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

// deleteRecord deletes record id of ops's type in the tenant of ctx, with
// what ops.dependents removes first. Returns ENOTFOUND.
func deleteRecord[T interface{ Validate() error }](ctx context.Context, s *crmDB, ops recordOps[T], id int64) error {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := checkRecord(ctx, tx, ops.typ, id, tid, ""); err != nil {
		return err
	}
	if err := ops.dependents(ctx, tx, tid, ops.typ, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+recordTable[ops.typ]+` WHERE id = ? AND tenant_id = ?`, id, tid); err != nil {
		return FormatError(err, "The record is in use.")
	}
	return tx.Commit()
}

// deleteNoteLinked removes a note's timeline entry and index entry, in tx.
func deleteNoteLinked(ctx context.Context, tx *Tx, tid int64, typ string, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM crm_timeline WHERE ref_type = 'note' AND ref_id = ? AND tenant_id = ?`, id, tid); err != nil {
		return err
	}
	return deleteFTS(ctx, tx, typ, id)
}

// deleteTaskLinked removes a task's index entry, in tx.
func deleteTaskLinked(ctx context.Context, tx *Tx, tid int64, typ string, id int64) error {
	return deleteFTS(ctx, tx, typ, id)
}

// recordOps are the per-object pieces the generic CRM writes use: typ
// is the record type, dependents removes what hangs off a record before
// its row is deleted (deleteRecord).
type recordOps[T interface{ Validate() error }] struct {
	typ        string
	dependents func(ctx context.Context, tx *Tx, tid int64, typ string, id int64) error
	id         func(T) int64
	find       func(ctx context.Context, tx *Tx, id, tid int64) (T, error)
	insert     func(ctx context.Context, tx *Tx, tid int64, r T) error
	replace    func(ctx context.Context, tx *Tx, tid int64, old, r T) error
}

var (
	personOps = recordOps[*app.Person]{typ: app.RecordPerson, dependents: deleteLinked, id: func(r *app.Person) int64 { return r.ID }, insert: insertPerson, replace: replacePerson,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Person, error) {
			return findPerson(ctx, tx, id, tid)
		}}
	companyOps = recordOps[*app.Company]{typ: app.RecordCompany, dependents: deleteLinked, id: func(r *app.Company) int64 { return r.ID }, insert: insertCompany, replace: replaceCompany,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Company, error) {
			return findCompany(ctx, tx, id, tid)
		}}
	dealOps = recordOps[*app.Deal]{typ: app.RecordDeal, dependents: deleteLinked, id: func(r *app.Deal) int64 { return r.ID }, insert: insertDeal, replace: replaceDeal,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Deal, error) { return findDeal(ctx, tx, id, tid) }}
	noteOps = recordOps[*app.Note]{typ: app.RecordNote, dependents: deleteNoteLinked, id: func(r *app.Note) int64 { return r.ID }, insert: insertNote, replace: replaceNote,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Note, error) { return findNote(ctx, tx, id, tid) }}
	taskOps = recordOps[*app.Task]{typ: app.RecordTask, dependents: deleteTaskLinked, id: func(r *app.Task) int64 { return r.ID }, insert: insertTask, replace: replaceTask,
		find: func(ctx context.Context, tx *Tx, id, tid int64) (*app.Task, error) { return findTask(ctx, tx, id, tid) }}
)

// createRecord validates r and inserts it (with its timeline entry) in the
// tenant of ctx. Returns EUNAUTHORIZED or EINVALID.
func createRecord[T interface{ Validate() error }](ctx context.Context, s *crmDB, ops recordOps[T], r T) error {
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
func upsertRecords[T interface{ Validate() error }](ctx context.Context, s *crmDB, ops recordOps[T], rs []T) error {
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
