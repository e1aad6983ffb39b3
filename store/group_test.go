package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"orengen/app"
	"orengen/store"
)

// TestDB_Group: concurrent writes through Group each commit or fail
// alone (a failing one and a panicking one leave nothing and do not stop
// the others or the writer), and each keeps its own timeline transaction
// number, as if it had its own transaction.
func TestDB_Group(t *testing.T) {
	db := MustOpenDB(t)
	crm := store.NewCRMStores(db)
	ctx := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID})
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			switch i {
			case 17: // writes a row, then fails: the row must not stay
				errs[i] = db.Group(ctx, func(ctx context.Context, tx *store.Tx) error {
					if _, err := tx.Exec(`INSERT INTO crm_companies (tenant_id, name, name_key, created_at, updated_at) VALUES (1, 'ghost', 'ghost', '', '')`); err != nil {
						return err
					}
					return errors.New("changed my mind")
				})
			case 33:
				errs[i] = db.Group(ctx, func(ctx context.Context, tx *store.Tx) error { panic("boom") })
			default:
				errs[i] = crm.People.CreatePerson(ctx, &app.Person{FirstName: fmt.Sprint("P", i), Emails: []string{fmt.Sprintf("p%d@example.com", i)}})
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 17 || i == 33) != (err != nil) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	var people, ghosts, txs int
	db.ReadDB().QueryRow(`SELECT (SELECT count(*) FROM crm_people), (SELECT count(*) FROM crm_companies WHERE name = 'ghost'),
		(SELECT count(DISTINCT tx) FROM crm_timeline WHERE record_type = 'person')`).Scan(&people, &ghosts, &txs)
	if people != n-2 || ghosts != 0 || txs != n-2 {
		t.Errorf("people %d (want %d), ghost companies %d (want 0), timeline transactions %d (want one per person)", people, n-2, ghosts, txs)
	}
	// The writer still works after the failures.
	if err := crm.People.CreatePerson(ctx, &app.Person{FirstName: "After"}); err != nil {
		t.Fatal(err)
	}
}
