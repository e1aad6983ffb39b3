package courses

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// Lesson files: the staff uploads a lesson's video and downloadable
// files from the lesson editor, in chunks (assets/static/js/upload.js,
// web.Uploads) up to the service's caps, or whole without JavaScript (up
// to the body limit); members with access to the lesson get them at
// /learn/files/:id, a video with range requests.

// fileUploadKind marks chunked uploads meant for a lesson's files, so an
// upload started for one lesson (or feature) is never finished as
// another.
func fileUploadKind(lessonID int64, kind string) string {
	return "course-lesson:" + strconv.FormatInt(lessonID, 10) + ":" + kind
}

func (s *Handler) chunked() *web.Uploads {
	s.uploadsOnce.Do(func() { s.uploads = &web.Uploads{Root: filepath.Join(s.UploadDir, "uploads")} })
	return s.uploads
}

func (s *Handler) mountFiles(r fiber.Router, csrf fiber.Handler) {
	r.Post("/courses/:id/lessons/:lesson/files", csrf, s.handleFileAdd)
	r.Post("/courses/:id/lessons/:lesson/files/upload", csrf, s.handleFileUploadCreate)
	r.Post("/courses/:id/lessons/:lesson/files/upload/:upload", csrf, s.handleFileUploadChunk)
	r.Post("/courses/:id/lessons/:lesson/files/upload/:upload/finish", csrf, s.handleFileUploadFinish)
	r.Post("/courses/:id/lessons/:lesson/files/:file/delete", csrf, s.handleFileDelete)
}

func lessonEditURL(courseID, lessonID int64) string {
	return fmt.Sprintf("/courses/%d/lessons/%d", courseID, lessonID)
}

func fileDone(f *courses.LessonFile) string {
	if f.IsVideo() {
		return "Video uploaded: " + f.Name + " (" + f.SizeText() + "). Members see it on the lesson page."
	}
	return "File added: " + f.Name + " (" + f.SizeText() + "). Members can download it from the lesson page."
}

// handleFileAdd takes a file posted whole (the form without JavaScript).
func (s *Handler) handleFileAdd(c *fiber.Ctx) error {
	id, l, err := s.lessonParams(c)
	if err != nil {
		return err
	}
	kind := utils.CopyString(c.FormValue("kind"))
	fh, ferr := c.FormFile("file")
	var f *courses.LessonFile
	if ferr != nil {
		err = app.FieldErrorf("file", "Choose a file to upload.")
	} else if src, oerr := fh.Open(); oerr != nil {
		return oerr
	} else {
		f, err = s.Courses.AddLessonFile(c.UserContext(), id, l.ID, kind, utils.CopyString(fh.Filename), fh.Size, src)
		src.Close()
	}
	if err != nil {
		if code := app.ErrorCode(err); code != app.EINVALID && code != app.ETOOLARGE {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		if app.ErrorCode(err) == app.ETOOLARGE {
			c.Status(fiber.StatusRequestEntityTooLarge)
		}
		return s.renderLessonEdit(c, id, &lessonEditPage{Lesson: l, FileError: app.ErrorMessage(err)})
	}
	s.SetFlash(c, "ok", fileDone(f))
	return c.Redirect(lessonEditURL(id, l.ID)+"#files", fiber.StatusSeeOther)
}

func (s *Handler) handleFileUploadCreate(c *fiber.Ctx) error {
	id, l, err := s.lessonParams(c)
	if err != nil {
		return web.UploadJSONError(c, err)
	}
	_ = id
	kind := utils.CopyString(c.FormValue("kind"))
	if err := courses.CheckFileKind(kind); err != nil {
		return web.UploadJSONError(c, err)
	}
	return s.chunked().Create(c, fileUploadKind(l.ID, kind), s.Courses.MaxUpload(kind))
}

func (s *Handler) handleFileUploadChunk(c *fiber.Ctx) error {
	if _, _, err := s.lessonParams(c); err != nil {
		return web.UploadJSONError(c, err)
	}
	return s.chunked().HandleChunk(c)
}

func (s *Handler) handleFileUploadFinish(c *fiber.Ctx) error {
	id, l, err := s.lessonParams(c)
	if err != nil {
		return web.UploadJSONError(c, err)
	}
	prefix := fileUploadKind(l.ID, "")
	return s.chunked().Take(c, func(k string) bool { return strings.HasPrefix(k, prefix) }, func(m web.UploadMeta, path string) (fiber.Map, error) {
		src, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open upload: %w", err)
		}
		defer src.Close()
		f, err := s.Courses.AddLessonFile(c.UserContext(), id, l.ID, strings.TrimPrefix(m.Kind, prefix), m.FileName, m.Size, src)
		if err != nil {
			return nil, err
		}
		s.SetFlash(c, "ok", fileDone(f))
		return fiber.Map{"location": lessonEditURL(id, l.ID) + "#files", "file_id": f.ID}, nil
	})
}

func (s *Handler) handleFileDelete(c *fiber.Ctx) error {
	id, l, err := s.lessonParams(c)
	if err != nil {
		return err
	}
	fid, err := web.ParamID(c, "file")
	if err != nil {
		return err
	}
	f, err := s.Courses.DeleteLessonFile(c.UserContext(), id, l.ID, fid)
	if err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Deleted "+f.Name+".")
	return c.Redirect(lessonEditURL(id, l.ID)+"#files", fiber.StatusSeeOther)
}

// handleMemberFile serves a lesson's file to a member who may open the
// lesson: the video inline with range requests, other files as
// downloads. A locked lesson's file is 403 with the lesson's message.
func (s *Handler) handleMemberFile(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	f, body, err := s.Courses.MemberFile(c.UserContext(), member(c), id)
	if err != nil {
		return err
	}
	return web.ServeContent(c, web.Content{Name: f.Name, ContentType: f.ContentType, Size: f.Size, ETag: `"` + f.SHA256 + `"`,
		Modified: f.CreatedAt, Inline: f.IsVideo(), Cache: "private, max-age=300"}, body)
}
