package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"orengen/app"
	"orengen/app/courses"
)

// Lesson files (#24): the bytes in chunks of fileChunk in
// course_lesson_file_chunks, so a range request reads only the chunks it
// covers.

const fileChunk = 1 << 20

var _ courses.FileStore = (*CourseStore)(nil)

const lessonFileCols = `id, tenant_id, course_id, lesson_id, kind, name, content_type, size, sha256, created_at`

func scanLessonFile(r scanner) (*courses.LessonFile, error) {
	var f courses.LessonFile
	if err := r.Scan(&f.ID, &f.TenantID, &f.CourseID, &f.LessonID, &f.Kind, &f.Name, &f.ContentType, &f.Size, &f.SHA256, Time{&f.CreatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "File not found.")
		}
		return nil, err
	}
	return &f, nil
}

// AddLessonFile implements courses.FileStore: the file row, then its
// chunks, in one transaction (a failed copy leaves nothing).
func (s *CourseStore) AddLessonFile(ctx context.Context, f *courses.LessonFile, r io.Reader) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if f.Kind == courses.FileVideo {
			if _, err := tx.ExecContext(ctx, `DELETE FROM course_lesson_files WHERE lesson_id = ? AND tenant_id = ? AND kind = 'video'`, f.LessonID, tid); err != nil {
				return fmt.Errorf("replace video: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO course_lesson_files (tenant_id, course_id, lesson_id, kind, name, content_type, size, sha256, created_at)
			SELECT tenant_id, course_id, id, ?, ?, ?, ?, '', ? FROM course_lessons WHERE id = ? AND course_id = ? AND tenant_id = ?`,
			f.Kind, f.Name, f.ContentType, f.Size, FormatTime(tx.now), f.LessonID, f.CourseID, tid)
		if err != nil {
			return FormatError(err, "File exists.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Lesson not found.")
		}
		f.ID, _ = res.LastInsertId()
		h := sha256.New()
		buf := make([]byte, fileChunk)
		var total int64
		for seq := 0; ; seq++ {
			n, rerr := io.ReadFull(r, buf)
			if n > 0 {
				h.Write(buf[:n])
				if _, err := tx.ExecContext(ctx, `INSERT INTO course_lesson_file_chunks (file_id, seq, data) VALUES (?, ?, ?)`, f.ID, seq, buf[:n]); err != nil {
					return fmt.Errorf("store file chunk: %w", err)
				}
				total += int64(n)
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break // a short file is refused below
			}
			if rerr != nil {
				return fmt.Errorf("read file: %w", rerr)
			}
		}
		if total != f.Size {
			return app.FieldErrorf("file", "The file has %d bytes, not the %d announced.", total, f.Size)
		}
		f.SHA256 = hex.EncodeToString(h.Sum(nil))
		f.TenantID, f.CreatedAt = tid, tx.now
		_, err = tx.ExecContext(ctx, `UPDATE course_lesson_files SET sha256 = ? WHERE id = ?`, f.SHA256, f.ID)
		return err
	})
}

// FindLessonFiles implements courses.FileStore.
func (s *CourseStore) FindLessonFiles(ctx context.Context, lessonID int64) ([]*courses.LessonFile, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+lessonFileCols+` FROM course_lesson_files WHERE lesson_id = ? AND tenant_id = ?
		ORDER BY kind = 'video' DESC, id`, lessonID, tid)
	if err != nil {
		return nil, fmt.Errorf("lesson files: %w", err)
	}
	defer rows.Close()
	var out []*courses.LessonFile
	for rows.Next() {
		f, err := scanLessonFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FindLessonFile implements courses.FileStore.
func (s *CourseStore) FindLessonFile(ctx context.Context, id int64) (*courses.LessonFile, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanLessonFile(s.db.read.QueryRowContext(ctx, `SELECT `+lessonFileCols+` FROM course_lesson_files WHERE id = ? AND tenant_id = ?`, id, tid))
}

// OpenLessonFile implements courses.FileStore. The reader reads a chunk
// at a time from the read pool, with a context of its own (the bytes are
// sent after the handler returns) bounded per chunk.
func (s *CourseStore) OpenLessonFile(ctx context.Context, id int64) (*courses.LessonFile, io.ReadSeeker, error) {
	f, err := s.FindLessonFile(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return f, &chunkReader{db: s.db.read, fileID: f.ID, size: f.Size, cur: -1}, nil
}

// DeleteLessonFile implements courses.FileStore (its chunks go with it).
func (s *CourseStore) DeleteLessonFile(ctx context.Context, lessonID, id int64) error {
	return s.exec(ctx, "File not found.", `DELETE FROM course_lesson_files WHERE id = ? AND lesson_id = ? AND tenant_id = ?`, id, lessonID)
}

// chunkReader reads a stored file as an io.ReadSeeker, one chunk query
// per chunk it enters.
type chunkReader struct {
	db     *sql.DB
	fileID int64
	size   int64
	off    int64
	cur    int64 // the chunk in buf (-1: none)
	buf    []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	seq := r.off / fileChunk
	if seq != r.cur {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.db.QueryRowContext(ctx, `SELECT data FROM course_lesson_file_chunks WHERE file_id = ? AND seq = ?`, r.fileID, seq).Scan(&r.buf)
		cancel()
		if err != nil {
			r.cur = -1
			return 0, fmt.Errorf("read file %d chunk %d: %w", r.fileID, seq, err)
		}
		r.cur = seq
	}
	in := r.off - seq*fileChunk
	if in >= int64(len(r.buf)) {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.buf[in:])
	r.off += int64(n)
	return n, nil
}

func (r *chunkReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	r.off = offset
	return offset, nil
}
