package courses

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"orengen/app"
)

// The community's email digest: each member gets, daily or weekly (their
// choice, or never), the new posts of their spaces, the replies to their
// posts and the posts naming them, with an unsubscribe link. A loop
// (RunDigests) sends the due digests; the member's "last sent" is stored
// before the mail goes out, so a restart never sends one twice.

// Digest frequencies.
const (
	DigestDaily  = "daily"
	DigestWeekly = "weekly"
	DigestOff    = "off"
)

// DigestInterval is how often the loop looks for due digests.
const DigestInterval = 10 * time.Minute

// DigestPeriod is the time between two digests of a frequency.
func DigestPeriod(freq string) time.Duration {
	if freq == DigestWeekly {
		return 7 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// DigestDue is a member whose digest is due.
type DigestDue struct {
	TenantID int64
	MemberID int64
	Digest   string
	Since    time.Time // the last digest (or joining)
}

// Reply is a comment on a member's post, for the digest.
type Reply struct {
	PostID     int64
	PostTitle  string
	AuthorName string
	Body       string
	CreatedAt  time.Time
}

// DigestStore is what the digest needs besides CommunityStore.
type DigestStore interface {
	// FindDigestsDue lists active members of any tenant whose digest is
	// due at now (at most limit).
	FindDigestsDue(ctx context.Context, now time.Time, limit int) ([]*DigestDue, error)
	// ClaimDigest records now as the member's last digest if it is still
	// due (last before cutoff), and returns their unsubscribe token
	// (token when they had none). false: another run sent it.
	ClaimDigest(ctx context.Context, memberID int64, cutoff, now time.Time, token string) (bool, string, error)
	// FindPostsSince lists shown posts of the spaces after since, except
	// the member's own, newest first.
	FindPostsSince(ctx context.Context, spaceIDs []int64, since time.Time, exceptMember int64, limit int) ([]*Post, error)
	// FindRepliesSince lists shown comments by others on the member's
	// shown posts after since.
	FindRepliesSince(ctx context.Context, memberID int64, since time.Time, limit int) ([]*Reply, error)
	SetMemberDigest(ctx context.Context, memberID int64, freq string) error
	// UnsubscribeDigest turns off the digest of the tenant's member with
	// the token. ENOTFOUND for an unknown token.
	UnsubscribeDigest(ctx context.Context, token string) (*Member, error)
}

func (s *Service) digests() (DigestStore, error) {
	if s.Community == nil {
		return nil, app.Errorf(app.EINTERNAL, "No digest store.")
	}
	return s.Community, nil
}

// SetDigest saves how often the member gets the digest. Returns EINVALID.
func (s *Service) SetDigest(ctx context.Context, m *Member, freq string) error {
	if freq != DigestDaily && freq != DigestWeekly && freq != DigestOff {
		return app.FieldErrorf("digest", "Digest must be %s, %s or %s.", DigestDaily, DigestWeekly, DigestOff)
	}
	ds, err := s.digests()
	if err != nil {
		return err
	}
	if err := ds.SetMemberDigest(ctx, m.ID, freq); err != nil {
		return err
	}
	m.Digest = freq
	return nil
}

// Unsubscribe turns off the digest of the member whose link has token
// (on the tenant's host). Returns ENOTFOUND.
func (s *Service) Unsubscribe(ctx context.Context, token string) (*Member, error) {
	ds, err := s.digests()
	if err != nil {
		return nil, err
	}
	if len(token) < 20 || len(token) > 100 {
		return nil, app.Errorf(app.ENOTFOUND, "This unsubscribe link is not valid.")
	}
	m, err := ds.UnsubscribeDigest(ctx, token)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, app.Errorf(app.ENOTFOUND, "This unsubscribe link is not valid.")
	}
	return m, err
}

// RunDigests sends the due digests every DigestInterval until ctx ends.
func (s *Service) RunDigests(ctx context.Context) {
	app.Every(ctx, DigestInterval, func(ctx context.Context) {
		if n, err := s.SendDigests(ctx); err != nil {
			s.log().Error("community digests", "err", err)
		} else if n > 0 {
			s.log().Info("community digests sent", "count", n)
		}
	})
}

// SendDigests sends every digest due now and returns how many went out
// (members with nothing new get none; their window moves on).
func (s *Service) SendDigests(ctx context.Context) (int, error) {
	ds, err := s.digests()
	if err != nil || s.Tenant == nil {
		return 0, err
	}
	now := s.now()
	sent := 0
	for range 20 { // at most 20 batches a tick
		due, err := ds.FindDigestsDue(ctx, now, 200)
		if err != nil {
			return sent, err
		}
		for _, d := range due {
			ok, err := s.sendDigest(ctx, ds, d, now)
			if err != nil {
				s.log().Error("community digest", "tenant", d.TenantID, "member", d.MemberID, "err", err)
				continue
			}
			if ok {
				sent++
			}
		}
		if len(due) < 200 {
			break
		}
	}
	return sent, nil
}

func (s *Service) sendDigest(ctx context.Context, ds DigestStore, d *DigestDue, now time.Time) (bool, error) {
	t, err := s.Tenant(ctx, d.TenantID)
	if err != nil {
		return false, err
	}
	if !t.Active() {
		return false, nil
	}
	tctx := app.NewContextWithTenant(ctx, t)
	m, err := s.stores.Members.FindMember(tctx, d.MemberID)
	if err != nil {
		return false, err
	}
	claimed, token, err := ds.ClaimDigest(tctx, m.ID, now.Add(-DigestPeriod(d.Digest)), now, app.RandomToken(32))
	if err != nil || !claimed {
		return false, err
	}
	msg, err := s.digestMessage(tctx, ds, t, m, d.Since, token)
	if err != nil || msg == nil {
		return false, err
	}
	if s.Mailer == nil {
		return false, app.Errorf(app.EINTERNAL, "No mailer.")
	}
	return true, s.Mailer.Send(tctx, msg)
}

// digestMessage is the member's digest since since (nil: nothing new).
func (s *Service) digestMessage(ctx context.Context, ds DigestStore, t *app.Tenant, m *Member, since time.Time, token string) (*app.Message, error) {
	sps, err := s.Community.FindMemberSpaces(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(sps))
	names := map[int64]string{}
	for _, sp := range sps {
		ids = append(ids, sp.ID)
		names[sp.ID] = sp.Name
	}
	var posts []*Post
	if !m.CommunityBanned && len(ids) > 0 {
		if posts, err = ds.FindPostsSince(ctx, ids, since, m.ID, 20); err != nil {
			return nil, err
		}
	}
	replies, err := ds.FindRepliesSince(ctx, m.ID, since, 20)
	if err != nil {
		return nil, err
	}
	all, err := s.Community.FindMentions(ctx, m.ID, 20)
	if err != nil {
		return nil, err
	}
	var mentions []*Mention
	for _, mn := range all {
		if mn.CreatedAt.After(since) {
			mentions = append(mentions, mn)
		}
	}
	events, err := s.eventReminders(ctx, m, s.now())
	if err != nil {
		return nil, err
	}
	if len(posts)+len(replies)+len(mentions)+len(events) == 0 {
		return nil, nil
	}
	base := ""
	if s.BaseURL != nil {
		base = s.BaseURL(ctx, t)
	}
	q := "?tenant=" + url.QueryEscape(t.Slug)
	link := func(postID int64) string { return fmt.Sprintf("%s/learn/community/posts/%d%s", base, postID, q) }
	title := func(title, body string) string {
		if title != "" {
			return title
		}
		return excerpt(body, 60)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello%s,\n\nHere is what is new in the %s community", greet(m.Name), t.BrandName())
	if m.Digest == DigestWeekly {
		b.WriteString(" this week")
	} else {
		b.WriteString(" since yesterday")
	}
	b.WriteString(".\n")
	if len(events) > 0 {
		b.WriteString("\nYour upcoming events (you are going)\n")
		for _, e := range events {
			fmt.Fprintf(&b, "- %s\n  %s/learn/community/events/%d%s\n", eventLine(e, m.Location()), base, e.ID, q)
		}
	}
	if len(mentions) > 0 {
		b.WriteString("\nMentions of you\n")
		for _, mn := range mentions {
			fmt.Fprintf(&b, "- %s mentioned you in “%s”: %s\n", mn.ByName, mn.PostTitle, link(mn.PostID))
		}
	}
	if len(replies) > 0 {
		b.WriteString("\nReplies to your posts\n")
		for _, r := range replies {
			fmt.Fprintf(&b, "- %s replied to “%s”: %s\n  %s\n", r.AuthorName, title(r.PostTitle, ""), excerpt(r.Body, 140), link(r.PostID))
		}
	}
	if len(posts) > 0 {
		b.WriteString("\nNew posts in your spaces\n")
		for _, p := range posts {
			fmt.Fprintf(&b, "- %s in %s: %s\n  %s\n", p.AuthorName, names[p.SpaceID], title(p.Title, p.Body), link(p.ID))
		}
	}
	fmt.Fprintf(&b, "\nChange how often you get this email on your account page: %s/learn/account%s\nUnsubscribe from these digests: %s/learn/unsubscribe?token=%s&tenant=%s\n",
		base, q, base, token, url.QueryEscape(t.Slug))
	return &app.Message{TenantID: t.ID, FromName: t.BrandName(), To: m.Email, Subject: "What's new in the " + t.BrandName() + " community", Text: b.String()}, nil
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
