package app

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Members' area steps (issue #24): enrol the run's contact in a course
// (a member is made of them if needed, and emailed a sign-in link), grant
// them a course or a community space without email, or revoke it. days
// ends the access that many days after the step (0: for good).
const (
	StepMemberEnrol  = "member_enrol"
	StepMemberGrant  = "member_grant"
	StepMemberRevoke = "member_revoke"
)

// MemberSteps is the members' area as workflow steps use it
// (courses.Service implements it). course is a course's address (slug)
// or ID, space a space's address; errors are ENOTFOUND for an unknown
// course or space and EINVALID for a bad email, which retrying cannot fix.
type MemberSteps interface {
	// EnrolStep enrols email (a member, made if needed) in course until
	// expires (nil: for good); it emails a sign-in link when the
	// enrolment is new, and reports whether it was.
	EnrolStep(ctx context.Context, tenantID int64, email, name, course string, expires *time.Time) (memberID int64, created bool, err error)
	// AccessStep grants (or revokes) email's access to a course or a
	// space (one of them).
	AccessStep(ctx context.Context, tenantID int64, email, name, course, space string, expires *time.Time, revoke bool) (memberID int64, err error)
}

func init() {
	stepKinds[StepMemberEnrol] = memberStep{}
	stepKinds[StepMemberGrant] = memberStep{}
	stepKinds[StepMemberRevoke] = memberStep{}
	stepLabels[StepMemberEnrol] = [3]string{"Enrol in a course", "Make the contact a member, enrol them and email a sign-in link", "Members"}
	stepLabels[StepMemberGrant] = [3]string{"Grant access", "Give the contact a course or a community space, for good or for some days", "Members"}
	stepLabels[StepMemberRevoke] = [3]string{"Revoke access", "End the contact's access to a course or a community space", "Members"}
	StepTypes = append(StepTypes, StepMemberEnrol, StepMemberGrant, StepMemberRevoke)
}

type memberStep struct{}

func (memberStep) check(c *stepCheck) error {
	s := c.s
	s.Course, s.Space = strings.TrimSpace(s.Course), strings.TrimSpace(s.Space)
	switch {
	case s.Type == StepMemberEnrol && s.Course == "":
		return c.need("course", s.Course)
	case s.Type != StepMemberEnrol && (s.Course == "") == (s.Space == ""):
		return c.bad("course", "give either a course or a space.")
	case s.Type == StepMemberEnrol && s.Space != "":
		return c.bad("space", "an enrol step takes a course only.")
	case s.Days < 0 || s.Days > 3650:
		return c.bad("days", "must be between 0 and 3650.")
	case s.Type == StepMemberRevoke && s.Days != 0:
		return c.bad("days", "a revoke step ends access now.")
	case len(s.Course) > 100 || len(s.Space) > 100:
		return c.bad("course", "must be at most 100 characters.")
	}
	return nil
}

func (memberStep) run(x *stepRun) (string, *RunAdvance, bool, error) {
	if x.e.Members == nil {
		return "", nil, false, &PermanentError{errors.New("the members' area is not available on this server")}
	}
	if x.data == nil || x.data.Contact == nil || x.data.Contact.Email == "" {
		return "", nil, false, &PermanentError{errors.New("the run's contact has no email: add a contact step with an email first")}
	}
	ct := x.data.Contact
	name := strings.TrimSpace(ct.FirstName + " " + ct.LastName)
	var expires *time.Time
	if x.st.Days > 0 {
		t := time.Now().Add(time.Duration(x.st.Days) * 24 * time.Hour)
		expires = &t
	}
	var id int64
	var created bool
	var err error
	if x.st.Type == StepMemberEnrol {
		id, created, err = x.e.Members.EnrolStep(x.ctx, x.run.TenantID, ct.Email, name, x.st.Course, expires)
	} else {
		id, err = x.e.Members.AccessStep(x.ctx, x.run.TenantID, ct.Email, name, x.st.Course, x.st.Space, expires, x.st.Type == StepMemberRevoke)
	}
	if err != nil {
		switch ErrorCode(err) {
		case EINVALID, ENOTFOUND, EFORBIDDEN:
			return "", nil, false, &PermanentError{err}
		}
		return "", nil, false, err
	}
	out := map[string]any{"member_id": id, "course": x.st.Course, "space": x.st.Space}
	if expires != nil {
		out["expires_at"] = expires.UTC().Format(time.RFC3339)
	}
	if x.st.Type == StepMemberEnrol {
		out["enrolled"] = created
	}
	return stepJSON(out), nil, false, nil
}

func (memberStep) fields(typ string) []StepField {
	course := StepField{Key: "course", Label: "Course (its address, like intro-to-sales, or ID)", Kind: "text", Required: typ == StepMemberEnrol}
	if typ == StepMemberEnrol {
		return []StepField{course, {Key: "days", Label: "Access ends after this many days (0: never)", Kind: "number"}}
	}
	f := []StepField{course, {Key: "space", Label: "Or a community space (its address, like general)", Kind: "text",
		Help: "Give a course or a space, not both."}}
	if typ == StepMemberGrant {
		f = append(f, StepField{Key: "days", Label: "Access ends after this many days (0: never)", Kind: "number"})
	}
	return f
}
