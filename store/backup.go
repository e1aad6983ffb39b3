package store

import (
	"context"
	"fmt"
	"time"

	"orengen/app"
)

// BackupStore implements app.BackupStore.
type BackupStore struct{ db *DB }

var _ app.BackupStore = (*BackupStore)(nil)

// NewBackupStore returns a BackupStore on db.
func NewBackupStore(db *DB) *BackupStore { return &BackupStore{db: db} }

// CreateDrill records a drill that has started.
func (s *BackupStore) CreateDrill(ctx context.Context, d *app.BackupDrill) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var admin any
		if d.AdminID != 0 {
			admin = d.AdminID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO backup_drills (replica, db, status, started_at, admin_id) VALUES (?, ?, ?, ?, ?)`,
			d.Replica, d.DB, d.Status, FormatTime(d.StartedAt), admin)
		if err != nil {
			return err
		}
		d.ID, err = res.LastInsertId()
		return err
	})
}

// FinishDrill records a drill's result.
func (s *BackupStore) FinishDrill(ctx context.Context, d *app.BackupDrill) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var fin, pit any
		if d.FinishedAt != nil {
			fin = FormatTime(*d.FinishedAt)
		}
		if d.PointInTime != nil {
			pit = FormatTime(*d.PointInTime)
		}
		_, err := tx.ExecContext(ctx, `UPDATE backup_drills SET status = ?, finished_at = ?, duration_ms = ?, tables = ?, rows = ?, size = ?,
			integrity = ?, point_in_time = ?, error = ? WHERE id = ?`,
			d.Status, fin, d.Duration.Milliseconds(), d.Tables, d.Rows, d.Size, d.Integrity, pit, d.Error, d.ID)
		return err
	})
}

// FailRunningDrills marks drills that a stopped server left running.
func (s *BackupStore) FailRunningDrills(ctx context.Context, reason string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE backup_drills SET status = 'failed', error = ?, finished_at = ? WHERE status = 'running'`, reason, FormatTime(tx.now))
		return err
	})
}

// FindDrills returns the newest drills first.
func (s *BackupStore) FindDrills(ctx context.Context, limit int) ([]*app.BackupDrill, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, replica, db, status, started_at, finished_at, duration_ms, tables, rows, size, integrity, point_in_time, error, coalesce(admin_id, 0)
		FROM backup_drills ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("find drills: %w", err)
	}
	defer rows.Close()
	var out []*app.BackupDrill
	for rows.Next() {
		var d app.BackupDrill
		var fin, pit NullTime
		var ms int64
		if err := rows.Scan(&d.ID, &d.Replica, &d.DB, &d.Status, Time{&d.StartedAt}, &fin, &ms, &d.Tables, &d.Rows, &d.Size, &d.Integrity, &pit, &d.Error, &d.AdminID); err != nil {
			return nil, err
		}
		d.FinishedAt, d.PointInTime = fin.T, pit.T
		d.Duration = time.Duration(ms) * time.Millisecond
		out = append(out, &d)
	}
	return out, rows.Err()
}

// CreateRestorePoint records a restore point.
func (s *BackupStore) CreateRestorePoint(ctx context.Context, p *app.RestorePoint) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		p.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO restore_points (db, txid, point_time, replicas, from_version, to_version, migrations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.DB, p.TXID, FormatTime(p.Time), p.Replicas, p.FromVersion, p.ToVersion, p.Migrations, FormatTime(tx.now))
		if err != nil {
			return err
		}
		p.ID, err = res.LastInsertId()
		return err
	})
}

// FindRestorePoints returns the newest restore points first.
func (s *BackupStore) FindRestorePoints(ctx context.Context, limit int) ([]*app.RestorePoint, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, db, txid, point_time, replicas, from_version, to_version, migrations, created_at FROM restore_points ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("find restore points: %w", err)
	}
	defer rows.Close()
	var out []*app.RestorePoint
	for rows.Next() {
		var p app.RestorePoint
		if err := rows.Scan(&p.ID, &p.DB, &p.TXID, Time{&p.Time}, &p.Replicas, &p.FromVersion, &p.ToVersion, &p.Migrations, Time{&p.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}
