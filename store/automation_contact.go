package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"orengen/app"
)

// ContactStore implements app.ContactStore on the CRM: a workflow's
// contact is a person (crm_people), found again by its normalised email
// or phone (crm_contact_points), and every write lands in the records'
// timelines like any other CRM write.
type ContactStore struct {
	db  *DB
	crm *CRMStores
}

var _ app.ContactStore = (*ContactStore)(nil)

// NewContactStore returns a ContactStore on db.
func NewContactStore(db *DB) *ContactStore { return &ContactStore{db: db, crm: NewCRMStores(db)} }

// tenantCtx scopes ctx to the tenant for the CRM store's methods.
func tenantCtx(ctx context.Context, tenantID int64) context.Context {
	return app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
}

// UpsertContact implements app.ContactUpserter.
func (s *ContactStore) UpsertContact(ctx context.Context, in app.ContactInput) (int64, bool, error) {
	if err := in.Validate(); err != nil {
		return 0, false, err
	}
	var id int64
	var created bool
	err := s.db.Update(ctx, func(tx *Tx) error {
		var err error
		id, created, err = upsertPerson(ctx, tx, &in)
		return err
	})
	return id, created, err
}

// findPersonByContact returns the tenant's oldest person with the email,
// else with the phone; 0 when none.
func findPersonByContact(ctx context.Context, tx queryer, tid int64, email, phone string) (int64, error) {
	for _, kv := range [][2]string{{"email", email}, {"phone", phone}} {
		if kv[1] == "" {
			continue
		}
		// No ORDER BY: the value index holds (value, kind, person_id), so
		// its first match is the oldest person, and an ORDER BY would
		// tempt the planner into walking the primary key instead.
		var id sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT person_id FROM crm_contact_points WHERE value = ? AND kind = ? AND tenant_id = ? LIMIT 1`,
			kv[1], kv[0], tid).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("find contact: %w", err)
		}
		if id.Valid {
			return id.Int64, nil
		}
	}
	return 0, nil
}

// upsertPerson finds the tenant's person by normalised email, then phone,
// and adds what the input brings (app.Person.AddContact; a lacking company
// is filled too); else it creates one. What the person has no room for is
// noted on its timeline, never an error: a public form must not lose a
// lead to a cap on the contact. in has been validated (email lower case,
// phone E.164).
func upsertPerson(ctx context.Context, tx *Tx, in *app.ContactInput) (int64, bool, error) {
	tid := in.TenantID
	if tid == 0 {
		return 0, false, app.Errorf(app.EINVALID, "Contact has no tenant.")
	}
	if in.Actor != "" {
		ctx = app.NewContextWithActor(ctx, in.Actor)
	}
	id, err := findPersonByContact(ctx, tx, tid, in.Email, in.Phone)
	if err != nil {
		return 0, false, err
	}
	var old *app.Person
	p := &app.Person{Source: in.Source}
	if id != 0 {
		if old, err = findPerson(ctx, tx, id, tid); err != nil {
			return 0, false, err
		}
		cp := *old
		cp.Emails, cp.Phones, cp.Tags = slices.Clone(old.Emails), slices.Clone(old.Phones), slices.Clone(old.Tags)
		p = &cp
	}
	left := p.AddContact(in)
	if in.Company != "" && p.CompanyID == 0 {
		if p.CompanyID, err = importCompanyID(ctx, tx, tid, in.Company); err != nil {
			return 0, false, err
		}
	}
	if err := p.Validate(); err != nil {
		return 0, false, err
	}
	if old == nil {
		if err := insertPerson(ctx, tx, tid, p); err != nil {
			return 0, false, err
		}
		return p.ID, true, noteLeftOut(ctx, tx, tid, p.ID, left)
	}
	if !slices.Equal(personFields(old), personFields(p)) {
		if err := replacePerson(ctx, tx, tid, old, p); err != nil {
			return 0, false, err
		}
	}
	return old.ID, false, noteLeftOut(ctx, tx, tid, old.ID, left)
}

// noteLeftOut records on the person's timeline what a contact input
// brought that the person had no room for (the submission keeps it).
func noteLeftOut(ctx context.Context, tx *Tx, tid, personID int64, left []string) error {
	if len(left) == 0 {
		return nil
	}
	e := timeline(ctx, tx, tid, app.RecordPerson, personID, app.TimelineNote)
	e.Body = "Not added to this contact: " + strings.Join(left, "; ") + "."
	return AddTimelineEntryTx(ctx, tx, e)
}

// submissionSummary is a submission's timeline text: its fields, sorted.
func submissionSummary(sub *app.Submission) string {
	keys := make([]string, 0, len(sub.Payload))
	for k, v := range sub.Payload {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "Form %s submitted", sub.Form)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n%s: %s", k, sub.Payload[k])
	}
	return b.String()
}

// FindContact implements app.ContactStore.
func (s *ContactStore) FindContact(ctx context.Context, tenantID, id int64) (*app.Contact, error) {
	p, err := findPerson(ctx, s.db.read, id, tenantID)
	if err != nil {
		return nil, err
	}
	c := &app.Contact{ID: p.ID, TenantID: p.TenantID, FirstName: p.FirstName, LastName: p.LastName, Title: p.Title, Source: p.Source, Tags: p.Tags}
	if len(p.Emails) > 0 {
		c.Email = p.Emails[0]
	}
	if len(p.Phones) > 0 {
		c.Phone = p.Phones[0]
	}
	if p.CompanyID != 0 {
		if co, err := findCompany(ctx, s.db.read, p.CompanyID, tenantID); err == nil {
			c.Company = co.Name
		}
	}
	return c, nil
}

// TagContact implements app.ContactStore: the tags change is one
// timeline entry, so tag_added workflows and webhooks see it.
func (s *ContactStore) TagContact(ctx context.Context, tenantID, id int64, tag string, remove bool) error {
	tags, err := app.NormalizeTags("tag", []string{tag})
	if err != nil || len(tags) != 1 {
		return app.FieldErrorf("tag", "Tag required: letters, digits, spaces and _ . : / - (at most 50 characters).")
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		old, err := findPerson(ctx, tx, id, tenantID)
		if err != nil {
			return err
		}
		p := *old
		p.Tags = slices.Clone(old.Tags)
		i := slices.Index(p.Tags, tags[0])
		switch {
		case remove && i >= 0:
			p.Tags = slices.Delete(p.Tags, i, i+1)
		case !remove && i < 0:
			p.Tags = append(p.Tags, tags[0])
		default:
			return nil
		}
		if err := p.Validate(); err != nil {
			return err
		}
		return replacePerson(ctx, tx, tenantID, old, &p)
	})
}

// CreateContactDeal implements app.ContactStore.
func (s *ContactStore) CreateContactDeal(ctx context.Context, tenantID, contactID int64, d *app.Deal, pipeline string) error {
	ctx = tenantCtx(ctx, tenantID)
	if pipeline = strings.TrimSpace(pipeline); pipeline != "" {
		ps, err := s.crm.Stages.Pipelines(ctx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if strings.EqualFold(p.Name, pipeline) {
				d.PipelineID = p.ID
			}
		}
		if d.PipelineID == 0 {
			return app.FieldErrorf("pipeline", "Unknown pipeline %q.", pipeline)
		}
	}
	if contactID != 0 {
		d.PersonIDs = []int64{contactID}
		if p, err := findPerson(ctx, s.db.read, contactID, tenantID); err == nil {
			d.CompanyID = p.CompanyID
		}
	}
	return s.crm.Deals.CreateDeal(ctx, d)
}

// MoveDeal implements app.ContactStore.
func (s *ContactStore) MoveDeal(ctx context.Context, tenantID, dealID int64, stage string) (string, error) {
	ctx = tenantCtx(ctx, tenantID)
	old, err := s.crm.Deals.FindDeal(ctx, dealID)
	if err != nil {
		return "", err
	}
	if strings.EqualFold(old.Stage, stage) {
		return old.Stage, nil
	}
	if _, err := s.crm.Deals.UpdateDeal(ctx, dealID, app.DealUpdate{Stage: &stage}); err != nil {
		return "", err
	}
	return old.Stage, nil
}

// CreateRecordTask implements app.ContactStore.
func (s *ContactStore) CreateRecordTask(ctx context.Context, tenantID int64, t *app.Task) error {
	return s.crm.Tasks.CreateTask(tenantCtx(ctx, tenantID), t)
}

// RecordActivity implements app.ContactStore.
func (s *ContactStore) RecordActivity(ctx context.Context, tenantID, contactID int64, kind, body string) error {
	return s.crm.Timeline.AddTimelineEntry(tenantCtx(ctx, tenantID), &app.TimelineEntry{RecordType: app.RecordPerson, RecordID: contactID, Kind: kind, Body: body})
}
