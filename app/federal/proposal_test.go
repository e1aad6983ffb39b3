package federal

import (
	"io"
	"strings"
	"testing"

	"orengen/app"
)

func TestSectionsFromMatrix(t *testing.T) {
	rows := []*MatrixRow{{NoticeID: "n", Section: "L.2", Text: "Use  Arial."}, {NoticeID: "n", Section: "M.1", Text: "Evaluated on approach."},
		{NoticeID: "n", Section: "L.2", Text: "PDF files."}, {NoticeID: "n", Section: "L.9", Text: "skip", Status: "na"}, {NoticeID: "n", Text: "General one."}}
	ss := SectionsFromMatrix(rows)
	if len(ss) != 3 || ss[0].Title != "Response to L.2" || ss[1].RequirementGroup != "M.1" || ss[2].Title != "General requirements" {
		t.Fatalf("sections %+v", ss)
	}
	if !strings.Contains(ss[0].Body, "- Use Arial.\n- PDF files.\n") || ss[0].Position >= ss[1].Position {
		t.Errorf("body %q", ss[0].Body)
	}
	rows[0].AnsweredIn, rows[0].Status = "response to l.2", "answered"
	rows[1].AnsweredIn = "Nowhere"
	c := Coverage(rows, ss)
	if c.Requirements != 4 || c.Mapped != 1 || c.Answered != 1 || len(c.Unmapped) != 3 || c.Percent() != 25 || len(c.BySection["Response to L.2"]) != 1 {
		t.Errorf("coverage %+v", c)
	}
	bad := &ProposalSection{Title: "x", Status: "done"}
	if err := bad.Validate(); err == nil || err.(*ValidationError).Field != "status" {
		t.Errorf("status: %v", err)
	}
}

type recordingWriter struct{ got []string }

func (r *recordingWriter) DOCX(w io.Writer, p *Proposal) error {
	r.got = append(r.got, "docx:"+p.Title)
	return nil
}

func (r *recordingWriter) PDF(w io.Writer, p *Proposal) error {
	r.got = append(r.got, "pdf:"+p.Title)
	return nil
}

// TestWriteProposal: each format goes to its writer; an unknown format
// names the field; without a writer the export is refused with a reason.
func TestWriteProposal(t *testing.T) {
	rw := &recordingWriter{}
	s := &Service{Writer: rw}
	p := &Proposal{Title: "Bid"}
	if err := s.WriteProposal(io.Discard, p, FormatPDF); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteProposal(io.Discard, p, FormatDOCX); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rw.got, ",") != "pdf:Bid,docx:Bid" {
		t.Fatalf("written %v", rw.got)
	}
	if err := s.WriteProposal(io.Discard, p, "odt"); app.ErrorField(err) != "format" {
		t.Fatalf("odt: %v", err)
	}
	if err := (&Service{}).WriteProposal(io.Discard, p, FormatPDF); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("no writer: %v", err)
	}
}
