package memtrim

import (
	"context"
	"runtime/metrics"
	"time"
)

// Idle trimming: the Go runtime keeps the heap it grew for a burst of
// work (GOGC lets it reach twice the live heap) and hands the free part
// back to the system only gradually, over minutes. A page view or a
// workflow run on an otherwise idle appliance thus holds 10-15 MiB more
// than the live heap long after it ended. WhenIdle watches the
// allocation counter and, once a burst is followed by quiet, collects
// and returns the free pages at once.
const (
	// burstBytes: the work since the last trim allocated at least this
	// much, so a collection has something to return.
	burstBytes = 4 << 20
	// quietBytes: less than this allocated per tick counts as quiet
	// (the idle loops, timers and SQLite's polling allocate a little).
	quietBytes = 256 << 10
	// quietTicks of quiet in a row before trimming.
	quietTicks = 2
)

// idleTrimmer decides, from the cumulative bytes allocated at each tick,
// when to trim: after a burst, once quiet has lasted quietTicks.
type idleTrimmer struct {
	lastTrim, prev uint64
	quiet          int
}

func newIdleTrimmer(allocs uint64) *idleTrimmer {
	return &idleTrimmer{lastTrim: allocs, prev: allocs}
}

// tick takes the allocation counter now and says whether to trim; after
// a trim the caller reports the counter again with trimmed.
func (t *idleTrimmer) tick(allocs uint64) bool {
	if allocs-t.prev < quietBytes {
		t.quiet++
	} else {
		t.quiet = 0
	}
	t.prev = allocs
	return t.quiet >= quietTicks && allocs-t.lastTrim >= burstBytes
}

func (t *idleTrimmer) trimmed(allocs uint64) {
	t.lastTrim, t.prev, t.quiet = allocs, allocs, 0
}

// WhenIdle does what AfterStartup does after each burst of work, once
// the process has been quiet for two ticks of every: it returns the Go
// heap's and the C heap's free pages to the system and drops the
// mappings of the code the burst ran (measured on a restarted appliance
// after five page views and 4 s of quiet, 2026-12-06: 25-29 MiB
// anonymous + 38 MiB file-backed without it, 19-20 + 29-30 MiB with it).
// It runs until ctx ends. Under steady work it never trims (no tick is
// quiet); a trim costs one collection and the minor faults that map the
// code again.
func WhenIdle(ctx context.Context, every time.Duration) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	read := func() uint64 {
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[0].Value.Uint64()
	}
	whenIdle(ctx, every, read, AfterStartup)
}

func whenIdle(ctx context.Context, every time.Duration, read func() uint64, trim func()) {
	t := newIdleTrimmer(read())
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if t.tick(read()) {
			trim()
			t.trimmed(read())
		}
	}
}
