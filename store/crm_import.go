package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"orengen/app"
)

var _ app.CRMImportStore = (*CRMImportStore)(nil)

const importJobCols = `id, tenant_id, object, file_name, path, header, mapping, dedupe, continue_bad, status, error, rows, created, updated, skipped, invalid,
	actor, created_at, updated_at`

func scanImportJob(row scanner) (*app.ImportJob, error) {
	j := &app.ImportJob{}
	var header, mapping string
	if err := row.Scan(&j.ID, &j.TenantID, &j.Object, &j.FileName, &j.Path, &header, &mapping, &j.Dedupe, &j.Continue, &j.Status, &j.Error,
		&j.Rows, &j.Created, &j.Updated, &j.Skipped, &j.Invalid, &j.Actor, Time{&j.CreatedAt}, Time{&j.UpdatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Import not found.")
		}
		return nil, fmt.Errorf("scan import job: %w", err)
	}
	if err := json.Unmarshal([]byte(header), &j.Header); err != nil {
		return nil, fmt.Errorf("import header: %w", err)
	}
	if err := json.Unmarshal([]byte(mapping), &j.Mapping); err != nil {
		return nil, fmt.Errorf("import mapping: %w", err)
	}
	return j, nil
}

func checkImportJob(j *app.ImportJob) error {
	if _, ok := recordTable[j.Object]; !ok || j.Object == app.RecordNote || j.Object == app.RecordTask {
		return app.FieldErrorf("object", "Import people, companies or deals.")
	}
	if !slices.Contains([]string{app.DedupeSkip, app.DedupeUpdate, app.DedupeCreate}, j.Dedupe) {
		return app.FieldErrorf("dedupe", "Duplicates must be skipped, updated or created.")
	}
	return nil
}

// CreateImportJob stores a new job in the tenant of ctx. Returns
// EUNAUTHORIZED or EINVALID.
func (s *CRMImportStore) CreateImportJob(ctx context.Context, j *app.ImportJob) error {
	if j.Dedupe == "" {
		j.Dedupe = app.DedupeSkip
	}
	if j.Status == "" {
		j.Status = app.ImportMapping
	}
	if err := checkImportJob(j); err != nil {
		return err
	}
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	j.TenantID, j.CreatedAt, j.UpdatedAt = tid, tx.now, tx.now
	if j.Actor == "" {
		j.Actor = app.ActorFromContext(ctx)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_import_jobs (tenant_id, object, file_name, path, header, mapping, dedupe, continue_bad, status, actor,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, j.Object, j.FileName, j.Path, jsonList(j.Header), jsonList(j.Mapping),
		j.Dedupe, j.Continue, j.Status, j.Actor, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	if j.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// FindImportJob returns a job of the tenant in ctx. Returns ENOTFOUND.
func (s *CRMImportStore) FindImportJob(ctx context.Context, id int64) (*app.ImportJob, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanImportJob(s.db.read.QueryRowContext(ctx, `SELECT `+importJobCols+` FROM crm_import_jobs WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindImportJobs lists the tenant's latest jobs, newest first.
func (s *CRMImportStore) FindImportJobs(ctx context.Context, limit int) ([]*app.ImportJob, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+importJobCols+` FROM crm_import_jobs WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`, tid, limit)
	if err != nil {
		return nil, fmt.Errorf("find import jobs: %w", err)
	}
	return scanAll(rows, scanImportJob)
}

func updateImportJob(ctx context.Context, tx *Tx, tid int64, j *app.ImportJob) error {
	j.UpdatedAt = tx.now
	res, err := tx.ExecContext(ctx, `UPDATE crm_import_jobs SET path = ?, mapping = ?, dedupe = ?, continue_bad = ?, status = ?, error = ?, rows = ?, created = ?,
		updated = ?, skipped = ?, invalid = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, j.Path, jsonList(j.Mapping), j.Dedupe, j.Continue, j.Status,
		j.Error, j.Rows, j.Created, j.Updated, j.Skipped, j.Invalid, FormatTime(tx.now), j.ID, tid)
	if err != nil {
		return fmt.Errorf("update import job: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Import not found.")
	}
	return nil
}

// UpdateImportJob saves j's mapping, policy, state and counts. Returns
// ENOTFOUND or EINVALID.
func (s *CRMImportStore) UpdateImportJob(ctx context.Context, j *app.ImportJob) error {
	if err := checkImportJob(j); err != nil {
		return err
	}
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := updateImportJob(ctx, tx, tid, j); err != nil {
		return err
	}
	return tx.Commit()
}

// AddImportErrors appends bad rows to job jobID's report (a line already
// reported keeps its first error). Returns ENOTFOUND.
func (s *CRMImportStore) AddImportErrors(ctx context.Context, jobID int64, errs []app.ImportRowError) error {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := checkJob(ctx, tx, jobID, tid); err != nil {
		return err
	}
	for _, e := range errs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO crm_import_errors (job_id, line, field, message) VALUES (?, ?, ?, ?)`,
			jobID, e.Line, e.Field, e.Message); err != nil {
			return fmt.Errorf("add import error: %w", err)
		}
	}
	return tx.Commit()
}

func checkJob(ctx context.Context, q queryer, jobID, tid int64) error {
	var one int
	if err := q.QueryRowContext(ctx, `SELECT 1 FROM crm_import_jobs WHERE id = ? AND tenant_id = ?`, jobID, tid).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Import not found.")
		}
		return fmt.Errorf("check import job: %w", err)
	}
	return nil
}

// FindImportErrors returns the first limit bad rows of job jobID by line.
// Returns ENOTFOUND.
func (s *CRMImportStore) FindImportErrors(ctx context.Context, jobID int64, limit int) ([]app.ImportRowError, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkJob(ctx, s.db.read, jobID, tid); err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT line, field, message FROM crm_import_errors WHERE job_id = ? ORDER BY line LIMIT ?`, jobID, limit)
	if err != nil {
		return nil, fmt.Errorf("find import errors: %w", err)
	}
	defer rows.Close()
	var out []app.ImportRowError
	for rows.Next() {
		var e app.ImportRowError
		if err := rows.Scan(&e.Line, &e.Field, &e.Message); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// importCompanyID finds the tenant's company named name (case-insensitive),
// creating it when missing (imports, and contacts from forms).
func importCompanyID(ctx context.Context, tx *Tx, tid int64, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM crm_companies WHERE tenant_id = ? AND name_key = ? ORDER BY id LIMIT 1`, tid, strings.ToLower(name)).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("find company: %w", err)
	}
	c := &app.Company{Name: name}
	if err := c.Validate(); err != nil {
		return 0, app.FieldErrorf("company", "%s", app.ErrorMessage(err))
	}
	if err := insertCompany(ctx, tx, tid, c); err != nil {
		return 0, err
	}
	return c.ID, nil
}

// importer is how an import writes one kind's records (storeKind.imports).
type importer[T interface{ Validate() error }] struct {
	ops recordOps[T]
	// record is the kind's record in an import row; false when the row
	// holds another kind's.
	record func(r *app.ImportRecord) (T, bool)
	// company is the record's company link, set from the row's company
	// name when the row does not set it; nil for a kind without one.
	company func(T) *int64
	// match returns the ID of the oldest record rec duplicates, or 0.
	match func(ctx context.Context, tx *Tx, tid int64, rec T) (int64, error)
	// merge folds rec into old, the record it duplicates, and checks the
	// result.
	merge func(old, rec T) (T, error)
}

// importOne writes the kind's record of r under the dedupe policy:
// skipped, created, or merged into the record it duplicates.
func (im importer[T]) importOne(ctx context.Context, tx *Tx, tid int64, policy string, r *app.ImportRecord, n *app.ImportCounts) error {
	rec, ok := im.record(r)
	if !ok {
		return fmt.Errorf("import line %d: not a %s", r.Line, im.ops.typ)
	}
	companyID := int64(0)
	if r.CompanyName != "" {
		var err error
		if companyID, err = importCompanyID(ctx, tx, tid, r.CompanyName); err != nil {
			return err
		}
	}
	match := int64(0)
	if policy != app.DedupeCreate {
		var err error
		if match, err = im.match(ctx, tx, tid, rec); err != nil {
			return err
		}
	}
	if match != 0 && policy == app.DedupeSkip {
		n.Skipped++
		return nil
	}
	if im.company != nil {
		if c := im.company(rec); *c == 0 {
			*c = companyID
		}
	}
	if match == 0 {
		n.Created++
		return im.ops.insert(ctx, tx, tid, rec)
	}
	old, err := im.ops.find(ctx, tx, match, tid)
	if err != nil {
		return err
	}
	m, err := im.merge(old, rec)
	if err != nil {
		return err
	}
	n.Updated++
	return im.ops.replace(ctx, tx, tid, old, m)
}

// matchID returns the ID the query q finds, or 0 for none.
func matchID(ctx context.Context, tx *Tx, q string, args ...any) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return 0, fmt.Errorf("find duplicate: %w", err)
	}
	return id, nil
}

// validMerge checks a merged record.
func validMerge[T interface{ Validate() error }](m T) (T, error) { return m, m.Validate() }

// The import of each kind: a person duplicates the oldest person sharing
// an email or phone, a company the oldest with its domain (else its
// name), a deal the oldest with its name.
var (
	personImport = importer[*app.Person]{ops: personOps,
		record:  func(r *app.ImportRecord) (*app.Person, bool) { return r.Person, r.Person != nil },
		company: func(p *app.Person) *int64 { return &p.CompanyID },
		match: func(ctx context.Context, tx *Tx, tid int64, p *app.Person) (int64, error) {
			// One indexed lookup per value (value, kind): the oldest match.
			best := int64(0)
			look := func(kind, v string) error {
				id, err := matchID(ctx, tx, `SELECT person_id FROM crm_contact_points WHERE value = ? AND kind = ? AND tenant_id = ? LIMIT 1`, v, kind, tid)
				if err == nil && id != 0 && (best == 0 || id < best) {
					best = id
				}
				return err
			}
			for _, v := range p.Emails {
				if err := look("email", v); err != nil {
					return 0, err
				}
			}
			for _, v := range p.Phones {
				if err := look("phone", v); err != nil {
					return 0, err
				}
			}
			return best, nil
		},
		merge: func(old, p *app.Person) (*app.Person, error) { return validMerge(app.MergePerson(old, p, true)) }}
	companyImport = importer[*app.Company]{ops: companyOps,
		record: func(r *app.ImportRecord) (*app.Company, bool) { return r.Company, r.Company != nil },
		match: func(ctx context.Context, tx *Tx, tid int64, c *app.Company) (int64, error) {
			if c.Domain != "" {
				return matchID(ctx, tx, `SELECT id FROM crm_companies WHERE tenant_id = ? AND domain = ? ORDER BY id LIMIT 1`, tid, c.Domain)
			}
			return matchID(ctx, tx, `SELECT id FROM crm_companies WHERE tenant_id = ? AND name_key = ? ORDER BY id LIMIT 1`, tid, strings.ToLower(c.Name))
		},
		merge: func(old, c *app.Company) (*app.Company, error) { return validMerge(app.MergeCompany(old, c)) }}
	dealImport = importer[*app.Deal]{ops: dealOps,
		record:  func(r *app.ImportRecord) (*app.Deal, bool) { return r.Deal, r.Deal != nil },
		company: func(d *app.Deal) *int64 { return &d.CompanyID },
		match: func(ctx context.Context, tx *Tx, tid int64, d *app.Deal) (int64, error) {
			return matchID(ctx, tx, `SELECT id FROM crm_deals WHERE tenant_id = ? AND name_key = ? ORDER BY id LIMIT 1`, tid, strings.ToLower(d.Name))
		},
		// A deal's merge keeps its checked fields; only the tag count can
		// grow past its limit.
		merge: func(old, d *app.Deal) (*app.Deal, error) {
			m := app.MergeDeal(old, d)
			if len(m.Tags) > 30 {
				return nil, app.FieldErrorf("tags", "At most 30 tags.")
			}
			return m, nil
		}}
)

// ImportBatch writes recs in one transaction under j's dedupe policy and
// saves j with the batch's counts added, so the job's progress is always
// what is committed. Returns a *app.BatchError naming the first record
// the store refused (EINVALID, e.g. an unknown custom field); then
// nothing of the batch is written and j is unchanged.
func (s *CRMImportStore) ImportBatch(ctx context.Context, j *app.ImportJob, recs []*app.ImportRecord) (app.ImportCounts, error) {
	var n app.ImportCounts
	if len(recs) > app.MaxBatch {
		return n, app.FieldErrorf("records", "A batch takes at most %d records.", app.MaxBatch)
	}
	if err := checkImportJob(j); err != nil {
		return n, err
	}
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return n, err
	}
	defer tx.Rollback()
	importOne := storeKinds[j.Object].importOne
	for i, r := range recs {
		if err := importOne(ctx, tx, tid, j.Dedupe, r, &n); err != nil {
			return app.ImportCounts{}, app.BatchFail(i, err)
		}
	}
	upd := *j
	upd.Created, upd.Updated, upd.Skipped = j.Created+n.Created, j.Updated+n.Updated, j.Skipped+n.Skipped
	if err := updateImportJob(ctx, tx, tid, &upd); err != nil {
		return app.ImportCounts{}, err
	}
	if err := tx.Commit(); err != nil {
		return app.ImportCounts{}, fmt.Errorf("commit import batch: %w", err)
	}
	*j = upd
	return n, nil
}
