package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"orengen/backups"
	"orengen/store"
	"orengen/ui"
)

// wireOps gives the server its metrics (token, database pool and
// replication collectors) and a disk-space health check. runServe calls it
// once a.Server is built and before a.Server.Open.
func (a *App) wireOps() {
	met := a.Metrics
	met.Token = a.Config.MetricsToken
	met.Queues = store.NewQueues(a.DB)
	if err := met.Register(newPoolCollector(a.DB), newReplicationCollector(a.Config.DataDir), newWALCollector(a.DB.Path, a.KV.Path)); err != nil {
		panic(fmt.Sprintf("register metrics: %v", err)) // a duplicate name: a bug, not a runtime condition
	}
	a.Server.Metrics = met
	a.Server.Health = append(a.Server.Health, diskHealth(a.Config.DataDir))
}

// poolCollector reports orengen.db's connection pools (store.DB.Stats).
type poolCollector struct {
	db                                         *store.DB
	open, inUse, idle, waitCount, waitDuration *prometheus.Desc
	commits, writes, paced                     *prometheus.Desc
}

func newPoolCollector(db *store.DB) *poolCollector {
	l := []string{"pool"}
	return &poolCollector{
		db:           db,
		open:         prometheus.NewDesc("orengen_sqlite_open_connections", "Open connections of orengen.db's pools (write: one connection; read: the read pool).", l, nil),
		inUse:        prometheus.NewDesc("orengen_sqlite_in_use_connections", "Connections in use.", l, nil),
		idle:         prometheus.NewDesc("orengen_sqlite_idle_connections", "Idle connections.", l, nil),
		waitCount:    prometheus.NewDesc("orengen_sqlite_wait_count_total", "Times a caller waited for a connection of the pool.", l, nil),
		waitDuration: prometheus.NewDesc("orengen_sqlite_wait_duration_seconds_total", "Time callers spent waiting for a connection of the pool.", l, nil),
		commits:      prometheus.NewDesc("orengen_sqlite_group_commits_total", "Group commits: transactions that committed writes of several callers together.", nil, nil),
		writes:       prometheus.NewDesc("orengen_sqlite_group_writes_total", "Writes in group commits (divided by the commits: writes per commit).", nil, nil),
		paced:        prometheus.NewDesc("orengen_sqlite_group_paced_seconds_total", "Time group commits waited to gather writes while the writer was busy.", nil, nil),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.inUse, c.idle, c.waitCount, c.waitDuration, c.commits, c.writes, c.paced} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.db.GroupStats()
	ch <- prometheus.MustNewConstMetric(c.commits, prometheus.CounterValue, float64(g.Commits))
	ch <- prometheus.MustNewConstMetric(c.writes, prometheus.CounterValue, float64(g.Writes))
	ch <- prometheus.MustNewConstMetric(c.paced, prometheus.CounterValue, g.Paced.Seconds())
	w, r := c.db.Stats()
	for pool, st := range map[string]struct {
		open, inUse, idle int
		waits             int64
		waited            float64
	}{
		"write": {w.OpenConnections, w.InUse, w.Idle, w.WaitCount, w.WaitDuration.Seconds()},
		"read":  {r.OpenConnections, r.InUse, r.Idle, r.WaitCount, r.WaitDuration.Seconds()},
	} {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(st.open), pool)
		ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(st.inUse), pool)
		ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(st.idle), pool)
		ch <- prometheus.MustNewConstMetric(c.waitCount, prometheus.CounterValue, float64(st.waits), pool)
		ch <- prometheus.MustNewConstMetric(c.waitDuration, prometheus.CounterValue, st.waited, pool)
	}
}

// walCollector reports the size of each database's WAL. With a replica
// the replicator runs the checkpoints, so a WAL that keeps growing says
// the replicator is not checkpointing (serve truncates one past 1 GiB
// while no replicator runs: walValve).
type walCollector struct {
	paths []string
	size  *prometheus.Desc
}

func newWALCollector(paths ...string) *walCollector {
	return &walCollector{paths: paths, size: prometheus.NewDesc("orengen_sqlite_wal_bytes",
		"Size of the database's write-ahead log file (0 when there is none).", []string{"db"}, nil)}
}

func (c *walCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.size }

func (c *walCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.paths {
		var n int64
		if fi, err := os.Stat(p + "-wal"); err == nil {
			n = fi.Size()
		}
		ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(n), filepath.Base(p))
	}
}

// replicationCollector reads the replicator's status file at each scrape:
// lag and errors per database and replica, and whether the replicator is
// updating the file at all.
type replicationCollector struct {
	dataDir                    string
	up, lag, inSync, lastError *prometheus.Desc
	age                        *prometheus.Desc
}

func newReplicationCollector(dataDir string) *replicationCollector {
	l := []string{"db", "replica"}
	return &replicationCollector{
		dataDir:   dataDir,
		up:        prometheus.NewDesc("orengen_replication_up", "1 while the replicator child updates its status file, 0 when it is stale, stopped or missing.", nil, nil),
		age:       prometheus.NewDesc("orengen_replication_status_age_seconds", "Age of the replicator's status file.", nil, nil),
		lag:       prometheus.NewDesc("orengen_replication_lag_seconds", "How far a replica is behind its database (0 when in sync).", l, nil),
		inSync:    prometheus.NewDesc("orengen_replication_in_sync", "1 when the replica holds the database's latest transaction.", l, nil),
		lastError: prometheus.NewDesc("orengen_replication_error", "1 while the replica's last operation failed.", l, nil),
	}
}

func (c *replicationCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.age, c.lag, c.inSync, c.lastError} {
		ch <- d
	}
}

func (c *replicationCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := backups.ReadStatus(c.dataDir)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		if !errors.Is(err, backups.ErrNoStatus) {
			ch <- prometheus.NewInvalidMetric(c.age, err)
		}
		return
	}
	up := 1.0
	if st.Stale() {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
	age := time.Since(st.UpdatedAt)
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age.Seconds())
	for _, db := range st.Databases {
		for _, r := range db.Replicas {
			lag := r.LagSeconds
			if st.Stale() && !st.Stopped {
				lag += age.Seconds() // as Status.MaxLag: unknown, but at least that
			}
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag, db.Name, r.Name)
			ch <- prometheus.MustNewConstMetric(c.inSync, prometheus.GaugeValue, b2f(r.InSync), db.Name, r.Name)
			ch <- prometheus.MustNewConstMetric(c.lastError, prometheus.GaugeValue, b2f(r.LastError != ""), db.Name, r.Name)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Disk space thresholds, shared by doctor and /healthz.
const (
	DiskWarnBytes   = 1 << 30   // warn under 1 GiB free
	DiskWarnPercent = 10        // or under 10% free
	DiskFailBytes   = 200 << 20 // fail under 200 MiB free
)

// diskFree returns the bytes available to unprivileged users and the
// filesystem's size for the filesystem holding dir.
func diskFree(dir string) (free, total uint64, err error) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return fs.Bavail * uint64(fs.Bsize), fs.Blocks * uint64(fs.Bsize), nil
}

// diskLevel grades free space: "ok", "warn" or "fail".
func diskLevel(free, total uint64) string {
	switch {
	case free < DiskFailBytes:
		return "fail"
	case free < DiskWarnBytes || total > 0 && free*100 < total*DiskWarnPercent:
		return "warn"
	}
	return "ok"
}

// diskHealth is a /healthz item for the data directory's free space. Low
// space is "degraded", never "error": a 503 would make an upgrade roll
// back over a disk that the old binary fills just the same.
func diskHealth(dataDir string) ui.HealthCheck {
	return func(ctx context.Context) ui.HealthItem {
		free, total, err := diskFree(dataDir)
		if err != nil {
			return ui.HealthItem{Key: "disk", Value: map[string]any{"error": err.Error()}, Status: "degraded"}
		}
		v := map[string]any{"free_bytes": free, "total_bytes": total}
		status := "ok"
		if diskLevel(free, total) != "ok" {
			status = "degraded"
		}
		return ui.HealthItem{Key: "disk", Value: v, Status: status}
	}
}
