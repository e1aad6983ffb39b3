package api

import (
	"bytes"
	"context"
	"encoding/json"
	"orengen/ui/web"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// CRM REST API v1. The same handlers serve the portal (tenant keys: the
// key's tenant) and Nexus (admin keys: ?tenant=ID|slug for one tenant;
// without it, reads span every tenant, changes to a record act in the
// record's tenant, and creates need ?tenant).

// crmResource is one collection of the API.
type crmResource struct {
	Path   string // people, companies, ...
	Record string // app.Record*
	Filter []string
}

var crmResources = []crmResource{
	{"people", app.RecordPerson, fieldFilters(app.KindPerson, "email", "phone", "company_id", "owner_id", "tag")},
	{"companies", app.RecordCompany, fieldFilters(app.KindCompany, "domain", "tag")},
	{"opportunities", app.RecordDeal, []string{"pipeline_id", "stage", "company_id", "person_id", "owner_id", "tag"}},
	{"notes", app.RecordNote, []string{"record_type", "record_id"}},
	{"tasks", app.RecordTask, []string{"done", "assignee_id", "record_type", "record_id"}},
}

// fieldFilters lists own, then the kind's descriptor fields with Filter.
func fieldFilters(k *app.RecordKind, own ...string) []string {
	for _, f := range k.FieldsWhere(func(f *app.Field) bool { return f.Filter }) {
		own = append(own, f.Key)
	}
	return own
}

// fieldQuery reads the kind's descriptor filters from the query.
func fieldQuery(c *fiber.Ctx, k *app.RecordKind) map[string]string {
	out := map[string]string{}
	for _, f := range k.Fields {
		if v := c.Query(f.Key); v != "" && f.Filter {
			out[f.Key] = utils.CopyString(v)
		}
	}
	return out
}

func (s *Handler) registerCRMAPIRoutes(api fiber.Router, host string) {
	if s.CRM == nil {
		return
	}
	api.Get("/openapi.json", s.handleOpenAPI)
	api.Get("/pipelines", s.handleAPIPipelines)
	api.Post("/pipelines", web.RequireWriteKey, s.handleAPIPipelineCreate)
	api.Patch("/pipelines/:id", web.RequireWriteKey, s.handleAPIPipelineUpdate)
	api.Get("/custom-fields", s.handleAPICustomFields)
	api.Post("/custom-fields", web.RequireWriteKey, s.handleAPICustomFieldCreate)
	api.Delete("/custom-fields/:id", web.RequireWriteKey, s.handleAPICustomFieldDelete)
	for _, r := range crmResources {
		r := r
		api.Get("/"+r.Path, s.crmHandler(r, s.apiCRMList))
		api.Post("/"+r.Path, web.RequireWriteKey, s.crmHandler(r, s.apiCRMCreate))
		api.Post("/"+r.Path+"/batch", web.RequireWriteKey, s.crmHandler(r, s.apiCRMBatch))
		api.Get("/"+r.Path+"/:id", s.crmHandler(r, s.apiCRMGet))
		api.Patch("/"+r.Path+"/:id", web.RequireWriteKey, s.crmHandler(r, s.apiCRMUpdate))
		api.Delete("/"+r.Path+"/:id", web.RequireWriteKey, s.crmHandler(r, s.apiCRMDelete))
		if r.Record != app.RecordNote && r.Record != app.RecordTask {
			api.Get("/"+r.Path+"/:id/timeline", s.crmHandler(r, s.apiCRMTimeline))
		}
		if r.Record == app.RecordPerson {
			api.Get("/people/:id/duplicates", s.crmHandler(r, s.apiPersonDuplicates))
			api.Post("/people/:id/merge", web.RequireWriteKey, s.crmHandler(r, s.apiPersonMerge))
		}
	}
}

// apiPersonDuplicates lists people sharing an email or phone with :id.
func (s *Handler) apiPersonDuplicates(c *fiber.Ctx, call crmCall) error {
	ps, err := s.CRM.FindDuplicates(call.ctx, call.id)
	if err != nil {
		return err
	}
	out := make([]apiPerson, len(ps))
	for i, p := range ps {
		out[i] = toAPIPerson(p)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// apiPersonMerge merges {"merge_id": N} into :id, keeping everything of
// both in one transaction.
func (s *Handler) apiPersonMerge(c *fiber.Ctx, call crmCall) error {
	var in struct {
		MergeID int64 `json:"merge_id"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if _, err := s.CRM.FindPerson(call.ctx, call.id); err != nil {
		return err
	}
	if in.MergeID <= 0 {
		return app.FieldErrorf("merge_id", "merge_id: the ID of the person to merge into this one.")
	}
	p, err := s.CRM.MergePeople(call.ctx, call.id, in.MergeID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.FieldErrorf("merge_id", "Unknown person %d.", in.MergeID)
	} else if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIPerson(p)})
}

type crmCall struct {
	ctx context.Context
	res crmResource
	id  int64
}

// crmHandler resolves the scope of a CRM API request and calls h.
func (s *Handler) crmHandler(r crmResource, h func(*fiber.Ctx, crmCall) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		call := crmCall{ctx: c.UserContext(), res: r}
		if c.Params("id") != "" {
			id, err := web.ParamID(c, "id")
			if err != nil {
				return err
			}
			call.id = id
		}
		if k := app.APIKeyFromContext(call.ctx); k != nil && k.Admin() {
			ctx, err := s.adminCRMScope(c, call)
			if err != nil {
				return err
			}
			call.ctx = ctx
		}
		return h(c, call)
	}
}

// adminCRMScope picks the tenant an admin request acts in (adminScope).
func (s *Handler) adminCRMScope(c *fiber.Ctx, call crmCall) (context.Context, error) {
	return s.adminScope(c, call.ctx, call.res.Record, call.id)
}

// ---- JSON shapes ----

// The JSON shapes of people, companies and deals carry their kind's
// descriptor fields (app.Field) in Fields, written beside the others.

type apiPerson struct {
	ID          int64          `json:"id"`
	TenantID    int64          `json:"tenant_id"`
	Fields      map[string]any `json:"-"`
	Emails      []string       `json:"emails"`
	Phones      []string       `json:"phones"`
	CompanyID   *int64         `json:"company_id"`
	CompanyName string         `json:"company_name"`
	OwnerID     *int64         `json:"owner_id"`
	Tags        []string       `json:"tags"`
	Consent     app.Consent    `json:"consent"`
	Custom      map[string]any `json:"custom"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

func toAPIPerson(p *app.Person) apiPerson {
	return apiPerson{p.ID, p.TenantID, fieldsOut(app.KindPerson, p), nonNil(p.Emails), nonNil(p.Phones), web.OptID(p.CompanyID), p.CompanyName,
		web.OptID(p.OwnerID), nonNil(p.Tags), p.Consent, customOut(p.Custom), p.CreatedAt, p.UpdatedAt}
}

func (a apiPerson) MarshalJSON() ([]byte, error) {
	type plain apiPerson
	return withFields(plain(a), a.Fields)
}

func (a apiCompany) MarshalJSON() ([]byte, error) {
	type plain apiCompany
	return withFields(plain(a), a.Fields)
}

func (a apiDeal) MarshalJSON() ([]byte, error) {
	type plain apiDeal
	return withFields(plain(a), a.Fields)
}

// fieldsOut is the API form of rec's descriptor fields by key.
func fieldsOut(k *app.RecordKind, rec any) map[string]any {
	out := make(map[string]any, len(k.Fields))
	for _, f := range k.Fields {
		out[f.Key] = f.JSON(rec)
	}
	return out
}

// withFields writes v (a struct) as a JSON object with fields' members
// added after its own.
func withFields(v any, fields map[string]any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(fields) == 0 {
		return b, err
	}
	f, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	if len(b) > 2 {
		b[len(b)-1] = ','
	} else {
		b = b[:len(b)-1]
	}
	return append(b, f[1:]...), nil
}

// decodeFields reads the kind's descriptor fields present in a JSON
// object body (null keeps a field). Returns EINVALID naming the field,
// for a value of the wrong JSON type too.
func decodeFields(k *app.RecordKind, body []byte) (app.FieldValues, error) {
	var m map[string]json.RawMessage
	if err := web.DecodeJSON(body, &m); err != nil {
		return nil, err
	}
	out := app.FieldValues{}
	for _, f := range k.Fields {
		raw, ok := m[f.Key]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			continue
		}
		var s string
		if err := web.DecodeJSONValue(f.Key, raw, &s); err != nil {
			return nil, err
		}
		v, err := f.Parse(s)
		if err != nil {
			return nil, err
		}
		out[f.Key] = v
	}
	return out, nil
}

func customOut(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// personIn is a person as clients send it; "email" and "phone" are
// shorthands for one-element lists.
type personIn struct {
	ID        int64          `json:"id"`
	Emails    []string       `json:"emails"`
	Email     string         `json:"email"`
	Phones    []string       `json:"phones"`
	Phone     string         `json:"phone"`
	CompanyID *int64         `json:"company_id"`
	OwnerID   *int64         `json:"owner_id"`
	Tags      []string       `json:"tags"`
	Consent   *app.Consent   `json:"consent"`
	Custom    map[string]any `json:"custom"`
}

func (in personIn) person() *app.Person {
	p := &app.Person{ID: in.ID, Emails: in.Emails, Phones: in.Phones, Tags: in.Tags}
	if in.Email != "" {
		p.Emails = append([]string{in.Email}, p.Emails...)
	}
	if in.Phone != "" {
		p.Phones = append([]string{in.Phone}, p.Phones...)
	}
	if in.CompanyID != nil {
		p.CompanyID = *in.CompanyID
	}
	if in.OwnerID != nil {
		p.OwnerID = *in.OwnerID
	}
	if in.Consent != nil {
		p.Consent = *in.Consent
	}
	p.Custom = in.Custom
	return p
}

type apiCompany struct {
	ID        int64          `json:"id"`
	TenantID  int64          `json:"tenant_id"`
	Fields    map[string]any `json:"-"`
	Tags      []string       `json:"tags"`
	Custom    map[string]any `json:"custom"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

func toAPICompany(c *app.Company) apiCompany {
	return apiCompany{c.ID, c.TenantID, fieldsOut(app.KindCompany, c), nonNil(c.Tags), customOut(c.Custom), c.CreatedAt, c.UpdatedAt}
}

type companyIn struct {
	ID     int64          `json:"id"`
	Tags   []string       `json:"tags"`
	Custom map[string]any `json:"custom"`
}

type apiDeal struct {
	ID            int64          `json:"id"`
	TenantID      int64          `json:"tenant_id"`
	Fields        map[string]any `json:"-"`
	Amount        int64          `json:"amount"`
	Currency      string         `json:"currency"`
	PipelineID    int64          `json:"pipeline_id"`
	StageID       int64          `json:"stage_id"`
	Stage         string         `json:"stage"`
	ExpectedClose *string        `json:"expected_close"`
	Probability   *int           `json:"probability"`
	OwnerID       *int64         `json:"owner_id"`
	CompanyID     *int64         `json:"company_id"`
	PersonIDs     []int64        `json:"person_ids"`
	Tags          []string       `json:"tags"`
	Custom        map[string]any `json:"custom"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

func optDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format("2006-01-02")
	return &s
}

func toAPIDeal(d *app.Deal) apiDeal {
	return apiDeal{d.ID, d.TenantID, fieldsOut(app.KindDeal, d), d.Amount, d.Currency, d.PipelineID, d.StageID, d.Stage, optDate(d.ExpectedClose), d.Probability,
		web.OptID(d.OwnerID), web.OptID(d.CompanyID), nonNil(d.PersonIDs), nonNil(d.Tags), customOut(d.Custom), d.CreatedAt, d.UpdatedAt}
}

// dealIn is a deal as clients send it: amount in minor units (cents),
// stage by name or ID.
type dealIn struct {
	ID            int64          `json:"id"`
	Amount        *int64         `json:"amount"`
	Currency      *string        `json:"currency"`
	PipelineID    *int64         `json:"pipeline_id"`
	Stage         *string        `json:"stage"`
	StageID       *int64         `json:"stage_id"`
	ExpectedClose *string        `json:"expected_close"`
	Probability   *int           `json:"probability"`
	OwnerID       *int64         `json:"owner_id"`
	CompanyID     *int64         `json:"company_id"`
	PersonIDs     *[]int64       `json:"person_ids"`
	Tags          *[]string      `json:"tags"`
	Custom        map[string]any `json:"custom"`
}

func (in dealIn) update(vals app.FieldValues) (app.DealUpdate, error) {
	u := app.DealUpdate{Fields: vals, Amount: in.Amount, Currency: in.Currency, PipelineID: in.PipelineID, Stage: in.Stage,
		OwnerID: in.OwnerID, CompanyID: in.CompanyID, PersonIDs: in.PersonIDs, Tags: in.Tags, Custom: in.Custom}
	if in.StageID != nil && in.Stage == nil {
		s := strconv.FormatInt(*in.StageID, 10)
		u.Stage = &s
	}
	if in.ExpectedClose != nil {
		t, err := app.ParseDate("expected_close", *in.ExpectedClose)
		if err != nil {
			return u, err
		}
		u.ExpectedClose = &t
	}
	if in.Probability != nil {
		p := in.Probability
		u.Probability = &p
	}
	return u, nil
}

func (in dealIn) deal(vals app.FieldValues) (*app.Deal, error) {
	d := &app.Deal{ID: in.ID}
	u, err := in.update(vals)
	if err != nil {
		return nil, err
	}
	u.Apply(d)
	return d, nil
}

type apiNote struct {
	ID         int64     `json:"id"`
	TenantID   int64     `json:"tenant_id"`
	RecordType string    `json:"record_type"`
	RecordID   int64     `json:"record_id"`
	Body       string    `json:"body"`
	BodyHTML   string    `json:"body_html"`
	Author     string    `json:"author"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toAPINote(n *app.Note) apiNote {
	return apiNote{n.ID, n.TenantID, n.RecordType, n.RecordID, n.Body, string(web.Markdown(n.Body)), n.Author, n.CreatedAt, n.UpdatedAt}
}

type noteIn struct {
	ID         int64  `json:"id"`
	RecordType string `json:"record_type"`
	RecordID   int64  `json:"record_id"`
	Body       string `json:"body"`
}

type apiTask struct {
	ID         int64      `json:"id"`
	TenantID   int64      `json:"tenant_id"`
	Title      string     `json:"title"`
	Due        *time.Time `json:"due"`
	AssigneeID *int64     `json:"assignee_id"`
	Done       bool       `json:"done"`
	DoneAt     *time.Time `json:"done_at"`
	RecordType string     `json:"record_type"`
	RecordID   *int64     `json:"record_id"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

func toAPITask(t *app.Task) apiTask {
	return apiTask{t.ID, t.TenantID, t.Title, t.Due, web.OptID(t.AssigneeID), t.Done, t.DoneAt, t.RecordType, web.OptID(t.RecordID), t.CreatedAt, t.UpdatedAt}
}

type taskIn struct {
	ID         int64   `json:"id"`
	Title      *string `json:"title"`
	Due        *string `json:"due"`
	AssigneeID *int64  `json:"assignee_id"`
	Done       *bool   `json:"done"`
	RecordType string  `json:"record_type"`
	RecordID   int64   `json:"record_id"`
}

func (in taskIn) update() (app.TaskUpdate, error) {
	u := app.TaskUpdate{Title: in.Title, AssigneeID: in.AssigneeID, Done: in.Done}
	if in.Due != nil {
		t, err := app.ParseDate("due", *in.Due)
		if err != nil {
			return u, err
		}
		u.Due = &t
	}
	return u, nil
}

func (in taskIn) task() (*app.Task, error) {
	t := &app.Task{ID: in.ID, RecordType: in.RecordType, RecordID: in.RecordID}
	u, err := in.update()
	if err != nil {
		return nil, err
	}
	u.Apply(t)
	return t, nil
}

type apiTimelineEntry struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Actor     string    `json:"actor"`
	Field     string    `json:"field,omitempty"`
	Old       string    `json:"old,omitempty"`
	New       string    `json:"new,omitempty"`
	Body      string    `json:"body,omitempty"`
	RefType   string    `json:"ref_type,omitempty"`
	RefID     int64     `json:"ref_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ---- decoding ----

// ---- handlers ----

func (s *Handler) apiCRMList(c *fiber.Ctx, call crmCall) error {
	allowed := map[string]bool{"limit": true, "cursor": true, "sort": true, "q": true, "tenant": true}
	if app.KindOf(call.res.Record) != nil { // people, companies and deals have saved views
		allowed["view"] = true
	}
	for _, f := range call.res.Filter {
		allowed[f] = true
	}
	var bad string
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		if !allowed[string(k)] && bad == "" {
			bad = string(k)
		}
	})
	if bad != "" {
		return app.FieldErrorf(bad, "Unknown query parameter %q; filters here are %s.", bad, strings.Join(call.res.Filter, ", "))
	}
	var opts app.ListOptions
	var err error
	if opts.Limit, err = web.AtoiDefault(c.Query("limit"), app.DefaultPageSize); err != nil {
		return app.FieldErrorf("limit", "limit must be a number from 1 to %d.", app.MaxPageSize)
	}
	opts.Cursor, opts.Sort, opts.Q = utils.CopyString(c.Query("cursor")), utils.CopyString(c.Query("sort")), utils.CopyString(c.Query("q"))
	if ref := c.Query("view"); ref != "" {
		// A saved view's conditions and sort (the tenant's own views).
		vs, err := s.viewStore()
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return app.FieldErrorf("view", "view must be a view ID.")
		}
		v, err := vs.FindView(call.ctx, id)
		if app.ErrorCode(err) == app.EUNAUTHORIZED {
			return app.FieldErrorf("view", "Views belong to a tenant: pass ?tenant= with view.")
		} else if err != nil {
			return err
		}
		if v.Object != call.res.Record {
			return app.FieldErrorf("view", "View %d does not list %s.", id, call.res.Path)
		}
		opts.Where = v.Where
		if opts.Sort == "" {
			opts.Sort = v.Sort
		}
	}
	data, next, err := opsFor(call.res.Record).list(s, call.ctx, opts, &listQuery{c: c})
	if err != nil {
		return err
	}
	var nc *string
	if next != "" {
		nc = &next
	}
	return c.JSON(fiber.Map{"data": data, "next_cursor": nc})
}

// findOne returns the API shape of one record.
func (s *Handler) findOne(ctx context.Context, typ string, id int64) (any, error) {
	return opsFor(typ).find(s, ctx, id)
}

func (s *Handler) apiCRMGet(c *fiber.Ctx, call crmCall) error {
	v, err := s.findOne(call.ctx, call.res.Record, call.id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": v})
}

// decodeRecord reads one record of the resource's type from JSON.
func decodeRecord(typ string, body []byte) (any, error) {
	return opsFor(typ).decode(body)
}

func (s *Handler) apiCRMCreate(c *fiber.Ctx, call crmCall) error {
	rec, err := decodeRecord(call.res.Record, c.Body())
	if err != nil {
		return err
	}
	id, err := opsFor(call.res.Record).create(s, call.ctx, rec)
	if err != nil {
		return err
	}
	v, err := s.findOne(call.ctx, call.res.Record, id)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": v})
}

func (s *Handler) apiCRMUpdate(c *fiber.Ctx, call crmCall) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	err := opsFor(call.res.Record).update(s, call.ctx, call.id, body)
	if err != nil {
		// A record of another tenant is not found before its body is
		// judged, so a bad body never tells that the ID exists.
		if app.ErrorCode(err) == app.EINVALID {
			if _, ferr := s.findOne(call.ctx, call.res.Record, call.id); ferr != nil {
				return ferr
			}
		}
		return err
	}
	return s.apiCRMGet(c, call)
}

func (s *Handler) apiCRMDelete(c *fiber.Ctx, call crmCall) error {
	err := opsFor(call.res.Record).delete(s, call.ctx, call.id)
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiCRMBatch upserts {"records":[...]}: records with an id replace that
// record, others are created; all in one transaction, or none.
func (s *Handler) apiCRMBatch(c *fiber.Ctx, call crmCall) error {
	var in struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return app.FieldErrorf("records", "Send {\"records\": [...]} with 1 to %d records.", app.MaxBatch)
	}
	if len(in.Records) == 0 || len(in.Records) > app.MaxBatch {
		return app.FieldErrorf("records", "A batch takes 1 to %d records; this one has %d.", app.MaxBatch, len(in.Records))
	}
	ids, err := s.batchUpsert(call, in.Records)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"ids": ids, "count": len(ids)}})
}

// batchUpsert decodes every record (a bad one is a BatchError naming its
// index), upserts them all in one transaction and returns their IDs.
func (s *Handler) batchUpsert(call crmCall, raws []json.RawMessage) ([]int64, error) {
	ops := opsFor(call.res.Record)
	recs := make([]any, len(raws))
	for i, raw := range raws {
		v, err := ops.decode(raw)
		if err != nil {
			return nil, app.BatchFail(i, err)
		}
		recs[i] = v
	}
	return ops.upsert(s, call.ctx, recs)
}

func (s *Handler) apiCRMTimeline(c *fiber.Ctx, call crmCall) error {
	es, err := s.CRM.FindTimeline(call.ctx, call.res.Record, call.id)
	if err != nil {
		return err
	}
	out := make([]apiTimelineEntry, len(es))
	for i, e := range es {
		out[i] = apiTimelineEntry{e.ID, e.Kind, e.Actor, e.Field, e.Old, e.New, e.Body, e.RefType, e.RefID, e.CreatedAt}
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiStage struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Position    int    `json:"position"`
	Probability int    `json:"probability"`
	Won         bool   `json:"won"`
	Lost        bool   `json:"lost"`
}

type apiPipeline struct {
	ID     int64      `json:"id"`
	Name   string     `json:"name"`
	Stages []apiStage `json:"stages"`
}

// tenantCtx is the request's context scoped to one tenant: the key's on
// the portal, ?tenant= for admin keys on Nexus.
func (s *Handler) tenantCtx(c *fiber.Ctx) (context.Context, error) {
	ctx := c.UserContext()
	if k := app.APIKeyFromContext(ctx); k != nil && k.Admin() {
		ref := strings.TrimSpace(c.Query("tenant"))
		if ref == "" {
			return nil, app.FieldErrorf("tenant", "Add ?tenant=ID or slug: this belongs to a tenant.")
		}
		t, err := s.Tenants.TenantByRef(ctx, utils.CopyString(ref))
		if err != nil {
			return nil, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
		}
		ctx = app.NewContextWithTenant(ctx, t)
	}
	return ctx, nil
}

type apiCustomField struct {
	ID        int64     `json:"id"`
	Object    string    `json:"object"`
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	Type      string    `json:"type"`
	Options   []string  `json:"options"`
	Position  int       `json:"position"`
	CreatedAt time.Time `json:"created_at"`
}

func toAPICustomField(f *app.CustomField) apiCustomField {
	return apiCustomField{f.ID, f.Object, f.Key, f.Label, f.Type, nonNil(f.Options), f.Position, f.CreatedAt}
}

func (s *Handler) handleAPICustomFields(c *fiber.Ctx) error {
	ctx, err := s.tenantCtx(c)
	if err != nil {
		return err
	}
	fs, err := s.CRM.FindCustomFields(ctx, utils.CopyString(c.Query("object")))
	if err != nil {
		return err
	}
	out := make([]apiCustomField, len(fs))
	for i, f := range fs {
		out[i] = toAPICustomField(f)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

func (s *Handler) handleAPICustomFieldCreate(c *fiber.Ctx) error {
	ctx, err := s.tenantCtx(c)
	if err != nil {
		return err
	}
	var in struct {
		Object  string   `json:"object"`
		Key     string   `json:"key"`
		Label   string   `json:"label"`
		Type    string   `json:"type"`
		Options []string `json:"options"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	f := &app.CustomField{Object: in.Object, Key: in.Key, Label: in.Label, Type: in.Type, Options: in.Options}
	if err := s.CRM.CreateCustomField(ctx, f); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPICustomField(f)})
}

func (s *Handler) handleAPICustomFieldDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx, err := s.tenantCtx(c)
	if err != nil {
		return err
	}
	if err := s.CRM.DeleteCustomField(ctx, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Handler) handleAPIPipelines(c *fiber.Ctx) error {
	ctx, err := s.tenantCtx(c)
	if err != nil {
		return err
	}
	ps, err := s.CRM.Pipelines(ctx)
	if err != nil {
		return err
	}
	out := make([]apiPipeline, len(ps))
	for i, p := range ps {
		out[i] = toAPIPipeline(p)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type pipelineIn struct {
	Name   *string `json:"name"`
	Stages []struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		Probability int    `json:"probability"`
		Won         bool   `json:"won"`
		Lost        bool   `json:"lost"`
	} `json:"stages"`
}

func (in pipelineIn) stages() []*app.Stage {
	if in.Stages == nil {
		return nil
	}
	out := make([]*app.Stage, len(in.Stages))
	for i, st := range in.Stages {
		out[i] = &app.Stage{ID: st.ID, Name: st.Name, Probability: st.Probability, Won: st.Won, Lost: st.Lost}
	}
	return out
}

func toAPIPipeline(p *app.Pipeline) apiPipeline {
	out := apiPipeline{ID: p.ID, Name: p.Name}
	for _, st := range p.Stages {
		out.Stages = append(out.Stages, apiStage{st.ID, st.Name, st.Position, st.Probability, st.Won, st.Lost})
	}
	return out
}

// handleAPIPipelineCreate adds a pipeline: {"name", "stages":[{"name",
// "probability", "won", "lost"}]}.
func (s *Handler) handleAPIPipelineCreate(c *fiber.Ctx) error {
	ctx, err := s.tenantCtx(c)
	if err != nil {
		return err
	}
	var in pipelineIn
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	p := &app.Pipeline{Stages: in.stages()}
	if in.Name != nil {
		p.Name = *in.Name
	}
	if err := s.CRM.CreatePipeline(ctx, p); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPIPipeline(p)})
}

// handleAPIPipelineUpdate renames a pipeline and, with "stages", replaces
// its stages in order (stages with an id are kept).
func (s *Handler) handleAPIPipelineUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx, err := s.tenantCtx(c)
	if err != nil {
		return err
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var in pipelineIn
	if err := web.DecodeJSON(body, &in); err != nil {
		return err
	}
	p, err := s.CRM.UpdatePipeline(ctx, id, in.Name, in.stages())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIPipeline(p)})
}

func (s *Handler) viewStore() (*app.CRMService, error) {
	if s.CRM.Views == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Views are not available.")
	}
	return s.CRM, nil
}
