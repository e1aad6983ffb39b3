package inbox

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"strings"

	"orengen/app"
)

// MaxAttachment is the largest file of an email that is stored; a
// larger one is listed (name, type, size) with a note and stays in the
// mailbox.
const MaxAttachment = 10 << 20

// refusedExt are kinds never stored: programs and scripts a person could
// run by opening the download.
var refusedExt = map[string]bool{".exe": true, ".com": true, ".bat": true, ".cmd": true, ".scr": true, ".pif": true, ".msi": true, ".msp": true,
	".js": true, ".jse": true, ".vbs": true, ".vbe": true, ".wsf": true, ".wsh": true, ".ps1": true, ".jar": true, ".dll": true, ".cpl": true,
	".hta": true, ".lnk": true, ".reg": true, ".app": true, ".sh": true}

// KeepAttachment decides whether a file of an email is stored: within
// MaxAttachment (size is its whole size; data at most the cap) and not a
// program (by name, declared type, or its first bytes). The returned
// attachment says why not in Note.
func KeepAttachment(name, ctype string, size int64, data []byte) Attachment {
	name = strings.ToValidUTF8(strings.TrimSpace(name), "_")
	if name == "" {
		name = "attachment"
	}
	if len(name) > 200 {
		name = truncate(name, 200)
	}
	a := Attachment{Name: name, Type: strings.ToLower(ctype), Size: size}
	sniffed := http.DetectContentType(data)
	switch {
	case size > MaxAttachment:
		a.Note = fmt.Sprintf("over the %d MB limit: not stored here, kept in the mailbox", MaxAttachment>>20)
	case refusedExt[strings.ToLower(path.Ext(name))] || strings.Contains(a.Type, "msdownload") || strings.Contains(a.Type, "x-msdos-program") ||
		strings.HasPrefix(string(data), "MZ") || strings.HasPrefix(string(data), "\x7fELF"):
		a.Note = "a program or script: not stored, kept in the mailbox"
	case int64(len(data)) != size:
		a.Note = "incomplete: not stored"
	default:
		a.Stored, a.Data = true, data
		if a.Type == "" || a.Type == "application/octet-stream" {
			a.Type = strings.SplitN(sniffed, ";", 2)[0]
		}
	}
	return a
}

// Attachment returns a stored file of a conversation the caller may see,
// with its data. Returns ENOTFOUND for another tenant's or a file not
// stored.
func (s *Service) Attachment(ctx context.Context, convID, id int64) (*Attachment, error) {
	c, err := s.conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	return s.store.FindAttachment(ctx, c.TenantID, c.ID, id)
}

// MessageHTML returns an email's HTML as the thread's sandboxed frame
// shows it (DisplayHTML), with how many remote images were blocked.
// Returns ENOTFOUND for another tenant's message or one without HTML.
func (s *Service) MessageHTML(ctx context.Context, convID, msgID int64, images bool) (string, int, error) {
	ms, err := s.Messages(ctx, convID)
	if err != nil {
		return "", 0, err
	}
	for _, m := range ms {
		if m.ID == msgID && m.HTML != "" {
			doc, blocked := DisplayHTML(m.HTML, images)
			return doc, blocked, nil
		}
	}
	return "", 0, app.Errorf(app.ENOTFOUND, "Message not found.")
}
