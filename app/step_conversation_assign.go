package app

import "strings"

// conversationAssignStep gives the run's conversation to a team member.
type conversationAssignStep struct{}

func (conversationAssignStep) check(c *stepCheck) error {
	a := strings.TrimSpace(c.s.Assignee)
	if len(a) > 200 {
		return c.bad("assignee", "must be at most 200 characters.")
	}
	if a != "" && !strings.Contains(a, "{{") && !strings.Contains(a, "@") {
		return c.bad("assignee", "must be a team member's email (empty: unassign).")
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
	return []StepField{{Key: "assignee", Label: "Assign to (empty: unassign)", Kind: "text", Source: "users", Template: true}}
}
