package twenty

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"orengen/app"
)

// MaxBatch is the most records one batch create takes (Twenty's own
// limit is 60; the CRM's batches take more).
const MaxBatch = app.MaxBatch

// DefaultLimit is a list's page size when none is asked for (Twenty's).
const DefaultLimit = 60

// Service lists and changes CRM records in Twenty's shapes. The tenant
// comes from ctx, as for every CRM call: a tenant key's tenant, or for an
// admin the one the request names (reads may span every tenant).
type Service struct {
	// CRM is the service the ui uses too: every object's records,
	// custom fields and pipelines.
	CRM *app.CRMService
	// Contacts upserts the createContact alias's person, deduplicated by
	// email then phone, so its workflows' triggers fire as for a form.
	Contacts app.ContactUpserter
}

// Query is a list request.
type Query struct {
	Filter *Node
	Order  []Order
	Limit  int    // 0: DefaultLimit
	After  string // a row cursor: the page starts past it
	Before string // a row cursor: the page ends before it
	// FromEnd asks for the last page (GraphQL's last without before).
	FromEnd bool
	Count   bool // fill Page.TotalCount
	// Depth 1 embeds the records a record points at (a person's company,
	// an opportunity's company and point of contact); 0 gives their IDs.
	Depth int
	// AfterParam and BeforeParam name the cursor parameters in errors
	// (REST: starting_after, ending_before; GraphQL: after, before).
	AfterParam, BeforeParam string
}

// Page is one page of a list.
type Page struct {
	Records     []any // *Person, *Company, *Opportunity, *Note or *Task
	Cursors     []string
	HasNext     bool
	HasPrevious bool
	StartCursor string
	EndCursor   string
	TotalCount  int
}

func flip(sort string) string {
	if s, ok := strings.CutPrefix(sort, "-"); ok {
		return s
	}
	return "-" + sort
}

// List returns one page of an object's records. Returns EINVALID naming
// filter, order_by, limit or the cursor parameter.
func (s *Service) List(ctx context.Context, o *Object, q Query) (*Page, error) {
	if q.AfterParam == "" {
		q.AfterParam, q.BeforeParam = "starting_after", "ending_before"
	}
	where, err := o.Where(q.Filter)
	if err != nil {
		return nil, err
	}
	sort, err := o.sortKey(q.Order)
	if err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > app.MaxPageSize {
		return nil, app.FieldErrorf("limit", "limit must be from 1 to %d.", app.MaxPageSize)
	}
	if q.After != "" && q.Before != "" {
		return nil, app.FieldErrorf(q.BeforeParam, "Send %s or %s, not both.", q.AfterParam, q.BeforeParam)
	}
	var curs []string
	var total int
	opts := app.ListOptions{Limit: q.Limit, Sort: sort, Where: where, RowCursors: &curs}
	if q.Count {
		opts.Count = &total
	}
	badCursor := func(param string) error {
		return app.FieldErrorf(param, "%s is not a cursor of this list in this order: take startCursor or endCursor from the last page.", param)
	}
	switch {
	case q.After != "":
		c, err := app.DecodeCursor(q.After)
		if err != nil || c.Sort != sort {
			return nil, badCursor(q.AfterParam)
		}
		opts.Cursor = q.After
	case q.FromEnd:
		opts.Sort = flip(sort)
	case q.Before != "":
		// A page before a cursor is the page after it in the other
		// order, turned round.
		c, err := app.DecodeCursor(q.Before)
		if err != nil || c.Sort != sort {
			return nil, badCursor(q.BeforeParam)
		}
		opts.Sort = flip(sort)
		opts.Cursor = app.Cursor{Sort: opts.Sort, Key: c.Key, ID: c.ID}.Encode()
	}
	recs, next, err := s.find(ctx, o, opts, q.Depth)
	if err != nil {
		if f := app.ErrorField(err); f == "cursor" {
			return nil, badCursor(q.AfterParam)
		}
		return nil, err
	}
	p := &Page{Records: recs, TotalCount: total}
	if q.Before != "" || q.FromEnd {
		slices.Reverse(p.Records)
		slices.Reverse(curs)
		// The cursors were made in the other order: each names its row,
		// so turn them back to this order.
		for i, c := range curs {
			cc, _ := app.DecodeCursor(c)
			curs[i] = app.Cursor{Sort: sort, Key: cc.Key, ID: cc.ID}.Encode()
		}
		p.HasPrevious, p.HasNext = next != "", q.Before != ""
	} else {
		p.HasNext, p.HasPrevious = next != "", q.After != ""
	}
	p.Cursors = curs
	if len(curs) > 0 {
		p.StartCursor, p.EndCursor = curs[0], curs[len(curs)-1]
	}
	return p, nil
}

// find runs the object's list.
func (s *Service) find(ctx context.Context, o *Object, opts app.ListOptions, depth int) ([]any, string, error) {
	return opsOf[o].find(s, ctx, opts, depth)
}

// idsWhere selects records by ID.
func idsWhere(ids []int64) app.Where {
	vals := make([]string, len(ids))
	for i, id := range ids {
		vals[i] = `"` + strconv.FormatInt(id, 10) + `"`
	}
	return app.Where{Conditions: []app.Condition{{Field: "id", Op: "in", Value: "[" + strings.Join(vals, ",") + "]"}}}
}

// Companies returns companies by ID (missing ones are left out), in one
// query.
func (s *Service) Companies(ctx context.Context, ids []int64) (map[int64]*Company, error) {
	out := map[int64]*Company{}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for len(ids) > 0 {
		n := min(len(ids), 100)
		cs, _, err := s.CRM.FindCompanies(ctx, app.CompanyFilter{ListOptions: app.ListOptions{Limit: n, Where: idsWhere(ids[:n])}})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out[c.ID] = ToCompany(c)
		}
		ids = ids[n:]
	}
	return out, nil
}

// People returns people by ID (missing ones are left out), in one query.
func (s *Service) People(ctx context.Context, ids []int64) (map[int64]*Person, error) {
	out := map[int64]*Person{}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for len(ids) > 0 {
		n := min(len(ids), 100)
		ps, _, err := s.CRM.FindPeople(ctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: n, Where: idsWhere(ids[:n])}})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out[p.ID] = ToPerson(p)
		}
		ids = ids[n:]
	}
	return out, nil
}

func (s *Service) embedPeople(ctx context.Context, ps []*Person) error {
	var ids []int64
	for _, p := range ps {
		if p.Rec.CompanyID != 0 {
			ids = append(ids, p.Rec.CompanyID)
		}
	}
	cs, err := s.Companies(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range ps {
		p.Company = cs[p.Rec.CompanyID]
	}
	return nil
}

func (s *Service) embedOpportunities(ctx context.Context, os []*Opportunity) error {
	var cids, pids []int64
	for _, o := range os {
		if o.Rec.CompanyID != 0 {
			cids = append(cids, o.Rec.CompanyID)
		}
		if len(o.Rec.PersonIDs) > 0 {
			pids = append(pids, o.Rec.PersonIDs[0])
		}
	}
	cs, err := s.Companies(ctx, cids)
	if err != nil {
		return err
	}
	ps, err := s.People(ctx, pids)
	if err != nil {
		return err
	}
	for _, o := range os {
		o.Company = cs[o.Rec.CompanyID]
		if len(o.Rec.PersonIDs) > 0 {
			o.PointOfContact = ps[o.Rec.PersonIDs[0]]
		}
	}
	return nil
}

// Get returns one record. Returns ENOTFOUND (also for another tenant's).
func (s *Service) Get(ctx context.Context, o *Object, ref string, depth int) (any, error) {
	id, err := ParseID("id", o.Label, ref)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, o, id, depth)
}

func (s *Service) get(ctx context.Context, o *Object, id int64, depth int) (any, error) {
	return opsOf[o].get(s, ctx, id, depth)
}

// RecordID reads an object's record ID (UUID form or number). Returns
// EINVALID naming id, or ENOTFOUND.
func RecordID(o *Object, ref string) (int64, error) { return ParseID("id", o.Label, ref) }

// customOf returns whether a key is one of the tenant's custom fields of
// the object.
func (s *Service) customOf(ctx context.Context, o *Object) (func(string) bool, error) {
	if !opsOf[o].custom {
		return func(string) bool { return false }, nil
	}
	defs, err := s.CRM.FindCustomFields(ctx, o.Record)
	if err != nil {
		return nil, err
	}
	return func(k string) bool {
		return slices.ContainsFunc(defs, func(d *app.CustomField) bool { return d.Key == k })
	}, nil
}

// stageRef maps Twenty's default stages (NEW, SCREENING, MEETING,
// CUSTOMER) to the tenant's when its pipelines have no stage of that
// name.
func (s *Service) stageRef(ctx context.Context, u *app.DealUpdate) error {
	if u.Stage == nil {
		return nil
	}
	alias := app.TwentyStage(*u.Stage)
	if alias == "" {
		return nil
	}
	pls, err := s.CRM.Pipelines(ctx)
	if err != nil {
		return err
	}
	for _, pl := range pls {
		if (u.PipelineID == nil || *u.PipelineID == pl.ID) && pl.StageByRef(*u.Stage) != nil {
			return nil
		}
	}
	u.Stage = &alias
	return nil
}

// build reads an input into a new record of the object (not stored).
func (s *Service) build(ctx context.Context, o *Object, in Input, isCustom func(string) bool) (any, error) {
	return opsOf[o].build(s, ctx, in, isCustom)
}

// Create stores a new record from a Twenty-shaped input and returns it.
// Returns EINVALID naming the field, ECONFLICT, or EUNAUTHORIZED without
// a tenant to write in.
func (s *Service) Create(ctx context.Context, o *Object, in Input) (any, error) {
	isCustom, err := s.customOf(ctx, o)
	if err != nil {
		return nil, err
	}
	rec, err := s.build(ctx, o, in, isCustom)
	if err != nil {
		return nil, err
	}
	id, err := opsOf[o].create(s, ctx, rec)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, o, id, 0)
}

// CreateMany stores records in one transaction: all or none. Returns
// EINVALID naming the record and field (records[3].name.firstName).
func (s *Service) CreateMany(ctx context.Context, o *Object, ins []Input) ([]any, error) {
	if len(ins) == 0 || len(ins) > MaxBatch {
		return nil, app.FieldErrorf("data", "A batch takes 1 to %d records.", MaxBatch)
	}
	isCustom, err := s.customOf(ctx, o)
	if err != nil {
		return nil, err
	}
	recs := make([]any, len(ins))
	for i, in := range ins {
		if recs[i], err = s.build(ctx, o, in, isCustom); err != nil {
			return nil, app.BatchFail(i, err)
		}
	}
	ids, err := opsOf[o].upsert(s, ctx, recs)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(ids))
	for i, id := range ids {
		if out[i], err = s.get(ctx, o, id, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Update changes the fields an input sends and returns the record.
// Returns ENOTFOUND or EINVALID naming the field.
func (s *Service) Update(ctx context.Context, o *Object, ref string, in Input) (any, error) {
	id, err := ParseID("id", o.Label, ref)
	if err != nil {
		return nil, err
	}
	isCustom, err := s.customOf(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := opsOf[o].update(s, ctx, id, in, isCustom); err != nil {
		return nil, err
	}
	return s.get(ctx, o, id, 0)
}

// Delete deletes a record and returns its ID as given back. Returns
// ENOTFOUND.
func (s *Service) Delete(ctx context.Context, o *Object, ref string) (string, error) {
	id, err := ParseID("id", o.Label, ref)
	if err != nil {
		return "", err
	}
	if err := opsOf[o].delete(s, ctx, id); err != nil {
		return "", err
	}
	return FormatID(id), nil
}

// Contact is the person the createContact alias returns.
type Contact struct {
	ID        string `json:"id"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	Company   string `json:"company"`
	JobTitle  string `json:"jobTitle"`
	Source    string `json:"source"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
	// Created is false when an existing person (same email, else phone)
	// was updated.
	Created bool `json:"created"`
}

// ContactInput is createContact's data: a lead as n8n sends it.
type ContactInput struct {
	FirstName, LastName, Email, Phone, Company, JobTitle, Source string
}

// UpsertContact is the seed's createContact: the person with the email
// (else the phone) is updated with what the input brings, or created,
// and the tenant's "contact created" (or "updated") workflows run, as for
// a form. Returns EINVALID naming the field (an email or a phone is
// needed), or EUNAUTHORIZED without a tenant.
func (s *Service) UpsertContact(ctx context.Context, in ContactInput) (*Contact, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, app.Errorf(app.EUNAUTHORIZED, "Name the tenant the contact belongs to.")
	}
	if strings.TrimSpace(in.Email) == "" && strings.TrimSpace(in.Phone) == "" {
		return nil, app.FieldErrorf("email", "A contact needs an email or a phone.")
	}
	src := in.Source
	if src == "" {
		src = "api"
	}
	id, created, err := s.Contacts.UpsertContact(ctx, app.ContactInput{TenantID: tid, FirstName: in.FirstName, LastName: in.LastName,
		Email: in.Email, Phone: in.Phone, Company: in.Company, Title: in.JobTitle, Source: src})
	if err != nil {
		return nil, err
	}
	p, err := s.CRM.FindPerson(ctx, id)
	if err != nil {
		return nil, err
	}
	c := &Contact{ID: FormatID(p.ID), FirstName: p.FirstName, LastName: p.LastName, Company: p.CompanyName, JobTitle: p.Title, Source: p.Source,
		CreatedAt: Time(p.CreatedAt), UpdatedAt: Time(p.UpdatedAt), Created: created}
	if len(p.Emails) > 0 {
		c.Email = p.Emails[0]
	}
	if len(p.Phones) > 0 {
		c.Phone = p.Phones[0]
	}
	return c, nil
}
