package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The CSV import runner, shared by the portal's import pages and
// `orengen crm import`: a job's file is read twice, streamed (pass 1
// checks every row, pass 2 writes the good ones in batches of
// ImportBatchSize, one transaction each, the job's counts updated in the
// same transaction).

// MaxImportColumns is the widest CSV an import takes.
const MaxImportColumns = 200

// importMappingTTL is how long an upload waits for its mapping before its
// file is deleted.
const importMappingTTL = 24 * time.Hour

// ExpireImports deletes the files of the tenant's recent uploads that
// were never started within importMappingTTL and marks them failed.
func (s *CRMService) ExpireImports(ctx context.Context) error {
	imp := s.Imports
	if imp == nil {
		return nil
	}
	jobs, err := imp.FindImportJobs(ctx, 50)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Status != ImportMapping || time.Since(j.CreatedAt) < importMappingTTL {
			continue
		}
		if err := os.Remove(j.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove import file: %w", err)
		}
		j.Status, j.Error = ImportFailed, "Not started within a day; the file was deleted. Upload it again."
		if err := imp.UpdateImportJob(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return cr
}

// ReadCSVHeader reads the first row. Returns EINVALID when the file is
// empty, not CSV or too wide.
func ReadCSVHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open import file: %w", err)
	}
	defer f.Close()
	rec, err := newCSVReader(f).Read()
	if err != nil {
		return nil, FieldErrorf("file", "The file is empty or not CSV.")
	}
	if len(rec) > MaxImportColumns {
		return nil, FieldErrorf("file", "The file has %d columns; at most %d are accepted.", len(rec), MaxImportColumns)
	}
	out := make([]string, len(rec))
	for i, h := range rec {
		out[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	return out, nil
}

// LoadImportContext loads what building records needs.
func (s *CRMService) LoadImportContext(ctx context.Context, j *ImportJob) (*ImportContext, error) {
	ic := &ImportContext{Object: j.Object, Mapping: j.Mapping}
	var err error
	if ic.Custom, err = s.FindCustomFields(ctx, j.Object); err != nil {
		return nil, err
	}
	if j.Object == RecordDeal {
		if ic.Pipelines, err = s.Pipelines(ctx); err != nil {
			return nil, err
		}
	}
	return ic, nil
}

// EachCSVRow streams the data rows of the job's file to fn with their
// line numbers (the line a row starts on; the header is line 1). fn must
// copy the row if it keeps it. Stops at fn's error.
func EachCSVRow(path string, fn func(line int, row []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open import file: %w", err)
	}
	defer f.Close()
	r := newCSVReader(f)
	if _, err := r.Read(); err != nil {
		return FieldErrorf("file", "The file is empty or not CSV.")
	}
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return FieldErrorf("file", "Line %d is not valid CSV.", pe.StartLine)
			}
			return fmt.Errorf("read import file: %w", err)
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // blank line
		}
		if err := fn(line, row); err != nil {
			return err
		}
	}
}

// RunImport runs an import job to its end: pass 1 checks every row
// (reporting bad ones by line), pass 2 writes the good ones in batches
// of ImportBatchSize. If a row is bad and the job does not continue
// past bad rows, nothing is written. The job's file is removed at the
// end. The job ends done or failed (with Error); the returned error is
// only for the log.
func (s *CRMService) RunImport(ctx context.Context, j *ImportJob, ic *ImportContext) error {
	imp := s.Imports
	if imp == nil {
		return Errorf(ENOTFOUND, "Import is not available.")
	}
	defer os.Remove(j.Path)
	fail := func(msg string, cause error) error {
		j.Status, j.Error = ImportFailed, msg
		if err := imp.UpdateImportJob(context.WithoutCancel(ctx), j); err != nil {
			return fmt.Errorf("fail import job: %w", err)
		}
		if cause != nil && ErrorCode(cause) == EINTERNAL {
			return cause
		}
		return nil
	}
	var errs []ImportRowError
	flushErrs := func() error {
		if len(errs) == 0 {
			return nil
		}
		err := imp.AddImportErrors(ctx, j.ID, errs)
		errs = errs[:0]
		return err
	}
	report := func(line int, err error) error {
		j.Invalid++
		if j.Invalid <= MaxImportErrors {
			errs = append(errs, ImportRowError{Line: line, Field: ErrorField(err), Message: ErrorMessage(err)})
		}
		if len(errs) >= ImportBatchSize {
			return flushErrs()
		}
		return nil
	}
	// Pass 1: check every row.
	j.Rows, j.Invalid = 0, 0
	err := EachCSVRow(j.Path, func(line int, row []string) error {
		j.Rows++
		if _, err := ic.BuildImportRecord(line, row); err != nil {
			if err := report(line, err); err != nil {
				return err
			}
		}
		if j.Rows%(10*ImportBatchSize) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			return imp.UpdateImportJob(ctx, j)
		}
		return nil
	})
	if err == nil {
		err = flushErrs()
	}
	if err != nil {
		return fail(ImportFailMessage(err, j), err)
	}
	if j.Invalid > 0 && !j.Continue {
		return fail(fmt.Sprintf("%d of %d rows are invalid; nothing was imported. Fix them, or choose to continue past bad rows.", j.Invalid, j.Rows), nil)
	}
	// Pass 2: write the good rows, batch by batch.
	batch := make([]*ImportRecord, 0, ImportBatchSize)
	write := func() error {
		for len(batch) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			_, err := imp.ImportBatch(ctx, j, batch)
			if err == nil {
				batch = batch[:0]
				return nil
			}
			var be *BatchError
			if !errors.As(err, &be) || ErrorCode(err) == EINTERNAL {
				return err
			}
			if !j.Continue {
				return FieldErrorf(ErrorField(err), "Line %d: %s", batch[be.Index].Line, ErrorMessage(err))
			}
			// The store refused a record: report it and write the rest.
			if err := report(batch[be.Index].Line, be.Err); err != nil {
				return err
			}
			batch = append(batch[:be.Index], batch[be.Index+1:]...)
		}
		return nil
	}
	err = EachCSVRow(j.Path, func(line int, row []string) error {
		rec, err := ic.BuildImportRecord(line, row)
		if err != nil {
			return nil // reported in pass 1
		}
		if batch = append(batch, rec); len(batch) == ImportBatchSize {
			return write()
		}
		return nil
	})
	if err == nil {
		err = write()
	}
	if ferr := flushErrs(); err == nil {
		err = ferr
	}
	if err != nil {
		return fail(ImportFailMessage(err, j), err)
	}
	j.Status = ImportDone
	if err := imp.UpdateImportJob(context.WithoutCancel(ctx), j); err != nil {
		return fmt.Errorf("finish import job: %w", err)
	}
	return nil
}

// ImportFailMessage says why job j stopped on err, and what stays written.
func ImportFailMessage(err error, j *ImportJob) string {
	done := ""
	if n := j.Created + j.Updated; n > 0 {
		done = fmt.Sprintf(" %s written before it stopped stay.", Plural(n, "row", "rows"))
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "The import was stopped by a server shutdown or restart." + done
	case ErrorCode(err) == EINTERNAL:
		return "The import failed with an internal error." + done
	}
	return ErrorMessage(err) + done
}

// ImportFile imports a CSV file on disk for the tenant of ctx, with the
// columns mapped from its header (the CLI's path for files larger than a
// web upload may be). The file is copied into dir first (RunImport
// removes its copy). progress, if set, is called with the job as batches
// commit. Returns the finished job; its Status says whether it succeeded.
func (s *CRMService) ImportFile(ctx context.Context, dir, src, object, dedupe string, cont bool, progress func(*ImportJob)) (*ImportJob, error) {
	imp := s.Imports
	if imp == nil {
		return nil, Errorf(ENOTFOUND, "Import is not available.")
	}
	if k := KindOf(object); k == nil || k.Type != object {
		return nil, FieldErrorf("object", "Object must be person, company or deal.")
	}
	switch dedupe {
	case DedupeSkip, DedupeUpdate, DedupeCreate:
	default:
		return nil, FieldErrorf("dedupe", "Dedupe must be skip, update or create.")
	}
	in, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("import directory: %w", err)
	}
	dst, err := os.CreateTemp(dir, "import-*.csv")
	if err != nil {
		return nil, err
	}
	if _, err = io.Copy(dst, in); err == nil {
		err = dst.Close()
	}
	if err != nil {
		os.Remove(dst.Name())
		return nil, fmt.Errorf("copy %s: %w", src, err)
	}
	header, err := ReadCSVHeader(dst.Name())
	if err != nil {
		os.Remove(dst.Name())
		return nil, err
	}
	defs, err := s.FindCustomFields(ctx, object)
	if err != nil {
		return nil, err
	}
	j := &ImportJob{Object: object, FileName: filepath.Base(src), Path: dst.Name(), Header: header,
		Mapping: AutoMap(object, header, defs), Dedupe: dedupe, Continue: cont}
	if err := imp.CreateImportJob(ctx, j); err != nil {
		os.Remove(dst.Name())
		return nil, err
	}
	ic := &ImportContext{Object: object, Mapping: j.Mapping, Custom: defs}
	if object == RecordDeal {
		if ic.Pipelines, err = s.Pipelines(ctx); err != nil {
			return nil, err
		}
	}
	done := make(chan error, 1)
	run := *j
	go func() { done <- s.RunImport(ctx, &run, ic) }()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			final, ferr := imp.FindImportJob(context.WithoutCancel(ctx), j.ID)
			if ferr != nil {
				return nil, errors.Join(err, ferr)
			}
			return final, nil
		case <-tick.C:
			if progress != nil {
				if cur, err := imp.FindImportJob(ctx, j.ID); err == nil {
					progress(cur)
				}
			}
		}
	}
}
