package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"orengen/store"
)

// openHandles counts this process's open file descriptors on path.
func openHandles(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

// The probe reads a database before it is opened over one connection that
// it keeps until Close (so the WAL index is not rebuilt by each read), and
// never creates a missing file; a file that appears later (a restore) is
// read by the same probe.
func TestProbe_OneConnectionUntilClose(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts open files in /proc/self/fd")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "orengen.db")
	p := store.NewProbe(path)
	defer p.Close()

	if id, err := p.Identity(ctx); err != nil || id != nil {
		t.Fatalf("identity of a missing file = %v, %v; want nil, nil", id, err)
	}
	all, _ := store.Migrations()
	if pending, err := p.Pending(ctx); err != nil || len(pending) != len(all) {
		t.Fatalf("pending of a missing file = %d, %v; want all %d", len(pending), err, len(all))
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the probe created %s: %v", path, err)
	}

	db := store.NewDB(path) // as a restore would: the file appears
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	want, err := store.NewIdentityStore(db).FindIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if n := openHandles(t, path); n != 0 {
		t.Fatalf("%d handles open on %s after closing the database", n, path)
	}

	id, err := p.Identity(ctx)
	if err != nil || id == nil || id.ID != want.ID {
		t.Fatalf("identity = %+v, %v; want %s", id, err, want.ID)
	}
	if n := openHandles(t, path); n != 1 {
		t.Fatalf("after the identity read %d handles open on the file, want the probe's one", n)
	}
	if pending, err := p.Pending(ctx); err != nil || len(pending) != 0 {
		t.Fatalf("pending of a migrated file = %v, %v; want none", pending, err)
	}
	if n := openHandles(t, path); n != 1 {
		t.Fatalf("after the pending read %d handles open on the file, want the same one", n)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openHandles(t, path); n != 0 {
		t.Fatalf("%d handles still open on the file after Close", n)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A DB opened with the probe takes the probe's connection as its read
// pool's first rather than opening another: after the open and a read,
// the file has the write connection and that one open, not three; the
// probe is closed with it, and closing the DB closes both.
func TestProbe_ReadPoolTakesTheConnection(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts open files in /proc/self/fd")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "orengen.db")
	first := store.NewDB(path)
	if err := first.Open(ctx); err != nil {
		t.Fatal(err)
	}
	want, err := store.NewIdentityStore(first).FindIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()

	p := store.NewProbe(path)
	if id, err := p.Identity(ctx); err != nil || id == nil || id.ID != want.ID {
		t.Fatalf("probe identity = %+v, %v; want %s", id, err, want.ID)
	}
	db := store.NewDB(path)
	db.Probe = p
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := store.NewIdentityStore(db).FindIdentity(ctx) // a read on the read pool
	if err != nil || got.ID != want.ID {
		t.Fatalf("identity through the read pool = %+v, %v; want %s", got, err, want.ID)
	}
	if n := openHandles(t, path); n != 2 {
		t.Fatalf("%d handles open on the file after the open and a read; want 2 (the write connection and the probe's, now the read pool's)", n)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("closing the probe after the open: %v", err)
	}
	if _, err := store.NewIdentityStore(db).FindIdentity(ctx); err != nil {
		t.Fatalf("a read after the probe's Close: %v (the probe closed the pool's connection)", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openHandles(t, path); n != 0 {
		t.Fatalf("%d handles open on the file after closing the database", n)
	}
}
