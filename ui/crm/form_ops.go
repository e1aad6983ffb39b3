package crm

import (
	"context"

	"orengen/app"
)

// crmForm is what the CRM pages do with one kind's record form: the
// fields it posts, and a record created or changed from it. custom reads
// the form's custom fields; it runs only once the form's own fields are
// read, so their error is the one shown.
type crmForm struct {
	fields []string
	create func(s *Handler, ctx context.Context, form map[string]string, custom func() (map[string]any, error)) (int64, error)
	update func(s *Handler, ctx context.Context, id int64, form map[string]string, custom func() (map[string]any, error)) error
}

// crmForms is the form of each URL segment with record pages.
var crmForms = map[string]*crmForm{
	"people": newCRMForm(personFormFields, personUpdateFromForm, func(u *app.PersonUpdate) *map[string]any { return &u.Custom },
		func(s *Handler, ctx context.Context, u app.PersonUpdate) (int64, error) {
			p := &app.Person{Source: "portal"}
			u.Apply(p)
			if p.Source == "" {
				p.Source = "portal"
			}
			err := s.CRM.CreatePerson(ctx, p)
			return p.ID, err
		},
		func(s *Handler, ctx context.Context, id int64, u app.PersonUpdate) error {
			_, err := s.CRM.UpdatePerson(ctx, id, u)
			return err
		}),
	"companies": newCRMForm(companyFormFields, companyUpdateFromForm, func(u *app.CompanyUpdate) *map[string]any { return &u.Custom },
		func(s *Handler, ctx context.Context, u app.CompanyUpdate) (int64, error) {
			x := &app.Company{}
			u.Apply(x)
			err := s.CRM.CreateCompany(ctx, x)
			return x.ID, err
		},
		func(s *Handler, ctx context.Context, id int64, u app.CompanyUpdate) error {
			_, err := s.CRM.UpdateCompany(ctx, id, u)
			return err
		}),
	"deals": newCRMForm(dealFormFields, dealUpdateFromForm, func(u *app.DealUpdate) *map[string]any { return &u.Custom },
		func(s *Handler, ctx context.Context, u app.DealUpdate) (int64, error) {
			d := &app.Deal{}
			u.Apply(d)
			err := s.CRM.CreateDeal(ctx, d)
			return d.ID, err
		},
		func(s *Handler, ctx context.Context, id int64, u app.DealUpdate) error {
			_, err := s.CRM.UpdateDeal(ctx, id, u)
			return err
		}),
}

// newCRMForm builds a kind's form from its update type U: parse reads the
// form's own fields into U, custom is U's custom values.
func newCRMForm[U any](fields []string, parse func(map[string]string) (U, error), custom func(*U) *map[string]any,
	create func(s *Handler, ctx context.Context, u U) (int64, error), update func(s *Handler, ctx context.Context, id int64, u U) error) *crmForm {
	read := func(form map[string]string, readCustom func() (map[string]any, error)) (U, error) {
		u, err := parse(form)
		if err != nil {
			return u, err
		}
		*custom(&u), err = readCustom()
		return u, err
	}
	return &crmForm{fields: fields,
		create: func(s *Handler, ctx context.Context, form map[string]string, readCustom func() (map[string]any, error)) (int64, error) {
			u, err := read(form, readCustom)
			if err != nil {
				return 0, err
			}
			return create(s, ctx, u)
		},
		update: func(s *Handler, ctx context.Context, id int64, form map[string]string, readCustom func() (map[string]any, error)) error {
			u, err := read(form, readCustom)
			if err != nil {
				return err
			}
			return update(s, ctx, id, u)
		},
	}
}
