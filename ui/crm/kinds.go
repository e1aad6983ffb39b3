package crm

import (
	"context"

	"orengen/app"
)

// crmKindPages is what the CRM pages do with one kind (app.RecordKind)
// beyond what its descriptor says: the list page's query with the kind's
// own filters, the record page's record and what it shows beside it, the
// choices its form selects from, and its record form (crmForm). A new
// kind adds one value to crmPages.
type crmKindPages struct {
	*crmForm
	// list fills p's records of the page opts asks for (with the filters
	// in p.Filter the kind takes) and returns the next page's cursor.
	list func(s *Handler, ctx context.Context, p *crmListPage, opts app.ListOptions) (string, error)
	// record fills p with record id and what its page shows beside it
	// (related records, the edit form unless set, custom values) and
	// returns the page title.
	record func(s *Handler, ctx context.Context, id int64, p *crmRecordPage) (string, error)
	// companies, pipelines: the form selects a company or a pipeline.
	companies, pipelines bool
}

// crmPages are the pages of each URL segment (app.RecordKind.Plural).
var crmPages = map[string]*crmKindPages{
	"people": {crmForm: crmForms["people"], companies: true,
		list: func(s *Handler, ctx context.Context, p *crmListPage, opts app.ListOptions) (next string, err error) {
			p.People, next, err = s.CRM.FindPeople(ctx, app.PersonFilter{ListOptions: opts, Tag: p.filterStr("tag"), CompanyID: p.filterID("company_id")})
			return next, err
		},
		record: func(s *Handler, ctx context.Context, id int64, p *crmRecordPage) (string, error) {
			var err error
			if p.Person, err = s.CRM.FindPerson(ctx, id); err != nil {
				return "", err
			}
			if p.Form == nil {
				p.Form = personForm(p.Person)
			}
			if p.Deals, _, err = s.CRM.FindDeals(ctx, app.DealFilter{PersonID: &id, ListOptions: app.ListOptions{Limit: 50}}); err != nil {
				return "", err
			}
			if p.Duplicates, err = s.CRM.FindDuplicates(ctx, id); err != nil {
				return "", err
			}
			p.CustomValues = p.Person.Custom
			return p.Person.Name(), nil
		}},
	"companies": {crmForm: crmForms["companies"],
		list: func(s *Handler, ctx context.Context, p *crmListPage, opts app.ListOptions) (next string, err error) {
			p.Companies, next, err = s.CRM.FindCompanies(ctx, app.CompanyFilter{ListOptions: opts, Tag: p.filterStr("tag")})
			return next, err
		},
		record: func(s *Handler, ctx context.Context, id int64, p *crmRecordPage) (string, error) {
			var err error
			if p.Company, err = s.CRM.FindCompany(ctx, id); err != nil {
				return "", err
			}
			if p.Form == nil {
				p.Form = companyForm(p.Company)
			}
			if p.People, _, err = s.CRM.FindPeople(ctx, app.PersonFilter{CompanyID: &id, ListOptions: app.ListOptions{Limit: 50}}); err != nil {
				return "", err
			}
			if p.Deals, _, err = s.CRM.FindDeals(ctx, app.DealFilter{CompanyID: &id, ListOptions: app.ListOptions{Limit: 50}}); err != nil {
				return "", err
			}
			p.CustomValues = p.Company.Custom
			return p.Company.Name, nil
		}},
	"deals": {crmForm: crmForms["deals"], companies: true, pipelines: true,
		list: func(s *Handler, ctx context.Context, p *crmListPage, opts app.ListOptions) (next string, err error) {
			p.Deals, next, err = s.CRM.FindDeals(ctx, app.DealFilter{ListOptions: opts, Stage: p.filterStr("stage"), CompanyID: p.filterID("company_id"), Tag: p.filterStr("tag")})
			return next, err
		},
		record: func(s *Handler, ctx context.Context, id int64, p *crmRecordPage) (string, error) {
			var err error
			if p.Deal, err = s.CRM.FindDeal(ctx, id); err != nil {
				return "", err
			}
			if p.Form == nil {
				p.Form = dealForm(p.Deal)
			}
			p.CustomValues = p.Deal.Custom
			return p.Deal.Name, nil
		}},
}

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
