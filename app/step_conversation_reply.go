package app

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// InboxSteps is the Conversations inbox as workflow steps use it
// (inbox.Service implements it). Each acts on conversation convID of the
// tenant, or, when it is 0, on the contact's conversation with the
// newest message; errors are ENOTFOUND when there is none, EINVALID and
// ECONFLICT when the inbox refuses (not configured, opted out, a send
// the provider refused), which retrying cannot fix.
type InboxSteps interface {
	// ReplyStep answers the conversation on its channel as the actor in
	// ctx. key is the step's idempotency key: a reply already sent under
	// it is returned, not sent again.
	ReplyStep(ctx context.Context, tenantID, convID, contactID int64, text, key string) (msgID, conversationID int64, err error)
	// AssignStep gives the conversation to assignee ("" unassigns).
	AssignStep(ctx context.Context, tenantID, convID, contactID int64, assignee string) (conversationID int64, err error)
	// LabelStep adds label to the conversation, or takes it off.
	LabelStep(ctx context.Context, tenantID, convID, contactID int64, label string, remove bool) (conversationID int64, err error)
}

// runConversation is the conversation a run acts on: its trigger's
// conversation_id (message_received), else 0 (the contact's latest).
func runConversation(run *Run) int64 {
	id, _ := strconv.ParseInt(payloadField(run.Payload, "conversation_id"), 10, 64)
	return id
}

// inboxStepError marks the inbox's refusals permanent; other errors
// (the database) are retried.
func inboxStepError(err error) error {
	switch ErrorCode(err) {
	case EINVALID, ENOTFOUND, ECONFLICT, EFORBIDDEN:
		return &PermanentError{err}
	}
	return err
}

func (e *Engine) inbox() (InboxSteps, error) {
	if e.Inbox == nil {
		return nil, &PermanentError{errors.New("Conversations is not available on this server")}
	}
	return e.Inbox, nil
}

// conversationReplyStep answers the run's conversation on its channel.
type conversationReplyStep struct{}

func (conversationReplyStep) check(c *stepCheck) error {
	if err := c.need("body", c.s.Body); err != nil {
		return err
	}
	if len([]rune(c.s.Body)) > 5000 {
		return c.bad("body", "must be at most 5000 characters.")
	}
	return nil
}

func (conversationReplyStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	in, err := x.e.inbox()
	if err != nil {
		return "", nil, false, err
	}
	body, err := x.render(x.st.Body)
	if err != nil {
		return "", nil, false, err
	}
	if body = strings.TrimSpace(body); body == "" {
		return "", nil, false, &PermanentError{errors.New("the reply is empty once its fields are filled in")}
	}
	msgID, convID, err := in.ReplyStep(x.ctx, x.run.TenantID, runConversation(x.run), x.run.ContactID, body, x.rs.IdempotencyKey)
	if err != nil {
		return "", nil, false, inboxStepError(err)
	}
	x.rs.ProviderID = "inbox-message-" + strconv.FormatInt(msgID, 10)
	return stepJSON(map[string]any{"conversation_id": convID, "message_id": msgID}), nil, false, nil
}

func (conversationReplyStep) fields(string) []StepField {
	return []StepField{{Key: "body", Label: "Reply", Kind: "textarea", Required: true, Template: true,
		Help: "Sent on the conversation's channel (a text, or an email in the thread) to the trigger's conversation, else the contact's latest."}}
}
