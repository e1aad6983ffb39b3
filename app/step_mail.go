package app

import (
	"fmt"
	"strings"
)

// mailStep sends an email (StepEmail, to the contact's timeline) or notifies the owner (StepNotify).
type mailStep struct{}

func (mailStep) check(c *stepCheck) (err error) {
	s, bad, need := c.s, c.bad, c.need
	if s.Type == StepEmail {
		if err = need("to", s.To); err == nil {
			if err = need("subject", s.Subject); err == nil && s.Body == "" && s.HTML == "" {
				err = bad("body", "an email needs a body or html.")
			}
		}
	} else {
		if err = need("subject", s.Subject); err == nil {
			err = need("body", s.Body)
		}
	}
	return err
}

func (mailStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, render := x.e, x.ctx, x.run, x.st, x.render
	m, err := e.Mailer(ctx, run.TenantID)
	if err != nil {
		return "", nil, false, err
	}
	to := st.To
	if st.Type == StepNotify && to == "" && e.AdminEmail != nil {
		to = e.AdminEmail(ctx)
	}
	msg := &Message{TenantID: run.TenantID}
	for _, f := range []struct {
		dst *string
		src string
	}{{&msg.To, to}, {&msg.Subject, st.Subject}, {&msg.Text, st.Body}, {&msg.HTML, st.HTML}} {
		if *f.dst, err = render(f.src); err != nil {
			return "", nil, false, err
		}
	}
	msg.To, msg.Subject = strings.TrimSpace(msg.To), strings.Join(strings.Fields(msg.Subject), " ")
	if err := ValidateEmail("to", msg.To); err != nil {
		return "", nil, false, &PermanentError{fmt.Errorf("step %s: %s", st.ID, ErrorMessage(err))}
	}
	if err := m.Send(ctx, msg); err != nil {
		return "", nil, false, err
	}
	if st.Type == StepEmail {
		e.activity(ctx, run, TimelineEmail, "Email to "+msg.To+": "+msg.Subject)
	}
	return stepJSON(map[string]any{"to": msg.To, "subject": msg.Subject}), nil, false, nil
}

func (mailStep) fields(typ string) []StepField {
	if typ == StepNotify {
		return []StepField{{Key: "to", Label: "To (empty: the admin)", Kind: "text", Source: "users", Template: true},
			{Key: "subject", Label: "Subject", Kind: "text", Required: true, Template: true},
			{Key: "body", Label: "Message", Kind: "textarea", Required: true, Template: true}}
	}
	return []StepField{{Key: "to", Label: "To", Kind: "text", Source: "users", Required: true, Template: true},
		{Key: "subject", Label: "Subject", Kind: "text", Required: true, Template: true},
		{Key: "body", Label: "Message", Kind: "textarea", Required: true, Template: true}}
}
