//go:build linux && cgo

package memtrim

// #include <malloc.h>
import "C"

// trimCHeap hands the C heap's free memory back to the system (SQLite's
// allocations go through glibc's malloc: the migrations' and the first
// queries' garbage stays in its arenas otherwise).
func trimCHeap() { C.malloc_trim(0) }
