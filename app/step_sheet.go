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

func (sheetStep) fields(typ string) []StepField {
	f := []StepField{{Key: "table", Label: "Table", Kind: "select", Source: "tables", Required: true}}
	if typ != StepAddRow {
		f = append(f, StepField{Key: "field", Label: "Where column", Kind: "text", Required: true},
			StepField{Key: "op", Label: "Is", Kind: "select", Options: []string{"eq", "ne", "contains", "empty", "notempty"}},
			StepField{Key: "value", Label: "Value", Kind: "text", Template: true})
	}
	if typ != StepLookupRow {
		f = append(f, StepField{Key: "set", Label: "Set columns", Kind: "keyvalue", Required: true, Template: true})
	}
	return f
}
