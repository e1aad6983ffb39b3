package ui

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
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
			row := []string{strconv.FormatInt(p.ID, 10), p.FirstName, p.LastName, strings.Join(p.Emails, " "), strings.Join(p.Phones, " "), p.CompanyName,
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

// importColumns maps accepted CSV headers (lowercased, spaces and dashes
// as underscores) to person fields.
var importColumns = map[string]string{
	"first_name": "first_name", "firstname": "first_name", "first": "first_name", "given_name": "first_name",
	"last_name": "last_name", "lastname": "last_name", "last": "last_name", "surname": "last_name", "family_name": "last_name",
	"email": "emails", "emails": "emails", "e_mail": "emails", "email_address": "emails",
	"phone": "phones", "phones": "phones", "phone_number": "phones", "mobile": "phones", "telephone": "phones",
	"title": "title", "job_title": "title", "address": "address", "source": "source", "tags": "tags",
	"consent_email": "consent_email", "consent_sms": "consent_sms", "consent_calls": "consent_calls",
}

// importRowError is one line of the import report.
type importRowError struct {
	Line    int
	Field   string
	Message string
}

type importPage struct {
	Layout
	Mapping   map[string]string // CSV column -> field
	Ignored   []string          // columns not imported
	Errors    []importRowError
	Imported  int
	Skipped   int
	FormError string
}

func (s *Server) handleCRMImportView(c *fiber.Ctx) error {
	p := &importPage{}
	p.Layout = s.layout(c, HostPortal, "Import people")
	return s.render(c, "portal/crm_import", p)
}

// handleCRMImport reads a CSV of people. Every row is validated first;
// by default any invalid row stops the import (nothing written) and the
// report names each bad row and field. With skip_invalid the valid rows
// are written (one transaction) and the bad ones reported.
func (s *Server) handleCRMImport(c *fiber.Ctx) error {
	p := &importPage{Mapping: map[string]string{}}
	fail := func(status int, msg string) error {
		c.Status(status)
		p.FormError = msg
		p.Layout = s.layout(c, HostPortal, "Import people")
		return s.render(c, "portal/crm_import", p)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fail(fiber.StatusBadRequest, "Choose a CSV file.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return fail(fiber.StatusBadRequest, "The file is empty or not CSV.")
	}
	cols := make([]string, len(header))
	for i, h := range header {
		key := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))))
		if field, ok := importColumns[key]; ok {
			cols[i] = field
			p.Mapping[h] = field
		} else {
			p.Ignored = append(p.Ignored, h)
		}
	}
	if !strings.Contains(strings.Join(cols, ","), "_name") {
		return fail(fiber.StatusBadRequest, "The first row must name the columns; a first_name or last_name column is required.")
	}
	var people []*app.Person
	line := 1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return fail(fiber.StatusBadRequest, fmt.Sprintf("Line %d is not valid CSV.", line))
		}
		if len(people)+len(p.Errors) >= app.MaxBatch {
			return fail(fiber.StatusBadRequest, fmt.Sprintf("A file may hold at most %d people; split it.", app.MaxBatch))
		}
		pr := &app.Person{Source: "import"}
		for i, v := range rec {
			if i >= len(cols) {
				break
			}
			switch cols[i] {
			case "first_name":
				pr.FirstName = v
			case "last_name":
				pr.LastName = v
			case "emails":
				pr.Emails = append(pr.Emails, strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(v))...)
			case "phones":
				pr.Phones = append(pr.Phones, splitList(v)...)
			case "title":
				pr.Title = v
			case "address":
				pr.Address = v
			case "source":
				if v != "" {
					pr.Source = v
				}
			case "tags":
				pr.Tags = splitList(v)
			case "consent_email", "consent_sms", "consent_calls":
				yes := strings.EqualFold(v, "true") || strings.EqualFold(v, "yes") || v == "1"
				switch cols[i] {
				case "consent_email":
					pr.Consent.Email = yes
				case "consent_sms":
					pr.Consent.SMS = yes
				default:
					pr.Consent.Calls = yes
				}
			}
		}
		if err := pr.Validate(); err != nil {
			p.Errors = append(p.Errors, importRowError{Line: line, Field: app.ErrorField(err), Message: app.ErrorMessage(err)})
			continue
		}
		people = append(people, pr)
	}
	if len(p.Errors) > 0 && c.FormValue("skip_invalid") == "" {
		return fail(fiber.StatusBadRequest, fmt.Sprintf("%d rows are invalid; nothing was imported. Fix them, or tick \"skip invalid rows\".", len(p.Errors)))
	}
	if len(people) > 0 {
		if err := s.CRM.UpsertPeople(c.UserContext(), people); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			return fail(fiber.StatusBadRequest, app.ErrorMessage(err))
		}
	}
	p.Imported, p.Skipped = len(people), len(p.Errors)
	s.Audit.Record(c.UserContext(), "crm.import", "people", fmt.Sprintf("%d imported, %d skipped", p.Imported, p.Skipped))
	p.Layout = s.layout(c, HostPortal, "Import people")
	return s.render(c, "portal/crm_import", p)
}
