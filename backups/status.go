package backups

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StatusFile is the name of the status file Replicate writes in the data
// directory.
const StatusFile = ".backups-status.json"

// StaleAfter is how old the status file may get before readers treat the
// replicator as not running.
const StaleAfter = 10 * time.Second

// ErrNoStatus is returned by ReadStatus when the replicator has not written a
// status file (not started yet, or backups are off).
var ErrNoStatus = errors.New("no backup status")

// Status is the replicator's view of every database and replica, written to
// DataDir/.backups-status.json every couple of seconds.
type Status struct {
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Stopped   bool      `json:"stopped,omitempty"` // written last on a clean stop
	Ready     bool      `json:"ready"`             // the first scan of the data dir is done
	// SyncIntervalSeconds is how often the WAL is read and shipped to the
	// primary replica (--backup-sync-interval).
	SyncIntervalSeconds float64 `json:"sync_interval_seconds"`

	// SyncSeq counts forced syncs (SyncNow); RestorePoints holds the result
	// of the last one.
	SyncSeq       int64          `json:"sync_seq"`
	RestorePoints []RestorePoint `json:"restore_points,omitempty"`

	Databases []DBStatus `json:"databases"`
}

// DBStatus is one replicated database.
type DBStatus struct {
	Name      string          `json:"name"` // e.g. "orengen.db"
	LocalTXID uint64          `json:"local_txid"`
	WALSize   int64           `json:"wal_size"`
	Replicas  []ReplicaStatus `json:"replicas"`
	// RPO: how long recent writes waited to reach the primary replica;
	// nil when nothing was written in the window.
	RPO *RPOStatus `json:"rpo,omitempty"`
}

// RPOStatus is the recovery point objective as observed: for each
// level-0 file uploaded to the primary in the last WindowSeconds, an upper
// bound of how long its oldest write waited between commit and upload;
// the percentiles weigh each file by its size (the writes it holds). A
// machine lost at once (no final sync) loses about that much of the most
// recent writes.
type RPOStatus struct {
	Uploads       int     `json:"uploads"`
	WindowSeconds float64 `json:"window_seconds"`
	P50Seconds    float64 `json:"p50_seconds"`
	P99Seconds    float64 `json:"p99_seconds"`
	MaxSeconds    float64 `json:"max_seconds"`
}

// ReplicaStatus is one database on one replica.
type ReplicaStatus struct {
	Name       string    `json:"name"`
	Target     string    `json:"target"` // redacted spec
	Primary    bool      `json:"primary,omitempty"`
	RemoteTXID uint64    `json:"remote_txid"`
	InSync     bool      `json:"in_sync"`
	LagSeconds float64   `json:"lag_seconds"`
	LastSyncAt time.Time `json:"last_sync_at,omitzero"`
	Size       int64     `json:"size"`      // bytes of LTX files; -1 until known
	Snapshots  int       `json:"snapshots"` // -1 until known
	LastError  string    `json:"last_error,omitempty"`
}

// RestorePoint is where a forced sync left a database: every transaction up
// to TXID is on the replicas named in Replicas.
type RestorePoint struct {
	DB       string    `json:"db"`
	TXID     uint64    `json:"txid"`
	Time     time.Time `json:"time"`
	Replicas []string  `json:"replicas"` // replicas that hold TXID
	Error    string    `json:"error,omitempty"`
}

// TXIDString formats the TXID the way Litestream names its files.
func (p RestorePoint) TXIDString() string { return fmt.Sprintf("%016x", p.TXID) }

// MaxLag returns the largest replication lag over every database and
// replica. A status file older than StaleAfter means the replicator is not
// updating it, so its age is added: the lag is then unknown but at least
// that.
func (s Status) MaxLag() time.Duration {
	var maxLag float64
	for _, db := range s.Databases {
		for _, r := range db.Replicas {
			if r.LagSeconds > maxLag {
				maxLag = r.LagSeconds
			}
		}
	}
	lag := time.Duration(maxLag * float64(time.Second))
	if age := time.Since(s.UpdatedAt); !s.UpdatedAt.IsZero() && age > StaleAfter && !s.Stopped {
		lag += age
	}
	return lag
}

// Stale reports whether the replicator stopped updating the status file.
func (s Status) Stale() bool { return s.Stopped || time.Since(s.UpdatedAt) > StaleAfter }

// Errors returns "db/replica: error" for every replica with a last error.
func (s Status) Errors() []string {
	var out []string
	for _, db := range s.Databases {
		for _, r := range db.Replicas {
			if r.LastError != "" {
				out = append(out, db.Name+"/"+r.Name+": "+r.LastError)
			}
		}
	}
	return out
}

// ReadStatus reads the status file the replicator writes in dataDir.
func ReadStatus(dataDir string) (Status, error) {
	var st Status
	b, err := os.ReadFile(filepath.Join(dataDir, StatusFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, ErrNoStatus
	} else if err != nil {
		return st, fmt.Errorf("read backup status: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("parse backup status: %w", err)
	}
	return st, nil
}

// writeStatus writes the status file atomically (temp file + rename).
func writeStatus(dataDir string, st Status) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dataDir, StatusFile+".tmp*")
	if err != nil {
		return fmt.Errorf("write backup status: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("write backup status: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write backup status: %w", err)
	}
	// Owner-only, like the databases: it names the replicas and their
	// last errors.
	if err := os.Chmod(f.Name(), 0o600); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write backup status: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dataDir, StatusFile)); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write backup status: %w", err)
	}
	return nil
}
