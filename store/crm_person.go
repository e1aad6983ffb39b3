package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"orengen/app"
)

// personCols: a person's own columns, then its descriptor fields'.
var personCols = `r.id, r.tenant_id, r.emails, r.phones, COALESCE(r.company_id, 0), COALESCE(c.name, ''),
	COALESCE(r.owner_id, 0), r.tags, r.consent_email, r.consent_sms, r.consent_calls, r.custom, r.created_at, r.updated_at` + fieldCols(app.KindPerson)

const personJoin = ` LEFT JOIN crm_companies c ON c.id = r.company_id`

func scanPerson(row scanner, extra ...any) (*app.Person, error) {
	var p app.Person
	var emails, phones, tags, custom string
	dest := []any{&p.ID, &p.TenantID, &emails, &phones, &p.CompanyID, &p.CompanyName,
		&p.OwnerID, &tags, &p.Consent.Email, &p.Consent.SMS, &p.Consent.Calls, &custom, Time{&p.CreatedAt}, Time{&p.UpdatedAt}}
	if err := row.Scan(joinArgs(dest, fieldDests(app.KindPerson, &p), extra)...); err != nil {
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
	out := append(fieldTexts(app.KindPerson, p, true),
		[2]string{"emails", strings.Join(p.Emails, ", ")}, [2]string{"phones", strings.Join(p.Phones, ", ")}, [2]string{"company_id", idStr(p.CompanyID)})
	return customFields(append(append(out, fieldTexts(app.KindPerson, p, false)...), [2]string{"owner_id", idStr(p.OwnerID)},
		[2]string{"tags", strings.Join(p.Tags, ", ")}, [2]string{"consent.email", b(p.Consent.Email)}, [2]string{"consent.sms", b(p.Consent.SMS)},
		[2]string{"consent.calls", b(p.Consent.Calls)},
	), p.Custom)
}

func idStr(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func personFTS(p *app.Person) string {
	parts := append(app.KindPerson.SearchTexts(p), p.Emails...)
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
func (s *PersonStore) FindPeople(ctx context.Context, f app.PersonFilter) ([]*app.Person, string, error) {
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
	fieldFilters(l, app.KindPerson, f.Fields)
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
func (s *PersonStore) FindPerson(ctx context.Context, id int64) (*app.Person, error) {
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
	k := app.KindPerson
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_people (tenant_id, name_key, emails, phones, company_id,
		owner_id, tags, consent_email, consent_sms, consent_calls, custom, created_at, updated_at`+fieldNames(k)+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`+fieldMarks(k)+`)`,
		joinArgs([]any{tid, strings.ToLower(p.Name()), jsonList(p.Emails), jsonList(p.Phones), nullID(p.CompanyID),
			nullID(p.OwnerID), jsonList(p.Tags), p.Consent.Email, p.Consent.SMS, p.Consent.Calls, customJSON(p.Custom), FormatTime(tx.now), FormatTime(tx.now)}, fieldArgs(k, p))...)
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
	k := app.KindPerson
	if _, err := tx.ExecContext(ctx, `UPDATE crm_people SET `+fieldSets(k)+`name_key = ?, emails = ?, phones = ?, company_id = ?,
		owner_id = ?, tags = ?, consent_email = ?, consent_sms = ?, consent_calls = ?, custom = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
		joinArgs(fieldArgs(k, p), []any{strings.ToLower(p.Name()), jsonList(p.Emails), jsonList(p.Phones), nullID(p.CompanyID),
			nullID(p.OwnerID), jsonList(p.Tags), p.Consent.Email, p.Consent.SMS, p.Consent.Calls, customJSON(p.Custom), FormatTime(tx.now), p.ID, tid})...); err != nil {
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
func (s *PersonStore) CreatePerson(ctx context.Context, p *app.Person) error {
	return createRecord(ctx, &s.crmDB, personOps, p)
}

// UpdatePerson applies upd, writing one timeline entry per changed field.
// Returns ENOTFOUND or EINVALID.
func (s *PersonStore) UpdatePerson(ctx context.Context, id int64, upd app.PersonUpdate) (*app.Person, error) {
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
func (s *PersonStore) UpsertPeople(ctx context.Context, ps []*app.Person) error {
	return upsertRecords(ctx, &s.crmDB, personOps, ps)
}

// FindDuplicates returns the tenant's other people sharing an email or a
// phone with person id, oldest first. Returns ENOTFOUND.
func (s *PersonStore) FindDuplicates(ctx context.Context, id int64) ([]*app.Person, error) {
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

// DeletePerson deletes a person with their notes and timeline; their tasks
// stay, unlinked. Returns ENOTFOUND.
func (s *PersonStore) DeletePerson(ctx context.Context, id int64) error {
	return deleteRecord(ctx, &s.crmDB, personOps, id)
}

// MergePeople merges dropID into keepID in one transaction (see
// app.PersonStore), moving the dropped person's notes, tasks and timeline
// in it. Returns ENOTFOUND or EINVALID.
func (s *PersonStore) MergePeople(ctx context.Context, keepID, dropID int64) (*app.Person, error) {
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
	m := app.MergePerson(keep, drop, false)
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
	if err := replacePerson(ctx, tx, tid, keep, m); err != nil {
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
