package store

/*
#include <unistd.h>

typedef struct sqlite3 sqlite3;
int sqlite3_busy_handler(sqlite3*, int(*)(void*, int), void*);

static long orengen_busy_polls; // polls so far, for the tests

// orengen_busy_poll retries a locked database every 250 µs, up to the
// number of polls its argument holds.
static int orengen_busy_poll(void *polls, int n) {
	if ((long)n >= (long)polls) {
		return 0;
	}
	__atomic_fetch_add(&orengen_busy_polls, 1, __ATOMIC_RELAXED);
	usleep(250);
	return 1;
}

static long orengen_busy_poll_count(void) {
	return __atomic_load_n(&orengen_busy_polls, __ATOMIC_RELAXED);
}

static int orengen_set_busy_poll(void *db, long polls) {
	return sqlite3_busy_handler((sqlite3*)db, orengen_busy_poll, (void*)polls);
}
*/
import "C"

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/mattn/go-sqlite3"
)

// busyPoll is how often a write connection retries SQLite's write lock
// while another process (the replicator) holds it.
const busyPoll = 250 * time.Microsecond

// busyPolls is how many times setBusyPoll's handlers have slept so far.
func busyPolls() int64 { return int64(C.orengen_busy_poll_count()) }

// setBusyPoll replaces the connection's busy handler (SQLite's default
// sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries, so
// a lock held 20 ms is retried at 33 ms) with one that retries every
// busyPoll, for at least timeout in all (a poll sleeps a little longer than
// busyPoll).
func setBusyPoll(c *sqlite3.SQLiteConn, timeout time.Duration) error {
	f := reflect.ValueOf(c).Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return fmt.Errorf("busy handler: the driver's connection has no SQLite handle")
	}
	if rc := C.orengen_set_busy_poll(unsafe.Pointer(f.Pointer()), C.long(timeout/busyPoll)); rc != 0 {
		return fmt.Errorf("busy handler: sqlite3_busy_handler returned %d", int(rc))
	}
	return nil
}
