package courses

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

var (
	now      = time.Now()
	course   = &courses.Course{ID: 1, Slug: "sales", Title: "Sales", Summary: "s", Published: true, OpenEnrolment: true}
	lesson   = &courses.Lesson{ID: 2, CourseID: 1, ModuleID: 3, Title: "L", DripDays: 2, DripDate: "2027-01-01", PrerequisiteID: 4, VideoURL: "https://youtu.be/dQw4w9WgXcQ"}
	mod      = &courses.Module{ID: 3, CourseID: 1, Title: "M", Lessons: []*courses.Lesson{lesson, {ID: 4, Title: "P"}}}
	mem      = &courses.Member{ID: 5, Email: "m@x.test", Name: "M", TimeZone: "UTC", Status: courses.MemberActive, LastLoginAt: &now, PersonID: 9}
	enrol    = &courses.Enrolment{ID: 6, CourseID: 1, MemberID: 5, EnrolledAt: now, CompletedAt: &now}
	lessonSt = &courses.LessonState{Lesson: lesson, Lock: &courses.Lock{Until: now}}
	view     = &courses.MemberCourse{Course: course, Enrolment: enrol, Done: 1, Total: 2,
		Modules: []*courses.ModuleState{{Module: mod, Lessons: []*courses.LessonState{lessonSt, {Lesson: mod.Lessons[1], Completed: true}}}}}
	ml = memberLayout{Member: mem, Query: "?tenant=a", Error: "e", Field: "email"}
)

func init() { course.Modules = []*courses.Module{mod} }

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage.
var pageData = map[string]func() any{
	"hosted/learn_home": func() any {
		return &homePage{memberLayout: ml, Catalog: []*courses.Course{course}, Mine: []*courses.MemberCourse{view}}
	},
	"hosted/learn_login":   func() any { return &loginPage{memberLayout: ml, Email: "a@b.test", Sent: true, Next: "/learn"} },
	"hosted/learn_link":    func() any { return &linkPage{memberLayout: ml, Token: "t"} },
	"hosted/learn_account": func() any { return &accountPage{memberLayout: ml, Zones: zones} },
	"hosted/learn_course": func() any {
		return &coursePage{memberLayout: ml, Course: course, View: view, Joined: true, Email: "a@b.test", Description: "<p>d</p>"}
	},
	"hosted/learn_lesson": func() any {
		withFiles := *lessonSt
		withFiles.Lock = nil
		withFiles.Files = []*courses.LessonFile{{ID: 7, Kind: courses.FileVideo, Name: "v.mp4", Size: 1 << 20}, {ID: 8, Kind: courses.FileDownload, Name: "s.pdf", Size: 10}}
		return &lessonPage{memberLayout: ml, View: view, Lesson: &withFiles, Next: lessonSt, Locked: "", Body: "<p>b</p>", Embed: lesson.Embed()}
	},
	"portal/courses_list": func() any {
		return &coursesPage{Courses: []*courses.Course{course}, Form: course, Errors: map[string]string{"title": "x"}, Learn: "/learn"}
	},
	"portal/courses_course": func() any {
		eng := &courses.Engagement{Enrolled: 2, Started: 1, Lessons: []courses.LessonEngagement{{LessonID: 2, Title: "L", Started: 2, Completed: 1}}}
		return &courseEditPage{Course: course, Form: course, Lesson: lesson, Enrolments: []enrolmentRow{{Member: mem, Enrolment: enrol}}, Members: []*courses.Member{mem},
			Engagement: eng, Chart: EngagementChart(eng), Errors: map[string]string{"title": "x"}, Learn: "/learn/c/sales"}
	},
	"portal/courses_lesson": func() any {
		return &lessonEditPage{Course: course, Lesson: lesson, Errors: map[string]string{"video_url": "x"}, FileError: "too big",
			Files: []*courses.LessonFile{{ID: 7, Kind: courses.FileVideo, Name: "v.mp4", Size: 1 << 20}, {ID: 8, Kind: courses.FileDownload, Name: "s.pdf", Size: 10}}}
	},
	"portal/courses_members": func() any {
		return &membersPage{Members: []*courses.Member{mem}, Courses: []*courses.Course{course}, Errors: map[string]string{"email": "x"}}
	},
	"portal/courses_member": func() any {
		return &memberPage{Member: mem, Progress: []*courses.MemberProgress{{Course: course, Enrolment: enrol, Done: 1, Total: 2, Lessons: []*courses.LessonState{lessonSt}}}}
	},
}

func TestTemplates_EveryPage(t *testing.T) {
	eng := &courses.Engagement{Enrolled: 4, Started: 3, Completed: 1, Lessons: []courses.LessonEngagement{{LessonID: 2, Title: "L", Started: 3, Completed: 2}}}
	pageData["nexus/courses_overview"] = func() any {
		return &nexusCoursesPage{Rows: []nexusCourseRow{{Tenant: &app.Tenant{ID: 2, Name: "Acme"}, Course: course, Engagement: eng}}, Clients: 1}
	}
	pageData["nexus/courses_engagement"] = func() any {
		return &nexusCoursePage{Tenant: &app.Tenant{ID: 2, Name: "Acme"}, Course: course, Engagement: eng, Chart: EngagementChart(eng)}
	}
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
	// The landing page before enrolment, and a locked lesson.
	pageData["hosted/learn_course"] = func() any { return &coursePage{Course: course} }
	pageData["hosted/learn_lesson"] = func() any { return &lessonPage{View: view, Lesson: lessonSt, Locked: "This lesson opens on …"} }
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
	// A lesson with a quiz, after a failed attempt; its editor.
	q, err := courses.ParseQuiz("? A?\n* x\n- y\n? B?\n* 1\n* 2\n- 3", 70)
	if err != nil {
		t.Fatal(err)
	}
	ql := *lesson
	ql.Quiz = q
	pageData["hosted/learn_lesson"] = func() any {
		return &lessonPage{View: view, Lesson: &courses.LessonState{Lesson: &ql}, Result: &courses.Result{Score: 50, Right: 1, Total: 2, Wrong: []int{2}}, Answers: [][]int{{0}, {1}}}
	}
	pageData["portal/courses_lesson"] = func() any { return &lessonEditPage{Course: course, Lesson: &ql} }
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
