package cli

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"orengen/app"
)

// TestTransferFigures measures issue #22's figures: `orengen tenant
// export` and `orengen tenant import` of a tenant with 100,000 people
// (each with an email contact point and a search-index entry) and 1 GiB
// of files (wiki attachments of 1 MiB), next to a second tenant of 5,000
// people. Each command runs as its own process (this test binary acting
// as orengen), so its peak RSS is the kernel's (rusage maxrss). The peers,
// in the same run: SQLite's VACUUM INTO of the whole database and a plain
// copy of the database file.
//
//	ORENGEN_BENCH_TRANSFER=1 go test -tags sqlite_fts5 -count=1 -run TestTransferFigures -v ./cli/
//
// ORENGEN_BENCH_TRANSFER_MIB changes the MiB of files (default 1024) and
// ORENGEN_BENCH_TRANSFER_PEOPLE the people (default 100,000). The test
// fails when the export or the import lost a row or a byte.
func TestTransferFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_TRANSFER") == "" {
		t.Skip("set ORENGEN_BENCH_TRANSFER=1 for the tenant export/import figures (about 5 minutes, 4 GiB of disk)")
	}
	people, mib := 100_000, 1024
	if v, err := strconv.Atoi(os.Getenv("ORENGEN_BENCH_TRANSFER_PEOPLE")); err == nil && v > 0 {
		people = v
	}
	if v, err := strconv.Atoi(os.Getenv("ORENGEN_BENCH_TRANSFER_MIB")); err == nil && v > 0 {
		mib = v
	}
	ctx := context.Background()
	dir := t.TempDir()
	one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	a := openApp(t, one)
	seed := func(name string, n, files int) (*app.Tenant, []byte) {
		tn := &app.Tenant{Name: name}
		if err := a.Tenants.CreateTenant(ctx, tn, ""); err != nil {
			t.Fatal(err)
		}
		tctx := app.NewContextWithUser(app.NewContextWithTenant(ctx, tn), &app.User{TenantID: tn.ID, Role: app.UserRoleOwner})
		crm := a.CRM
		batch := make([]*app.Person, 0, 1000)
		for i := range n {
			batch = append(batch, &app.Person{FirstName: fmt.Sprintf("First%d", i), LastName: fmt.Sprintf("Last%d", i),
				Emails: []string{fmt.Sprintf("p%d@%s.test", i, tn.Slug)}})
			if len(batch) == cap(batch) || i == n-1 {
				if err := crm.People.UpsertPeople(tctx, batch); err != nil {
					t.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		if files == 0 {
			return tn, nil
		}
		sp, err := a.Wiki.Space(tctx)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := a.Wiki.CreatePage(tctx, sp.ID, 0, "Hand-over files", "Files of the client.")
		if err != nil {
			t.Fatal(err)
		}
		// 1 MiB images: a PNG signature, then random bytes (nothing to
		// index, nothing SQLite can compress). The hash of every file is
		// kept to check the import byte for byte.
		sum := sha256.New()
		rng := rand.New(rand.NewPCG(7, uint64(files)))
		data := make([]byte, 1<<20)
		for i := range files {
			for j := 0; j+8 <= len(data); j += 8 {
				v := rng.Uint64()
				for k := range 8 {
					data[j+k] = byte(v >> (8 * k))
				}
			}
			copy(data, "\x89PNG\r\n\x1a\n")
			if _, err := a.Wiki.Attach(tctx, pg.ID, fmt.Sprintf("shot-%04d.png", i), data); err != nil {
				t.Fatal(err)
			}
			sum.Write(data)
		}
		return tn, sum.Sum(nil)
	}
	t0 := time.Now()
	tn, fileSum := seed("Bench Movers", people, mib)
	seed("Bench Neighbour", 5000, 0)
	dbPath := filepath.Join(one, "orengen.db")
	a.Close()
	st, err := os.Stat(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d + 5,000 people and %d MiB of files in %s; database %d MiB", people, mib, time.Since(t0).Round(time.Second), st.Size()>>20)

	// run starts this test binary as orengen and returns its wall time
	// and peak RSS.
	run := func(args ...string) (time.Duration, int64) {
		t.Helper()
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "ORENGEN_TEST_RUN_MAIN=1")
		s := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(s)
		if err != nil {
			t.Fatalf("orengen %v: %v\n%s", args, err, out)
		}
		return d, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	}
	file := filepath.Join(dir, "movers.sqlite")
	exportTime, exportRSS := run("tenant", "export", "--tenant", tn.Slug, "--output", file, "--data-dir", one)
	xs, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	importTime, importRSS := run("tenant", "import", file, "--data-dir", two)

	// Peers in the same run: VACUUM INTO of the whole database, a copy
	// of its file.
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	s := time.Now()
	if _, err := db.Exec(`VACUUM INTO ?`, filepath.Join(dir, "vacuum.db")); err != nil {
		t.Fatal(err)
	}
	vacuumTime := time.Since(s)
	db.Close()
	s = time.Now()
	copyFile(t, dbPath, filepath.Join(dir, "copy.db"))
	copyTime := time.Since(s)

	// Nothing lost: the people and every file's bytes, in the second
	// appliance; no row of the neighbour.
	b := openApp(t, two)
	defer b.Close()
	var got *app.Tenant
	if got, err = b.Tenants.TenantBySlug(ctx, tn.Slug); err != nil {
		t.Fatal(err)
	}
	r := b.DB.ReadDB()
	var n, emails, neighbours int
	r.QueryRowContext(ctx, `SELECT count(*) FROM crm_people WHERE tenant_id = ?`, got.ID).Scan(&n)
	r.QueryRowContext(ctx, `SELECT count(*) FROM crm_contact_points WHERE tenant_id = ? AND value LIKE '%@'||?||'.test'`, got.ID, tn.Slug).Scan(&emails)
	r.QueryRowContext(ctx, `SELECT count(*) FROM crm_people WHERE first_name = 'First4999' AND tenant_id <> ?`, got.ID).Scan(&neighbours)
	if n != people || emails != people || neighbours != 0 {
		t.Fatalf("imported %d people, %d emails (want %d each); %d rows of another tenant", n, emails, people, neighbours)
	}
	rows, err := r.QueryContext(ctx, `SELECT d.data FROM wiki_attachments a JOIN wiki_attachment_data d ON d.attachment_id = a.id
		WHERE a.tenant_id = ? ORDER BY a.name`, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	sum, files := sha256.New(), 0
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			t.Fatal(err)
		}
		sum.Write(data)
		files++
	}
	rows.Close()
	if files != mib || string(sum.Sum(nil)) != string(fileSum) {
		t.Fatalf("imported %d files (want %d), bytes equal: %v", files, mib, string(sum.Sum(nil)) == string(fileSum))
	}

	t.Logf("export: %s, peak RSS %d MiB, file %d MiB", exportTime.Round(10*time.Millisecond), exportRSS>>20, xs.Size()>>20)
	t.Logf("import: %s, peak RSS %d MiB", importTime.Round(10*time.Millisecond), importRSS>>20)
	t.Logf("peers: VACUUM INTO of the whole %d MiB database %s (export = %.2fx); copy of the file %s", st.Size()>>20,
		vacuumTime.Round(10*time.Millisecond), exportTime.Seconds()/vacuumTime.Seconds(), copyTime.Round(10*time.Millisecond))
	t.Logf("import = %.2fx the export", importTime.Seconds()/exportTime.Seconds())
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Sync(); err != nil {
		t.Fatal(err)
	}
	out.Close()
}
