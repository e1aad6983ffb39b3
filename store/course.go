package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/courses"
)

// CourseStore implements every store of courses.Stores on SQLite:
// members (linked to CRM people), their links and sessions, courses,
// lessons, enrolments and progress. Every method takes the tenant from
// ctx, except the session and link lookups, which resolve a secret to its
// tenant. One type: the community's stores are this type too, and the ui
// tests read members and courses through the wiring's one instance
// (cli.App.Stores.Courses).
type CourseStore struct {
	db *DB
}

var (
	_ courses.MemberStore    = (*CourseStore)(nil)
	_ courses.SignInStore    = (*CourseStore)(nil)
	_ courses.CourseStore    = (*CourseStore)(nil)
	_ courses.LessonStore    = (*CourseStore)(nil)
	_ courses.EnrolmentStore = (*CourseStore)(nil)
	_ courses.ProgressStore  = (*CourseStore)(nil)
)

// Stores returns s as each of the members' area's stores, for
// courses.NewService.
func (s *CourseStore) Stores() courses.Stores {
	return courses.Stores{Members: s, SignIns: s, Courses: s, Lessons: s, Enrolments: s, Progress: s, Files: s}
}

// NewCourseStore returns a CourseStore on db.
func NewCourseStore(db *DB) *CourseStore { return &CourseStore{db: db} }

const memberCols = `id, tenant_id, COALESCE(person_id, 0), email, name, time_zone, status, password_hash <> '', created_at, last_login_at, community_banned, directory_hidden, digest`

func scanMember(r scanner, extra ...any) (*courses.Member, error) {
	var m courses.Member
	var last NullTime
	dest := append([]any{&m.ID, &m.TenantID, &m.PersonID, &m.Email, &m.Name, &m.TimeZone, &m.Status, &m.HasPassword, Time{&m.CreatedAt}, &last, &m.CommunityBanned, &m.DirectoryHidden, &m.Digest}, extra...)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Member not found.")
		}
		return nil, err
	}
	m.LastLoginAt = last.T
	return &m, nil
}

// CreateMember implements courses.MemberStore: the CRM person with the email
// (found or created, tagged "member") and the member row commit together.
func (s *CourseStore) CreateMember(ctx context.Context, m *courses.Member) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		first, last, _ := strings.Cut(m.Name, " ")
		pid, _, err := upsertPerson(ctx, tx, &app.ContactInput{TenantID: tid, Email: m.Email, FirstName: first, LastName: last, Source: "members", Actor: "members"})
		if err != nil {
			return err
		}
		old, err := findPerson(ctx, tx, pid, tid)
		if err != nil {
			return err
		}
		if !slices.Contains(old.Tags, "member") {
			p := *old
			p.Tags = append(slices.Clone(old.Tags), "member")
			if err := replacePerson(ctx, tx, tid, old, &p); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO course_members (tenant_id, person_id, email, name, time_zone, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tid, pid, m.Email, m.Name, m.TimeZone, m.Status, FormatTime(tx.now))
		if err != nil {
			return FormatError(err, "This email is already a member.")
		}
		m.ID, _ = res.LastInsertId()
		m.TenantID, m.PersonID, m.CreatedAt = tid, pid, tx.now
		return nil
	})
}

// FindMember implements courses.MemberStore.
func (s *CourseStore) FindMember(ctx context.Context, id int64) (*courses.Member, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanMember(s.db.read.QueryRowContext(ctx, `SELECT `+memberCols+` FROM course_members WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindMemberByEmail implements courses.MemberStore.
func (s *CourseStore) FindMemberByEmail(ctx context.Context, email string) (*courses.Member, string, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, "", err
	}
	var hash string
	m, err := scanMember(s.db.read.QueryRowContext(ctx, `SELECT `+memberCols+`, password_hash FROM course_members WHERE tenant_id = ? AND email = ?`, tid, email), &hash)
	return m, hash, err
}

// FindMembers implements courses.MemberStore.
func (s *CourseStore) FindMembers(ctx context.Context) ([]*courses.Member, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+memberCols+` FROM course_members WHERE tenant_id = ? ORDER BY lower(name), email LIMIT 5000`, tid)
	if err != nil {
		return nil, fmt.Errorf("find members: %w", err)
	}
	defer rows.Close()
	var out []*courses.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *CourseStore) exec(ctx context.Context, notFound, q string, args ...any) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, q, append(args, tid)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 && notFound != "" {
			return app.Errorf(app.ENOTFOUND, "%s", notFound)
		}
		return nil
	})
}

// UpdateMember implements courses.MemberStore (name, time zone, status).
func (s *CourseStore) UpdateMember(ctx context.Context, m *courses.Member) error {
	return s.exec(ctx, "Member not found.", `UPDATE course_members SET name = ?, time_zone = ?, status = ? WHERE id = ? AND tenant_id = ?`, m.Name, m.TimeZone, m.Status, m.ID)
}

// SetMemberPassword implements courses.MemberStore.
func (s *CourseStore) SetMemberPassword(ctx context.Context, id int64, hash string) error {
	return s.exec(ctx, "Member not found.", `UPDATE course_members SET password_hash = ? WHERE id = ? AND tenant_id = ?`, hash, id)
}

// TouchMemberLogin implements courses.MemberStore.
func (s *CourseStore) TouchMemberLogin(ctx context.Context, id int64) error {
	return s.exec(ctx, "", `UPDATE course_members SET last_login_at = ? WHERE id = ? AND tenant_id = ?`, FormatTime(s.db.Now()), id)
}

// CreateMemberToken implements courses.SignInStore.
func (s *CourseStore) CreateMemberToken(ctx context.Context, memberID int64, purpose, tokenHash string, expires time.Time) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO course_member_tokens (token_hash, tenant_id, member_id, purpose, expires_at)
			SELECT ?, tenant_id, id, ?, ? FROM course_members WHERE id = ? AND tenant_id = ?`, tokenHash, purpose, FormatTime(expires), memberID, tid)
		return err
	})
}

// UseMemberToken implements courses.SignInStore: the token is spent in the same
// transaction that reads it, so it works once; a token of another tenant
// is not touched.
func (s *CourseStore) UseMemberToken(ctx context.Context, tokenHash string) (*courses.Member, string, error) {
	var m *courses.Member
	var purpose string
	err := s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		var memberID int64
		err := tx.QueryRowContext(ctx, `UPDATE course_member_tokens SET used_at = ? WHERE token_hash = ? AND tenant_id = ? AND used_at IS NULL AND expires_at > ?
			RETURNING member_id, purpose`, FormatTime(tx.now), tokenHash, tid, FormatTime(tx.now)).Scan(&memberID, &purpose)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "This link is invalid, expired or already used.")
		} else if err != nil {
			return err
		}
		m, err = scanMember(tx.QueryRowContext(ctx, `SELECT `+memberCols+` FROM course_members WHERE id = ?`, memberID))
		return err
	})
	return m, purpose, err
}

// CreateMemberSession implements courses.SignInStore.
func (s *CourseStore) CreateMemberSession(ctx context.Context, sess *courses.Session, idHash string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO course_member_sessions (id_hash, tenant_id, member_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			idHash, sess.TenantID, sess.MemberID, FormatTime(sess.CreatedAt), FormatTime(sess.ExpiresAt))
		return err
	})
}

// FindMemberSession implements courses.SignInStore.
func (s *CourseStore) FindMemberSession(ctx context.Context, idHash string) (*courses.Member, error) {
	m, err := scanMember(s.db.read.QueryRowContext(ctx, `SELECT m.id, m.tenant_id, COALESCE(m.person_id, 0), m.email, m.name, m.time_zone, m.status,
		m.password_hash <> '', m.created_at, m.last_login_at, m.community_banned, m.directory_hidden, m.digest FROM course_member_sessions s JOIN course_members m ON m.id = s.member_id AND m.tenant_id = s.tenant_id
		WHERE s.id_hash = ? AND s.expires_at > ?`, idHash, FormatTime(s.db.Now())))
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, app.Errorf(app.ENOTFOUND, "Session not found.")
	}
	return m, err
}

// DeleteMemberSession implements courses.SignInStore.
func (s *CourseStore) DeleteMemberSession(ctx context.Context, idHash string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM course_member_sessions WHERE id_hash = ?`, idHash)
		return err
	})
}

// DeleteMemberSessions implements courses.SignInStore.
func (s *CourseStore) DeleteMemberSessions(ctx context.Context, memberID int64) error {
	return s.exec(ctx, "", `DELETE FROM course_member_sessions WHERE member_id = ? AND tenant_id = ?`, memberID)
}

const courseCols = `id, tenant_id, slug, title, summary, description, published, open_enrolment, created_at, updated_at`

func scanCourse(r scanner) (*courses.Course, error) {
	var c courses.Course
	if err := r.Scan(&c.ID, &c.TenantID, &c.Slug, &c.Title, &c.Summary, &c.Description, &c.Published, &c.OpenEnrolment, Time{&c.CreatedAt}, Time{&c.UpdatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Course not found.")
		}
		return nil, err
	}
	return &c, nil
}

// CreateCourse implements courses.CourseStore.
func (s *CourseStore) CreateCourse(ctx context.Context, c *courses.Course) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO courses (tenant_id, slug, title, summary, description, published, open_enrolment, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, c.Slug, c.Title, c.Summary, c.Description, c.Published, c.OpenEnrolment, FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return FormatError(err, "Another course has this address.")
		}
		c.ID, _ = res.LastInsertId()
		c.TenantID, c.CreatedAt, c.UpdatedAt = tid, tx.now, tx.now
		return nil
	})
}

// UpdateCourse implements courses.CourseStore.
func (s *CourseStore) UpdateCourse(ctx context.Context, c *courses.Course) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE courses SET slug = ?, title = ?, summary = ?, description = ?, published = ?, open_enrolment = ?, updated_at = ?
			WHERE id = ? AND tenant_id = ?`, c.Slug, c.Title, c.Summary, c.Description, c.Published, c.OpenEnrolment, FormatTime(tx.now), c.ID, tid)
		if err != nil {
			return FormatError(err, "Another course has this address.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Course not found.")
		}
		c.UpdatedAt = tx.now
		return nil
	})
}

// FindCourse implements courses.CourseStore.
func (s *CourseStore) FindCourse(ctx context.Context, id int64) (*courses.Course, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanCourse(s.db.read.QueryRowContext(ctx, `SELECT `+courseCols+` FROM courses WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindCourseBySlug implements courses.CourseStore.
func (s *CourseStore) FindCourseBySlug(ctx context.Context, slug string) (*courses.Course, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanCourse(s.db.read.QueryRowContext(ctx, `SELECT `+courseCols+` FROM courses WHERE slug = ? AND tenant_id = ?`, slug, tid))
}

// FindCourses implements courses.CourseStore.
func (s *CourseStore) FindCourses(ctx context.Context, publishedOnly bool) ([]*courses.Course, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + courseCols + ` FROM courses WHERE tenant_id = ?`
	if publishedOnly {
		q += ` AND published = 1`
	}
	rows, err := s.db.read.QueryContext(ctx, q+` ORDER BY lower(title), id`, tid)
	if err != nil {
		return nil, fmt.Errorf("find courses: %w", err)
	}
	defer rows.Close()
	var out []*courses.Course
	for rows.Next() {
		c, err := scanCourse(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const lessonCols = `id, course_id, module_id, position, title, body, video_url, drip_days, drip_date, COALESCE(prerequisite_id, 0), created_at, updated_at, quiz`

func scanLesson(r scanner) (*courses.Lesson, error) {
	var l courses.Lesson
	var quiz string
	if err := r.Scan(&l.ID, &l.CourseID, &l.ModuleID, &l.Position, &l.Title, &l.Body, &l.VideoURL, &l.DripDays, &l.DripDate, &l.PrerequisiteID,
		Time{&l.CreatedAt}, Time{&l.UpdatedAt}, &quiz); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Lesson not found.")
		}
		return nil, err
	}
	if quiz != "" {
		l.Quiz = &courses.Quiz{}
		if err := json.Unmarshal([]byte(quiz), l.Quiz); err != nil {
			return nil, fmt.Errorf("lesson %d quiz: %w", l.ID, err)
		}
	}
	return &l, nil
}

func quizJSON(q *courses.Quiz) string {
	if q == nil || len(q.Questions) == 0 {
		return ""
	}
	b, _ := json.Marshal(q)
	return string(b)
}

// Outline implements courses.CourseStore.
func (s *CourseStore) Outline(ctx context.Context, c *courses.Course) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, course_id, position, title FROM course_modules WHERE course_id = ? AND tenant_id = ? ORDER BY position, id`, c.ID, tid)
	if err != nil {
		return fmt.Errorf("course modules: %w", err)
	}
	defer rows.Close()
	c.Modules = nil
	byID := map[int64]*courses.Module{}
	for rows.Next() {
		var m courses.Module
		if err := rows.Scan(&m.ID, &m.CourseID, &m.Position, &m.Title); err != nil {
			return err
		}
		c.Modules = append(c.Modules, &m)
		byID[m.ID] = &m
	}
	if err := rows.Err(); err != nil {
		return err
	}
	lrows, err := s.db.read.QueryContext(ctx, `SELECT `+lessonCols+` FROM course_lessons WHERE course_id = ? AND tenant_id = ? ORDER BY position, id`, c.ID, tid)
	if err != nil {
		return fmt.Errorf("course lessons: %w", err)
	}
	defer lrows.Close()
	for lrows.Next() {
		l, err := scanLesson(lrows)
		if err != nil {
			return err
		}
		if m := byID[l.ModuleID]; m != nil {
			m.Lessons = append(m.Lessons, l)
		}
	}
	return lrows.Err()
}

// CreateModule implements courses.LessonStore.
func (s *CourseStore) CreateModule(ctx context.Context, m *courses.Module) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO course_modules (tenant_id, course_id, position, title)
			SELECT tenant_id, id, ?, ? FROM courses WHERE id = ? AND tenant_id = ?`, m.Position, m.Title, m.CourseID, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Course not found.")
		}
		m.ID, _ = res.LastInsertId()
		return nil
	})
}

// CreateLesson implements courses.LessonStore (the module must be the course's
// and the tenant's).
func (s *CourseStore) CreateLesson(ctx context.Context, l *courses.Lesson) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO course_lessons (tenant_id, course_id, module_id, position, title, body, video_url, drip_days, drip_date, prerequisite_id, created_at, updated_at, quiz)
			SELECT tenant_id, course_id, id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM course_modules WHERE id = ? AND course_id = ? AND tenant_id = ?`,
			l.Position, l.Title, l.Body, l.VideoURL, l.DripDays, l.DripDate, nullID(l.PrerequisiteID), FormatTime(tx.now), FormatTime(tx.now), quizJSON(l.Quiz), l.ModuleID, l.CourseID, tid)
		if err != nil {
			return FormatError(err, "Lesson exists.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Module not found.")
		}
		l.ID, _ = res.LastInsertId()
		l.CreatedAt, l.UpdatedAt = tx.now, tx.now
		return nil
	})
}

// UpdateLesson implements courses.LessonStore.
func (s *CourseStore) UpdateLesson(ctx context.Context, l *courses.Lesson) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `UPDATE course_lessons SET module_id = ?, position = ?, title = ?, body = ?, video_url = ?, drip_days = ?, drip_date = ?,
			prerequisite_id = ?, quiz = ?, updated_at = ? WHERE id = ? AND course_id = ? AND tenant_id = ?
			AND EXISTS (SELECT 1 FROM course_modules WHERE id = ? AND course_id = ? AND tenant_id = ?)`,
			l.ModuleID, l.Position, l.Title, l.Body, l.VideoURL, l.DripDays, l.DripDate, nullID(l.PrerequisiteID), quizJSON(l.Quiz), FormatTime(tx.now), l.ID, l.CourseID, tid,
			l.ModuleID, l.CourseID, tid)
		if err != nil {
			return FormatError(err, "Lesson exists.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Lesson not found.")
		}
		l.UpdatedAt = tx.now
		return nil
	})
}

// DeleteLesson implements courses.LessonStore.
func (s *CourseStore) DeleteLesson(ctx context.Context, courseID, id int64) error {
	return s.exec(ctx, "Lesson not found.", `DELETE FROM course_lessons WHERE id = ? AND course_id = ? AND tenant_id = ?`, id, courseID)
}

// FindLesson implements courses.LessonStore.
func (s *CourseStore) FindLesson(ctx context.Context, id int64) (*courses.Lesson, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanLesson(s.db.read.QueryRowContext(ctx, `SELECT `+lessonCols+` FROM course_lessons WHERE id = ? AND tenant_id = ?`, id, tid))
}

const enrolmentCols = `id, tenant_id, course_id, member_id, source, enrolled_at, completed_at, expires_at`

func scanEnrolment(r scanner) (*courses.Enrolment, error) {
	var e courses.Enrolment
	var done, exp NullTime
	if err := r.Scan(&e.ID, &e.TenantID, &e.CourseID, &e.MemberID, &e.Source, Time{&e.EnrolledAt}, &done, &exp); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Enrolment not found.")
		}
		return nil, err
	}
	e.CompletedAt, e.ExpiresAt = done.T, exp.T
	return &e, nil
}

// Enrol implements courses.EnrolmentStore: course and member must be the tenant's.
func (s *CourseStore) Enrol(ctx context.Context, e *courses.Enrolment) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO course_enrolments (tenant_id, course_id, member_id, source, enrolled_at, expires_at)
			SELECT c.tenant_id, c.id, m.id, ?, ?, ? FROM courses c JOIN course_members m ON m.tenant_id = c.tenant_id
			WHERE c.id = ? AND m.id = ? AND c.tenant_id = ?`, e.Source, FormatTime(e.EnrolledAt), nullTime(e.ExpiresAt), e.CourseID, e.MemberID, tid)
		if err != nil {
			return FormatError(err, "Already enrolled.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Course or member not found.")
		}
		e.ID, _ = res.LastInsertId()
		e.TenantID = tid
		return nil
	})
}

// FindEnrolment implements courses.EnrolmentStore.
func (s *CourseStore) FindEnrolment(ctx context.Context, courseID, memberID int64) (*courses.Enrolment, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanEnrolment(s.db.read.QueryRowContext(ctx, `SELECT `+enrolmentCols+` FROM course_enrolments WHERE course_id = ? AND member_id = ? AND tenant_id = ?`,
		courseID, memberID, tid))
}

func (s *CourseStore) enrolments(ctx context.Context, where string, arg int64) ([]*courses.Enrolment, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+enrolmentCols+` FROM course_enrolments WHERE `+where+` = ? AND tenant_id = ? ORDER BY enrolled_at, id`, arg, tid)
	if err != nil {
		return nil, fmt.Errorf("find enrolments: %w", err)
	}
	defer rows.Close()
	var out []*courses.Enrolment
	for rows.Next() {
		e, err := scanEnrolment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// FindMemberEnrolments implements courses.EnrolmentStore.
func (s *CourseStore) FindMemberEnrolments(ctx context.Context, memberID int64) ([]*courses.Enrolment, error) {
	return s.enrolments(ctx, "member_id", memberID)
}

// FindCourseEnrolments implements courses.EnrolmentStore.
func (s *CourseStore) FindCourseEnrolments(ctx context.Context, courseID int64) ([]*courses.Enrolment, error) {
	return s.enrolments(ctx, "course_id", courseID)
}

// FindProgress implements courses.ProgressStore.
func (s *CourseStore) FindProgress(ctx context.Context, courseID, memberID int64) (map[int64]*courses.Progress, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT lesson_id, started_at, completed_at FROM course_progress WHERE course_id = ? AND member_id = ? AND tenant_id = ?`,
		courseID, memberID, tid)
	if err != nil {
		return nil, fmt.Errorf("find progress: %w", err)
	}
	defer rows.Close()
	out := map[int64]*courses.Progress{}
	for rows.Next() {
		var p courses.Progress
		var done NullTime
		if err := rows.Scan(&p.LessonID, Time{&p.StartedAt}, &done); err != nil {
			return nil, err
		}
		p.CompletedAt = done.T
		out[p.LessonID] = &p
	}
	return out, rows.Err()
}

// StartLesson implements courses.ProgressStore.
func (s *CourseStore) StartLesson(ctx context.Context, courseID, lessonID, memberID int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO course_progress (tenant_id, member_id, lesson_id, course_id, started_at)
			SELECT l.tenant_id, ?, l.id, l.course_id, ? FROM course_lessons l WHERE l.id = ? AND l.course_id = ? AND l.tenant_id = ?
			ON CONFLICT (member_id, lesson_id) DO NOTHING`, memberID, FormatTime(tx.now), lessonID, courseID, tid)
		return err
	})
}

// CompleteLesson implements courses.ProgressStore.
func (s *CourseStore) CompleteLesson(ctx context.Context, courseID, lessonID, memberID int64, lessons int) (bool, error) {
	var courseDone bool
	err := s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		now := FormatTime(tx.now)
		res, err := tx.ExecContext(ctx, `INSERT INTO course_progress (tenant_id, member_id, lesson_id, course_id, started_at, completed_at)
			SELECT l.tenant_id, ?, l.id, l.course_id, ?, ? FROM course_lessons l WHERE l.id = ? AND l.course_id = ? AND l.tenant_id = ?
			ON CONFLICT (member_id, lesson_id) DO UPDATE SET completed_at = excluded.completed_at WHERE completed_at IS NULL`,
			memberID, now, now, lessonID, courseID, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already complete
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM course_progress p JOIN course_lessons l ON l.id = p.lesson_id
			WHERE p.course_id = ? AND p.member_id = ? AND p.tenant_id = ? AND p.completed_at IS NOT NULL`, courseID, memberID, tid).Scan(&done); err != nil {
			return err
		}
		if done >= lessons {
			res, err := tx.ExecContext(ctx, `UPDATE course_enrolments SET completed_at = ? WHERE course_id = ? AND member_id = ? AND tenant_id = ? AND completed_at IS NULL`,
				now, courseID, memberID, tid)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			courseDone = n > 0
		}
		return nil
	})
	return courseDone, err
}

// Engagement implements courses.EnrolmentStore: one grouped query over the
// course's progress, counted per lesson.
func (s *CourseStore) Engagement(ctx context.Context, c *courses.Course) (*courses.Engagement, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	e := &courses.Engagement{}
	if err := s.db.read.QueryRowContext(ctx, `SELECT count(*), count(completed_at),
		(SELECT count(DISTINCT member_id) FROM course_progress WHERE course_id = ? AND tenant_id = ?)
		FROM course_enrolments WHERE course_id = ? AND tenant_id = ?`, c.ID, tid, c.ID, tid).Scan(&e.Enrolled, &e.Completed, &e.Started); err != nil {
		return nil, fmt.Errorf("course engagement: %w", err)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT lesson_id, count(*), count(completed_at) FROM course_progress WHERE course_id = ? AND tenant_id = ? GROUP BY lesson_id`, c.ID, tid)
	if err != nil {
		return nil, fmt.Errorf("lesson engagement: %w", err)
	}
	defer rows.Close()
	per := map[int64][2]int{}
	for rows.Next() {
		var id int64
		var st, done int
		if err := rows.Scan(&id, &st, &done); err != nil {
			return nil, err
		}
		per[id] = [2]int{st, done}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, l := range c.Lessons() {
		v := per[l.ID]
		e.Lessons = append(e.Lessons, courses.LessonEngagement{LessonID: l.ID, Title: l.Title, Started: v[0], Completed: v[1]})
	}
	return e, nil
}

// AddQuizAttempt implements courses.ProgressStore.
func (s *CourseStore) AddQuizAttempt(ctx context.Context, a *courses.Attempt, courseID int64, answers [][]int) error {
	b, err := json.Marshal(answers)
	if err != nil {
		return err
	}
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO course_quiz_attempts (tenant_id, member_id, lesson_id, course_id, score, passed, answers, created_at)
			SELECT l.tenant_id, m.id, l.id, l.course_id, ?, ?, ?, ? FROM course_lessons l JOIN course_members m ON m.tenant_id = l.tenant_id
			WHERE l.id = ? AND l.course_id = ? AND m.id = ? AND l.tenant_id = ?`, a.Score, a.Passed, string(b), FormatTime(tx.now), a.LessonID, courseID, a.MemberID, tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Lesson not found.")
		}
		a.ID, _ = res.LastInsertId()
		a.CreatedAt = tx.now
		return nil
	})
}

// FindQuizAttempts implements courses.ProgressStore: newest first.
func (s *CourseStore) FindQuizAttempts(ctx context.Context, lessonID, memberID int64) ([]*courses.Attempt, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, lesson_id, member_id, score, passed, created_at FROM course_quiz_attempts
		WHERE lesson_id = ? AND member_id = ? AND tenant_id = ? ORDER BY id DESC LIMIT 20`, lessonID, memberID, tid)
	if err != nil {
		return nil, fmt.Errorf("quiz attempts: %w", err)
	}
	defer rows.Close()
	var out []*courses.Attempt
	for rows.Next() {
		var a courses.Attempt
		if err := rows.Scan(&a.ID, &a.LessonID, &a.MemberID, &a.Score, &a.Passed, Time{&a.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, &a)
	}
	return out, rows.Err()
}
