package wiki

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"orengen/app"
)

// Attachment kinds a page accepts, decided by content, never by the name
// or the browser's Content-Type: http.DetectContentType (the WHATWG
// sniffing algorithm) for images, PDF and text, and for a zip the parts an
// Office document must have.
var (
	imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}
	// extKinds is which sniffed types each file extension may carry.
	extKinds = map[string][]string{
		".png": {"image/png"}, ".jpg": {"image/jpeg"}, ".jpeg": {"image/jpeg"}, ".gif": {"image/gif"}, ".webp": {"image/webp"},
		".pdf": {"application/pdf"},
		".txt": {"text/plain"}, ".md": {"text/plain"}, ".markdown": {"text/plain"}, ".csv": {"text/plain"}, ".json": {"text/plain"},
		".docx": {docxType}, ".xlsx": {xlsxType}, ".pptx": {pptxType},
	}
	// kindNames say what a type is in error messages.
	kindNames = map[string]string{
		"image/png": "a PNG image", "image/jpeg": "a JPEG image", "image/gif": "a GIF image", "image/webp": "a WebP image",
		"application/pdf": "a PDF document", "text/plain": "plain text", docxType: "a Word document", xlsxType: "an Excel workbook", pptxType: "a PowerPoint deck",
	}
)

const (
	docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	pptxType = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)

// AcceptedFiles is the list of accepted file kinds, for forms and errors.
const AcceptedFiles = "PNG, JPEG, GIF, WebP, PDF, text (.txt, .md, .csv, .json), Word, Excel and PowerPoint files"

// CleanFileName returns a safe display name: the base name without
// directories or control characters, at most 120 bytes.
func CleanFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`"<>:|?*`, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(strings.Trim(name, "."))
	for len(name) > 120 {
		ext := path.Ext(name)
		if len(ext) > 10 {
			ext = ""
		}
		base := strings.TrimSuffix(name, ext)
		cut := 120 - len(ext)
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		name = base[:cut] + ext
	}
	if name == "" || name == "/" {
		name = "file"
	}
	return name
}

// SniffAttachment checks a file against the accepted kinds and its name's
// extension, and returns its content type. Returns EINVALID (field
// "file") saying why a file is refused, ETOOLARGE over maxBytes.
func SniffAttachment(name string, data []byte, maxBytes int64) (string, error) {
	if int64(len(data)) > maxBytes {
		return "", &app.Error{Code: app.ETOOLARGE, Field: "file", Message: fmt.Sprintf("%s is %s; attachments may be at most %s.", name, app.FormatBytes(int64(len(data))), app.FormatBytes(maxBytes))}
	}
	if len(data) == 0 {
		return "", app.FieldErrorf("file", "%s is empty.", name)
	}
	ext := strings.ToLower(path.Ext(name))
	want, ok := extKinds[ext]
	if !ok {
		return "", app.FieldErrorf("file", "%s: files of type %q are not accepted. Accepted: %s.", name, ext, AcceptedFiles)
	}
	got := http.DetectContentType(data)
	got, _, _ = strings.Cut(got, ";")
	switch {
	case got == "application/zip":
		got = officeType(data)
	case got == "text/plain" && !utf8.Valid(data):
		got = "application/octet-stream"
	}
	for _, w := range want {
		if w == got {
			return got, nil
		}
	}
	what := kindNames[got]
	if what == "" {
		what = "of another kind (" + got + ")"
		if strings.HasPrefix(got, "text/html") || got == "text/xml" {
			what = "HTML or XML (which could carry script)"
		}
	}
	return "", app.FieldErrorf("file", "%s is named %s but its content is %s; only %s is accepted under that name.", name, ext, what, kindNames[want[0]])
}

// officeType tells Word, Excel and PowerPoint files from other zips by the
// parts each must contain.
func officeType(data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "application/zip"
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		has[f.Name] = true
	}
	if !has["[Content_Types].xml"] {
		return "application/zip"
	}
	switch {
	case has["word/document.xml"]:
		return docxType
	case has["xl/workbook.xml"]:
		return xlsxType
	case has["ppt/presentation.xml"]:
		return pptxType
	}
	return "application/zip"
}

// PDFReader reads a PDF's text layer, at most about maxBytes of it;
// "" when the file has none it can read. The wiring hands the services
// package pdftext's.
type PDFReader func(ctx context.Context, data []byte, maxBytes int) string

// ExtractText returns the searchable text of an attachment: a PDF's text
// (through pdf; nil reads none), a text file's content; "" for other
// kinds. A PDF it cannot read (encrypted, damaged, scanned without text)
// gives "" and no error: the file is still stored.
func ExtractText(ctx context.Context, contentType string, data []byte, pdf PDFReader) string {
	var s string
	switch contentType {
	case "text/plain":
		s = string(data)
	case "application/pdf":
		if pdf != nil {
			s = pdf(ctx, data, MaxAttachmentText)
		}
	}
	s = cleanText(s)
	if len(s) > MaxAttachmentText {
		cut := MaxAttachmentText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// NewAttachment checks and describes an uploaded file, reading a PDF's
// text with pdf. Returns EINVALID or ETOOLARGE naming field "file".
func NewAttachment(ctx context.Context, name string, data []byte, maxBytes int64, pdf PDFReader) (*Attachment, error) {
	name = CleanFileName(name)
	ct, err := SniffAttachment(name, data, maxBytes)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &Attachment{Name: name, ContentType: ct, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Text: ExtractText(ctx, ct, data, pdf)}, nil
}
