package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"orengen/backups"
	"orengen/store"
)

func TestWireOps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := openAppEnv(t, dir, map[string]string{"ORENGEN_METRICS_TOKEN": "tok"}) // Open calls wireOps
	defer m.Close()
	if m.Server.Metrics == nil || m.Server.Metrics.Token != "tok" {
		t.Fatal("metrics not wired with the token")
	}
	g := m.Server.Metrics.Gatherer()

	// No status file: the replicator is reported down.
	if err := testutil.GatherAndCompare(g, strings.NewReader("# HELP orengen_replication_up 1 while the replicator child updates its status file, 0 when it is stale, stopped or missing.\n# TYPE orengen_replication_up gauge\norengen_replication_up 0\n"), "orengen_replication_up"); err != nil {
		t.Error(err)
	}
	st := backups.Status{UpdatedAt: time.Now(), Ready: true, Databases: []backups.DBStatus{{Name: "orengen.db", Replicas: []backups.ReplicaStatus{
		{Name: "local", LagSeconds: 1.5, InSync: false},
		{Name: "s3", InSync: true, LastError: "timeout"},
	}}}}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(dir, backups.StatusFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Three group writes, in one commit or more.
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.DB.Group(ctx, func(ctx context.Context, tx *store.Tx) error { return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range mt.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			if mt.GetGauge() != nil {
				got[key] = mt.GetGauge().GetValue()
			} else if mt.GetCounter() != nil {
				got[key] = mt.GetCounter().GetValue()
			}
		}
	}
	for k, want := range map[string]float64{
		"orengen_replication_up": 1,
		"orengen_replication_lag_seconds,db=orengen.db,replica=local": 1.5,
		"orengen_replication_in_sync,db=orengen.db,replica=s3":        1,
		"orengen_replication_error,db=orengen.db,replica=s3":          1,
		"orengen_replication_error,db=orengen.db,replica=local":       0,
		"orengen_sqlite_open_connections,pool=write":                  1,
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, want)
		}
	}
	if _, ok := got["orengen_sqlite_wait_count_total,pool=read"]; !ok {
		t.Error("read pool stats missing")
	}
	if c, w := got["orengen_sqlite_group_commits_total"], got["orengen_sqlite_group_writes_total"]; w < 3 || c < 1 || c > w {
		t.Errorf("group commits %v, group writes %v: want at least 3 writes in 1 to 3 commits", c, w)
	}
	if _, ok := got["orengen_sqlite_group_paced_seconds_total"]; !ok {
		t.Error("group commit pacing missing")
	}
	// The WAL sizes are the files' sizes.
	for _, db := range []string{"orengen.db", "redka.db"} {
		fi, err := os.Stat(filepath.Join(dir, db+"-wal"))
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := got["orengen_sqlite_wal_bytes,db="+db]; !ok || v != float64(fi.Size()) || v == 0 {
			t.Errorf("orengen_sqlite_wal_bytes{db=%s} = %v (present %v), want the file's %d bytes", db, v, ok, fi.Size())
		}
	}
	// The disk health item is there and reads the data dir's filesystem.
	it := m.Server.Health[len(m.Server.Health)-1](ctx)
	if it.Key != "disk" || it.Value.(map[string]any)["total_bytes"].(uint64) == 0 {
		t.Errorf("disk health: %+v", it)
	}
}

func TestDiskLevel(t *testing.T) {
	for _, tc := range []struct {
		free, total uint64
		want        string
	}{
		{100 << 30, 200 << 30, "ok"},
		{2 << 30, 100 << 30, "warn"},   // under 10%
		{900 << 20, 2 << 30, "warn"},   // under 1 GiB
		{100 << 20, 200 << 20, "fail"}, // under 200 MiB
	} {
		if got := diskLevel(tc.free, tc.total); got != tc.want {
			t.Errorf("diskLevel(%d, %d) = %s, want %s", tc.free, tc.total, got, tc.want)
		}
	}
}
