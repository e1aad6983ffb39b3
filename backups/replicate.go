package backups

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benbjohnson/litestream"
	lsfile "github.com/benbjohnson/litestream/file"
	"github.com/superfly/ltx"

	"orengen/internal/memtrim"
)

// SyncSignal is the signal SyncNow sends the replicator to force a sync.
const SyncSignal = syscall.SIGUSR1

// Replicate is the body of `orengen replicate`, the child process serve
// supervises. It replicates every *.db file of cfg.DataDir (and any that
// appear later: the directory is rescanned every ScanInterval) to the first
// replica with Litestream, mirrors the first replica's LTX files to every
// other replica, and writes DataDir/.backups-status.json every
// StatusInterval.
//
// Litestream v0.5 supports one replica per database, and two Litestream
// instances on one database would both hold read locks and checkpoint the
// same WAL. So the primary replica is driven by Litestream, and the
// secondaries receive byte-identical copies of its LTX files (level 0,
// compactions and snapshots, with their original timestamps) and the same
// deletions: each is a complete Litestream replica that Restore can use on
// its own.
//
// It stops, after a final sync bounded by ShutdownTimeout, on SIGTERM or
// SIGINT, on EOF from stdin (the parent died; stdin may be nil), or when ctx
// is done. SIGUSR1 forces a sync of every database (see SyncNow).
func Replicate(ctx context.Context, cfg Config, stdin io.Reader) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return fmt.Errorf("replicate: %w", err)
	}
	if fi, err := os.Stat(cfg.DataDir); err != nil {
		return fmt.Errorf("replicate: data dir: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("replicate: data dir %s is not a directory", cfg.DataDir)
	}
	log := cfg.Logger
	slog.SetDefault(log) // Litestream logs through the default logger in places.

	levels := litestream.CompactionLevels{{Level: 0}}
	for i, iv := range cfg.CompactionIntervals {
		levels = append(levels, &litestream.CompactionLevel{Level: i + 1, Interval: iv})
	}
	store := litestream.NewStore(nil, levels)
	store.Logger = log.With(litestream.LogKeySystem, litestream.LogSystemStore)
	store.SnapshotInterval = cfg.SnapshotInterval
	store.SnapshotRetention = cfg.Retention
	// NewStore overwrites each DB's shutdown timeout with its own (30 s);
	// RegisterDB copies these to every database.
	store.SetShutdownSyncTimeout(min(cfg.ShutdownTimeout, 5*time.Second))
	store.SetShutdownSyncInterval(200 * time.Millisecond)
	if err := store.Open(ctx); err != nil {
		return fmt.Errorf("replicate: open store: %w", err)
	}

	rp := &replicator{cfg: cfg, log: log, store: store, levels: levels, dbs: map[string]*dbState{}, started: time.Now()}
	log.Info("replicator started", "data_dir", cfg.DataDir, "replicas", redactedList(cfg.Replicas),
		"sync_interval", cfg.SyncInterval, "retention", cfg.Retention, "snapshot_interval", cfg.SnapshotInterval)

	// Once the parent is gone, writes to the log pipe fail with EPIPE; they
	// must not kill the process (Go's default for fds 1 and 2) before the
	// final sync.
	signal.Ignore(syscall.SIGPIPE)

	stop := make(chan string, 4)
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT, SyncSignal)
	defer signal.Stop(sigc)
	if stdin != nil {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			stop <- "stdin closed (parent gone)"
		}()
	}

	bg, cancelBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	forced := make(chan struct{}, 1)
	wg.Go(func() { rp.scanLoop(bg) })
	wg.Go(func() { rp.statusLoop(bg) })
	wg.Go(func() { rp.mirrorLoop(bg) })
	wg.Go(func() {
		for {
			select {
			case <-bg.Done():
				return
			case <-forced:
				rp.forceSync(bg)
			}
		}
	})

	var why string
	for why == "" {
		select {
		case <-ctx.Done():
			why = "context done"
		case w := <-stop:
			why = w
		case s := <-sigc:
			if s == SyncSignal {
				select {
				case forced <- struct{}{}:
				default: // one is queued already
				}
				continue
			}
			why = "signal " + s.String()
		}
	}
	t0 := time.Now()
	log.Info("replicator stopping", "why", why)
	cancelBG()
	wg.Wait()

	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	points := rp.syncAll(sctx)
	for _, p := range points {
		if p.Error != "" {
			log.Error("final sync", "db", p.DB, "txid", p.TXIDString(), "replicas", p.Replicas, "error", p.Error)
		} else {
			log.Info("final sync", "db", p.DB, "txid", p.TXIDString(), "replicas", p.Replicas)
		}
	}
	rp.writeStatus(sctx, false)
	// Close releases Litestream's read locks even when sctx is spent; give
	// it a short budget of its own for its last (normally no-op) sync.
	cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer ccancel()
	err = store.Close(cctx)
	if err != nil {
		log.Error("close store", "error", scrub(err.Error(), cfg.Replicas))
	}
	// Close's own last sync can ship one more LTX file (a checkpoint) to
	// the primary: bring the mirrors level with it.
	for _, st := range rp.list() {
		for _, m := range st.mirrors {
			if err := m.round(cctx, false); err != nil {
				log.Error("final mirror round", "db", st.name, "replica", m.replica.Name, "error", scrub(err.Error(), cfg.Replicas))
			}
		}
	}
	rp.mu.Lock()
	rp.stopped = true
	rp.mu.Unlock()
	rp.writeStatus(cctx, false)
	rp.releaseLocks()
	log.Info("replicator stopped", "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

type replicator struct {
	cfg     Config
	log     *slog.Logger
	store   *litestream.Store
	levels  litestream.CompactionLevels
	started time.Time

	mu      sync.Mutex
	dbs     map[string]*dbState
	syncSeq int64
	points  []RestorePoint
	stopped bool
	ready   bool

	// syncMu serialises forced and final syncs with mirror rounds.
	syncMu sync.Mutex
	// statusMu serialises writeStatus.
	statusMu sync.Mutex
}

type dbState struct {
	name    string
	path    string
	lock    *os.File
	db      *litestream.DB
	primary *litestream.Replica
	pclient *recordingClient
	mirrors []*mirror

	statsAt   time.Time
	size      int64
	snapshots int
}

// recordingClient records the primary client's last write error and success
// so the status file can show them (Litestream only logs them).
type recordingClient struct {
	litestream.ReplicaClient
	monitor time.Duration // the database's MonitorInterval
	mu      sync.Mutex
	lastErr string // last write error, cleared by a successful write
	listErr string // last listing error, cleared by a successful listing
	lastOK  time.Time
	prevTS  [2]time.Time // creation times of the last two level-0 files shipped, newest first
	lags    []lagSample  // recent level-0 uploads (rpoWindow)
}

// lagSample bounds how long the writes of one level-0 file waited to
// reach the replica; size (the file's bytes) weighs it by how much was
// written.
type lagSample struct {
	at   time.Time
	lag  time.Duration
	size int64
}

// rpoWindow is how far back the recovery-point figures look.
const rpoWindow = 5 * time.Minute

func (c *recordingClient) WriteLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, r io.Reader) (*ltx.FileInfo, error) {
	var created time.Time
	if level == 0 {
		hdr, rr, err := ltx.PeekHeader(r)
		r = rr
		if err == nil {
			created = time.UnixMilli(hdr.Timestamp)
		}
	}
	info, err := c.ReplicaClient.WriteLTXFile(ctx, level, minTXID, maxTXID, r)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			c.lastErr = err.Error()
		}
		return info, err
	}
	c.lastOK, c.lastErr = now, ""
	if !created.IsZero() {
		// A level-0 file holds writes committed after the previous file's
		// end in the WAL was fixed, which happened after the file before
		// it was stamped (a file is stamped some time after its WAL range
		// is fixed, longer on a busy machine); after a quiet spell, at
		// most about a monitor interval before this file was read. The
		// oldest of them waited from then until now: an upper bound.
		since := c.prevTS[1]
		if quiet := created.Sub(c.prevTS[0]) > 3*c.monitor; quiet || since.IsZero() || !since.Before(created) {
			since = created.Add(-2 * c.monitor)
		}
		c.prevTS = [2]time.Time{created, c.prevTS[0]}
		c.lags = append(c.lags, lagSample{now, max(now.Sub(since), 0), max(info.Size, 1)})
		cut := 0
		for cut < len(c.lags) && (now.Sub(c.lags[cut].at) > rpoWindow || len(c.lags)-cut > 20000) {
			cut++
		}
		c.lags = c.lags[cut:]
	}
	return info, nil
}

// rpo returns the recovery-point figures of the recent uploads. The
// percentiles are of the written bytes, not of the files: a file uploaded
// late after a busy spell holds more writes than a quick small one.
func (c *recordingClient) rpo(now time.Time) *RPOStatus {
	c.mu.Lock()
	var lags []lagSample
	var total int64
	for _, s := range c.lags {
		if now.Sub(s.at) <= rpoWindow {
			lags = append(lags, s)
			total += s.size
		}
	}
	c.mu.Unlock()
	if len(lags) == 0 {
		return nil
	}
	slices.SortFunc(lags, func(a, b lagSample) int { return cmp.Compare(a.lag, b.lag) })
	pct := func(p float64) float64 {
		var seen int64
		for _, s := range lags {
			if seen += s.size; float64(seen) >= p*float64(total) {
				return s.lag.Seconds()
			}
		}
		return lags[len(lags)-1].lag.Seconds()
	}
	return &RPOStatus{Uploads: len(lags), WindowSeconds: rpoWindow.Seconds(), P50Seconds: pct(0.5), P99Seconds: pct(0.99), MaxSeconds: lags[len(lags)-1].lag.Seconds()}
}

func (c *recordingClient) LTXFiles(ctx context.Context, level int, seek ltx.TXID, useMetadata bool) (ltx.FileIterator, error) {
	itr, err := c.ReplicaClient.LTXFiles(ctx, level, seek, useMetadata)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.listErr = ""
	} else if ctx.Err() == nil {
		c.listErr = err.Error()
	}
	return itr, err
}

func (c *recordingClient) state() (string, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastErr != "" {
		return c.lastErr, c.lastOK
	}
	return c.listErr, c.lastOK
}

// scanLoop registers new *.db files. It retries quickly while a database's
// lock is held by a previous replicator (an orphan finishing its final
// sync), for up to LockWait, then every ScanInterval.
func (rp *replicator) scanLoop(ctx context.Context) {
	deadline := time.Now().Add(rp.cfg.LockWait)
	for {
		busy := rp.scan(ctx)
		rp.mu.Lock()
		ready := !rp.ready
		rp.ready = true
		rp.mu.Unlock()
		if ready {
			rp.writeStatus(ctx, false)
			// Return the start-up's garbage, and the mappings of the
			// code only the start-up ran, to the system once.
			memtrim.AfterStartup()
		}
		d := rp.cfg.ScanInterval
		if busy && time.Now().Before(deadline) {
			d = 200 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// scan returns true if a database was skipped because its lock was busy.
func (rp *replicator) scan(ctx context.Context) (busy bool) {
	names, err := scanDatabases(rp.cfg.DataDir)
	if err != nil {
		rp.log.Error("scan data dir", "error", err)
		return false
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return false
		}
		rp.mu.Lock()
		_, ok := rp.dbs[name]
		rp.mu.Unlock()
		if ok {
			continue
		}
		path := filepath.Join(rp.cfg.DataDir, name)
		lock, err := tryLock(path)
		if err != nil {
			rp.log.Error("replicator lock", "db", name, "error", err)
			continue
		}
		if lock == nil {
			rp.log.Warn("database locked by another replicator; waiting", "db", name)
			busy = true
			continue
		}
		st, err := rp.open(ctx, name, path, lock)
		if err != nil {
			lock.Close()
			rp.log.Error("start replicating", "db", name, "error", scrub(err.Error(), rp.cfg.Replicas))
			continue
		}
		rp.mu.Lock()
		rp.dbs[name] = st
		rp.mu.Unlock()
		rp.log.Info("replicating", "db", name, "primary", rp.cfg.Replicas[0].Name, "mirrors", len(st.mirrors))
	}
	return busy
}

// scanDatabases lists the *.db files of dir.
func scanDatabases(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, ".db") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func (rp *replicator) open(ctx context.Context, name, path string, lock *os.File) (*dbState, error) {
	primary := rp.cfg.Replicas[0]
	client, err := primary.client(name)
	if err != nil {
		return nil, err
	}
	rc := &recordingClient{ReplicaClient: client, monitor: rp.cfg.MonitorInterval}
	db := litestream.NewDB(path)
	db.MonitorInterval = rp.cfg.MonitorInterval
	db.MinCheckpointPageN = rp.cfg.MinCheckpointPageN
	db.CheckpointInterval = rp.cfg.CheckpointInterval
	r := litestream.NewReplicaWithClient(db, rc)
	r.SyncInterval = rp.cfg.SyncInterval
	db.Replica = r
	if fc, ok := client.(*lsfile.ReplicaClient); ok {
		fc.Replica = r // keeps the database's file ownership and modes
	}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := client.Init(ictx); err != nil {
		return nil, fmt.Errorf("init replica %s: %w", primary.Name, err)
	}
	if err := rp.store.RegisterDB(db); err != nil {
		return nil, err
	}
	st := &dbState{name: name, path: path, lock: lock, db: db, primary: r, pclient: rc, size: -1, snapshots: -1}
	for _, rep := range rp.cfg.Replicas[1:] {
		src, err := primary.client(name)
		if err != nil {
			return nil, err
		}
		dst, err := rep.client(name)
		if err != nil {
			return nil, err
		}
		st.mirrors = append(st.mirrors, &mirror{replica: rep, src: src, dst: dst, levels: rp.levels, have: map[fileKey]int64{}})
	}
	return st, nil
}

func (rp *replicator) list() []*dbState {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	out := make([]*dbState, 0, len(rp.dbs))
	for _, st := range rp.dbs {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *dbState) int { return strings.Compare(a.name, b.name) })
	return out
}

func (rp *replicator) releaseLocks() {
	for _, st := range rp.list() {
		st.lock.Close()
	}
}

// mirrorLoop brings every secondary replica up to date every MirrorInterval.
func (rp *replicator) mirrorLoop(ctx context.Context) {
	if len(rp.cfg.Replicas) < 2 {
		return
	}
	t := time.NewTicker(rp.cfg.MirrorInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rp.syncMu.Lock()
		for _, st := range rp.list() {
			for _, m := range st.mirrors {
				if err := m.round(ctx, false); err != nil && ctx.Err() == nil {
					rp.log.Debug("mirror", "db", st.name, "replica", m.replica.Name, "error", scrub(err.Error(), rp.cfg.Replicas))
				}
			}
		}
		rp.syncMu.Unlock()
	}
}

// syncAll ships every committed transaction of every database to the primary
// and then to the mirrors, and reports where each database stands.
func (rp *replicator) syncAll(ctx context.Context) []RestorePoint {
	rp.syncMu.Lock()
	defer rp.syncMu.Unlock()
	dbs := rp.list()
	points := make([]RestorePoint, len(dbs))
	var wg sync.WaitGroup
	for i, st := range dbs {
		wg.Go(func() {
			p := RestorePoint{DB: st.name}
			var errs []string
			if err := st.db.SyncAndWait(ctx); err != nil {
				errs = append(errs, rp.cfg.Replicas[0].Name+": "+err.Error())
			}
			// The point's time is taken once the primary holds TXID, so it
			// is not earlier than the last LTX file's timestamp: a restore
			// at this time includes every transaction up to TXID.
			p.Time = time.Now().UTC()
			pos, _ := st.db.Pos()
			p.TXID = uint64(pos.TXID)
			if uint64(st.primary.Pos().TXID) >= p.TXID && p.TXID > 0 {
				p.Replicas = append(p.Replicas, rp.cfg.Replicas[0].Name)
			}
			for _, m := range st.mirrors {
				if err := m.round(ctx, false); err != nil {
					errs = append(errs, m.replica.Name+": "+err.Error())
				}
				if m.maxTXID() >= ltx.TXID(p.TXID) && p.TXID > 0 {
					p.Replicas = append(p.Replicas, m.replica.Name)
				}
			}
			p.Error = scrub(strings.Join(errs, "; "), rp.cfg.Replicas)
			points[i] = p
		})
	}
	wg.Wait()
	return points
}

// forceSync handles SyncSignal: sync everything, then publish the restore
// points with a new sequence number.
func (rp *replicator) forceSync(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, rp.cfg.ShutdownTimeout)
	defer cancel()
	points := rp.syncAll(sctx)
	rp.mu.Lock()
	rp.syncSeq++
	rp.points = points
	seq := rp.syncSeq
	rp.mu.Unlock()
	for _, p := range points {
		rp.log.Info("restore point", "seq", seq, "db", p.DB, "txid", p.TXIDString(), "replicas", p.Replicas, "error", p.Error)
	}
	rp.writeStatus(ctx, false)
}

func (rp *replicator) statusLoop(ctx context.Context) {
	rp.writeStatus(ctx, true)
	t := time.NewTicker(rp.cfg.StatusInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rp.writeStatus(ctx, true)
		}
	}
}

// statsEvery bounds how often replica sizes and snapshot counts are listed.
const statsEvery = 30 * time.Second

func (rp *replicator) writeStatus(ctx context.Context, withStats bool) {
	// One writer at a time: the stats fields of dbState are guarded by this,
	// and a slow writer must not rename an older status over a newer one.
	rp.statusMu.Lock()
	defer rp.statusMu.Unlock()
	now := time.Now()
	rp.mu.Lock()
	st := Status{PID: os.Getpid(), StartedAt: rp.started.UTC(), UpdatedAt: now.UTC(), SyncSeq: rp.syncSeq,
		SyncIntervalSeconds: rp.cfg.SyncInterval.Seconds(),
		RestorePoints:       rp.points, Stopped: rp.stopped, Ready: rp.ready}
	rp.mu.Unlock()
	for _, d := range rp.list() {
		pos, _ := d.db.Pos()
		local := pos.TXID
		ds := DBStatus{Name: d.name, LocalTXID: uint64(local), WALSize: fileSize(d.path + "-wal"), RPO: d.pclient.rpo(now)}

		if withStats && !d.db.LastSuccessfulSyncAt().IsZero() && now.Sub(d.statsAt) > statsEvery {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			d.size, d.snapshots = replicaStats(lctx, d.pclient.ReplicaClient, rp.levels)
			cancel()
			d.statsAt = now
		}
		remote := d.primary.Pos().TXID
		lastErr, _ := d.pclient.state()
		ps := ReplicaStatus{
			Name: rp.cfg.Replicas[0].Name, Target: rp.cfg.Replicas[0].Redacted(), Primary: true,
			RemoteTXID: uint64(remote), InSync: local > 0 && remote >= local,
			LastSyncAt: d.db.LastSuccessfulSyncAt().UTC(), Size: d.size, Snapshots: d.snapshots,
			LastError: scrub(lastErr, rp.cfg.Replicas),
		}
		if local == 0 {
			ps.InSync = remote == 0
		}
		ps.LagSeconds = lagSeconds(d.db, remote, local, now, d.db.LastSuccessfulSyncAt())
		ds.Replicas = append(ds.Replicas, ps)
		for _, m := range d.mirrors {
			ms := m.status(now)
			ms.InSync = ltx.TXID(ms.RemoteTXID) >= local
			ms.LagSeconds = lagSeconds(d.db, ltx.TXID(ms.RemoteTXID), local, now, ms.LastSyncAt)
			ms.LastError = scrub(ms.LastError, rp.cfg.Replicas)
			ds.Replicas = append(ds.Replicas, ms)
		}
		st.Databases = append(st.Databases, ds)
	}
	if err := writeStatus(rp.cfg.DataDir, st); err != nil {
		rp.log.Error("write status", "error", err)
	}
}

// lagSeconds is how long the oldest transaction missing from a replica has
// been waiting: the age of the local LTX file after the replica's position.
func lagSeconds(db *litestream.DB, remote, local ltx.TXID, now, lastSync time.Time) float64 {
	if remote >= local {
		return 0
	}
	if ts, ok := localLTXTime(db, remote+1); ok {
		return max(now.Sub(ts).Seconds(), 0)
	}
	if lastSync.IsZero() {
		return 0 // never synced and nothing to date it by: just started
	}
	return now.Sub(lastSync).Seconds()
}

// localLTXTime returns the header timestamp of the local L0 file that holds
// txid.
func localLTXTime(db *litestream.DB, txid ltx.TXID) (time.Time, bool) {
	ents, err := os.ReadDir(db.LTXLevelDir(0))
	if err != nil {
		return time.Time{}, false
	}
	for _, e := range ents {
		minT, maxT, err := ltx.ParseFilename(e.Name())
		if err != nil || txid < minT || txid > maxT {
			continue
		}
		f, err := os.Open(filepath.Join(db.LTXLevelDir(0), e.Name()))
		if err != nil {
			return time.Time{}, false
		}
		defer f.Close()
		hdr, _, err := ltx.PeekHeader(f)
		if err != nil {
			return time.Time{}, false
		}
		return time.UnixMilli(hdr.Timestamp), true
	}
	return time.Time{}, false
}

// replicaStats sums the LTX file sizes of a replica and counts its
// snapshots; -1, -1 if it cannot be listed.
func replicaStats(ctx context.Context, c litestream.ReplicaClient, levels litestream.CompactionLevels) (size int64, snapshots int) {
	for _, lvl := range append(levelNumbers(levels), litestream.SnapshotLevel) {
		itr, err := c.LTXFiles(ctx, lvl, 0, false)
		if err != nil {
			return -1, -1
		}
		for itr.Next() {
			size += itr.Item().Size
			if lvl == litestream.SnapshotLevel {
				snapshots++
			}
		}
		if err := itr.Close(); err != nil {
			return -1, -1
		}
	}
	return size, snapshots
}

func levelNumbers(levels litestream.CompactionLevels) []int {
	var out []int
	for _, l := range levels {
		out = append(out, l.Level)
	}
	return out
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func redactedList(rs []Replica) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Redacted()
	}
	return out
}

// scrub removes any configured secret from s (defence in depth: errors from
// client libraries should not carry them).
func scrub(s string, rs []Replica) string {
	for _, r := range rs {
		for _, secret := range []string{r.secretAccessKey, r.password} {
			if len(secret) >= 4 {
				s = strings.ReplaceAll(s, secret, "REDACTED")
			}
		}
	}
	return s
}
