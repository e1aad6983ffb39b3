package app

// sheetStep looks up, adds or updates a row of a table (app/sheets).
type sheetStep struct{}

func (sheetStep) check(c *stepCheck) (err error) {
	s, bad := c.s, c.bad
	err = validateSheetStep(s, bad)
	return err
}

func (sheetStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, render := x.e, x.ctx, x.run, x.st, x.render
	out, err := e.execSheetStep(ctx, run, st, render)
	return out, nil, false, err
}
