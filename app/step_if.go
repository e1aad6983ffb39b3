package app

import "strings"

// ifStep compares a field and jumps to its then or else step.
type ifStep struct{}

func (ifStep) check(c *stepCheck) (err error) {
	s, i, index, bad, need := c.s, c.i, c.index, c.bad, c.need
	if err = need("field", s.Field); err != nil {
		return err
	}
	switch s.Op {
	case "eq", "ne", "contains", "empty", "notempty":
	default:
		err = bad("op", "must be eq, ne, contains, empty or notempty.")
	}
	for _, f := range [][2]string{{"then", s.Then}, {"else", s.Else}} {
		if err != nil || f[1] == "" || f[1] == "end" {
			continue
		}
		j, ok := index[f[1]]
		if !ok {
			err = bad(f[0], "no step has id %q.", f[1])
		} else if j <= i {
			err = bad(f[0], "may only jump forward (step %q comes before).", f[1])
		}
	}
	return err
}

func (ifStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	run, st, data, render := x.run, x.st, x.data, x.render
	v := fieldValue(st.Field, data)
	want, err := render(st.Value)
	if err != nil {
		return "", nil, false, err
	}
	var ok bool
	switch st.Op {
	case "eq":
		ok = strings.EqualFold(v, want)
	case "ne":
		ok = !strings.EqualFold(v, want)
	case "contains":
		ok = strings.Contains(strings.ToLower(v), strings.ToLower(want))
	case "empty":
		ok = strings.TrimSpace(v) == ""
	case "notempty":
		ok = strings.TrimSpace(v) != ""
	}
	target := st.Else
	if ok {
		target = st.Then
	}
	next := run.StepIndex + 1
	if target == "end" {
		next = len(run.Definition.Steps)
	} else if target != "" {
		for i, s := range run.Definition.Steps {
			if s.ID == target {
				next = i
			}
		}
	}
	return stepJSON(map[string]any{"value": v, "result": ok, "next": next}), &RunAdvance{StepIndex: next, Status: RunRunning}, false, nil
}

func (ifStep) fields(typ string) []StepField {
	return []StepField{{Key: "field", Label: "If this field", Kind: "select", Options: IfFields, Required: true},
		{Key: "op", Label: "Is", Kind: "select", Options: []string{"eq", "ne", "contains", "empty", "notempty"}, Required: true},
		{Key: "value", Label: "Value", Kind: "text", Template: true},
		{Key: "then", Label: "Yes: go to", Kind: "select", Source: "steps"},
		{Key: "else", Label: "No: go to", Kind: "select", Source: "steps"}}
}
