package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"orengen/store"
)

func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "orengen.db")
	if _, err := store.OpenReadOnly(ctx, path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("OpenReadOnly created the file")
	}
	db := store.NewDB(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	cs := store.NewCertStorage(db)
	if err := cs.Store(ctx, "certificates/ca/a.test/a.test.crt", []byte("pem")); err != nil {
		t.Fatal(err)
	}

	t.Run("InUse", func(t *testing.T) {
		ro, err := store.OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if v, err := store.NewCertStorage(ro).Load(ctx, "certificates/ca/a.test/a.test.crt"); err != nil || string(v) != "pem" {
			t.Fatalf("load: %q %v", v, err)
		}
		if err := store.NewCertStorage(ro).Store(ctx, "x", nil); err == nil {
			t.Fatal("store on a read-only DB: no error")
		}
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("Closed", func(t *testing.T) {
		for _, f := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(path + f); err == nil {
				t.Skipf("%s left after close; the immutable path is not exercised", f)
			}
		}
		ro, err := store.OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := store.NewCertStorage(ro).List(ctx, "certificates", true)
		ro.Close()
		if err != nil || len(keys) == 0 {
			t.Fatalf("list: %v %v", keys, err)
		}
		for _, f := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(path + f); err == nil {
				t.Errorf("OpenReadOnly created %s", f)
			}
		}
	})
}
