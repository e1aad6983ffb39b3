package federal

import (
	"io"

	"orengen/app"
)

// Proposal is what the exporters write: a title page line, then each
// section as a heading followed by its markdown body.
type Proposal struct {
	Title    string // the notice title
	Subtitle string // solicitation number, agency
	Sections []*ProposalSection
	// Uncompressed writes PDF page streams without Flate compression, so
	// their text can be read with a plain search (tests, debugging).
	Uncompressed bool
}

// ProposalWriter writes a proposal as a file to download (package
// export; the wiring sets Service.Writer).
type ProposalWriter interface {
	DOCX(w io.Writer, p *Proposal) error
	PDF(w io.Writer, p *Proposal) error
}

// Proposal formats.
const (
	FormatPDF  = "pdf"
	FormatDOCX = "docx"
)

// WriteProposal writes p in format (FormatPDF or FormatDOCX).
func (s *Service) WriteProposal(w io.Writer, p *Proposal, format string) error {
	if s.Writer == nil {
		return app.Errorf(app.EINVALID, "Proposal export is not available on this appliance.")
	}
	switch format {
	case FormatPDF:
		return s.Writer.PDF(w, p)
	case FormatDOCX:
		return s.Writer.DOCX(w, p)
	}
	return app.FieldErrorf("format", "Export as pdf or docx.")
}
