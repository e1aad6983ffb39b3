package app

import (
	"errors"
	"strings"
)

// tagStep adds a tag to the run's contact or removes it.
type tagStep struct{}

func (tagStep) check(c *stepCheck) (err error) {
	s, need := c.s, c.need
	err = need("tag", s.Tag)
	return err
}

func (tagStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, render := x.e, x.ctx, x.run, x.st, x.render
	tag, err := render(st.Tag)
	if err != nil {
		return "", nil, false, err
	}
	if run.ContactID == 0 {
		return "", nil, false, &PermanentError{errors.New("no contact: add a contact step first")}
	}
	if err := e.Contacts.TagContact(ctx, run.TenantID, run.ContactID, strings.TrimSpace(tag), st.Remove); err != nil {
		return "", nil, false, err
	}
	return stepJSON(map[string]any{"tag": tag, "removed": st.Remove}), nil, false, nil
}

func (tagStep) fields(typ string) []StepField {
	return []StepField{{Key: "tag", Label: "Tag", Kind: "text", Source: "tags", Required: true, Template: true},
		{Key: "remove", Label: "Remove the tag instead", Kind: "bool"}}
}
