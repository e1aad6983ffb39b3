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

	"orengen/app"
)

// dealCols: a deal's own columns, then its descriptor fields'.
var dealCols = `r.id, r.tenant_id, r.amount, r.currency, r.pipeline_id, r.stage_id, st.name, r.expected_close, r.probability,
	COALESCE(r.owner_id, 0), COALESCE(r.company_id, 0), r.tags, r.custom, r.created_at, r.updated_at` + fieldCols(app.KindDeal)

const dealJoin = ` JOIN crm_stages st ON st.id = r.stage_id`

func scanDeal(row scanner, extra ...any) (*app.Deal, error) {
	var d app.Deal
	var prob sql.NullInt64
	var tags, custom string
	dest := []any{&d.ID, &d.TenantID, &d.Amount, &d.Currency, &d.PipelineID, &d.StageID, &d.Stage, NullTime{}.into(&d.ExpectedClose),
		&prob, &d.OwnerID, &d.CompanyID, &tags, &custom, Time{&d.CreatedAt}, Time{&d.UpdatedAt}}
	if err := row.Scan(joinArgs(dest, fieldDests(app.KindDeal, &d), extra)...); err != nil {
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
	out := append(fieldTexts(app.KindDeal, d, true), fieldTexts(app.KindDeal, d, false)...)
	return customFields(append(out, [2]string{"amount", strconv.FormatInt(d.Amount, 10)}, [2]string{"currency", d.Currency},
		[2]string{"pipeline_id", idStr(d.PipelineID)}, [2]string{"stage", d.Stage}, [2]string{"expected_close", ec}, [2]string{"probability", pr},
		[2]string{"owner_id", idStr(d.OwnerID)}, [2]string{"company_id", idStr(d.CompanyID)},
		[2]string{"person_ids", strings.Join(ids, ", ")}, [2]string{"tags", strings.Join(d.Tags, ", ")}), d.Custom)
}

func dealFTS(d *app.Deal) string {
	return strings.Join(append(app.KindDeal.SearchTexts(d), d.Tags...), " ")
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
func (s *DealStore) FindDeals(ctx context.Context, f app.DealFilter) ([]*app.Deal, string, error) {
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
func (s *DealStore) FindDeal(ctx context.Context, id int64) (*app.Deal, error) {
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
	k := app.KindDeal
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_deals (tenant_id, name_key, amount, currency, pipeline_id, stage_id, expected_close, probability,
		owner_id, company_id, tags, custom, created_at, updated_at`+fieldNames(k)+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`+fieldMarks(k)+`)`,
		joinArgs([]any{tid, strings.ToLower(d.Name), d.Amount, d.Currency, d.PipelineID, d.StageID, nullTime(d.ExpectedClose), nullInt(d.Probability),
			nullID(d.OwnerID), nullID(d.CompanyID), jsonList(d.Tags), customJSON(d.Custom), FormatTime(tx.now), FormatTime(tx.now)}, fieldArgs(k, d))...)
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
	k := app.KindDeal
	if _, err := tx.ExecContext(ctx, `UPDATE crm_deals SET `+fieldSets(k)+`name_key = ?, amount = ?, currency = ?, pipeline_id = ?, stage_id = ?, expected_close = ?,
		probability = ?, owner_id = ?, company_id = ?, tags = ?, custom = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
		joinArgs(fieldArgs(k, d), []any{strings.ToLower(d.Name), d.Amount, d.Currency, d.PipelineID, d.StageID, nullTime(d.ExpectedClose), nullInt(d.Probability),
			nullID(d.OwnerID), nullID(d.CompanyID), jsonList(d.Tags), customJSON(d.Custom), FormatTime(tx.now), d.ID, tid})...); err != nil {
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
func (s *DealStore) CreateDeal(ctx context.Context, d *app.Deal) error {
	return createRecord(ctx, &s.crmDB, dealOps, d)
}

// UpdateDeal applies upd (a stage move is a "stage" field change on the
// timeline). Returns ENOTFOUND or EINVALID.
func (s *DealStore) UpdateDeal(ctx context.Context, id int64, upd app.DealUpdate) (*app.Deal, error) {
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
func (s *DealStore) UpsertDeals(ctx context.Context, ds []*app.Deal) error {
	return upsertRecords(ctx, &s.crmDB, dealOps, ds)
}

// DeleteDeal deletes a deal with its notes and timeline. Returns ENOTFOUND.
func (s *DealStore) DeleteDeal(ctx context.Context, id int64) error {
	return deleteRecord(ctx, &s.crmDB, dealOps, id)
}
