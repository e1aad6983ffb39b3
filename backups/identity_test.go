package backups

import (
	"context"
	"errors"
	"testing"
	"time"
)

// checkIdentity claims r for one database, moves it, and has another
// database refused, reading back what r records each time; every write is
// a replacement through r's own client (SFTP servers do not rename over a
// file).
func checkIdentity(t *testing.T, r Replica) {
	t.Helper()
	ctx := context.Background()
	if id, err := ReadIdentity(ctx, r); err != nil || id != nil {
		t.Fatalf("%s: a new replica records %+v %v", r.Name, id, err)
	}
	mine := Identity{DatabaseID: "db-one", DataDir: "/srv/one", Host: "vm1"}
	for _, dir := range []string{"/srv/one", "/srv/one", "/srv/moved"} {
		mine.DataDir = dir
		if unreachable, err := ClaimReplicas(ctx, []Replica{r}, mine); err != nil || len(unreachable) > 0 {
			t.Fatalf("%s: claim from %s: %v %v", r.Name, dir, unreachable, err)
		}
		if id, err := ReadIdentity(ctx, r); err != nil || id == nil || id.DatabaseID != "db-one" || id.DataDir != dir || id.Host != "vm1" {
			t.Fatalf("%s: records %+v %v after a claim from %s", r.Name, id, err, dir)
		}
	}
	_, err := ClaimReplicas(ctx, []Replica{r}, Identity{DatabaseID: "db-two", DataDir: "/srv/two", Host: "vm2"})
	var fe *ForeignReplicaError
	if !errors.Is(err, ErrForeignReplica) || !errors.As(err, &fe) || fe.Replica.Name != r.Name || fe.Has.DatabaseID != "db-one" {
		t.Fatalf("%s: another database's claim: %v", r.Name, err)
	}
	if id, _ := ReadIdentity(ctx, r); id == nil || id.DatabaseID != "db-one" || id.DataDir != "/srv/moved" {
		t.Fatalf("%s: the refused claim changed the record: %+v", r.Name, id)
	}
	names, err := ListDatabases(ctx, r, DefaultDatabases)
	if err != nil || len(names) != 0 {
		t.Fatalf("%s: the identity is listed as a database: %v %v", r.Name, names, err)
	}
}

func TestIdentity_File(t *testing.T) {
	checkIdentity(t, mustReplica(t, t.TempDir()))
}

// TestRPO_WeighsWrites: the recovery-point percentiles are of the writes,
// so one large late upload outweighs many small quick ones.
func TestRPO_WeighsWrites(t *testing.T) {
	now := time.Now()
	c := &recordingClient{}
	for i := 0; i < 9; i++ {
		c.lags = append(c.lags, lagSample{now, 100 * time.Millisecond, 10})
	}
	c.lags = append(c.lags, lagSample{now, 2 * time.Second, 1000}, lagSample{now.Add(-time.Hour), time.Hour, 1})
	r := c.rpo(now)
	if r == nil || r.Uploads != 10 || r.P50Seconds != 2 || r.P99Seconds != 2 || r.MaxSeconds != 2 {
		t.Fatalf("rpo %+v; want 10 uploads in the window, p50 = p99 = max = 2 s (the large file)", r)
	}
	if (&recordingClient{}).rpo(now) != nil {
		t.Fatal("no uploads: want no figures")
	}
}
