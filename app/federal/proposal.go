package federal

import (
	"slices"
	"strings"
	"time"
)

// Proposal section statuses, in order.
var SectionStatuses = []string{"draft", "review", "final"}

// ProposalSection is one markdown section of the proposal for a pursued
// notice. RequirementGroup is the compliance-matrix section ("L.3") it was
// created from, "" for a section written by hand.
type ProposalSection struct {
	ID               int64
	TenantID         int64
	NoticeID         string
	Title            string
	Position         int
	Body             string // markdown
	Owner            string
	Status           string
	RequirementGroup string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// MaxSectionBody bounds a section's markdown (bytes).
const MaxSectionBody = 1 << 20

// Normalize trims the fields and defaults the status to draft.
func (s *ProposalSection) Normalize() {
	s.Title, s.Owner = strings.TrimSpace(s.Title), strings.TrimSpace(s.Owner)
	s.Status = strings.ToLower(strings.TrimSpace(s.Status))
	if s.Status == "" {
		s.Status = "draft"
	}
	s.Body = strings.ReplaceAll(s.Body, "\r\n", "\n")
}

// Validate returns a *ValidationError naming the field (title, status,
// owner, body, position).
func (s *ProposalSection) Validate() error {
	switch {
	case s.Title == "":
		return invalid("title", "required")
	case len(s.Title) > 200:
		return invalid("title", "at most 200 characters")
	case !slices.Contains(SectionStatuses, s.Status):
		return invalid("status", "must be one of %s", strings.Join(SectionStatuses, ", "))
	case len(s.Owner) > 200:
		return invalid("owner", "at most 200 characters")
	case len(s.Body) > MaxSectionBody:
		return invalid("body", "at most %d KB of text", MaxSectionBody>>10)
	case s.Position < 0 || s.Position > 10000:
		return invalid("position", "must be 0 to 10000")
	}
	return nil
}

// SectionsFromMatrix proposes one section per requirement group of the
// compliance matrix (rows with the same Section), in matrix order. Each
// body starts with the group's requirements as a checklist for the writer.
// Rows without a section fall in "General requirements".
func SectionsFromMatrix(rows []*MatrixRow) []*ProposalSection {
	var out []*ProposalSection
	by := map[string]*ProposalSection{}
	for _, r := range rows {
		if r.Status == "na" {
			continue
		}
		group := strings.TrimSpace(r.Section)
		s, ok := by[group]
		if !ok {
			title := "General requirements"
			if group != "" {
				title = "Response to " + group
			}
			s = &ProposalSection{NoticeID: r.NoticeID, Title: title, Position: (len(out) + 1) * 10, Status: "draft", RequirementGroup: group,
				Body: "**Requirements addressed**\n\n"}
			by[group] = s
			out = append(out, s)
		}
		s.Body += "- " + strings.Join(strings.Fields(r.Text), " ") + "\n"
	}
	for _, s := range out {
		s.Body += "\n"
	}
	return out
}

// ProposalCoverage says how the compliance matrix maps onto the proposal.
type ProposalCoverage struct {
	Requirements int // rows in the matrix, "na" excluded
	Mapped       int // rows whose "where answered" names an existing section
	Answered     int // mapped rows marked answered
	Unmapped     []*MatrixRow
	BySection    map[string][]*MatrixRow // section title -> rows answered there
}

// Percent is the share of requirements answered in a proposal section.
func (c ProposalCoverage) Percent() int {
	if c.Requirements == 0 {
		return 0
	}
	return c.Answered * 100 / c.Requirements
}

// Coverage maps matrix rows to sections by "where answered" (a section
// title, compared case-insensitively).
func Coverage(rows []*MatrixRow, sections []*ProposalSection) ProposalCoverage {
	titles := map[string]string{}
	for _, s := range sections {
		titles[strings.ToLower(s.Title)] = s.Title
	}
	c := ProposalCoverage{BySection: map[string][]*MatrixRow{}}
	for _, r := range rows {
		if r.Status == "na" {
			continue
		}
		c.Requirements++
		t, ok := titles[strings.ToLower(strings.TrimSpace(r.AnsweredIn))]
		if !ok {
			c.Unmapped = append(c.Unmapped, r)
			continue
		}
		c.Mapped++
		if r.Status == "answered" {
			c.Answered++
		}
		c.BySection[t] = append(c.BySection[t], r)
	}
	return c
}
