package courses

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"orengen/app"
)

// Community (issue #24): spaces (channels) of the members' area, posts
// with comments, reactions and @mentions, pinned posts, a member
// directory, and moderation (reports, hiding, bans from the community,
// a word filter, a flood limit).

// Space access kinds: every member, members enrolled in a course, or
// members whose CRM person carries a tag.
const (
	AccessAll    = "all"
	AccessCourse = "course"
	AccessTag    = "tag"
)

// Community limits.
const (
	MaxPostBody     = 20_000
	MaxCommentBody  = 5_000
	MaxReportReason = 500
	FeedPageSize    = 20
	FloodWindow     = time.Minute
	DefaultFlood    = 5 // posts and comments per member per FloodWindow
	MaxBannedWords  = 500
	MaxMentions     = 10 // members notified per post or comment
)

// Reactions is the fixed set of reactions, in display order.
var Reactions = []Reaction{{"like", "👍", "Like"}, {"love", "❤️", "Love"}, {"celebrate", "🎉", "Celebrate"}, {"insightful", "💡", "Insightful"}}

// Reaction is one kind of reaction.
type Reaction struct {
	Kind  string
	Emoji string
	Label string
}

func reactionKind(k string) bool {
	for _, r := range Reactions {
		if r.Kind == k {
			return true
		}
	}
	return false
}

// Space is a channel of a tenant's community.
type Space struct {
	ID          int64
	TenantID    int64
	Slug        string
	Name        string
	Description string
	Access      string
	CourseID    int64  // AccessCourse
	Tag         string // AccessTag
	ArchivedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// AccessText says who may see the space (courseTitle names its course).
func (sp *Space) AccessText(courseTitle string) string {
	switch sp.Access {
	case AccessCourse:
		return "Members enrolled in " + courseTitle
	case AccessTag:
		return "Members tagged “" + sp.Tag + "”"
	}
	return "All members"
}

// Validate checks a space (and fills an empty slug from the name).
// Returns EINVALID naming the field.
func (sp *Space) Validate() error {
	sp.Name = strings.TrimSpace(sp.Name)
	if err := checkText("name", "Name", sp.Name, 100, true); err != nil {
		return err
	}
	sp.Slug = strings.TrimSpace(strings.ToLower(sp.Slug))
	if sp.Slug == "" {
		sp.Slug = Slugify(sp.Name)
	}
	if !slugRE().MatchString(sp.Slug) || len(sp.Slug) > 60 {
		return app.FieldErrorf("slug", "Address must be lower-case letters, digits and dashes (at most 60), like general.")
	}
	if err := checkText("description", "Description", sp.Description, MaxSummary, false); err != nil {
		return err
	}
	switch sp.Access {
	case "", AccessAll:
		sp.Access, sp.CourseID, sp.Tag = AccessAll, 0, ""
	case AccessCourse:
		sp.Tag = ""
		if sp.CourseID == 0 {
			return app.FieldErrorf("course_id", "Choose the course whose members see this space.")
		}
	case AccessTag:
		sp.CourseID = 0
		tags, err := app.NormalizeTags("tag", []string{sp.Tag})
		if err != nil || len(tags) != 1 {
			return app.FieldErrorf("tag", "Enter the tag whose members see this space, like vip.")
		}
		sp.Tag = tags[0]
	default:
		return app.FieldErrorf("access", "Access must be %s, %s or %s.", AccessAll, AccessCourse, AccessTag)
	}
	return nil
}

// Post is a post in a space.
type Post struct {
	ID         int64
	TenantID   int64
	SpaceID    int64
	MemberID   int64 // 0: the staff
	AuthorName string
	Title      string
	Body       string
	Pinned     bool
	HiddenAt   *time.Time
	Comments   int
	CreatedAt  time.Time
	EditedAt   *time.Time // the author changed it (the "edited" mark)
	// Filled for pages: the space, reaction counts by kind and the
	// viewer's own reactions.
	SpaceSlug string
	SpaceName string
	Reactions map[string]int
	Mine      map[string]bool
}

// Comment is a reply to a post.
type Comment struct {
	ID         int64
	TenantID   int64
	PostID     int64
	MemberID   int64 // 0: the staff
	AuthorName string
	Body       string
	HiddenAt   *time.Time
	CreatedAt  time.Time
	EditedAt   *time.Time
}

// Mention is a member named in a post or comment.
type Mention struct {
	ID        int64
	MemberID  int64
	PostID    int64
	CommentID int64
	ByName    string
	PostTitle string
	CreatedAt time.Time
}

// Report is a member's report of a post, or of one of its comments
// (CommentID, Comment).
type Report struct {
	ID         int64
	PostID     int64
	CommentID  int64
	Comment    *Comment
	MemberID   int64
	MemberName string
	Reason     string
	CreatedAt  time.Time
	Post       *Post
}

// CommunitySettings are a tenant's moderation settings.
type CommunitySettings struct {
	BannedWords []string
	FloodLimit  int
}

// ParseWords reads a banned-word list: one word or phrase per line (or
// separated by commas), trimmed and lower-cased, duplicates dropped.
func ParseWords(text string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" || seen[w] {
			continue
		}
		if utf8.RuneCountInString(w) > 60 || !utf8.ValidString(w) {
			return nil, app.FieldErrorf("banned_words", "“%.20s…” is too long: a banned word or phrase has at most 60 characters.", w)
		}
		seen[w] = true
		out = append(out, w)
	}
	if len(out) > MaxBannedWords {
		return nil, app.FieldErrorf("banned_words", "At most %d banned words.", MaxBannedWords)
	}
	return out, nil
}

// FilterError is text refused by the word filter; it names the word and
// where it is.
type FilterError struct {
	Field string
	Word  string
	Line  int
	Col   int // character in the line, from 1
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("“%s” is not allowed in this community (line %d, character %d). Edit it and post again.", e.Word, e.Line, e.Col)
}

// Unwrap gives the error an app code (EINVALID, with the field).
func (e *FilterError) Unwrap() error {
	return &app.Error{Code: app.EINVALID, Field: e.Field, Message: e.Error()}
}

// CheckWords finds the first banned word of words in text as a whole word
// (case-insensitive; "ass" does not match "class"). Returns a
// *FilterError naming field, or nil.
func CheckWords(field, text string, words []string) error {
	if len(words) == 0 {
		return nil
	}
	lower := strings.ToLower(text)
	best, bestWord := -1, ""
	for _, w := range words {
		from := 0
		for {
			i := strings.Index(lower[from:], w)
			if i < 0 {
				break
			}
			i += from
			before, _ := utf8.DecodeLastRuneInString(lower[:i])
			after, _ := utf8.DecodeRuneInString(lower[i+len(w):])
			if !wordRune(before) && !wordRune(after) {
				if best < 0 || i < best {
					best, bestWord = i, w
				}
				break
			}
			from = i + 1
		}
	}
	if best < 0 {
		return nil
	}
	line := strings.Count(lower[:best], "\n") + 1
	start := strings.LastIndexByte(lower[:best], '\n') + 1
	col := utf8.RuneCountInString(lower[start:best]) + 1
	return &FilterError{Field: field, Word: bestWord, Line: line, Col: col}
}

func wordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

// PublicName is how other members see the member: the name, else the
// @handle (never the email).
func (m *Member) PublicName() string {
	if n := strings.TrimSpace(m.Name); n != "" {
		return n
	}
	return "@" + m.Handle()
}

// Handle is the member's @handle for mentions: the name (else the email's
// local part) in lower case, letters and digits joined by dots.
func (m *Member) Handle() string {
	n := m.Name
	if strings.TrimSpace(n) == "" {
		n, _, _ = strings.Cut(m.Email, "@")
	}
	var b strings.Builder
	dot := false
	for _, r := range strings.ToLower(n) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dot = false
		} else if !dot && b.Len() > 0 {
			b.WriteByte('.')
			dot = true
		}
	}
	return strings.Trim(b.String(), ".")
}

var mentionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|[^\pL\pN_.@])@([\pL\pN]+(?:\.[\pL\pN]+)*)`) })

// Mentions returns the distinct @handles in text (lower case), at most
// MaxMentions.
func Mentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mentionRE().FindAllStringSubmatch(text, -1) {
		h := strings.ToLower(m[1])
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
			if len(out) == MaxMentions {
				break
			}
		}
	}
	return out
}

// Feed is a page of posts, newest first; Next is the cursor of the next
// page (0: none).
type Feed struct {
	Posts  []*Post
	Pinned []*Post
	Next   int64
}

// CommunityStore persists the community. Methods take the tenant from
// ctx and answer ENOTFOUND for another tenant's rows.
type CommunityStore interface {
	FindCommunitySettings(ctx context.Context) (*CommunitySettings, error)
	SaveCommunitySettings(ctx context.Context, s *CommunitySettings) error

	CreateSpace(ctx context.Context, sp *Space) error
	UpdateSpace(ctx context.Context, sp *Space) error
	FindSpace(ctx context.Context, id int64) (*Space, error)
	FindSpaces(ctx context.Context) ([]*Space, error)
	// FindMemberSpaces lists the unarchived spaces the member may see:
	// every member's, their courses', their CRM tags'.
	FindMemberSpaces(ctx context.Context, memberID int64) ([]*Space, error)

	// CreatePost adds a post and its mentions in one transaction.
	CreatePost(ctx context.Context, p *Post, mentioned []int64) error
	FindPost(ctx context.Context, id int64) (*Post, error)
	// FindPosts is a keyset page of the spaces' posts, newest first, with
	// id < before (0: from the newest); hidden posts only if asked.
	FindPosts(ctx context.Context, spaceIDs []int64, before int64, limit int, withHidden bool) ([]*Post, error)
	FindPinnedPosts(ctx context.Context, spaceID int64) ([]*Post, error)
	SetPostHidden(ctx context.Context, id int64, hidden bool) error
	SetPostPinned(ctx context.Context, id int64, pinned bool) error
	// FillReactions sets each post's reaction counts and the member's own
	// (memberID 0: none).
	FillReactions(ctx context.Context, posts []*Post, memberID int64) error
	// ToggleReaction adds the member's reaction, or removes it if there;
	// it reports whether it is now set.
	ToggleReaction(ctx context.Context, postID, memberID int64, kind string) (bool, error)

	// CreateComment adds a comment, counts it on the post and records its
	// mentions in one transaction.
	CreateComment(ctx context.Context, c *Comment, mentioned []int64) error
	FindComments(ctx context.Context, postID int64, withHidden bool) ([]*Comment, error)

	FindMentions(ctx context.Context, memberID int64, limit int) ([]*Mention, error)
	// CreateReport records a member's report (ECONFLICT if they reported
	// the post already and it is still open).
	CreateReport(ctx context.Context, r *Report) error
	FindOpenReports(ctx context.Context) ([]*Report, error)
	// ResolveReports closes the open reports of a post.
	ResolveReports(ctx context.Context, postID int64) error

	SetMemberCommunity(ctx context.Context, memberID int64, banned, directoryHidden bool) error
}

// --- Service: community ---

func (s *Service) community() (CommunityStore, error) {
	if s.Community == nil {
		return nil, app.Errorf(app.EINTERNAL, "No community store.")
	}
	return s.Community, nil
}

// Settings returns the tenant's moderation settings.
func (s *Service) Settings(ctx context.Context) (*CommunitySettings, error) {
	cs, err := s.community()
	if err != nil {
		return nil, err
	}
	return cs.FindCommunitySettings(ctx)
}

// SaveSettings saves the banned words (text, one per line) and the flood
// limit (staff). Returns EINVALID naming the field.
func (s *Service) SaveSettings(ctx context.Context, words string, flood int) (*CommunitySettings, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	ws, err := ParseWords(words)
	if err != nil {
		return nil, err
	}
	if flood < 1 || flood > 100 {
		return nil, app.FieldErrorf("flood_limit", "Posts per minute must be between 1 and 100.")
	}
	st := &CommunitySettings{BannedWords: ws, FloodLimit: flood}
	return st, s.Community.SaveCommunitySettings(ctx, st)
}

// Spaces lists the tenant's spaces, archived included (staff).
func (s *Service) Spaces(ctx context.Context) ([]*Space, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	return s.Community.FindSpaces(ctx)
}

// Space returns a space (staff). Returns ENOTFOUND.
func (s *Service) Space(ctx context.Context, id int64) (*Space, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	return s.Community.FindSpace(ctx, id)
}

func (s *Service) checkSpace(ctx context.Context, sp *Space) error {
	if err := sp.Validate(); err != nil {
		return err
	}
	if sp.Access == AccessCourse {
		if _, err := s.stores.Courses.FindCourse(ctx, sp.CourseID); err != nil {
			return app.FieldErrorf("course_id", "Choose one of your courses.")
		}
	}
	return nil
}

// CreateSpace adds a space (staff). Returns EINVALID naming the field.
func (s *Service) CreateSpace(ctx context.Context, sp *Space) error {
	if err := staff(ctx); err != nil {
		return err
	}
	if err := s.checkSpace(ctx, sp); err != nil {
		return err
	}
	if err := s.Community.CreateSpace(ctx, sp); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return app.FieldErrorf("slug", "Another space has the address %q; choose another.", sp.Slug)
		}
		return err
	}
	return nil
}

// UpdateSpace saves a space, archived or not (staff). Returns EINVALID or
// ENOTFOUND.
func (s *Service) UpdateSpace(ctx context.Context, sp *Space) error {
	if err := staff(ctx); err != nil {
		return err
	}
	if _, err := s.Community.FindSpace(ctx, sp.ID); err != nil {
		return err
	}
	if err := s.checkSpace(ctx, sp); err != nil {
		return err
	}
	if err := s.Community.UpdateSpace(ctx, sp); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return app.FieldErrorf("slug", "Another space has the address %q; choose another.", sp.Slug)
		}
		return err
	}
	return nil
}

// SpaceFeed is a page of a space's posts for the staff (hidden ones
// included). Returns ENOTFOUND.
func (s *Service) SpaceFeed(ctx context.Context, spaceID, before int64) (*Space, *Feed, error) {
	sp, err := s.Space(ctx, spaceID)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.feed(ctx, []*Space{sp}, before, 0, true)
	return sp, f, err
}

// StaffPost returns a post with its comments, hidden ones included.
func (s *Service) StaffPost(ctx context.Context, id int64) (*Post, []*Comment, error) {
	if err := staff(ctx); err != nil {
		return nil, nil, err
	}
	p, err := s.Community.FindPost(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Community.FillReactions(ctx, []*Post{p}, 0); err != nil {
		return nil, nil, err
	}
	cs, err := s.Community.FindComments(ctx, id, true)
	return p, cs, err
}

// Moderation actions on a post.
const (
	ModHide    = "hide"
	ModUnhide  = "unhide"
	ModPin     = "pin"
	ModUnpin   = "unpin"
	ModDismiss = "dismiss" // close the post's reports, keep it shown
)

// Moderate hides, shows, pins or unpins a post, or dismisses its reports
// (staff); hiding closes its reports. Returns EINVALID or ENOTFOUND.
func (s *Service) Moderate(ctx context.Context, postID int64, action string) (*Post, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	p, err := s.Community.FindPost(ctx, postID)
	if err != nil {
		return nil, err
	}
	switch action {
	case ModHide, ModUnhide:
		err = s.Community.SetPostHidden(ctx, p.ID, action == ModHide)
		if err == nil && action == ModHide {
			err = s.Community.ResolveReports(ctx, p.ID)
		}
	case ModPin, ModUnpin:
		err = s.Community.SetPostPinned(ctx, p.ID, action == ModPin)
	case ModDismiss:
		err = s.Community.ResolveReports(ctx, p.ID)
	default:
		return nil, app.FieldErrorf("action", "Action must be one of hide, unhide, pin, unpin, dismiss.")
	}
	if err != nil {
		return nil, err
	}
	return s.Community.FindPost(ctx, p.ID)
}

// Reports lists the open reports with their posts (staff).
func (s *Service) Reports(ctx context.Context) ([]*Report, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	return s.Community.FindOpenReports(ctx)
}

// BanFromCommunity bans a member from the community or lifts the ban
// (staff); a banned member still signs in and learns, but cannot post,
// comment or react. Returns ENOTFOUND.
func (s *Service) BanFromCommunity(ctx context.Context, memberID int64, banned bool) (*Member, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	m, err := s.stores.Members.FindMember(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if err := s.Community.SetMemberCommunity(ctx, m.ID, banned, m.DirectoryHidden); err != nil {
		return nil, err
	}
	m.CommunityBanned = banned
	s.log().Info("community ban", "tenant", m.TenantID, "member", m.ID, "banned", banned)
	return m, nil
}

// CreateStaffPost posts in a space as the staff (author: the user's
// name, else the brand). Returns EINVALID or ENOTFOUND.
func (s *Service) CreateStaffPost(ctx context.Context, spaceID int64, title, body string) (*Post, error) {
	sp, err := s.Space(ctx, spaceID)
	if err != nil {
		return nil, err
	}
	author := ""
	if u := app.UserFromContext(ctx); u != nil {
		author = u.Name
	}
	if author == "" {
		if t := app.TenantFromContext(ctx); t != nil {
			author = t.BrandName() + " team"
		}
	}
	p := &Post{SpaceID: sp.ID, AuthorName: author, Title: strings.TrimSpace(title), Body: strings.TrimSpace(body)}
	if err := checkPost(p); err != nil {
		return nil, err
	}
	ids, err := s.mentioned(ctx, p.Title+"\n"+p.Body, 0)
	if err != nil {
		return nil, err
	}
	if err := s.Community.CreatePost(ctx, p, ids); err != nil {
		return nil, err
	}
	p.SpaceSlug, p.SpaceName = sp.Slug, sp.Name
	return p, nil
}

func checkPost(p *Post) error {
	if err := checkText("title", "Title", p.Title, MaxTitle, false); err != nil {
		return err
	}
	return checkText("body", "Post", p.Body, MaxPostBody, true)
}

// --- Members ---

// ErrBanned is a member banned from the community trying to write.
var ErrBanned = app.Errorf(app.EFORBIDDEN, "You have been banned from this community, so you cannot post, comment or react. Your courses stay open to you.")

// MemberSpaces lists the spaces the member may see.
func (s *Service) MemberSpaces(ctx context.Context, m *Member) ([]*Space, error) {
	cs, err := s.community()
	if err != nil {
		return nil, err
	}
	return cs.FindMemberSpaces(ctx, m.ID)
}

// MemberSpace returns a space the member may see by its slug. Returns
// ENOTFOUND (also for a space the member may not see).
func (s *Service) MemberSpace(ctx context.Context, m *Member, slug string) (*Space, error) {
	sps, err := s.MemberSpaces(ctx, m)
	if err != nil {
		return nil, err
	}
	for _, sp := range sps {
		if sp.Slug == slug {
			return sp, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "Space not found.")
}

// MemberFeed is a page of posts of one of the member's spaces (slug), or
// of all of them (slug ""), newest first, with the pinned posts on the
// first page. Returns ENOTFOUND.
func (s *Service) MemberFeed(ctx context.Context, m *Member, slug string, before int64) (*Space, *Feed, error) {
	sps, err := s.MemberSpaces(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	var sp *Space
	if slug != "" {
		for _, x := range sps {
			if x.Slug == slug {
				sp = x
			}
		}
		if sp == nil {
			return nil, nil, app.Errorf(app.ENOTFOUND, "Space not found.")
		}
		sps = []*Space{sp}
	}
	f, err := s.feed(ctx, sps, before, m.ID, false)
	return sp, f, err
}

func (s *Service) feed(ctx context.Context, sps []*Space, before, memberID int64, withHidden bool) (*Feed, error) {
	f := &Feed{}
	if len(sps) == 0 {
		return f, nil
	}
	if before < 0 {
		return nil, app.FieldErrorf("before", "The page cursor must be a post number.")
	}
	ids := make([]int64, 0, len(sps))
	byID := map[int64]*Space{}
	for _, sp := range sps {
		ids = append(ids, sp.ID)
		byID[sp.ID] = sp
	}
	posts, err := s.Community.FindPosts(ctx, ids, before, FeedPageSize+1, withHidden)
	if err != nil {
		return nil, err
	}
	if len(posts) > FeedPageSize {
		posts = posts[:FeedPageSize]
		f.Next = posts[len(posts)-1].ID
	}
	f.Posts = posts
	if before == 0 && len(sps) == 1 {
		if f.Pinned, err = s.Community.FindPinnedPosts(ctx, sps[0].ID); err != nil {
			return nil, err
		}
		if !withHidden {
			kept := f.Pinned[:0]
			for _, p := range f.Pinned {
				if p.HiddenAt == nil {
					kept = append(kept, p)
				}
			}
			f.Pinned = kept
		}
	}
	all := append(append([]*Post{}, f.Pinned...), f.Posts...)
	for _, p := range all {
		if sp := byID[p.SpaceID]; sp != nil {
			p.SpaceSlug, p.SpaceName = sp.Slug, sp.Name
		}
	}
	return f, s.Community.FillReactions(ctx, all, memberID)
}

// memberPost returns a shown post of a space the member may see.
func (s *Service) memberPost(ctx context.Context, m *Member, postID int64) (*Post, error) {
	p, err := s.Community.FindPost(ctx, postID)
	if err != nil {
		return nil, err
	}
	sps, err := s.MemberSpaces(ctx, m)
	if err != nil {
		return nil, err
	}
	for _, sp := range sps {
		if sp.ID == p.SpaceID && p.HiddenAt == nil {
			p.SpaceSlug, p.SpaceName = sp.Slug, sp.Name
			return p, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "Post not found.")
}

// MemberPost returns a post of one of the member's spaces with its shown
// comments. Returns ENOTFOUND (hidden posts included).
func (s *Service) MemberPost(ctx context.Context, m *Member, postID int64) (*Post, []*Comment, error) {
	p, err := s.memberPost(ctx, m, postID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Community.FillReactions(ctx, []*Post{p}, m.ID); err != nil {
		return nil, nil, err
	}
	cs, err := s.Community.FindComments(ctx, p.ID, false)
	return p, cs, err
}

// canWrite refuses a banned member, text with a banned word, and a
// member writing faster than the tenant's flood limit.
func (s *Service) canWrite(ctx context.Context, m *Member, fields map[string]string) error {
	if m.CommunityBanned {
		return ErrBanned
	}
	if err := s.checkWords(ctx, fields); err != nil { // moderation.go
		return err
	}
	st, err := s.Community.FindCommunitySettings(ctx)
	if err != nil {
		return err
	}
	n, reset, err := s.Limiter.Hit(ctx, fmt.Sprintf("community:flood:%d", m.ID), FloodWindow)
	if err != nil {
		return fmt.Errorf("flood limit: %w", err)
	}
	if n > st.FloodLimit {
		wait := max1(reset.Sub(s.now()).Round(time.Second))
		return &app.RateLimitError{Err: app.Errorf(app.ETOOMANY, "You are posting too fast (at most %d posts and comments a minute). Wait %d seconds and try again.", st.FloodLimit, int(wait.Seconds())), RetryAfter: wait}
	}
	return nil
}

// mentioned resolves the @handles in text to the tenant's members
// (except the author), at most MaxMentions.
func (s *Service) mentioned(ctx context.Context, text string, author int64) ([]int64, error) {
	hs := Mentions(text)
	if len(hs) == 0 {
		return nil, nil
	}
	ms, err := s.stores.Members.FindMembers(ctx)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, h := range hs {
		want[h] = true
	}
	var ids []int64
	for _, mb := range ms {
		if mb.ID != author && mb.Status == MemberActive && want[mb.Handle()] && len(ids) < MaxMentions {
			ids = append(ids, mb.ID)
		}
	}
	return ids, nil
}

// EventPosted is a member's new post (workflow trigger "community_posted").
const EventPosted = "posted"

// CreatePost posts in one of the member's spaces. Returns EINVALID
// naming the field (a banned word is a *FilterError), ENOTFOUND,
// ErrBanned or a *RateLimitError.
func (s *Service) CreatePost(ctx context.Context, m *Member, slug, title, body string) (*Post, error) {
	sp, err := s.MemberSpace(ctx, m, slug)
	if err != nil {
		return nil, err
	}
	p := &Post{SpaceID: sp.ID, MemberID: m.ID, AuthorName: m.PublicName(), Title: strings.TrimSpace(title), Body: strings.TrimSpace(body)}
	if m.CommunityBanned {
		return nil, ErrBanned
	}
	if err := checkPost(p); err != nil {
		return nil, err
	}
	if err := s.canWrite(ctx, m, map[string]string{"title": p.Title, "body": p.Body}); err != nil {
		return nil, err
	}
	ids, err := s.mentioned(ctx, p.Title+"\n"+p.Body, m.ID)
	if err != nil {
		return nil, err
	}
	if err := s.Community.CreatePost(ctx, p, ids); err != nil {
		return nil, err
	}
	p.SpaceSlug, p.SpaceName = sp.Slug, sp.Name
	s.emit(ctx, Event{Kind: EventPosted, TenantID: m.TenantID, Member: m, Space: sp, Post: p})
	return p, nil
}

// AddComment replies to a post of one of the member's spaces. Returns
// EINVALID, ENOTFOUND, ErrBanned or a *RateLimitError.
func (s *Service) AddComment(ctx context.Context, m *Member, postID int64, body string) (*Comment, error) {
	p, err := s.memberPost(ctx, m, postID)
	if err != nil {
		return nil, err
	}
	c := &Comment{PostID: p.ID, MemberID: m.ID, AuthorName: m.PublicName(), Body: strings.TrimSpace(body)}
	if m.CommunityBanned {
		return nil, ErrBanned
	}
	if err := checkText("body", "Comment", c.Body, MaxCommentBody, true); err != nil {
		return nil, err
	}
	if err := s.canWrite(ctx, m, map[string]string{"body": c.Body}); err != nil {
		return nil, err
	}
	ids, err := s.mentioned(ctx, c.Body, m.ID)
	if err != nil {
		return nil, err
	}
	return c, s.Community.CreateComment(ctx, c, ids)
}

// React toggles the member's reaction to a post; it reports whether the
// reaction is now set. Returns EINVALID (kind), ENOTFOUND or ErrBanned.
func (s *Service) React(ctx context.Context, m *Member, postID int64, kind string) (bool, error) {
	p, err := s.memberPost(ctx, m, postID)
	if err != nil {
		return false, err
	}
	if !reactionKind(kind) {
		return false, app.FieldErrorf("kind", "Reaction must be one of like, love, celebrate, insightful.")
	}
	if m.CommunityBanned {
		return false, ErrBanned
	}
	return s.Community.ToggleReaction(ctx, p.ID, m.ID, kind)
}

// ReportPost reports a post to the staff. Returns EINVALID (reason),
// ENOTFOUND or ECONFLICT (already reported).
func (s *Service) ReportPost(ctx context.Context, m *Member, postID int64, reason string) error {
	p, err := s.memberPost(ctx, m, postID)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", "Reason", reason, MaxReportReason, true); err != nil {
		return err
	}
	if err := s.limit(ctx, JoinLimit, fmt.Sprintf("community:report:%d", m.ID)); err != nil {
		return err
	}
	if err := s.Community.CreateReport(ctx, &Report{PostID: p.ID, MemberID: m.ID, Reason: reason}); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return app.Errorf(app.ECONFLICT, "You have already reported this post; the team will look at it.")
		}
		return err
	}
	return nil
}

// Directory lists the members who did not opt out of the directory.
func (s *Service) Directory(ctx context.Context, m *Member) ([]*Member, error) {
	ms, err := s.stores.Members.FindMembers(ctx)
	if err != nil {
		return nil, err
	}
	out := ms[:0]
	for _, x := range ms {
		if x.Status == MemberActive && (!x.DirectoryHidden || x.ID == m.ID) {
			out = append(out, x)
		}
	}
	return out, nil
}

// MyMentions lists the newest posts and comments naming the member.
func (s *Service) MyMentions(ctx context.Context, m *Member) ([]*Mention, error) {
	cs, err := s.community()
	if err != nil {
		return nil, err
	}
	return cs.FindMentions(ctx, m.ID, 20)
}

// SetDirectoryHidden records the member's directory opt-out.
func (s *Service) SetDirectoryHidden(ctx context.Context, m *Member, hidden bool) error {
	if err := s.Community.SetMemberCommunity(ctx, m.ID, m.CommunityBanned, hidden); err != nil {
		return err
	}
	m.DirectoryHidden = hidden
	return nil
}
