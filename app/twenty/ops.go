package twenty

import (
	"context"

	"orengen/app"
)

// objectOps is what the service does with one object's records: list a
// page, read one, build a new one from an input, create it, change one
// from an input, delete one, and upsert many in one transaction. The
// service looks an object's ops up (opsOf) instead of switching on the
// object; a new object is one more value.
type objectOps struct {
	find   func(s *Service, ctx context.Context, opts app.ListOptions, depth int) ([]any, string, error)
	get    func(s *Service, ctx context.Context, id int64, depth int) (any, error)
	build  func(s *Service, ctx context.Context, in Input, isCustom func(string) bool) (any, error)
	create func(s *Service, ctx context.Context, rec any) (int64, error)
	update func(s *Service, ctx context.Context, id int64, in Input, isCustom func(string) bool) error
	delete func(s *Service, ctx context.Context, id int64) error
	upsert func(s *Service, ctx context.Context, recs []any) ([]int64, error)
	// custom says whether the object's records have custom fields.
	custom bool
}

// opsOf are the ops of each object.
var opsOf = map[*Object]*objectOps{People: peopleOps, Companies: companiesOps, Opportunities: opportunitiesOps, Notes: notesOps, Tasks: tasksOps}

// shaped converts records to Twenty's shape, typed and as []any.
func shaped[T, S any](xs []T, to func(T) S) ([]S, []any) {
	typed, out := make([]S, len(xs)), make([]any, len(xs))
	for i, x := range xs {
		typed[i] = to(x)
		out[i] = typed[i]
	}
	return typed, out
}

// one is a record read in Twenty's shape, or the read's error.
func one[T, S any](x T, err error, to func(T) S) (any, error) {
	if err != nil {
		return nil, err
	}
	return to(x), nil
}

// createAs creates a built record of type T and returns its ID.
func createAs[T any](create func(*Service) func(context.Context, T) error, id func(T) int64) func(*Service, context.Context, any) (int64, error) {
	return func(s *Service, ctx context.Context, rec any) (int64, error) {
		r := rec.(T)
		err := create(s)(ctx, r)
		return id(r), err
	}
}

// upsertAs upserts built records of type T in one transaction and
// returns their IDs.
func upsertAs[T any](upsert func(*Service) func(context.Context, []T) error, id func(T) int64) func(*Service, context.Context, []any) ([]int64, error) {
	return func(s *Service, ctx context.Context, recs []any) ([]int64, error) {
		return app.UpsertAs(ctx, recs, upsert(s), id)
	}
}

var peopleOps = &objectOps{
	custom: true,
	find: func(s *Service, ctx context.Context, opts app.ListOptions, depth int) ([]any, string, error) {
		ps, next, err := s.CRM.FindPeople(ctx, app.PersonFilter{ListOptions: opts})
		if err != nil {
			return nil, "", err
		}
		tp, out := shaped(ps, ToPerson)
		if depth > 0 {
			err = s.embedPeople(ctx, tp)
		}
		return out, next, err
	},
	get: func(s *Service, ctx context.Context, id int64, depth int) (any, error) {
		p, err := s.CRM.FindPerson(ctx, id)
		if err != nil {
			return nil, err
		}
		tp := ToPerson(p)
		if depth > 0 {
			err = s.embedPeople(ctx, []*Person{tp})
		}
		return tp, err
	},
	build: func(s *Service, ctx context.Context, in Input, isCustom func(string) bool) (any, error) {
		ch, err := ReadPerson(in, isCustom)
		if err != nil {
			return nil, err
		}
		p := &app.Person{}
		ch.Upd.Custom = ch.Custom
		ch.Upd.Apply(p)
		return p, nil
	},
	update: func(s *Service, ctx context.Context, id int64, in Input, isCustom func(string) bool) error {
		ch, err := ReadPerson(in, isCustom)
		if err != nil {
			return err
		}
		ch.Upd.Custom = ch.Custom
		_, err = s.CRM.UpdatePerson(ctx, id, ch.Upd)
		return err
	},
	create: createAs(func(s *Service) func(context.Context, *app.Person) error { return s.CRM.CreatePerson }, func(r *app.Person) int64 { return r.ID }),
	delete: func(s *Service, ctx context.Context, id int64) error { return s.CRM.DeletePerson(ctx, id) },
	upsert: upsertAs(func(s *Service) func(context.Context, []*app.Person) error { return s.CRM.UpsertPeople }, func(r *app.Person) int64 { return r.ID }),
}

var companiesOps = &objectOps{
	custom: true,
	find: func(s *Service, ctx context.Context, opts app.ListOptions, depth int) ([]any, string, error) {
		cs, next, err := s.CRM.FindCompanies(ctx, app.CompanyFilter{ListOptions: opts})
		_, out := shaped(cs, ToCompany)
		return out, next, err
	},
	get: func(s *Service, ctx context.Context, id int64, depth int) (any, error) {
		x, err := s.CRM.FindCompany(ctx, id)
		return one(x, err, ToCompany)
	},
	build: func(s *Service, ctx context.Context, in Input, isCustom func(string) bool) (any, error) {
		ch, err := ReadCompany(in, isCustom)
		if err != nil {
			return nil, err
		}
		c := &app.Company{}
		ch.Upd.Apply(c)
		return c, nil
	},
	update: func(s *Service, ctx context.Context, id int64, in Input, isCustom func(string) bool) error {
		ch, err := ReadCompany(in, isCustom)
		if err != nil {
			return err
		}
		_, err = s.CRM.UpdateCompany(ctx, id, ch.Upd)
		return err
	},
	create: createAs(func(s *Service) func(context.Context, *app.Company) error { return s.CRM.CreateCompany }, func(r *app.Company) int64 { return r.ID }),
	delete: func(s *Service, ctx context.Context, id int64) error { return s.CRM.DeleteCompany(ctx, id) },
	upsert: upsertAs(func(s *Service) func(context.Context, []*app.Company) error { return s.CRM.UpsertCompanies }, func(r *app.Company) int64 { return r.ID }),
}

var opportunitiesOps = &objectOps{
	custom: true,
	find: func(s *Service, ctx context.Context, opts app.ListOptions, depth int) ([]any, string, error) {
		ds, next, err := s.CRM.FindDeals(ctx, app.DealFilter{ListOptions: opts})
		if err != nil {
			return nil, "", err
		}
		to, out := shaped(ds, ToOpportunity)
		if depth > 0 {
			err = s.embedOpportunities(ctx, to)
		}
		return out, next, err
	},
	get: func(s *Service, ctx context.Context, id int64, depth int) (any, error) {
		d, err := s.CRM.FindDeal(ctx, id)
		if err != nil {
			return nil, err
		}
		to := ToOpportunity(d)
		if depth > 0 {
			err = s.embedOpportunities(ctx, []*Opportunity{to})
		}
		return to, err
	},
	build: func(s *Service, ctx context.Context, in Input, isCustom func(string) bool) (any, error) {
		ch, err := ReadOpportunity(in, isCustom)
		if err != nil {
			return nil, err
		}
		if err := s.stageRef(ctx, &ch.Upd); err != nil {
			return nil, err
		}
		d := &app.Deal{}
		ch.Upd.Apply(d)
		return d, nil
	},
	update: func(s *Service, ctx context.Context, id int64, in Input, isCustom func(string) bool) error {
		ch, err := ReadOpportunity(in, isCustom)
		if err != nil {
			return err
		}
		if err := s.stageRef(ctx, &ch.Upd); err != nil {
			return err
		}
		_, err = s.CRM.UpdateDeal(ctx, id, ch.Upd)
		return err
	},
	create: createAs(func(s *Service) func(context.Context, *app.Deal) error { return s.CRM.CreateDeal }, func(r *app.Deal) int64 { return r.ID }),
	delete: func(s *Service, ctx context.Context, id int64) error { return s.CRM.DeleteDeal(ctx, id) },
	upsert: upsertAs(func(s *Service) func(context.Context, []*app.Deal) error { return s.CRM.UpsertDeals }, func(r *app.Deal) int64 { return r.ID }),
}

var notesOps = &objectOps{
	find: func(s *Service, ctx context.Context, opts app.ListOptions, depth int) ([]any, string, error) {
		ns, next, err := s.CRM.FindNotes(ctx, app.NoteFilter{ListOptions: opts})
		_, out := shaped(ns, ToNote)
		return out, next, err
	},
	get: func(s *Service, ctx context.Context, id int64, depth int) (any, error) {
		x, err := s.CRM.FindNote(ctx, id)
		return one(x, err, ToNote)
	},
	build: func(s *Service, ctx context.Context, in Input, isCustom func(string) bool) (any, error) {
		ch, err := ReadNote(in)
		if err != nil {
			return nil, err
		}
		n := &app.Note{RecordType: ch.RecordType, RecordID: ch.RecordID}
		if ch.Body != nil {
			n.Body = *ch.Body
		}
		if n.RecordType == "" {
			return nil, app.FieldErrorf("personId", "A note needs the record it is about: personId, companyId or opportunityId.")
		}
		return n, nil
	},
	update: func(s *Service, ctx context.Context, id int64, in Input, isCustom func(string) bool) error {
		ch, err := ReadNote(in)
		if err != nil {
			return err
		}
		if ch.RecordType != "" {
			return app.FieldErrorf("personId", "A note stays with its record: create a new note to link another.")
		}
		if ch.Body != nil {
			_, err = s.CRM.UpdateNote(ctx, id, app.NoteUpdate{Body: ch.Body})
		}
		return err
	},
	create: createAs(func(s *Service) func(context.Context, *app.Note) error { return s.CRM.CreateNote }, func(r *app.Note) int64 { return r.ID }),
	delete: func(s *Service, ctx context.Context, id int64) error { return s.CRM.DeleteNote(ctx, id) },
	upsert: upsertAs(func(s *Service) func(context.Context, []*app.Note) error { return s.CRM.UpsertNotes }, func(r *app.Note) int64 { return r.ID }),
}

var tasksOps = &objectOps{
	find: func(s *Service, ctx context.Context, opts app.ListOptions, depth int) ([]any, string, error) {
		ts, next, err := s.CRM.FindTasks(ctx, app.TaskFilter{ListOptions: opts})
		_, out := shaped(ts, ToTask)
		return out, next, err
	},
	get: func(s *Service, ctx context.Context, id int64, depth int) (any, error) {
		x, err := s.CRM.FindTask(ctx, id)
		return one(x, err, ToTask)
	},
	build: func(s *Service, ctx context.Context, in Input, isCustom func(string) bool) (any, error) {
		ch, err := ReadTask(in)
		if err != nil {
			return nil, err
		}
		t := &app.Task{RecordType: ch.RecordType, RecordID: ch.RecordID}
		ch.Upd.Apply(t)
		return t, nil
	},
	update: func(s *Service, ctx context.Context, id int64, in Input, isCustom func(string) bool) error {
		ch, err := ReadTask(in)
		if err != nil {
			return err
		}
		if ch.RecordType != "" {
			return app.FieldErrorf("personId", "A task stays with its record: create a new task to link another.")
		}
		_, err = s.CRM.UpdateTask(ctx, id, ch.Upd)
		return err
	},
	create: createAs(func(s *Service) func(context.Context, *app.Task) error { return s.CRM.CreateTask }, func(r *app.Task) int64 { return r.ID }),
	delete: func(s *Service, ctx context.Context, id int64) error { return s.CRM.DeleteTask(ctx, id) },
	upsert: upsertAs(func(s *Service) func(context.Context, []*app.Task) error { return s.CRM.UpsertTasks }, func(r *app.Task) int64 { return r.ID }),
}
