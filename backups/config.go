package backups

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults for Config.
//
// Monitor and sync intervals of 500 ms put a committed write on the primary
// replica 0.5-1 s after commit on average (the WAL is read every
// MonitorInterval, new LTX files are shipped every SyncInterval), inside the
// issue's "about a second". Each interval only costs work when something was
// written. The primary is normally the local file replica, so the short
// interval is free; secondary replicas (S3, SFTP) are mirrored every
// MirrorInterval (1 s), which bounds request costs on object storage to about
// one PUT per second per database under continuous writes.
const (
	DefaultRetention          = 720 * time.Hour // 30 days of point-in-time history
	DefaultSnapshotInterval   = 24 * time.Hour
	DefaultSyncInterval       = 500 * time.Millisecond
	DefaultMonitorInterval    = 500 * time.Millisecond
	DefaultMirrorInterval     = 1 * time.Second
	DefaultMinCheckpointPageN = 1000 // Litestream's default: ~4 MB of WAL between checkpoints
	DefaultCheckpointInterval = 1 * time.Minute
	DefaultShutdownTimeout    = 10 * time.Second
	DefaultScanInterval       = 10 * time.Second
	DefaultStatusInterval     = 2 * time.Second
	DefaultLockWait           = 15 * time.Second

	// DefaultStopTimeout is what serve should give Supervisor.Stop: the
	// child's shutdown bound plus margin for closing the store.
	DefaultStopTimeout = DefaultShutdownTimeout + 10*time.Second
)

// DefaultCompactionIntervals are Litestream's default L1, L2 and L3 intervals.
// Point-in-time restores are exact to the transaction for the last
// L0 retention window (5 minutes) and to the L1 interval (30 s) back to the
// oldest retained snapshot.
var DefaultCompactionIntervals = []time.Duration{30 * time.Second, 5 * time.Minute, time.Hour}

// Config configures Replicate.
type Config struct {
	DataDir  string    // every *.db file in it is replicated
	Replicas []Replica // the first is the primary; the others mirror it

	Retention           time.Duration   // how long snapshots (and the history they anchor) are kept
	SnapshotInterval    time.Duration   // how often a full snapshot is written
	SyncInterval        time.Duration   // primary replica upload interval
	MonitorInterval     time.Duration   // how often the WAL is read into LTX files
	MirrorInterval      time.Duration   // how often secondary replicas are brought up to date
	MinCheckpointPageN  int             // PASSIVE checkpoint once the WAL has this many pages
	CheckpointInterval  time.Duration   // and at least this often
	CompactionIntervals []time.Duration // L1, L2, ... compaction intervals
	ShutdownTimeout     time.Duration   // bound for the final sync on stop
	ScanInterval        time.Duration   // how often DataDir is rescanned for new *.db files
	StatusInterval      time.Duration   // how often the status file is written
	LockWait            time.Duration   // how long to wait for another replicator's lock at start

	Logger *slog.Logger
}

// DefaultConfig returns a Config with every default set.
func DefaultConfig(dataDir string, replicas []Replica) Config {
	return Config{
		DataDir:             dataDir,
		Replicas:            replicas,
		Retention:           DefaultRetention,
		SnapshotInterval:    DefaultSnapshotInterval,
		SyncInterval:        DefaultSyncInterval,
		MonitorInterval:     DefaultMonitorInterval,
		MirrorInterval:      DefaultMirrorInterval,
		MinCheckpointPageN:  DefaultMinCheckpointPageN,
		CheckpointInterval:  DefaultCheckpointInterval,
		CompactionIntervals: DefaultCompactionIntervals,
		ShutdownTimeout:     DefaultShutdownTimeout,
		ScanInterval:        DefaultScanInterval,
		StatusInterval:      DefaultStatusInterval,
		LockWait:            DefaultLockWait,
	}
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig(c.DataDir, c.Replicas)
	set := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	set(&c.Retention, d.Retention)
	set(&c.SnapshotInterval, d.SnapshotInterval)
	set(&c.SyncInterval, d.SyncInterval)
	set(&c.MonitorInterval, d.MonitorInterval)
	set(&c.MirrorInterval, d.MirrorInterval)
	set(&c.CheckpointInterval, d.CheckpointInterval)
	set(&c.ShutdownTimeout, d.ShutdownTimeout)
	set(&c.ScanInterval, d.ScanInterval)
	set(&c.StatusInterval, d.StatusInterval)
	set(&c.LockWait, d.LockWait)
	if c.MinCheckpointPageN == 0 {
		c.MinCheckpointPageN = d.MinCheckpointPageN
	}
	if len(c.CompactionIntervals) == 0 {
		c.CompactionIntervals = d.CompactionIntervals
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.DataDir == "":
		return c, fmt.Errorf("data dir required")
	case len(c.Replicas) == 0:
		return c, fmt.Errorf("at least one replica required")
	case c.MinCheckpointPageN < 0:
		return c, fmt.Errorf("min checkpoint pages: must be positive")
	}
	for name, v := range map[string]time.Duration{
		"retention": c.Retention, "snapshot interval": c.SnapshotInterval, "sync interval": c.SyncInterval,
		"monitor interval": c.MonitorInterval, "mirror interval": c.MirrorInterval, "checkpoint interval": c.CheckpointInterval,
		"shutdown timeout": c.ShutdownTimeout, "scan interval": c.ScanInterval, "status interval": c.StatusInterval, "lock wait": c.LockWait,
	} {
		if v < 0 {
			return c, fmt.Errorf("%s: must be positive", name)
		}
	}
	for i, v := range c.CompactionIntervals {
		if v <= 0 {
			return c, fmt.Errorf("compaction interval L%d: must be positive", i+1)
		}
	}
	if c.Retention < c.SnapshotInterval {
		return c, fmt.Errorf("retention (%s) must be at least the snapshot interval (%s)", c.Retention, c.SnapshotInterval)
	}
	return c, nil
}
