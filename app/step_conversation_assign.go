package app

import "strings"

// roundRobin is the assignee that takes the tenant's team members in
// turn (inbox.RoundRobin).
const roundRobin = "round-robin"

// conversationAssignStep gives the run's conversation to a team member,
// or to the next in turn (round-robin).
type conversationAssignStep struct{}

func (conversationAssignStep) check(c *stepCheck) error {
	a := strings.TrimSpace(c.s.Assignee)
	if len(a) > 200 {
		return c.bad("assignee", "must be at most 200 characters.")
	}
	if a != "" && a != roundRobin && !strings.Contains(a, "{{") && !strings.Contains(a, "@") {
		return c.bad("assignee", "must be a team member's email, or round-robin (empty: unassign).")
	}
	return nil
}

func (conversationAssignStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	in, err := x.e.inbox()
	if err != nil {
		return "", nil, false, err
	}
	who, err := x.render(x.st.Assignee)
	if err != nil {
		return "", nil, false, err
	}
	who = strings.ToLower(strings.TrimSpace(who))
	convID, err := in.AssignStep(x.ctx, x.run.TenantID, runConversation(x.run), x.run.ContactID, who)
	if err != nil {
		return "", nil, false, inboxStepError(err)
	}
	return stepJSON(map[string]any{"conversation_id": convID, "assignee": who}), nil, false, nil
}

func (conversationAssignStep) fields(string) []StepField {
	return []StepField{{Key: "assignee", Label: "Assign to (empty: unassign)", Kind: "text", Source: "users", Template: true,
		Help: "A team member's email, or round-robin: the team takes new conversations in turn (with the message received trigger's channel, routing by channel)."}}
}
