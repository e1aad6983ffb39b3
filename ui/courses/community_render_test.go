package courses

import (
	"time"

	"orengen/app/courses"
)

// The community's pages and their data (see pageData).
func init() {
	sp := &courses.Space{ID: 7, Slug: "general", Name: "General", Description: "d", Access: courses.AccessCourse, CourseID: 1, ArchivedAt: &now}
	post := &courses.Post{ID: 8, SpaceID: 7, MemberID: 5, AuthorName: "M", Title: "Hi", Body: "**x** @m", Pinned: true, HiddenAt: &now, Comments: 1, CreatedAt: now,
		SpaceSlug: "general", SpaceName: "General", Reactions: map[string]int{"like": 2}, Mine: map[string]bool{"like": true}}
	staffPost := &courses.Post{ID: 9, SpaceID: 7, AuthorName: "Team", Body: "b", CreatedAt: now, Reactions: map[string]int{}, Mine: map[string]bool{}}
	feed := &courses.Feed{Posts: []*courses.Post{post, staffPost}, Pinned: []*courses.Post{post}, Next: 8}
	comment := &courses.Comment{ID: 10, PostID: 8, MemberID: 5, AuthorName: "M", Body: "c", CreatedAt: now}
	banned := *mem
	banned.CommunityBanned, banned.DirectoryHidden = true, true
	errs := map[string]string{"name": "x"}
	pageData["hosted/community_home"] = func() any {
		return &communityPage{memberLayout: ml, Spaces: []*courses.Space{sp}, Feed: feed,
			Mentions: []*courses.Mention{{ID: 1, PostID: 8, CommentID: 10, ByName: "N", PostTitle: "Hi", CreatedAt: now}}}
	}
	pageData["hosted/community_space"] = func() any {
		return &spacePage{memberLayout: ml, Space: sp, Feed: feed, Title: "t", Body: "b"}
	}
	pageData["hosted/community_post"] = func() any {
		bl := ml
		bl.Member = &banned
		return &postPage{memberLayout: bl, Post: post, Comments: []*courses.Comment{comment}, Comment: "c"}
	}
	pageData["hosted/community_members"] = func() any {
		return &directoryPage{memberLayout: ml, Members: []*courses.Member{mem, &banned}}
	}
	pageData["portal/community_home"] = func() any {
		return &staffCommunityPage{Spaces: []*courses.Space{sp}, Courses: []*courses.Course{course}, Form: sp, Errors: errs, Section: "space", Learn: "/learn/community",
			Reports:  []*courses.Report{{ID: 1, PostID: 8, MemberID: 5, MemberName: "M", Reason: "spam", CreatedAt: now, Post: post}},
			Settings: &courses.CommunitySettings{BannedWords: []string{"x"}, FloodLimit: 5}, Words: "x"}
	}
	pageData["portal/community_space"] = func() any {
		return &staffSpacePage{Space: sp, Form: sp, Courses: []*courses.Course{course}, Feed: feed, Errors: errs, Section: "post", Title: "t", Body: "b"}
	}
	pageData["portal/community_post"] = func() any {
		return &staffPostPage{Post: post, Comments: []*courses.Comment{comment}}
	}
}

func init() {
	pageData["hosted/community_unsubscribe"] = func() any { return &unsubscribePage{memberLayout: ml, Token: "t", Done: false} }
}

func init() {
	cancelled := now
	ev := &courses.CommunityEvent{ID: 3, SpaceID: 7, CalendarID: 2, Title: "Live Q&A", Description: "**Bring** questions", Start: now, End: now.Add(time.Hour),
		TimeZone: "Europe/Paris", Location: "Online", VideoURL: "https://meet.example.com/x", Capacity: 10, Going: 10, SpaceSlug: "general", SpaceName: "General", MyRSVP: courses.RSVPGoing}
	off := *ev
	off.CancelledAt, off.MyRSVP, off.Capacity = &cancelled, "", 0
	cals := []*courses.EventCalendar{{ID: 2, Name: "Team", OwnerKind: "tenant"}}
	sp := &courses.Space{ID: 7, Slug: "general", Name: "General"}
	pageData["hosted/community_event"] = func() any {
		return &eventPage{memberLayout: ml, Event: ev, MemberWhen: "Mon 7 Dec 2026, 12:00–13:00 (UTC)"}
	}
	pageData["portal/community_event"] = func() any {
		return &staffEventPage{Event: &off, RSVPs: []*courses.RSVP{{EventID: 3, MemberID: 5, MemberName: "M", Status: courses.RSVPGoing, UpdatedAt: now}, {EventID: 3, MemberID: 6, Email: "x@y.test", Status: courses.RSVPNotGoing}},
			Form: formOfEvent(ev), Calendars: cals, Spaces: []*courses.Space{sp}, Errors: map[string]string{"end": "x"}, Zone: "Europe/Paris"}
	}
	prevSpace, prevHome := pageData["portal/community_space"], pageData["hosted/community_space"]
	pageData["portal/community_space"] = func() any {
		p := prevSpace().(*staffSpacePage)
		p.Events, p.EventForm, p.Calendars, p.Zone, p.Section = []*courses.CommunityEvent{ev, &off}, formOfEvent(ev), cals, "Europe/Paris", "event"
		return p
	}
	pageData["hosted/community_space"] = func() any {
		p := prevHome().(*spacePage)
		p.Events = []*courses.CommunityEvent{ev, &off}
		return p
	}
}

func init() {
	edited := now
	prevHome, prevPost, prevStaffPost := pageData["portal/community_home"], pageData["hosted/community_post"], pageData["portal/community_post"]
	cm := &courses.Comment{ID: 11, PostID: 8, MemberID: 5, AuthorName: "M", Body: "c", CreatedAt: now, EditedAt: &edited, HiddenAt: &edited}
	pageData["portal/community_home"] = func() any {
		p := prevHome().(*staffCommunityPage)
		p.Reports = append(p.Reports, &courses.Report{ID: 2, PostID: 8, CommentID: 11, Comment: cm, MemberID: 5, MemberName: "M", Reason: "rude", CreatedAt: now})
		return p
	}
	pageData["hosted/community_post"] = func() any {
		p := prevPost().(*postPage)
		own := *p.Post
		own.MemberID, own.EditedAt = p.Member.ID, &edited
		p.Post, p.Comments = &own, append(p.Comments, &courses.Comment{ID: 12, PostID: 8, MemberID: p.Member.ID, AuthorName: "Me", Body: "mine", EditedAt: &edited})
		return p
	}
	pageData["portal/community_post"] = func() any {
		p := prevStaffPost().(*staffPostPage)
		p.Comments = append(p.Comments, cm)
		return p
	}
}
