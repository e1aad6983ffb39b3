package app

import (
	"fmt"
	"strconv"
)

// aiAgentStep has an AI agent call or text the recipient (StepAICall, StepAISMS).
type aiAgentStep struct{}

func (aiAgentStep) check(c *stepCheck) (err error) {
	s, bad := c.s, c.bad
	if s.Agent != "" && !agentRefRE().MatchString(s.Agent) {
		err = bad("agent", "must be an agent's ID (or empty for the tenant's first agent).")
	} else if len(s.Purpose) > 1000 {
		err = bad("purpose", "must be at most 1000 characters.")
	} else if s.Type == StepAISMS && len(s.Body) > 1600 {
		err = bad("body", "must be at most 1600 characters.")
	}
	return err
}

func (aiAgentStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	e, ctx, run, st, rs, data, render := x.e, x.ctx, x.run, x.st, x.rs, x.data, x.render
	agentID, _ := strconv.ParseInt(st.Agent, 10, 64) // resolved by aiStep
	to, err := e.recipient(st, data)
	if err != nil {
		return "", nil, false, err
	}
	purpose, err := render(st.Purpose)
	if err != nil {
		return "", nil, false, err
	}
	var sid string
	if st.Type == StepAICall {
		sid, err = e.AI.AICall(ctx, run.TenantID, agentID, run.ContactID, to, purpose, rs.IdempotencyKey)
	} else {
		sid, err = e.AI.AISMS(ctx, run.TenantID, agentID, run.ContactID, to, purpose, rs.IdempotencyKey)
	}
	if err != nil {
		return "", nil, !isPermanent(err), err
	}
	rs.ProviderID = sid
	e.activity(ctx, run, map[string]string{StepAICall: TimelineCall, StepAISMS: TimelineSMS}[st.Type],
		fmt.Sprintf("%s to %s by AI agent %d (%s)", map[string]string{StepAICall: "AI call", StepAISMS: "AI text"}[st.Type], to, agentID, sid))
	return stepJSON(map[string]any{"sid": sid, "to": to, "agent_id": agentID}), nil, false, nil
}

func (aiAgentStep) fields(typ string) []StepField {
	f := []StepField{{Key: "agent", Label: "Agent", Kind: "select", Source: "agents"},
		{Key: "purpose", Label: "Why the agent reaches out", Kind: "textarea", Template: true}}
	if typ == StepAISMS {
		return append(f, StepField{Key: "body", Label: "Text (without an agent)", Kind: "textarea", Template: true})
	}
	return append(f, StepField{Key: "say", Label: "Say (without an agent)", Kind: "textarea", Template: true})
}
