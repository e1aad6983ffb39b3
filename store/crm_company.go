package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"orengen/app"
)

// companyCols: a company's own columns, then its descriptor fields'.
var companyCols = `r.id, r.tenant_id, r.tags, r.custom, r.created_at, r.updated_at` + fieldCols(app.KindCompany)

func scanCompany(row scanner, extra ...any) (*app.Company, error) {
	var c app.Company
	var tags, custom string
	dest := []any{&c.ID, &c.TenantID, &tags, &custom, Time{&c.CreatedAt}, Time{&c.UpdatedAt}}
	if err := row.Scan(joinArgs(dest, fieldDests(app.KindCompany, &c), extra)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return nil, fmt.Errorf("company %d tags: %w", c.ID, err)
	}
	return &c, scanCustom(custom, &c.Custom)
}

func companyFields(c *app.Company) [][2]string {
	return customFields(append(append(fieldTexts(app.KindCompany, c, true), fieldTexts(app.KindCompany, c, false)...), [2]string{"tags", strings.Join(c.Tags, ", ")}), c.Custom)
}

func companyFTS(c *app.Company) string {
	return strings.Join(append(app.KindCompany.SearchTexts(c), c.Tags...), " ")
}

// tagFilter is the list condition of the tag filter (people, companies,
// deals: each has a tags JSON list).
const tagFilter = `EXISTS (SELECT 1 FROM json_each(r.tags) WHERE value = ?)`

// FindCompanies lists companies in scope.
func (s *CompanyStore) FindCompanies(ctx context.Context, f app.CompanyFilter) ([]*app.Company, string, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, "", err
	}
	l := &list{table: "crm_companies", cols: companyCols, typ: app.RecordCompany, opts: f.ListOptions}
	if f.Domain != nil {
		l.filter(`r.domain = ?`, strings.ToLower(strings.TrimSpace(*f.Domain)))
	}
	fieldFilters(l, app.KindCompany, f.Fields)
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
func (s *CompanyStore) FindCompany(ctx context.Context, id int64) (*app.Company, error) {
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
	k := app.KindCompany
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_companies (tenant_id, name_key, tags, custom, created_at, updated_at`+fieldNames(k)+`)
		VALUES (?, ?, ?, ?, ?, ?`+fieldMarks(k)+`)`, joinArgs([]any{tid, strings.ToLower(c.Name), jsonList(c.Tags), customJSON(c.Custom),
		FormatTime(tx.now), FormatTime(tx.now)}, fieldArgs(k, c))...)
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
	k := app.KindCompany
	if _, err := tx.ExecContext(ctx, `UPDATE crm_companies SET `+fieldSets(k)+`name_key = ?, tags = ?, custom = ?, updated_at = ?
		WHERE id = ? AND tenant_id = ?`, joinArgs(fieldArgs(k, c), []any{strings.ToLower(c.Name), jsonList(c.Tags), customJSON(c.Custom),
		FormatTime(tx.now), c.ID, tid})...); err != nil {
		return fmt.Errorf("update company: %w", err)
	}
	if err := setFTS(ctx, tx, app.RecordCompany, c.ID, companyFTS(c)); err != nil {
		return err
	}
	return diffTimeline(ctx, tx, tid, app.RecordCompany, c.ID, companyFields(old), companyFields(c))
}

// CreateCompany validates and stores c. Returns EUNAUTHORIZED or EINVALID.
func (s *CompanyStore) CreateCompany(ctx context.Context, c *app.Company) error {
	return createRecord(ctx, &s.crmDB, companyOps, c)
}

// UpdateCompany applies upd. Returns ENOTFOUND or EINVALID.
func (s *CompanyStore) UpdateCompany(ctx context.Context, id int64, upd app.CompanyUpdate) (*app.Company, error) {
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
func (s *CompanyStore) UpsertCompanies(ctx context.Context, cs []*app.Company) error {
	return upsertRecords(ctx, &s.crmDB, companyOps, cs)
}

// DeleteCompany deletes a company; its people and deals stay, without a
// company. Returns ENOTFOUND.
func (s *CompanyStore) DeleteCompany(ctx context.Context, id int64) error {
	return deleteRecord(ctx, &s.crmDB, companyOps, id)
}
