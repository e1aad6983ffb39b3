package api

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/ui/web"
)

// crmOps is what the API does with one type of CRM record: list a page
// (the REST list and MCP's), find one, decode one from JSON, create,
// update from a JSON body, delete, and upsert decoded records in one
// transaction (a batch). The handlers look
// the type's ops up (opsFor) instead of switching on the record type.
type crmOps struct {
	list   func(s *Handler, ctx context.Context, opts app.ListOptions, q *listQuery) ([]any, string, error)
	find   func(s *Handler, ctx context.Context, id int64) (any, error)
	decode func(body []byte) (any, error)
	create func(s *Handler, ctx context.Context, rec any) (int64, error)
	update func(s *Handler, ctx context.Context, id int64, body []byte) error
	delete func(s *Handler, ctx context.Context, id int64) error
	upsert func(s *Handler, ctx context.Context, recs []any) ([]int64, error)
}

var crmOpsByType = map[string]*crmOps{
	app.RecordPerson:  personOps,
	app.RecordCompany: companyOps,
	app.RecordDeal:    dealOps,
	app.RecordNote:    noteOps,
	app.RecordTask:    taskOps,
}

// opsFor returns the ops of a record type (a task's for any other: the
// callers pass a type of crmResources or MCP's checked object).
func opsFor(typ string) *crmOps {
	if o := crmOpsByType[typ]; o != nil {
		return o
	}
	return taskOps
}

// listQuery reads a list's filters from the query string; MCP's lists
// have none (c nil: every filter absent).
type listQuery struct {
	c   *fiber.Ctx
	err error // the first filter that should be a number and is not
}

func (q *listQuery) str(k string) *string {
	if q.c == nil {
		return nil
	}
	if v := q.c.Query(k); v != "" {
		v = utils.CopyString(v)
		return &v
	}
	return nil
}

func (q *listQuery) num(k string) *int64 {
	if q.c == nil {
		return nil
	}
	v := q.c.Query(k)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil && q.err == nil {
		q.err = app.FieldErrorf(k, "%s must be a number.", k)
	}
	return &n
}

// fields is the kind's descriptor filters given (nil for MCP).
func (q *listQuery) fields(k *app.RecordKind) map[string]string {
	if q.c == nil {
		return nil
	}
	return fieldQuery(q.c, k)
}

// page is a list's records in their API shape.
func page[T any, A any](xs []T, to func(T) A) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = to(x)
	}
	return out
}

// found is a found record in its API shape.
func found[T any, A any](x T, err error, to func(T) A) (any, error) {
	if err != nil {
		return nil, err
	}
	return to(x), nil
}

// listed is a list's answer: its page in API shape, or the error.
func listed[T any, A any](xs []T, next string, err error, to func(T) A) ([]any, string, error) {
	if err != nil {
		return nil, "", err
	}
	return page(xs, to), next, nil
}

// decodeFieldsInto decodes a body into in and the kind's descriptor fields.
func decodeFieldsInto(k *app.RecordKind, body []byte, in any) (app.FieldValues, error) {
	if err := web.DecodeJSON(body, in); err != nil {
		return nil, err
	}
	return decodeFields(k, body)
}

// upsertAll upserts decoded records of one type (T) in one transaction
// and returns their IDs.
func upsertAll[T any](upsert func(*Handler) func(context.Context, []T) error, id func(T) int64) func(*Handler, context.Context, []any) ([]int64, error) {
	return func(s *Handler, ctx context.Context, recs []any) ([]int64, error) {
		return app.UpsertAs(ctx, recs, upsert(s), id)
	}
}

var personOps = &crmOps{
	list: func(s *Handler, ctx context.Context, opts app.ListOptions, q *listQuery) ([]any, string, error) {
		f := app.PersonFilter{ListOptions: opts, Email: q.str("email"), Phone: q.str("phone"), CompanyID: q.num("company_id"), OwnerID: q.num("owner_id"), Tag: q.str("tag"),
			Fields: q.fields(app.KindPerson)}
		if q.err != nil {
			return nil, "", q.err
		}
		ps, next, err := s.CRM.FindPeople(ctx, f)
		return listed(ps, next, err, toAPIPerson)
	},
	find: func(s *Handler, ctx context.Context, id int64) (any, error) {
		p, err := s.CRM.FindPerson(ctx, id)
		return found(p, err, toAPIPerson)
	},
	decode: func(body []byte) (any, error) {
		var in personIn
		vals, err := decodeFieldsInto(app.KindPerson, body, &in)
		if err != nil {
			return nil, err
		}
		p := in.person()
		app.KindPerson.SetFields(p, vals)
		return p, nil
	},
	create: func(s *Handler, ctx context.Context, rec any) (int64, error) {
		x := rec.(*app.Person)
		x.ID = 0
		if x.Source == "" {
			x.Source = "api"
		}
		err := s.CRM.CreatePerson(ctx, x)
		return x.ID, err
	},
	update: func(s *Handler, ctx context.Context, id int64, body []byte) error {
		var u app.PersonUpdate
		var err error
		if u.Fields, err = decodeFieldsInto(app.KindPerson, body, &u); err != nil {
			return err
		}
		_, err = s.CRM.UpdatePerson(ctx, id, u)
		return err
	},
	delete: func(s *Handler, ctx context.Context, id int64) error { return s.CRM.DeletePerson(ctx, id) },
	upsert: upsertAll(func(s *Handler) func(context.Context, []*app.Person) error { return s.CRM.UpsertPeople },
		func(r *app.Person) int64 { return r.ID }),
}

var companyOps = &crmOps{
	list: func(s *Handler, ctx context.Context, opts app.ListOptions, q *listQuery) ([]any, string, error) {
		cs, next, err := s.CRM.FindCompanies(ctx, app.CompanyFilter{ListOptions: opts, Domain: q.str("domain"), Tag: q.str("tag"),
			Fields: q.fields(app.KindCompany)})
		return listed(cs, next, err, toAPICompany)
	},
	find: func(s *Handler, ctx context.Context, id int64) (any, error) {
		x, err := s.CRM.FindCompany(ctx, id)
		return found(x, err, toAPICompany)
	},
	decode: func(body []byte) (any, error) {
		var in companyIn
		vals, err := decodeFieldsInto(app.KindCompany, body, &in)
		if err != nil {
			return nil, err
		}
		c := &app.Company{ID: in.ID, Tags: in.Tags, Custom: in.Custom}
		app.KindCompany.SetFields(c, vals)
		return c, nil
	},
	create: func(s *Handler, ctx context.Context, rec any) (int64, error) {
		x := rec.(*app.Company)
		x.ID = 0
		err := s.CRM.CreateCompany(ctx, x)
		return x.ID, err
	},
	update: func(s *Handler, ctx context.Context, id int64, body []byte) error {
		var u app.CompanyUpdate
		var err error
		if u.Fields, err = decodeFieldsInto(app.KindCompany, body, &u); err != nil {
			return err
		}
		_, err = s.CRM.UpdateCompany(ctx, id, u)
		return err
	},
	delete: func(s *Handler, ctx context.Context, id int64) error { return s.CRM.DeleteCompany(ctx, id) },
	upsert: upsertAll(func(s *Handler) func(context.Context, []*app.Company) error { return s.CRM.UpsertCompanies },
		func(r *app.Company) int64 { return r.ID }),
}

var dealOps = &crmOps{
	list: func(s *Handler, ctx context.Context, opts app.ListOptions, q *listQuery) ([]any, string, error) {
		f := app.DealFilter{ListOptions: opts, PipelineID: q.num("pipeline_id"), Stage: q.str("stage"), CompanyID: q.num("company_id"), PersonID: q.num("person_id"), OwnerID: q.num("owner_id"), Tag: q.str("tag")}
		if q.err != nil {
			return nil, "", q.err
		}
		ds, next, err := s.CRM.FindDeals(ctx, f)
		return listed(ds, next, err, toAPIDeal)
	},
	find: func(s *Handler, ctx context.Context, id int64) (any, error) {
		x, err := s.CRM.FindDeal(ctx, id)
		return found(x, err, toAPIDeal)
	},
	decode: func(body []byte) (any, error) {
		var in dealIn
		vals, err := decodeFieldsInto(app.KindDeal, body, &in)
		if err != nil {
			return nil, err
		}
		return in.deal(vals)
	},
	create: func(s *Handler, ctx context.Context, rec any) (int64, error) {
		x := rec.(*app.Deal)
		x.ID = 0
		err := s.CRM.CreateDeal(ctx, x)
		return x.ID, err
	},
	update: func(s *Handler, ctx context.Context, id int64, body []byte) error {
		var in dealIn
		vals, err := decodeFieldsInto(app.KindDeal, body, &in)
		if err != nil {
			return err
		}
		u, err := in.update(vals)
		if err != nil {
			return err
		}
		_, err = s.CRM.UpdateDeal(ctx, id, u)
		return err
	},
	delete: func(s *Handler, ctx context.Context, id int64) error { return s.CRM.DeleteDeal(ctx, id) },
	upsert: upsertAll(func(s *Handler) func(context.Context, []*app.Deal) error { return s.CRM.UpsertDeals },
		func(r *app.Deal) int64 { return r.ID }),
}

var noteOps = &crmOps{
	list: func(s *Handler, ctx context.Context, opts app.ListOptions, q *listQuery) ([]any, string, error) {
		f := app.NoteFilter{ListOptions: opts, RecordType: q.str("record_type"), RecordID: q.num("record_id")}
		if q.err != nil {
			return nil, "", q.err
		}
		ns, next, err := s.CRM.FindNotes(ctx, f)
		return listed(ns, next, err, toAPINote)
	},
	find: func(s *Handler, ctx context.Context, id int64) (any, error) {
		x, err := s.CRM.FindNote(ctx, id)
		return found(x, err, toAPINote)
	},
	decode: func(body []byte) (any, error) {
		var in noteIn
		if err := web.DecodeJSON(body, &in); err != nil {
			return nil, err
		}
		return &app.Note{ID: in.ID, RecordType: in.RecordType, RecordID: in.RecordID, Body: in.Body}, nil
	},
	create: func(s *Handler, ctx context.Context, rec any) (int64, error) {
		x := rec.(*app.Note)
		x.ID = 0
		err := s.CRM.CreateNote(ctx, x)
		return x.ID, err
	},
	update: func(s *Handler, ctx context.Context, id int64, body []byte) error {
		var u app.NoteUpdate
		if err := web.DecodeJSON(body, &u); err != nil {
			return err
		}
		_, err := s.CRM.UpdateNote(ctx, id, u)
		return err
	},
	delete: func(s *Handler, ctx context.Context, id int64) error { return s.CRM.DeleteNote(ctx, id) },
	upsert: upsertAll(func(s *Handler) func(context.Context, []*app.Note) error { return s.CRM.UpsertNotes },
		func(r *app.Note) int64 { return r.ID }),
}

var taskOps = &crmOps{
	list: func(s *Handler, ctx context.Context, opts app.ListOptions, q *listQuery) ([]any, string, error) {
		f := app.TaskFilter{ListOptions: opts, AssigneeID: q.num("assignee_id"), RecordType: q.str("record_type"), RecordID: q.num("record_id")}
		if v := q.str("done"); v != nil {
			b, err := strconv.ParseBool(*v)
			if err != nil {
				return nil, "", app.FieldErrorf("done", "done must be true or false.")
			}
			f.Done = &b
		}
		if q.err != nil {
			return nil, "", q.err
		}
		ts, next, err := s.CRM.FindTasks(ctx, f)
		return listed(ts, next, err, toAPITask)
	},
	find: func(s *Handler, ctx context.Context, id int64) (any, error) {
		x, err := s.CRM.FindTask(ctx, id)
		return found(x, err, toAPITask)
	},
	decode: func(body []byte) (any, error) {
		var in taskIn
		if err := web.DecodeJSON(body, &in); err != nil {
			return nil, err
		}
		return in.task()
	},
	create: func(s *Handler, ctx context.Context, rec any) (int64, error) {
		x := rec.(*app.Task)
		x.ID = 0
		err := s.CRM.CreateTask(ctx, x)
		return x.ID, err
	},
	update: func(s *Handler, ctx context.Context, id int64, body []byte) error {
		var in taskIn
		if err := web.DecodeJSON(body, &in); err != nil {
			return err
		}
		u, err := in.update()
		if err != nil {
			return err
		}
		_, err = s.CRM.UpdateTask(ctx, id, u)
		return err
	},
	delete: func(s *Handler, ctx context.Context, id int64) error { return s.CRM.DeleteTask(ctx, id) },
	upsert: upsertAll(func(s *Handler) func(context.Context, []*app.Task) error { return s.CRM.UpsertTasks },
		func(r *app.Task) int64 { return r.ID }),
}
