package backups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// fullMirrorEvery is how often a mirror lists every level of the primary
// (compactions, snapshots, deletions); in between only level 0 is listed.
const fullMirrorEvery = 15 * time.Second

type fileKey struct {
	level    int
	min, max ltx.TXID
}

// mirror keeps one secondary replica of one database identical to the
// primary replica: same LTX files at every level, same deletions.
type mirror struct {
	replica Replica
	src     litestream.ReplicaClient // the primary replica (own client instance)
	dst     litestream.ReplicaClient
	levels  litestream.CompactionLevels

	mu        sync.Mutex
	inited    bool
	listed    bool              // have holds the destination's full listing
	have      map[fileKey]int64 // destination files and their sizes
	lastFull  time.Time
	lastSync  time.Time
	lastErr   string
	snapshots int
}

// round copies what the destination lacks. A full round lists every level
// and also deletes what the primary deleted (retention, L0 cleanup), but
// only after every copy succeeded, so the destination never loses a file
// before it holds the compaction that replaces it.
func (m *mirror) round(ctx context.Context, full bool) (err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() {
		if err != nil {
			if ctx.Err() == nil {
				m.lastErr = err.Error()
			}
		} else {
			m.lastErr = ""
			m.lastSync = time.Now()
		}
	}()
	if !m.inited {
		for _, c := range []litestream.ReplicaClient{m.src, m.dst} {
			if err := c.Init(ctx); err != nil {
				return fmt.Errorf("init: %w", err)
			}
		}
		m.inited = true
	}
	if !m.listed {
		have := map[fileKey]int64{}
		for _, lvl := range m.allLevels() {
			infos, err := listLevel(ctx, m.dst, lvl)
			if err != nil {
				return fmt.Errorf("list destination L%d: %w", lvl, err)
			}
			for _, fi := range infos {
				have[fileKey{lvl, fi.MinTXID, fi.MaxTXID}] = fi.Size
			}
		}
		m.have, m.listed = have, true
		full = true
	}
	if time.Since(m.lastFull) > fullMirrorEvery {
		full = true
	}

	lvls := []int{0}
	if full {
		lvls = m.allLevels()
	}
	src := map[fileKey]*ltx.FileInfo{}
	var missing []*ltx.FileInfo
	for _, lvl := range lvls {
		infos, err := listLevel(ctx, m.src, lvl)
		if err != nil {
			return fmt.Errorf("list primary L%d: %w", lvl, err)
		}
		for _, fi := range infos {
			k := fileKey{lvl, fi.MinTXID, fi.MaxTXID}
			src[k] = fi
			if _, ok := m.have[k]; !ok {
				missing = append(missing, fi)
			}
		}
	}
	// A level-0 file that does not follow the destination's position means
	// the primary compacted and dropped L0 files in between: the L1 file
	// that covers them must be copied too.
	if !full && len(missing) > 0 {
		sort.Slice(missing, func(i, j int) bool { return missing[i].MinTXID < missing[j].MinTXID })
		if top := m.maxTXIDLocked(); top > 0 && missing[0].MinTXID > top+1 {
			m.mu.Unlock()
			err := m.round(ctx, true)
			m.mu.Lock()
			return err
		}
	}
	// Snapshots first, then higher levels, then L0 in TXID order: at every
	// moment the destination is restorable up to some TXID.
	sort.Slice(missing, func(i, j int) bool {
		a, b := missing[i], missing[j]
		if a.Level != b.Level {
			return a.Level > b.Level
		}
		return a.MinTXID < b.MinTXID
	})
	var vanished bool
	for _, fi := range missing {
		rc, err := m.src.OpenLTXFile(ctx, fi.Level, fi.MinTXID, fi.MaxTXID, 0, 0)
		if errors.Is(err, os.ErrNotExist) {
			vanished = true // deleted by the primary's retention since the listing
			continue
		} else if err != nil {
			return fmt.Errorf("open primary L%d %s: %w", fi.Level, ltx.FormatFilename(fi.MinTXID, fi.MaxTXID), err)
		}
		info, err := m.dst.WriteLTXFile(ctx, fi.Level, fi.MinTXID, fi.MaxTXID, rc)
		rc.Close()
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				vanished = true
				continue
			}
			return fmt.Errorf("write L%d %s: %w", fi.Level, ltx.FormatFilename(fi.MinTXID, fi.MaxTXID), err)
		}
		m.have[fileKey{fi.Level, fi.MinTXID, fi.MaxTXID}] = info.Size
	}
	if !full {
		return nil
	}
	if !vanished {
		var del []*ltx.FileInfo
		listedLvl := map[int]bool{}
		for _, l := range lvls {
			listedLvl[l] = true
		}
		for k := range m.have {
			if _, ok := src[k]; !ok && listedLvl[k.level] {
				del = append(del, &ltx.FileInfo{Level: k.level, MinTXID: k.min, MaxTXID: k.max})
			}
		}
		if len(del) > 0 {
			if err := m.dst.DeleteLTXFiles(ctx, del); err != nil {
				m.listed = false // unknown which went; list again
				return fmt.Errorf("delete: %w", err)
			}
			for _, fi := range del {
				delete(m.have, fileKey{fi.Level, fi.MinTXID, fi.MaxTXID})
			}
		}
	}
	m.snapshots = 0
	for k := range m.have {
		if k.level == litestream.SnapshotLevel {
			m.snapshots++
		}
	}
	m.lastFull = time.Now()
	return nil
}

func (m *mirror) allLevels() []int {
	out := []int{litestream.SnapshotLevel}
	for i := len(m.levels) - 1; i >= 0; i-- {
		out = append(out, m.levels[i].Level)
	}
	return out
}

func (m *mirror) maxTXID() ltx.TXID {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maxTXIDLocked()
}

// maxTXIDLocked is the highest TXID the destination can restore to.
func (m *mirror) maxTXIDLocked() ltx.TXID {
	var top ltx.TXID
	for k := range m.have {
		if k.max > top {
			top = k.max
		}
	}
	return top
}

func (m *mirror) status(now time.Time) ReplicaStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := ReplicaStatus{
		Name: m.replica.Name, Target: m.replica.Redacted(), RemoteTXID: uint64(m.maxTXIDLocked()),
		LastSyncAt: m.lastSync.UTC(), LastError: m.lastErr, Size: -1, Snapshots: -1,
	}
	if m.listed {
		st.Size = 0
		for _, n := range m.have {
			st.Size += n
		}
		st.Snapshots = m.snapshots
	}
	if m.lastSync.IsZero() {
		st.LastSyncAt = time.Time{}
	}
	return st
}

func listLevel(ctx context.Context, c litestream.ReplicaClient, level int) ([]*ltx.FileInfo, error) {
	itr, err := c.LTXFiles(ctx, level, 0, false)
	if err != nil {
		return nil, err
	}
	var out []*ltx.FileInfo
	for itr.Next() {
		fi := *itr.Item()
		out = append(out, &fi)
	}
	if err := itr.Close(); err != nil {
		return nil, err
	}
	return out, nil
}
