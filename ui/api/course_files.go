package api

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app/courses"
	"orengen/ui/web"
)

// Lesson files API (#24): a lesson's uploaded video and downloadable
// files, uploaded in chunks as the lesson editor does (web.Uploads):
//  1. POST /courses/{id}/lessons/{lesson}/uploads?kind=video|download&name=FILE&size=BYTES -> {"id", "chunk_size"}
//  2. POST /courses/{id}/lessons/{lesson}/uploads/{upload}?offset=N, the raw chunk
//  3. POST /courses/{id}/lessons/{lesson}/uploads/{upload}/finish -> 201 {"data": the file}
// The size cap and the content check (MP4 or WebM for a video) answer
// 413 or 422 with the reason.

func (s *Handler) registerCourseFileAPIRoutes(api fiber.Router) {
	api.Get("/courses/:id/lessons/:lesson/files", s.apiLessonFiles)
	api.Post("/courses/:id/lessons/:lesson/uploads", web.RequireWriteKey, s.apiLessonFileScope(func(c *fiber.Ctx, lessonID int64) error {
		kind := utils.CopyString(c.FormValue("kind"))
		if err := courses.CheckFileKind(kind); err != nil {
			return web.UploadJSONError(c, err)
		}
		return s.courseUploads().Create(c, "course-lesson-api:"+fmt.Sprint(lessonID)+":"+kind, s.Courses.MaxUpload(kind))
	}))
	api.Post("/courses/:id/lessons/:lesson/uploads/:upload", web.RequireWriteKey, s.apiLessonFileScope(func(c *fiber.Ctx, _ int64) error {
		return s.courseUploads().HandleChunk(c)
	}))
	api.Post("/courses/:id/lessons/:lesson/uploads/:upload/finish", web.RequireWriteKey, s.apiLessonFileFinish)
	api.Delete("/courses/:id/lessons/:lesson/files/:file", web.RequireWriteKey, s.apiLessonFileDelete)
}

// courseUploadDirs holds one web.Uploads per upload directory.
var courseUploadDirs sync.Map

func (s *Handler) courseUploads() *web.Uploads {
	u, _ := courseUploadDirs.LoadOrStore(s.CourseUploadDir, &web.Uploads{Root: filepath.Join(s.CourseUploadDir, "uploads")})
	return u.(*web.Uploads)
}

type apiLessonFile struct {
	ID          int64     `json:"id"`
	LessonID    int64     `json:"lesson_id"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	URL         string    `json:"url"` // for members, on the tenant's host
	CreatedAt   time.Time `json:"created_at"`
}

func toAPILessonFile(f *courses.LessonFile) apiLessonFile {
	return apiLessonFile{f.ID, f.LessonID, f.Kind, f.Name, f.ContentType, f.Size, f.SHA256, fmt.Sprintf("/learn/files/%d", f.ID), f.CreatedAt}
}

// apiLesson resolves {id} and {lesson} to the tenant's lesson.
func (s *Handler) apiLessonParams(c *fiber.Ctx) (context.Context, int64, int64, error) {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return nil, 0, 0, err
	}
	lid, err := web.ParamID(c, "lesson")
	if err != nil {
		return nil, 0, 0, err
	}
	l, err := s.Courses.Lesson(ctx, id, lid)
	if err != nil {
		return nil, 0, 0, err
	}
	return ctx, id, l.ID, nil
}

// apiLessonFileScope runs an upload step in the lesson's tenant (an
// admin key's ?tenant=), answering errors as JSON.
func (s *Handler) apiLessonFileScope(h func(c *fiber.Ctx, lessonID int64) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, _, lid, err := s.apiLessonParams(c)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		c.SetUserContext(ctx)
		return h(c, lid)
	}
}

func (s *Handler) apiLessonFiles(c *fiber.Ctx) error {
	ctx, id, lid, err := s.apiLessonParams(c)
	if err != nil {
		return err
	}
	fs, err := s.Courses.LessonFiles(ctx, id, lid)
	if err != nil {
		return err
	}
	out := make([]apiLessonFile, 0, len(fs))
	for _, f := range fs {
		out = append(out, toAPILessonFile(f))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

func (s *Handler) apiLessonFileFinish(c *fiber.Ctx) error {
	ctx, id, lid, err := s.apiLessonParams(c)
	if err != nil {
		return web.UploadJSONError(c, err)
	}
	c.SetUserContext(ctx)
	prefix := "course-lesson-api:" + fmt.Sprint(lid) + ":"
	var made *courses.LessonFile
	err = s.courseUploads().Take(c, func(k string) bool { return strings.HasPrefix(k, prefix) }, func(m web.UploadMeta, path string) (fiber.Map, error) {
		src, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open upload: %w", err)
		}
		defer src.Close()
		f, err := s.Courses.AddLessonFile(ctx, id, lid, strings.TrimPrefix(m.Kind, prefix), m.FileName, m.Size, src)
		if err != nil {
			return nil, err
		}
		made = f
		return fiber.Map{"data": toAPILessonFile(f)}, nil
	})
	if made != nil && err == nil {
		c.Status(fiber.StatusCreated)
	}
	return err
}

func (s *Handler) apiLessonFileDelete(c *fiber.Ctx) error {
	ctx, id, lid, err := s.apiLessonParams(c)
	if err != nil {
		return err
	}
	fid, err := web.ParamID(c, "file")
	if err != nil {
		return err
	}
	if _, err := s.Courses.DeleteLessonFile(ctx, id, lid, fid); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
