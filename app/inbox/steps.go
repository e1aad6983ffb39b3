package inbox

import (
	"context"
	"fmt"
	"strings"

	"orengen/app"
)

// The Conversations steps of workflows (app.InboxSteps): reply, assign
// and label the run's conversation.

var _ app.InboxSteps = (*Service)(nil)

// stepConversation returns the tenant's conversation convID, or the
// contact's latest when convID is 0, with ctx scoped to the tenant (the
// actor, workflow:N, stays). Returns ENOTFOUND.
func (s *Service) stepConversation(ctx context.Context, tenantID, convID, contactID int64) (context.Context, *Conversation, error) {
	if tenantID <= 0 {
		return ctx, nil, app.Errorf(app.ENOTFOUND, "Conversation not found.")
	}
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
	if convID != 0 {
		c, err := s.store.FindConversation(ctx, tenantID, convID)
		return ctx, c, err
	}
	if contactID == 0 {
		return ctx, nil, app.Errorf(app.ENOTFOUND, "The run has no conversation and no contact: use the message received trigger, or a contact step first.")
	}
	c, err := s.store.LatestConversation(ctx, tenantID, contactID)
	return ctx, c, err
}

// ReplyStep implements app.InboxSteps. A reply already recorded under
// key is not sent again: sent, it is returned; still queued (the
// previous attempt stopped between recording and sending), it is
// ECONFLICT, as the contact may have it; failed, it is sent anew.
func (s *Service) ReplyStep(ctx context.Context, tenantID, convID, contactID int64, text, key string) (int64, int64, error) {
	ctx, c, err := s.stepConversation(ctx, tenantID, convID, contactID)
	if err != nil {
		return 0, 0, err
	}
	if c.Channel == ChannelEmail || c.Channel == ChannelSMS {
		if key == "" {
			return 0, 0, app.Errorf(app.EINVALID, "A reply step needs an idempotency key.")
		}
		prev, err := s.store.FindMessageByKey(ctx, c.TenantID, key)
		switch {
		case err == nil && prev.Status == DeliveryQueued:
			return 0, 0, app.Errorf(app.ECONFLICT, "An earlier attempt of this step recorded reply %d and may have sent it; not sending twice.", prev.ID)
		case err == nil && prev.Status != DeliveryFailed:
			return prev.ID, prev.ConversationID, nil
		case err != nil && app.ErrorCode(err) != app.ENOTFOUND:
			return 0, 0, err
		}
	}
	text = strings.TrimSpace(strings.ToValidUTF8(text, ""))
	if text == "" {
		return 0, 0, app.FieldErrorf("body", "The reply is empty.")
	}
	m, err := s.reply(ctx, c, text, key)
	if err != nil {
		return 0, c.ID, err
	}
	return m.ID, c.ID, nil
}

// AssignStep implements app.InboxSteps.
func (s *Service) AssignStep(ctx context.Context, tenantID, convID, contactID int64, who string) (int64, error) {
	ctx, c, err := s.stepConversation(ctx, tenantID, convID, contactID)
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(who) == "me" {
		return c.ID, app.FieldErrorf("assignee", "A workflow cannot assign to \"me\": name a team member's email.")
	}
	_, err = s.Change(ctx, c.ID, Change{Assignee: &who})
	return c.ID, err
}

// LabelStep implements app.InboxSteps.
func (s *Service) LabelStep(ctx context.Context, tenantID, convID, contactID int64, label string, remove bool) (int64, error) {
	ctx, c, err := s.stepConversation(ctx, tenantID, convID, contactID)
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(label) == "" {
		return c.ID, app.FieldErrorf("label", "The label is empty.")
	}
	ch := Change{AddLabels: []string{label}}
	if remove {
		ch = Change{RemoveLabels: []string{label}}
	}
	if _, err := s.Change(ctx, c.ID, ch); err != nil {
		return c.ID, fmt.Errorf("label conversation %d: %w", c.ID, err)
	}
	return c.ID, nil
}
