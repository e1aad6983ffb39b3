package agents

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// toolEffects are what tools did that the loop acts on.
type toolEffects struct {
	handoff *HandoffAction
	end     string // end_conversation's outcome
	booked  bool
}

func (e *toolEffects) merge(o toolEffects) {
	if o.handoff != nil {
		e.handoff = o.handoff
	}
	if o.end != "" {
		e.end = o.end
	}
	e.booked = e.booked || o.booked
}

// ToolTimeout bounds one tool's execution.
const ToolTimeout = 15 * time.Second

// toolCtx is the context tools run in: the agent's tenant (never one the
// model names) and the agent as the actor of every CRM write.
func toolCtx(ctx context.Context, c *Conversation) context.Context {
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: c.TenantID})
	return app.NewContextWithActor(ctx, fmt.Sprintf("agent:%d", c.AgentID))
}

var errNoContact = app.Errorf(app.EINVALID, "There is no contact yet: ask for their email or phone and call create_person first.")

// toolRun is one tool call being run: the checked arguments, the
// conversation and agent, and what the call did (eff).
type toolRun struct {
	s    *Service
	ctx  context.Context
	ss   *session
	conv *Conversation
	a    *Agent
	args map[string]any
	call ToolCall
	eff  toolEffects
}

// person is the conversation's contact (errNoContact before there is one).
func (tr *toolRun) person() (*app.Person, error) {
	if tr.conv.PersonID == 0 {
		return nil, errNoContact
	}
	return tr.s.CRM.FindPerson(tr.ctx, tr.conv.PersonID)
}

// runTool validates a call against its schema and runs its handler (the
// tools table). A call that fails validation is never executed.
func (s *Service) runTool(ctx context.Context, ss *session, call ToolCall) (string, toolEffects, error) {
	args, err := ss.tools.check(call.Name, call.Arguments)
	if err != nil {
		return "", toolEffects{}, err
	}
	run, ok := tools[call.Name]
	if !ok {
		return "", toolEffects{}, &ToolArgError{fmt.Sprintf("unknown tool %q", call.Name)}
	}
	ctx, cancel := context.WithTimeout(toolCtx(ctx, ss.conv), ToolTimeout)
	defer cancel()
	tr := &toolRun{s: s, ctx: ctx, ss: ss, conv: ss.conv, a: ss.agent, args: args, call: call}
	out, err := run(tr)
	return out, tr.eff, err
}

// tools are the handlers of the tools, by name: each runs one checked
// call (a toolRun) and returns its result for the model.
var tools = map[string]func(*toolRun) (string, error){
	ToolFindPerson:        (*toolRun).toolFindPerson,
	ToolCreatePerson:      (*toolRun).toolCreatePerson,
	ToolUpdatePerson:      (*toolRun).toolUpdatePerson,
	ToolAddNote:           (*toolRun).toolAddNote,
	ToolAddTag:            (*toolRun).toolAddTag,
	ToolCreateDeal:        (*toolRun).toolCreateDeal,
	ToolCreateTask:        (*toolRun).toolCreateTask,
	ToolCheckAvailability: (*toolRun).toolCheckAvailability,
	ToolBook:              (*toolRun).toolBook,
	ToolSendSMS:           (*toolRun).toolSendSMS,
	ToolSendEmail:         (*toolRun).toolSendEmail,
	ToolTransfer:          (*toolRun).toolTransfer,
	ToolStartWorkflow:     (*toolRun).toolStartWorkflow,
	ToolEndConversation:   (*toolRun).toolEndConversation,
	ToolSaveFields:        (*toolRun).toolSaveFields,
	ToolLookupSheet:       (*toolRun).toolLookupSheet,
}

func (tr *toolRun) toolFindPerson() (string, error) {
	s, ctx, conv, args := tr.s, tr.ctx, tr.conv, tr.args
	var err error
	email, phone := strings.ToLower(argString(args, "email")), argString(args, "phone")
	if phone != "" {
		if phone, err = app.NormalizePhone("phone", phone); err != nil {
			return "", err
		}
	}
	id, err := s.stores.People.FindPersonByContact(ctx, conv.TenantID, email, phone)
	if err != nil {
		return "", err
	}
	if id == 0 {
		return mustJSON(map[string]any{"found": false}), nil
	}
	p, err := s.CRM.FindPerson(ctx, id)
	if err != nil {
		return "", err
	}
	return mustJSON(map[string]any{"found": true, "first_name": p.FirstName}), nil
}

func (tr *toolRun) toolCreatePerson() (string, error) {
	s, ctx, ss, conv, args := tr.s, tr.ctx, tr.ss, tr.conv, tr.args
	var err error
	in := app.ContactInput{TenantID: conv.TenantID, FirstName: argString(args, "first_name"), LastName: argString(args, "last_name"),
		Email: argString(args, "email"), Phone: argString(args, "phone"), Company: argString(args, "company"),
		Source: sourceLabel(conv.Channel), Actor: fmt.Sprintf("agent:%d", conv.AgentID)}
	if in.Phone == "" && conv.Channel != ChannelWeb && conv.Channel != ChannelPlayground {
		in.Phone = conv.Visitor
	}
	if err := in.Validate(); err != nil {
		return "", err
	}
	id, created, err := s.Contacts.UpsertContact(ctx, in)
	if err != nil {
		return "", err
	}
	if conv.PersonID != id {
		s.linkPerson(ctx, ss, id)
	}
	return mustJSON(map[string]any{"saved": true, "created": created}), nil
}

func (tr *toolRun) toolUpdatePerson() (string, error) {
	s, ctx, conv, args := tr.s, tr.ctx, tr.conv, tr.args
	person := tr.person
	var err error
	p, err := person()
	if err != nil {
		return "", err
	}
	var upd app.PersonUpdate
	for _, name := range []string{"first_name", "last_name", "title"} {
		if v, ok := args[name].(string); ok {
			upd.Fields.Put(name, strings.TrimSpace(v))
		}
	}
	if e := strings.ToLower(argString(args, "email")); e != "" && !slices.Contains(p.Emails, e) {
		l := append([]string{e}, p.Emails...)
		upd.Emails = &l
	}
	if ph := argString(args, "phone"); ph != "" {
		n, err := app.NormalizePhone("phone", ph)
		if err != nil {
			return "", err
		}
		if !slices.Contains(p.Phones, n) {
			l := append([]string{n}, p.Phones...)
			upd.Phones = &l
		}
	}
	if co := argString(args, "company"); co != "" {
		// The company goes through the contact upsert, which finds or
		// creates it by name.
		in := app.ContactInput{TenantID: conv.TenantID, Company: co, Actor: fmt.Sprintf("agent:%d", conv.AgentID)}
		if len(p.Emails) > 0 {
			in.Email = p.Emails[0]
		} else if len(p.Phones) > 0 {
			in.Phone = p.Phones[0]
		}
		if in.Email != "" || in.Phone != "" {
			if err := in.Validate(); err != nil {
				return "", err
			}
			if _, _, err := s.Contacts.UpsertContact(ctx, in); err != nil {
				return "", err
			}
		}
	}
	if _, err := s.CRM.UpdatePerson(ctx, p.ID, upd); err != nil {
		return "", err
	}
	return mustJSON(map[string]any{"updated": true}), nil
}

func (tr *toolRun) toolAddNote() (string, error) {
	s, ctx, conv, args := tr.s, tr.ctx, tr.conv, tr.args
	if conv.PersonID == 0 {
		return "", errNoContact
	}
	n := &app.Note{RecordType: app.RecordPerson, RecordID: conv.PersonID, Body: argString(args, "text")}
	if err := s.CRM.CreateNote(ctx, n); err != nil {
		return "", err
	}
	return mustJSON(map[string]any{"noted": true}), nil
}

func (tr *toolRun) toolAddTag() (string, error) {
	s, ctx, args := tr.s, tr.ctx, tr.args
	person := tr.person
	var err error
	p, err := person()
	if err != nil {
		return "", err
	}
	tag := strings.ToLower(argString(args, "tag"))
	if !slices.Contains(p.Tags, tag) {
		tags := append(slices.Clone(p.Tags), tag)
		if _, err := s.CRM.UpdatePerson(ctx, p.ID, app.PersonUpdate{Tags: &tags}); err != nil {
			return "", err
		}
	}
	return mustJSON(map[string]any{"tagged": tag}), nil
}

func (tr *toolRun) toolCreateDeal() (string, error) {
	s, ctx, conv, args := tr.s, tr.ctx, tr.conv, tr.args
	if conv.PersonID == 0 {
		return "", errNoContact
	}
	d := &app.Deal{Name: argString(args, "name"), PersonIDs: []int64{conv.PersonID}}
	if amt, ok := argNumber(args, "amount"); ok {
		d.Amount = int64(math.Round(amt * 100))
	}
	if err := s.CRM.CreateDeal(ctx, d); err != nil {
		return "", err
	}
	return mustJSON(map[string]any{"deal_created": true, "stage": d.Stage}), nil
}

func (tr *toolRun) toolCreateTask() (string, error) {
	s, ctx, conv, args := tr.s, tr.ctx, tr.conv, tr.args
	t := &app.Task{Title: argString(args, "title")}
	if conv.PersonID != 0 {
		t.RecordType, t.RecordID = app.RecordPerson, conv.PersonID
	}
	if due := argString(args, "due"); due != "" {
		d, err := time.Parse(time.RFC3339, due)
		if err != nil {
			return "", app.FieldErrorf("due", "due must be a time like 2027-01-05T15:00:00-05:00.")
		}
		d = d.UTC()
		t.Due = &d
	}
	if err := s.CRM.CreateTask(ctx, t); err != nil {
		return "", err
	}
	return mustJSON(map[string]any{"task_created": true}), nil
}

func (tr *toolRun) toolCheckAvailability() (string, error) {
	s, ctx, ss, args := tr.s, tr.ctx, tr.ss, tr.args
	var err error
	day, err := time.ParseInLocation("2006-01-02", argString(args, "date"), ss.loc)
	if err != nil {
		return "", app.FieldErrorf("date", "date must look like 2027-01-05.")
	}
	mins := 30
	if m, ok := argNumber(args, "minutes"); ok {
		mins = int(m)
	}
	slots, err := s.freeSlots(ctx, ss, day, day.AddDate(0, 0, 1), time.Duration(mins)*time.Minute)
	if err != nil {
		return "", err
	}
	var list []string
	for _, sl := range slots {
		list = append(list, sl.Start.In(ss.loc).Format(time.RFC3339))
		if len(list) == 32 {
			break
		}
	}
	res := map[string]any{"date": day.Format("2006-01-02"), "time_zone": ss.loc.String(), "free_starts": list}
	if s.Booker == nil {
		res["note"] = "No calendar is connected: a booking is recorded as a request the team confirms."
	}
	return mustJSON(res), nil
}

func (tr *toolRun) toolBook() (string, error) {
	s, ctx, ss, conv, a, args := tr.s, tr.ctx, tr.ss, tr.conv, tr.a, tr.args
	var err error
	if conv.PersonID == 0 {
		return "", errNoContact
	}
	start, err := time.Parse(time.RFC3339, argString(args, "start"))
	if err != nil {
		return "", app.FieldErrorf("start", "start must be a time like 2027-01-05T15:00:00-05:00.")
	}
	mins := 30
	if m, ok := argNumber(args, "minutes"); ok {
		mins = int(m)
	}
	b, err := s.book(ctx, ss, app.BookingRequest{PersonID: conv.PersonID, Start: start, Duration: time.Duration(mins) * time.Minute,
		Title: argString(args, "topic"), Source: fmt.Sprintf("agent:%d", a.ID)})
	if err != nil {
		return "", err
	}
	tr.eff.booked = true
	ss.booked = true
	res := map[string]any{"booked": true, "start": b.Start.In(ss.loc).Format(time.RFC3339), "confirmed": b.Confirmed, "label": b.Label}
	if !b.Confirmed {
		res["tell_the_person"] = "The time is requested; the team will confirm it."
	}
	return mustJSON(res), nil
}

func (tr *toolRun) toolSendSMS() (string, error) {
	s, ctx, conv, args, call := tr.s, tr.ctx, tr.conv, tr.args, tr.call
	person := tr.person
	var err error
	p, err := person()
	if err != nil {
		return "", err
	}
	if len(p.Phones) == 0 {
		return "", app.Errorf(app.EINVALID, "The contact has no phone number.")
	}
	if !p.Consent.SMS && conv.Channel != ChannelSMS && conv.Channel != ChannelVoice {
		return "", app.Errorf(app.EINVALID, "The contact has not agreed to receive texts; send an email instead.")
	}
	if s.Telephony == nil {
		return "", app.Errorf(app.EINVALID, "Texting is not configured.")
	}
	tel, err := s.Telephony(app.WithoutValues(ctx), conv.TenantID)
	if err != nil {
		return "", app.Errorf(app.EINVALID, "Texting is not configured for this account.")
	}
	body := argString(args, "body")
	sid, err := tel.SendSMS(ctx, app.SMS{From: tel.From(), To: p.Phones[0], Body: body, IdempotencyKey: fmt.Sprintf("ag%d-%s", conv.ID, call.ID)})
	if err != nil {
		return "", app.Errorf(app.EINVALID, "The text could not be sent.")
	}
	seg := SMSSegments(body)
	if err := s.stores.Usage.AddUsage(ctx, conv.ID, []Usage{{TenantID: conv.TenantID, Day: s.now().UTC().Format("2006-01-02"), Kind: UsageSMS, Quantity: seg, CostMicros: s.unitCost(ctx, UsageSMS, seg)}}); err != nil {
		s.Logger.Warn("agents: meter a text", "err", err)
	}
	_ = s.CRM.AddTimelineEntry(ctx, &app.TimelineEntry{RecordType: app.RecordPerson, RecordID: p.ID, Kind: app.TimelineSMS, Body: "Text from the AI agent to " + p.Phones[0] + " (" + sid + "): " + body})
	return mustJSON(map[string]any{"sent": true}), nil
}

func (tr *toolRun) toolSendEmail() (string, error) {
	s, ctx, ss, conv, args := tr.s, tr.ctx, tr.ss, tr.conv, tr.args
	person := tr.person
	var err error
	p, err := person()
	if err != nil {
		return "", err
	}
	if len(p.Emails) == 0 {
		return "", app.Errorf(app.EINVALID, "The contact has no email address.")
	}
	if s.Mailer == nil {
		return "", app.Errorf(app.EINVALID, "Email is not configured.")
	}
	m, err := s.Mailer(app.WithoutValues(ctx), conv.TenantID)
	if err != nil {
		return "", app.Errorf(app.EINVALID, "Email is not configured for this account.")
	}
	msg := &app.Message{TenantID: conv.TenantID, To: p.Emails[0], Subject: argString(args, "subject"), Text: argString(args, "body")}
	if ss.tenant != nil {
		msg.FromName = ss.tenant.BrandName()
	}
	if err := m.Send(ctx, msg); err != nil {
		return "", app.Errorf(app.EINVALID, "The email could not be sent.")
	}
	_ = s.CRM.AddTimelineEntry(ctx, &app.TimelineEntry{RecordType: app.RecordPerson, RecordID: p.ID, Kind: app.TimelineEmail, Body: "Email from the AI agent to " + msg.To + ": " + msg.Subject})
	return mustJSON(map[string]any{"sent": true}), nil
}

func (tr *toolRun) toolTransfer() (string, error) {
	s, ctx, ss, conv, a, args := tr.s, tr.ctx, tr.ss, tr.conv, tr.a, tr.args
	h := a.Config.Handoff
	if h.Kind == HandoffNone {
		return "", app.Errorf(app.EINVALID, "No handoff target is configured.")
	}
	tr.eff.handoff = &HandoffAction{Kind: h.Kind, Target: h.Target, Reason: argString(args, "reason")}
	ss.handoff = true
	if !(conv.Channel == ChannelVoice && h.Kind == HandoffPhone) {
		s.notifyTeam(ctx, ss, "Handoff requested: "+argString(args, "reason"))
	}
	return mustJSON(map[string]any{"handing_off": true}), nil
}

func (tr *toolRun) toolStartWorkflow() (string, error) {
	s, ctx, ss, conv, a, args := tr.s, tr.ctx, tr.ss, tr.conv, tr.a, tr.args
	var err error
	id, ok := ss.tools.workflows[argString(args, "workflow")]
	if !ok || s.Workflows == nil {
		return "", app.Errorf(app.EINVALID, "Unknown workflow.")
	}
	w, err := s.Workflows.FindWorkflow(ctx, id)
	if err != nil || w.TenantID != conv.TenantID {
		return "", app.Errorf(app.EINVALID, "Unknown workflow.")
	}
	payload := map[string]string{"agent": a.Name, "conversation_id": fmt.Sprint(conv.ID), "channel": conv.Channel}
	if _, err := s.Workflows.EnqueueRun(ctx, app.RunSpec{Workflow: w, Payload: payload, ContactID: conv.PersonID}); err != nil {
		return "", err
	}
	if s.Wake != nil {
		s.Wake()
	}
	return mustJSON(map[string]any{"started": w.Name}), nil
}

func (tr *toolRun) toolEndConversation() (string, error) {
	ss, args := tr.ss, tr.args
	tr.eff.end = argString(args, "outcome")
	if tr.eff.end == "qualified" {
		ss.qualified = true
	}
	return mustJSON(map[string]any{"ending": true}), nil
}

func (tr *toolRun) toolSaveFields() (string, error) {
	s, ctx, ss, conv, a, args := tr.s, tr.ctx, tr.ss, tr.conv, tr.a, tr.args
	fields := map[string]Field{}
	for _, f := range a.Config.Fields {
		fields[f.Key] = f
	}
	saved := map[string]string{}
	for k, v := range args {
		sv, _ := v.(string)
		sv = cleanInput(sv)
		f := fields[k]
		switch f.CRMField {
		case "email":
			sv = strings.ToLower(sv)
			if err := app.ValidateEmail(k, sv); err != nil {
				return "", app.FieldErrorf(k, "%s is not an email address.", k)
			}
		case "phone":
			p, err := app.NormalizePhone(k, sv)
			if err != nil {
				return "", err
			}
			sv = p
		}
		saved[k] = sv
	}
	for k, v := range saved {
		ss.collected[k] = v
	}
	if err := s.stores.Turns.SetCollected(ctx, conv.TenantID, conv.ID, ss.collected); err != nil {
		return "", err
	}
	// An email or phone makes the visitor a contact.
	if conv.PersonID == 0 && s.Contacts != nil {
		in := app.ContactInput{TenantID: conv.TenantID, Source: sourceLabel(conv.Channel), Actor: fmt.Sprintf("agent:%d", conv.AgentID)}
		for k, v := range saved {
			switch fields[k].CRMField {
			case "email":
				in.Email = v
			case "phone":
				in.Phone = v
			case "first_name":
				in.FirstName = v
			case "last_name":
				in.LastName = v
			}
		}
		if in.Email != "" || in.Phone != "" {
			if in.Validate() == nil {
				if id, _, err := s.Contacts.UpsertContact(ctx, in); err == nil {
					s.linkPerson(ctx, ss, id)
				}
			}
		}
	}
	missing := []string{}
	for _, f := range a.Config.Fields {
		if f.Required && ss.collected[f.Key] == "" {
			missing = append(missing, f.Key)
		}
	}
	return mustJSON(map[string]any{"saved": len(saved), "still_needed": missing}), nil
}

func (tr *toolRun) toolLookupSheet() (string, error) {
	s, ctx, ss, conv, args := tr.s, tr.ctx, tr.ss, tr.conv, tr.args
	var err error
	id, ok := ss.tools.sheets[argString(args, "sheet")]
	if !ok || s.Sheets == nil {
		return "", app.Errorf(app.EINVALID, "Unknown sheet.")
	}
	rows, err := s.Sheets.LookupRows(ctx, conv.TenantID, id, argString(args, "query"), 10)
	if err != nil {
		return "", err
	}
	return mustJSON(map[string]any{"rows": rows}), nil

}

// freeSlots asks the Booker, else derives slots from the business hours
// minus the times already requested.
func (s *Service) freeSlots(ctx context.Context, ss *session, from, to time.Time, d time.Duration) ([]app.Slot, error) {
	if s.Booker != nil {
		// A tenant without a calendar still gets requested times.
		if slots, err := s.Booker.FreeSlots(ctx, ss.conv.TenantID, from, to, d); !errors.Is(err, app.ErrNoCalendar) {
			return slots, err
		}
	}
	return TaskBooker{Service: s, Hours: ss.agent.Config.Hours, Loc: ss.loc}.FreeSlots(ctx, ss.conv.TenantID, from, to, d)
}

func (s *Service) book(ctx context.Context, ss *session, req app.BookingRequest) (*app.Booking, error) {
	if s.Booker != nil {
		if b, err := s.Booker.Book(ctx, ss.conv.TenantID, req); !errors.Is(err, app.ErrNoCalendar) {
			return b, err
		}
	}
	return TaskBooker{Service: s, Hours: ss.agent.Config.Hours, Loc: ss.loc}.Book(ctx, ss.conv.TenantID, req)
}

// notifyTeam emails the handoff target (or the tenant's support address)
// that a conversation needs a person; best effort.
func (s *Service) notifyTeam(ctx context.Context, ss *session, why string) {
	to := ""
	if h := ss.agent.Config.Handoff; h.Kind == HandoffEmail || h.Kind == HandoffUser {
		to = h.Target
	} else if ss.tenant != nil {
		to = ss.tenant.SupportEmail
	}
	if to == "" || s.Mailer == nil {
		return
	}
	m, err := s.Mailer(app.WithoutValues(ctx), ss.conv.TenantID)
	if err != nil {
		return
	}
	body := fmt.Sprintf("The AI agent %s needs a person in conversation #%d (%s, with %s).\n\n%s\n\nOpen Agent Studio > Conversations to read it and reply.",
		ss.agent.Name, ss.conv.ID, ss.conv.Channel, ss.conv.Visitor, why)
	if err := m.Send(context.WithoutCancel(ctx), &app.Message{TenantID: ss.conv.TenantID, To: to, Subject: "AI agent handoff: conversation #" + fmt.Sprint(ss.conv.ID), Text: body}); err != nil {
		s.Logger.Warn("agents: notify the team", "conversation_id", ss.conv.ID, "err", err)
	}
}
