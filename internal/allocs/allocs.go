// Package allocs measures what a call allocates, for the tests that keep
// serve's start-up path from growing garbage again.
package allocs

import "runtime"

// Bytes returns the bytes the process allocated while f ran (the heap's
// running total, after a collection so that f starts from a settled heap).
// Other goroutines' allocations meanwhile count too: a test's bound should
// leave room for them.
func Bytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
