package app

import "strings"

// conversationLabelStep adds a label to the run's conversation, or takes
// it off.
type conversationLabelStep struct{}

func (conversationLabelStep) check(c *stepCheck) error {
	if err := c.need("label", c.s.Label); err != nil {
		return err
	}
	if len([]rune(c.s.Label)) > 100 {
		return c.bad("label", "must be at most 100 characters.")
	}
	return nil
}

func (conversationLabelStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	in, err := x.e.inbox()
	if err != nil {
		return "", nil, false, err
	}
	label, err := x.render(x.st.Label)
	if err != nil {
		return "", nil, false, err
	}
	label = strings.TrimSpace(label)
	convID, err := in.LabelStep(x.ctx, x.run.TenantID, runConversation(x.run), x.run.ContactID, label, x.st.Remove)
	if err != nil {
		return "", nil, false, inboxStepError(err)
	}
	return stepJSON(map[string]any{"conversation_id": convID, "label": label, "removed": x.st.Remove}), nil, false, nil
}

func (conversationLabelStep) fields(string) []StepField {
	return []StepField{{Key: "label", Label: "Label", Kind: "text", Required: true, Template: true},
		{Key: "remove", Label: "Remove the label instead", Kind: "bool"}}
}
