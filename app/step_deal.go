package app

// dealStep creates a deal for the run's contact.
type dealStep struct{}

func (dealStep) check(c *stepCheck) (err error) {
	s, need := c.s, c.need
	err = need("name", s.Name)
	return err
}

func (dealStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, render := x.e, x.ctx, x.run, x.st, x.render
	d := &Deal{StageRef: st.Stage}
	var err error
	if d.Name, err = render(st.Name); err != nil {
		return "", nil, false, err
	}
	if st.Amount != "" {
		a, err := render(st.Amount)
		if err != nil {
			return "", nil, false, err
		}
		if d.Amount, err = ParseAmount("amount", a); err != nil {
			return "", nil, false, &PermanentError{err}
		}
	}
	if d.StageRef, err = render(st.Stage); err != nil {
		return "", nil, false, err
	}
	if err := e.Contacts.CreateContactDeal(ctx, run.TenantID, run.ContactID, d, st.Pipeline); err != nil {
		return "", nil, false, crmStepError(err)
	}
	return stepJSON(map[string]any{"deal_id": d.ID, "name": d.Name, "stage": d.Stage}), &RunAdvance{StepIndex: run.StepIndex + 1, Status: RunRunning, DealID: d.ID}, false, nil
}

func (dealStep) fields(typ string) []StepField {
	return []StepField{{Key: "name", Label: "Deal name", Kind: "text", Required: true, Template: true},
		{Key: "amount", Label: "Amount, like 1,250.00", Kind: "text", Template: true},
		{Key: "pipeline", Label: "Pipeline", Kind: "select", Source: "pipelines"},
		{Key: "stage", Label: "Stage", Kind: "select", Source: "stages"}}
}
