package app

import "fmt"

// telephonyStep texts (StepSMS) or calls (StepCall) the recipient through the tenant's telephony.
type telephonyStep struct{}

func (telephonyStep) check(c *stepCheck) (err error) {
	s, bad, need := c.s, c.bad, c.need
	if s.Type == StepSMS {
		if err = need("body", s.Body); err == nil && len(s.Body) > 1600 {
			err = bad("body", "must be at most 1600 characters.")
		}
	} else {
		if s.Say == "" && s.Gather == "" && s.Forward == "" {
			err = bad("say", "a call step needs say, gather or forward.")
		}
	}
	return err
}

func (telephonyStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, rs, data, render := x.e, x.ctx, x.run, x.st, x.rs, x.data, x.render
	tel, err := e.Telephony(ctx, run.TenantID)
	if err != nil {
		return "", nil, false, err
	}
	to, err := e.recipient(st, data)
	if err != nil {
		return "", nil, false, err
	}
	var sid string
	if st.Type == StepSMS {
		body, err := render(st.Body)
		if err != nil {
			return "", nil, false, err
		}
		sid, err = tel.SendSMS(ctx, SMS{From: tel.From(), To: to, Body: body, IdempotencyKey: rs.IdempotencyKey})
		if err != nil {
			return "", nil, !isPermanent(err), err
		}
	} else {
		twiml, err := e.twiml(run.TenantID, rs.IdempotencyKey, st, render)
		if err != nil {
			return "", nil, false, err
		}
		sid, err = tel.PlaceCall(ctx, Call{From: tel.From(), To: to, TwiML: twiml, IdempotencyKey: rs.IdempotencyKey})
		if err != nil {
			return "", nil, !isPermanent(err), err
		}
	}
	rs.ProviderID = sid
	e.activity(ctx, run, st.Type, fmt.Sprintf("%s to %s (%s)", map[string]string{StepSMS: "Text", StepCall: "Call"}[st.Type], to, sid))
	return stepJSON(map[string]any{"sid": sid, "to": to}), nil, false, nil
}

func (telephonyStep) fields(typ string) []StepField {
	if typ == StepSMS {
		return []StepField{{Key: "to", Label: "To (empty: the contact's phone)", Kind: "text", Template: true},
			{Key: "body", Label: "Message", Kind: "textarea", Required: true, Template: true}}
	}
	return []StepField{{Key: "to", Label: "To (empty: the contact's phone)", Kind: "text", Template: true},
		{Key: "say", Label: "Say", Kind: "textarea", Template: true, Help: "Say, keypad prompt or transfer: at least one."},
		{Key: "gather", Label: "Keypad prompt (press 1…)", Kind: "textarea", Template: true},
		{Key: "forward", Label: "Transfer to number", Kind: "text", Template: true}}
}
