package app

import "strings"

// contactStep creates or updates the run's contact from the trigger's payload and the step's set fields.
type contactStep struct{}

func (contactStep) check(c *stepCheck) (err error) {
	s, bad := c.s, c.bad
	for k := range s.Set {
		if !contactSetFields[k] {
			err = bad("set", "unknown contact field %q (first_name, last_name, email, phone, company, source, title).", k)
		}
	}
	return err
}

func (contactStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, data, render := x.e, x.ctx, x.run, x.st, x.data, x.render
	in := ContactInput{TenantID: run.TenantID, FirstName: payloadField(run.Payload, "firstName", "first_name"),
		LastName: payloadField(run.Payload, "lastName", "last_name"), Email: payloadField(run.Payload, "email"),
		Phone: payloadField(run.Payload, "phone"), Company: payloadField(run.Payload, "company"), Source: payloadField(run.Payload, "source")}
	for k, v := range st.Set {
		r, err := render(v)
		if err != nil {
			return "", nil, false, err
		}
		if dst := map[string]*string{"first_name": &in.FirstName, "last_name": &in.LastName, "email": &in.Email, "phone": &in.Phone,
			"company": &in.Company, "source": &in.Source, "title": &in.Title}[k]; dst != nil {
			*dst = strings.TrimSpace(r)
		}
	}
	if run.ContactID != 0 && data.Contact.ID != 0 {
		// Fill the run's contact's lacking email or phone with the
		// trigger's, so the upsert finds this contact.
		if in.Email == "" && in.Phone == "" {
			if len(st.Set) == 0 {
				return stepJSON(map[string]any{"contact_id": run.ContactID, "created": false}), nil, false, nil
			}
			in.Email, in.Phone = data.Contact.Email, data.Contact.Phone
		}
	}
	if err := in.Validate(); err != nil {
		return "", nil, false, &PermanentError{err}
	}
	id, created, err := e.Contacts.UpsertContact(ctx, in)
	if err != nil {
		return "", nil, false, crmStepError(err)
	}
	return stepJSON(map[string]any{"contact_id": id, "created": created}), &RunAdvance{StepIndex: run.StepIndex + 1, Status: RunRunning, ContactID: id}, false, nil
}

func (contactStep) fields(typ string) []StepField {
	return []StepField{{Key: "set", Label: "Fields to set (first_name, last_name, email, phone, company, source, title); empty: from the trigger", Kind: "keyvalue", Template: true}}
}
