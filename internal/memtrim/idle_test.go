package memtrim

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// TestIdleTrimmer_Decisions: a burst followed by two quiet ticks trims,
// once; steady work never trims; quiet without a burst never trims.
func TestIdleTrimmer_Decisions(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		name   string
		allocs []uint64 // cumulative, one per tick after the start at 0
		want   []bool
	}{
		{"burst then quiet", []uint64{10 * mib, 10*mib + 1000, 10*mib + 2000, 10*mib + 3000}, []bool{false, false, true, false}},
		{"steady work", []uint64{2 * mib, 4 * mib, 6 * mib, 8 * mib, 10 * mib}, []bool{false, false, false, false, false}},
		{"idle loops only", []uint64{100 << 10, 200 << 10, 300 << 10, 400 << 10}, []bool{false, false, false, false}},
		{"small burst", []uint64{3 * mib, 3 * mib, 3 * mib}, []bool{false, false, false}},
		{"burst, quiet, burst", []uint64{5 * mib, 5 * mib, 5 * mib, 10 * mib, 10 * mib, 10 * mib}, []bool{false, false, true, false, false, true}},
	}
	for _, tc := range cases {
		tr := newIdleTrimmer(0)
		for i, a := range tc.allocs {
			got := tr.tick(a)
			if got != tc.want[i] {
				t.Errorf("%s: tick %d (allocs %d): trim %v, want %v", tc.name, i, a, got, tc.want[i])
			}
			if got {
				tr.trimmed(a)
			}
		}
	}
}

// TestWhenIdle_TrimsAfterTheBurst: the loop reads the counter at each
// tick and trims once after a burst followed by quiet, not again while
// nothing happens.
func TestWhenIdle_TrimsAfterTheBurst(t *testing.T) {
	var mu sync.Mutex
	allocs := uint64(0)
	trims := make(chan uint64, 10)
	started := make(chan struct{})
	var once sync.Once
	read := func() uint64 {
		mu.Lock()
		v := allocs
		mu.Unlock()
		once.Do(func() { close(started) }) // after the starting count is read
		return v
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go whenIdle(ctx, 5*time.Millisecond, read, func() { trims <- read() })
	<-started // the loop has its starting count
	mu.Lock()
	allocs = 50 << 20 // a burst
	mu.Unlock()
	select {
	case got := <-trims:
		if got != 50<<20 {
			t.Fatalf("trimmed at %d bytes allocated, want after the burst (%d)", got, 50<<20)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no trim within 5 s of a burst followed by quiet")
	}
	select {
	case got := <-trims:
		t.Fatalf("trimmed again at %d with nothing allocated since", got)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestTrimHeaps_ReturnsMemory: the trim WhenIdle runs hands free heap
// pages back (HeapReleased grows) right after garbage was made.
func TestTrimHeaps_ReturnsMemory(t *testing.T) {
	old := debug.SetGCPercent(-1) // no collection but ours
	defer debug.SetGCPercent(old)
	var keep [][]byte
	for range 32 {
		keep = append(keep, make([]byte, 1<<20))
	}
	keep = nil
	_ = keep
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	trimHeaps()
	runtime.ReadMemStats(&after)
	if after.HeapReleased < before.HeapReleased+16<<20 {
		t.Fatalf("released %d -> %d bytes: the 32 MiB of garbage was not returned", before.HeapReleased, after.HeapReleased)
	}
}
