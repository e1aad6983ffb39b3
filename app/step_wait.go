package app

import (
	"strings"
	"time"
)

// waitStep pauses the run for a duration or until a time.
type waitStep struct{}

func (waitStep) check(c *stepCheck) (err error) {
	s, bad := c.s, c.bad
	switch {
	case s.Until != "" && s.Wait != "":
		err = bad("until", "give wait or until, not both.")
	case s.Until != "":
		if !strings.Contains(s.Until, "{{") {
			if _, perr := ParseUntil(s.Until); perr != nil {
				err = bad("until", "%v.", perr)
			}
		}
	default:
		d, perr := time.ParseDuration(s.Wait)
		if perr != nil || d <= 0 || d > 90*24*time.Hour {
			err = bad("wait", "must be a duration like 10m or 24h, at most 2160h (or give until).")
		}
	}
	return err
}

func (waitStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, run, st, render := x.e, x.run, x.st, x.render
	var at time.Time
	if st.Until != "" {
		u, err := render(st.Until)
		if err != nil {
			return "", nil, false, err
		}
		if at, err = ParseUntil(u); err != nil {
			return "", nil, false, &PermanentError{err}
		}
	} else {
		d, err := time.ParseDuration(st.Wait)
		if err != nil {
			return "", nil, false, &PermanentError{err}
		}
		at = e.now().Add(d)
	}
	return stepJSON(map[string]any{"until": at.UTC().Format(time.RFC3339)}), &RunAdvance{StepIndex: run.StepIndex + 1, Status: RunWaiting, At: at}, false, nil
}

func (waitStep) fields(typ string) []StepField {
	return []StepField{{Key: "wait", Label: "Wait for (like 10m, 24h)", Kind: "text", Help: "Or give a date below."},
		{Key: "until", Label: "Or wait until (2026-12-01 09:00 UTC)", Kind: "text", Template: true}}
}
