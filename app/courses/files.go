package courses

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/wiki"
)

// Lesson files: an uploaded video (one per lesson, played in the page
// with range requests) and downloadable files. What a file is, is decided
// by its content (the WHATWG sniffing of http.DetectContentType), never
// by its name or the browser's Content-Type.

// Lesson file kinds.
const (
	FileVideo    = "video"
	FileDownload = "download"
)

// Lesson file limits (Service.MaxVideoBytes and MaxFileBytes override the
// caps).
const (
	// DefaultMaxVideoBytes is the largest video a lesson takes: the bytes
	// are written in one transaction (nothing half-written), which holds
	// the write lock for the time it takes to copy them.
	DefaultMaxVideoBytes = 512 << 20
	DefaultMaxFileBytes  = 50 << 20
	MaxLessonFiles       = 20 // downloads per lesson
)

// VideoTypes are the video formats browsers play in a <video> element.
var VideoTypes = map[string]string{"video/mp4": "an MP4 video", "video/webm": "a WebM video"}

// AcceptedVideos is the list of accepted video kinds, for forms and
// errors.
const AcceptedVideos = "MP4 (H.264) or WebM"

// LessonFile is a file of a lesson (its bytes are in the store).
type LessonFile struct {
	ID          int64
	TenantID    int64
	CourseID    int64
	LessonID    int64
	Kind        string
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	CreatedAt   time.Time
}

// IsVideo reports whether the file is the lesson's video.
func (f *LessonFile) IsVideo() bool { return f.Kind == FileVideo }

// SizeText is the size for people ("12.5 MiB").
func (f *LessonFile) SizeText() string { return app.FormatBytes(f.Size) }

// FileStore persists lesson files. Methods take the tenant from ctx and
// answer ENOTFOUND for another tenant's rows.
type FileStore interface {
	// AddLessonFile stores f (its lesson must be the course's and the
	// tenant's) with size bytes read from r in one transaction, filling
	// ID, SHA256 and CreatedAt; a video replaces the lesson's video.
	AddLessonFile(ctx context.Context, f *LessonFile, r io.Reader) error
	// FindLessonFiles lists a lesson's files, the video first.
	FindLessonFiles(ctx context.Context, lessonID int64) ([]*LessonFile, error)
	FindLessonFile(ctx context.Context, id int64) (*LessonFile, error)
	// OpenLessonFile returns a file and its bytes, read from the store
	// as they are read (seekable, for range requests).
	OpenLessonFile(ctx context.Context, id int64) (*LessonFile, io.ReadSeeker, error)
	DeleteLessonFile(ctx context.Context, lessonID, id int64) error
}

func (s *Service) maxVideo() int64 {
	if s.MaxVideoBytes > 0 {
		return s.MaxVideoBytes
	}
	return DefaultMaxVideoBytes
}

func (s *Service) maxFile() int64 {
	if s.MaxFileBytes > 0 {
		return s.MaxFileBytes
	}
	return DefaultMaxFileBytes
}

// MaxUpload is the cap of a kind of lesson file (0 for an unknown kind).
func (s *Service) MaxUpload(kind string) int64 {
	switch kind {
	case FileVideo:
		return s.maxVideo()
	case FileDownload:
		return s.maxFile()
	}
	return 0
}

// CheckFileKind returns EINVALID (field kind) unless kind is a lesson
// file kind.
func CheckFileKind(kind string) error {
	if kind != FileVideo && kind != FileDownload {
		return app.FieldErrorf("kind", "Kind must be %q or %q.", FileVideo, FileDownload)
	}
	return nil
}

// SniffVideo decides a video's type from its first bytes: MP4 or WebM,
// else EINVALID (field file) saying what the file is instead.
func SniffVideo(name string, head []byte) (string, error) {
	got, _, _ := strings.Cut(http.DetectContentType(head), ";")
	if _, ok := VideoTypes[got]; ok {
		return got, nil
	}
	what := "of another kind (" + got + ")"
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		what = "an MP4/QuickTime container with a codec brand browsers may not play (" + strings.TrimSpace(string(head[8:12])) + ")"
	case strings.HasPrefix(got, "video/") || strings.HasPrefix(got, "audio/"):
		what = "a " + got + " file"
	}
	return "", app.FieldErrorf("file", "%s is not a video browsers play: its content is %s. Upload %s.", name, what, AcceptedVideos)
}

// uploadCheck validates a lesson file before any byte is stored: the
// kind, the cap and the content type (from head for a video, from the
// whole file for a download). Returns EINVALID or ETOOLARGE.
func (s *Service) uploadCheck(kind, name string, size int64, content io.ReadSeeker) (string, error) {
	if err := CheckFileKind(kind); err != nil {
		return "", err
	}
	if size <= 0 {
		return "", app.FieldErrorf("file", "%s is empty.", name)
	}
	if max := s.MaxUpload(kind); size > max {
		what := "Downloads"
		if kind == FileVideo {
			what = "Lesson videos"
		}
		return "", &app.Error{Code: app.ETOOLARGE, Field: "file", Message: fmt.Sprintf("%s is %s; %s may be at most %s.", name, app.FormatBytes(size), strings.ToLower(what[:1])+what[1:], app.FormatBytes(max))}
	}
	if kind == FileVideo {
		head := make([]byte, 512)
		n, err := io.ReadFull(content, head)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return "", fmt.Errorf("read upload: %w", err)
		}
		if _, err := content.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("rewind upload: %w", err)
		}
		if strings.ToLower(path.Ext(name)) != ".mp4" && strings.ToLower(path.Ext(name)) != ".webm" && strings.ToLower(path.Ext(name)) != ".m4v" {
			return "", app.FieldErrorf("file", "%s: a lesson video must be a .mp4 or .webm file (%s).", name, AcceptedVideos)
		}
		return SniffVideo(name, head[:n])
	}
	data, err := io.ReadAll(io.LimitReader(content, size+1))
	if err != nil {
		return "", fmt.Errorf("read upload: %w", err)
	}
	if _, err := content.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("rewind upload: %w", err)
	}
	return wiki.SniffAttachment(name, data, s.maxFile())
}

// AddLessonFile stores an uploaded file of a course's lesson (staff): a
// video replaces the lesson's earlier video; downloads are listed under
// the lesson. content is read from its start; size is its length.
// Returns EINVALID (kind, file) or ETOOLARGE with a message saying why,
// ENOTFOUND for another tenant's lesson.
func (s *Service) AddLessonFile(ctx context.Context, courseID, lessonID int64, kind, name string, size int64, content io.ReadSeeker) (*LessonFile, error) {
	l, err := s.Lesson(ctx, courseID, lessonID)
	if err != nil {
		return nil, err
	}
	name = wiki.CleanFileName(name)
	if name == "" {
		name = "file"
	}
	ct, err := s.uploadCheck(kind, name, size, content)
	if err != nil {
		return nil, err
	}
	if kind == FileDownload {
		fs, err := s.stores.Files.FindLessonFiles(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, f := range fs {
			if !f.IsVideo() {
				n++
			}
		}
		if n >= MaxLessonFiles {
			return nil, app.FieldErrorf("file", "A lesson has at most %d files: delete one first.", MaxLessonFiles)
		}
	}
	f := &LessonFile{CourseID: l.CourseID, LessonID: l.ID, Kind: kind, Name: name, ContentType: ct, Size: size}
	// Exactly size bytes: a short file is an error, a longer one is cut
	// (the size was checked against the cap).
	if err := s.stores.Files.AddLessonFile(ctx, f, &exactReader{r: content, left: size}); err != nil {
		return nil, err
	}
	return f, nil
}

// exactReader reads exactly left bytes from r (io.ErrUnexpectedEOF if r
// ends sooner).
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// AddLessonFileBytes is AddLessonFile for a file held in memory.
func (s *Service) AddLessonFileBytes(ctx context.Context, courseID, lessonID int64, kind, name string, data []byte) (*LessonFile, error) {
	return s.AddLessonFile(ctx, courseID, lessonID, kind, name, int64(len(data)), bytes.NewReader(data))
}

// LessonFiles lists a course lesson's files (staff). Returns ENOTFOUND.
func (s *Service) LessonFiles(ctx context.Context, courseID, lessonID int64) ([]*LessonFile, error) {
	l, err := s.Lesson(ctx, courseID, lessonID)
	if err != nil {
		return nil, err
	}
	return s.stores.Files.FindLessonFiles(ctx, l.ID)
}

// DeleteLessonFile removes a file of a course's lesson (staff). Returns
// ENOTFOUND.
func (s *Service) DeleteLessonFile(ctx context.Context, courseID, lessonID, fileID int64) (*LessonFile, error) {
	l, err := s.Lesson(ctx, courseID, lessonID)
	if err != nil {
		return nil, err
	}
	f, err := s.stores.Files.FindLessonFile(ctx, fileID)
	if err != nil || f.LessonID != l.ID {
		return nil, app.Errorf(app.ENOTFOUND, "File not found.")
	}
	return f, s.stores.Files.DeleteLessonFile(ctx, l.ID, f.ID)
}

// MemberFile opens a lesson file for a member: only while the member
// may open its lesson (enrolled, access not ended, not locked by drip or
// a prerequisite). Viewing a file records nothing. Returns ENOTFOUND,
// ErrNotEnrolled or a *LockedError.
func (s *Service) MemberFile(ctx context.Context, m *Member, fileID int64) (*LessonFile, io.ReadSeeker, error) {
	if m == nil {
		return nil, nil, app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	f, err := s.stores.Files.FindLessonFile(ctx, fileID)
	if err != nil {
		return nil, nil, err
	}
	mc, err := s.MemberCourse(ctx, m, f.CourseID)
	if err != nil {
		return nil, nil, err
	}
	ls := mc.Find(f.LessonID)
	if ls == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "File not found.")
	}
	if ls.Lock != nil {
		return nil, nil, &LockedError{Lock: ls.Lock}
	}
	return s.stores.Files.OpenLessonFile(ctx, f.ID)
}
