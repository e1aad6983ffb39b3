package courses

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// Offers and access: the workflow steps "enrol", "grant access" and
// "revoke access" (app.MemberSteps), and expiring access (an enrolment or
// a space grant with an end; the member sees "access ended on ...").

// AccessStore is what access needs besides Stores and CommunityStore.
type AccessStore interface {
	SetEnrolmentExpiry(ctx context.Context, courseID, memberID int64, expires *time.Time) error
	GrantSpace(ctx context.Context, spaceID, memberID int64, source string, expires *time.Time) error
	RevokeSpace(ctx context.Context, spaceID, memberID int64) error
	FindSpaceBySlug(ctx context.Context, slug string) (*Space, error)
}

var _ app.MemberSteps = (*Service)(nil)

// EndedError is a member opening a course whose access has ended.
type EndedError struct {
	Course string
	At     time.Time // in the member's zone
}

func (e *EndedError) Error() string {
	return fmt.Sprintf("Your access to %s ended on %s (%s).", e.Course, e.At.Format("Monday 2 January 2006 at 15:04"), e.At.Location())
}

// Unwrap gives the error an app code (EFORBIDDEN).
func (e *EndedError) Unwrap() error { return app.Errorf(app.EFORBIDDEN, "%s", e.Error()) }

// IsEnded reports whether err is ended access, and its message.
func IsEnded(err error) (string, bool) {
	var ee *EndedError
	if errors.As(err, &ee) {
		return ee.Error(), true
	}
	return "", false
}

func (s *Service) access() (AccessStore, error) {
	if s.Community == nil {
		return nil, app.Errorf(app.EINTERNAL, "No access store.")
	}
	return s.Community, nil
}

// stepContext is the tenant's context for a workflow step.
func (s *Service) stepContext(ctx context.Context, tenantID int64) (context.Context, error) {
	if s.Tenant == nil {
		return nil, app.Errorf(app.EINTERNAL, "No tenant lookup.")
	}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return app.NewContextWithTenant(ctx, t), nil
}

func (s *Service) courseByRef(ctx context.Context, ref string) (*Course, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if c, err := s.stores.Courses.FindCourse(ctx, id); err == nil {
			return c, nil
		}
	}
	c, err := s.stores.Courses.FindCourseBySlug(ctx, strings.ToLower(ref))
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, app.Errorf(app.ENOTFOUND, "No course with the address or ID %q.", ref)
	}
	return c, err
}

// EnrolStep implements app.MemberSteps.
func (s *Service) EnrolStep(ctx context.Context, tenantID int64, email, name, course string, expires *time.Time) (int64, bool, error) {
	tctx, err := s.stepContext(ctx, tenantID)
	if err != nil {
		return 0, false, err
	}
	c, err := s.courseByRef(tctx, course)
	if err != nil {
		return 0, false, err
	}
	m, created, err := s.ensureMember(tctx, email, name, "workflow")
	if err != nil {
		return 0, false, err
	}
	newly, err := s.grantCourse(tctx, m, c, "workflow", expires)
	if err != nil || !newly {
		return m.ID, false, err
	}
	purpose := TokenLogin
	if created || !m.HasPassword {
		purpose = TokenInvite
	}
	return m.ID, true, s.sendLink(tctx, m, purpose, c)
}

// grantCourse enrols m in c until expires, or renews an enrolment's end;
// it reports whether the enrolment is new.
func (s *Service) grantCourse(ctx context.Context, m *Member, c *Course, source string, expires *time.Time) (bool, error) {
	as, err := s.access()
	if err != nil {
		return false, err
	}
	e := &Enrolment{CourseID: c.ID, MemberID: m.ID, Source: source, EnrolledAt: s.now(), ExpiresAt: expires}
	if err := s.stores.Enrolments.Enrol(ctx, e); err == nil {
		s.emit(ctx, Event{Kind: EventEnrolled, TenantID: m.TenantID, Member: m, Course: c})
		return true, nil
	} else if app.ErrorCode(err) != app.ECONFLICT {
		return false, err
	}
	return false, as.SetEnrolmentExpiry(ctx, c.ID, m.ID, expires)
}

// AccessStep implements app.MemberSteps.
func (s *Service) AccessStep(ctx context.Context, tenantID int64, email, name, course, space string, expires *time.Time, revoke bool) (int64, error) {
	tctx, err := s.stepContext(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	as, err := s.access()
	if err != nil {
		return 0, err
	}
	var c *Course
	var sp *Space
	if course != "" {
		if c, err = s.courseByRef(tctx, course); err != nil {
			return 0, err
		}
	} else if sp, err = as.FindSpaceBySlug(tctx, strings.ToLower(strings.TrimSpace(space))); err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return 0, app.Errorf(app.ENOTFOUND, "No space with the address %q.", space)
		}
		return 0, err
	}
	if revoke {
		e, err := NormalizeEmail(email)
		if err != nil {
			return 0, err
		}
		m, _, err := s.stores.Members.FindMemberByEmail(tctx, e)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return 0, nil // not a member: nothing to revoke
		} else if err != nil {
			return 0, err
		}
		if c != nil {
			now := s.now()
			if err := as.SetEnrolmentExpiry(tctx, c.ID, m.ID, &now); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
				return 0, err
			}
		} else if err := as.RevokeSpace(tctx, sp.ID, m.ID); err != nil {
			return 0, err
		}
		s.log().Info("member access revoked", "tenant", tenantID, "member", m.ID)
		return m.ID, nil
	}
	m, _, err := s.ensureMember(tctx, email, name, "workflow")
	if err != nil {
		return 0, err
	}
	if c != nil {
		_, err = s.grantCourse(tctx, m, c, "workflow", expires)
	} else {
		err = as.GrantSpace(tctx, sp.ID, m.ID, "workflow", expires)
	}
	return m.ID, err
}

// MemberAccess grants a member a course (courseID) or a space (spaceID),
// until expires (nil: for good), or revokes it (staff, the API). A course
// already granted has its end changed; a revoked course ends now.
// Returns EINVALID naming the field or ENOTFOUND.
func (s *Service) MemberAccess(ctx context.Context, memberID, courseID, spaceID int64, expires *time.Time, revoke bool) (*Member, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	as, err := s.access()
	if err != nil {
		return nil, err
	}
	if (courseID == 0) == (spaceID == 0) {
		return nil, app.FieldErrorf("course_id", "Give either course_id or space_id.")
	}
	if expires != nil && !revoke && !expires.After(s.now()) {
		return nil, app.FieldErrorf("expires_at", "The end of access must be in the future.")
	}
	m, err := s.stores.Members.FindMember(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if courseID != 0 {
		c, err := s.stores.Courses.FindCourse(ctx, courseID)
		if err != nil {
			return nil, app.FieldErrorf("course_id", "Choose one of your courses.")
		}
		if revoke {
			now := s.now()
			err = as.SetEnrolmentExpiry(ctx, c.ID, m.ID, &now)
			if app.ErrorCode(err) == app.ENOTFOUND {
				err = nil // not enrolled: nothing to revoke
			}
		} else {
			_, err = s.grantCourse(ctx, m, c, "api", expires)
		}
		return m, err
	}
	sp, err := s.Community.FindSpace(ctx, spaceID)
	if err != nil {
		return nil, app.FieldErrorf("space_id", "Choose one of your spaces.")
	}
	if revoke {
		return m, as.RevokeSpace(ctx, sp.ID, m.ID)
	}
	return m, as.GrantSpace(ctx, sp.ID, m.ID, "api", expires)
}

// SetMemberDigest sets how often a member gets the community digest
// (staff, the API). Returns EINVALID or ENOTFOUND.
func (s *Service) SetMemberDigest(ctx context.Context, memberID int64, freq string) (*Member, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	m, err := s.stores.Members.FindMember(ctx, memberID)
	if err != nil {
		return nil, err
	}
	return m, s.SetDigest(ctx, m, freq)
}
