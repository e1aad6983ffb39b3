package ui

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// CSV export (streamed, page by page) and import (people) in the portal.

var peopleCSVHeader = []string{"id", "first_name", "last_name", "emails", "phones", "company", "title", "address", "source", "tags",
	"consent_email", "consent_sms", "consent_calls", "created_at", "updated_at"}

// csvSafe keeps a cell from being read as a formula by spreadsheet
// programs (CSV injection): a leading =, @, tab or CR, or a + or - that
// does not start a number, gets a leading apostrophe.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if strings.Trim(s[1:], "0123456789 .") != "" {
			return "'" + s
		}
	}
	return s
}

// handleCRMPeopleExport streams every person of the tenant as CSV, 200
// rows per query, so memory stays flat whatever the size.
func (s *Server) handleCRMPeopleExport(c *fiber.Ctx) error {
	ctx := c.UserContext()
	// Fail before the 200 if the first page cannot be read.
	first, next, err := s.CRM.FindPeople(ctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: app.MaxPageSize, Sort: "created_at"}})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="people.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	logger := s.Logger
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		if err := writePeopleCSV(ctx, s.CRM, bw, first, next); err != nil {
			logger.Error("people export", "err", err)
		}
	})
	return nil
}

func writePeopleCSV(ctx context.Context, crm app.CRMStore, w io.Writer, page []*app.Person, next string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(peopleCSVHeader); err != nil {
		return err
	}
	b := strconv.FormatBool
	for {
		for _, p := range page {
			row := []string{strconv.FormatInt(p.ID, 10), p.FirstName, p.LastName, strings.Join(p.Emails, "; "), strings.Join(p.Phones, "; "), p.CompanyName,
				p.Title, p.Address, p.Source, strings.Join(p.Tags, ", "), b(p.Consent.Email), b(p.Consent.SMS), b(p.Consent.Calls),
				p.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), p.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z")}
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil || next == "" {
			return err
		}
		var err error
		if page, next, err = crm.FindPeople(ctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: app.MaxPageSize, Sort: "created_at", Cursor: next}}); err != nil {
			return err
		}
	}
}
