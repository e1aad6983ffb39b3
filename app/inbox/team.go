package inbox

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"orengen/app"
)

// RoundRobin is the assignee that gives a thread to the tenant's next
// team member in turn (the assign form, the API's PATCH, a workflow's
// assign step: routing by channel is a message_received workflow with
// when.channel).
const RoundRobin = "round-robin"

// teamEmails returns the tenant's team members' emails, in order.
func (s *Service) teamEmails(ctx context.Context, tenantID int64) ([]string, []*app.User, error) {
	if s.Team == nil {
		return nil, nil, app.Errorf(app.EINVALID, "Round robin needs the team's list, which is not available here.")
	}
	us, err := s.Team(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	var emails []string
	for _, u := range us {
		emails = append(emails, strings.ToLower(u.Email))
	}
	slices.Sort(emails)
	return emails, us, nil
}

// roundRobin picks the next team member of the tenant (as user:EMAIL).
// Returns EINVALID naming "assignee" when the tenant has no team.
func (s *Service) roundRobin(ctx context.Context, tenantID int64) (string, error) {
	emails, _, err := s.teamEmails(ctx, tenantID)
	if err != nil {
		return "", err
	}
	if len(emails) == 0 {
		return "", app.FieldErrorf("assignee", "Round robin needs team members: invite them in Settings > Team.")
	}
	next, err := s.store.NextRoundRobin(ctx, tenantID, emails)
	if err != nil {
		return "", err
	}
	return "user:" + next, nil
}

// mentionRE finds @mentions: @email@example.com or @name.
var mentionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[\s(,;])@([\p{L}\p{N}._%+\-]+(?:@[\p{L}\p{N}.\-]+\.[\p{L}]{2,})?)`)
})

// Mentions returns the team members a note names: @ and an email, the
// part of an email before the @, or a first name that only one of them
// has (case-insensitive).
func Mentions(note string, team []*app.User) []*app.User {
	var out []*app.User
	add := func(u *app.User) {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	for _, m := range mentionRE().FindAllStringSubmatch(note, -1) {
		tok := strings.ToLower(strings.TrimRight(m[1], "."))
		var hits []*app.User
		for _, u := range team {
			email := strings.ToLower(u.Email)
			local, _, _ := strings.Cut(email, "@")
			first := strings.ToLower(strings.Fields(u.Name + " ")[0])
			if tok == email || tok == local {
				hits = []*app.User{u}
				break
			}
			if first != "" && tok == first {
				hits = append(hits, u)
			}
		}
		if len(hits) == 1 {
			add(hits[0])
		}
	}
	return out
}

// notifyMentions emails the team members a note mentions (not its
// author) with the note and a link to the thread. A failure is logged:
// the note is saved either way.
func (s *Service) notifyMentions(ctx context.Context, c *Conversation, m *Message) {
	if s.Team == nil || s.Notify == nil || !strings.Contains(m.Body, "@") {
		return
	}
	_, team, err := s.teamEmails(appliance(ctx), c.TenantID)
	if err != nil {
		s.logger().Warn("inbox: mentions: team", "tenant_id", c.TenantID, "err", err)
		return
	}
	link := ""
	if s.ThreadURL != nil {
		link = "\n\nOpen the conversation: " + s.ThreadURL(appliance(ctx), c.TenantID, c.ID)
	}
	author := strings.TrimPrefix(m.Author, "user:")
	for _, u := range Mentions(m.Body, team) {
		if strings.EqualFold(u.Email, author) {
			continue
		}
		msg := &app.Message{TenantID: c.TenantID, To: u.Email, Subject: "You were mentioned in the conversation with " + c.Who(),
			Text: fmt.Sprintf("%s mentioned you in a private note on the conversation with %s:\n\n%s%s", author, c.Who(), m.Body, link)}
		if s.Tenants != nil {
			if t, err := s.Tenants.FindTenantByID(appliance(ctx), c.TenantID); err == nil {
				msg.FromName = t.BrandName()
			}
		}
		if err := s.Notify.Send(appliance(ctx), msg); err != nil {
			s.logger().Warn("inbox: notify a mention", "conversation_id", c.ID, "err", err)
		}
	}
}
