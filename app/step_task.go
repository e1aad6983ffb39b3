package app

import "time"

// taskStep creates a task on the run's contact or deal.
type taskStep struct{}

func (taskStep) check(c *stepCheck) (err error) {
	s, bad, need := c.s, c.bad, c.need
	if err = need("title", s.Title); err == nil && s.Due != "" {
		if d, perr := time.ParseDuration(s.Due); perr != nil || d < 0 || d > 365*24*time.Hour {
			err = bad("due", "must be a duration from now like 24h or 72h, at most 8760h.")
		}
	}
	return err
}

func (taskStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, render := x.e, x.ctx, x.run, x.st, x.render
	t := &Task{}
	var err error
	if t.Title, err = render(st.Title); err != nil {
		return "", nil, false, err
	}
	if st.Due != "" {
		d, _ := time.ParseDuration(st.Due)
		due := e.now().Add(d).UTC()
		t.Due = &due
	}
	switch {
	case run.ContactID != 0:
		t.RecordType, t.RecordID = RecordPerson, run.ContactID
	case run.DealID != 0:
		t.RecordType, t.RecordID = RecordDeal, run.DealID
	}
	if err := e.Contacts.CreateRecordTask(ctx, run.TenantID, t); err != nil {
		return "", nil, false, crmStepError(err)
	}
	return stepJSON(map[string]any{"task_id": t.ID, "title": t.Title}), nil, false, nil
}

func (taskStep) fields(typ string) []StepField {
	return []StepField{{Key: "title", Label: "Task", Kind: "text", Required: true, Template: true},
		{Key: "due", Label: "Due in (like 24h)", Kind: "text"}}
}
