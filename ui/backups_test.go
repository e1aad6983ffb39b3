package ui_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// fakeBackupSource reports one database on two replicas and "restores"
// with a fixed result (the real drill runs in a child process: see
// backups_test.go in package main).
type fakeBackupSource struct{ fail bool }

func (f *fakeBackupSource) Overview(context.Context) *app.BackupOverview {
	return &app.BackupOverview{UpdatedAt: time.Now(), Running: true, Replicas: []string{"local", "s3"}, SyncInterval: 500 * time.Millisecond,
		Databases: []app.BackupDB{{Name: "orengen.db", LocalTXID: 42, RPO: &app.BackupRPO{Window: 5 * time.Minute, Uploads: 310, P50: 740 * time.Millisecond, P99: 1100 * time.Millisecond, Max: 1300 * time.Millisecond}, Replicas: []app.BackupReplica{
			{Name: "local", Target: "/var/backups/orengen", Primary: true, InSync: true, Lag: 300 * time.Millisecond, LastSyncAt: time.Now(), Size: 2048, Snapshots: 1},
			{Name: "s3", Target: "s3://bucket/orengen", LastError: "connection refused", Lag: 90 * time.Second, Size: -1, Snapshots: -1},
		}}}}
}

func (f *fakeBackupSource) Drill(ctx context.Context, replica, db string, d *app.BackupDrill) error {
	if f.fail {
		return errors.New("no backup found")
	}
	now := time.Now()
	d.Tables, d.Rows, d.Size, d.Integrity, d.PointInTime = 12, 345, 4096, "ok", &now
	return nil
}

func TestBackupsPage(t *testing.T) {
	env := newTestEnv(t)
	b := env.signedIn(app.RoleOwner)
	// Without a replica the page says how to configure one.
	if _, body := b.request("GET", "nexus.localhost", "/backups", nil); !strings.Contains(body, "No replica is configured") {
		t.Fatalf("unconfigured page: %.300s", body)
	}
	src := &fakeBackupSource{}
	svc := app.NewBackupService(store.NewBackupStore(env.DB), src)
	env.Server.Backups = svc
	env.reopen()
	_, body := b.request("GET", "nexus.localhost", "/backups", nil)
	for _, want := range []string{"orengen.db", "in sync", "connection refused", "Run restore drill", "primary",
		"every 500 ms", "over the last 5 minutes (310 uploads)", "within 740 ms (median), 1.1 s (p99) and 1.3 s at worst"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	resp, body := b.post("nexus.localhost", "/backups", "/backups/drill", url.Values{"replica": {"nope"}, "db": {"orengen.db"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "Unknown replica") {
		t.Fatalf("unknown replica: %d", resp.StatusCode)
	}
	resp, _ = b.post("nexus.localhost", "/backups", "/backups/drill", url.Values{"replica": {"local"}, "db": {"orengen.db"}})
	if resp.StatusCode != 303 {
		t.Fatalf("drill: %d", resp.StatusCode)
	}
	svc.Wait()
	src.fail = true
	b.post("nexus.localhost", "/backups", "/backups/drill", url.Values{"replica": {"s3"}, "db": {"orengen.db"}})
	svc.Wait()
	_, body = b.request("GET", "nexus.localhost", "/backups", nil)
	if !strings.Contains(body, "integrity ok") || !strings.Contains(body, "12 / 345") || !strings.Contains(body, "no backup found") {
		t.Fatalf("history lacks the drills: %.2000s", body)
	}
	// Staff can look but not run drills.
	staff := env.signedIn(app.RoleStaff)
	if resp, _ := staff.post("nexus.localhost", "/backups", "/backups/drill", url.Values{"replica": {"local"}, "db": {"orengen.db"}}); resp.StatusCode != 403 {
		t.Fatalf("staff drill: %d", resp.StatusCode)
	}
}
