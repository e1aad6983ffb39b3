// Package memtrim hands back what a process's start-up used and idle
// running does not: the Go heap's and the C heap's free pages (SQLite
// allocates through glibc), and the mappings of the
// binary's code and read-only data that only the start-up touched.
//
// Every process of the one binary (serve, the replicator child, each
// subcommand) runs the initialisers of its ~575 packages. The kernel maps
// a file in fault-around windows (64 KB), or a whole large folio where the
// file system caches the file in them (ext4 on Linux 6.18 here: touching
// 59 bytes 1 MiB apart in a mapping of the binary maps 41 MiB), and the
// initialisers are spread over the whole text, so after start-up each
// process maps about 30 MiB of a 60 MB binary it will not touch again
// while idle. Dropping those
// mappings (MADV_DONTNEED on the private read-only mappings of the
// executable: clean pages, still in the page cache, mapped again on the
// next touch by a minor fault) leaves the process mapping what it uses.
// Writable mappings (.data, .bss) are never touched.
package memtrim

import "runtime/debug"

// AfterStartup returns the start-up's garbage to the system and drops the
// executable's read-only mappings (Linux; elsewhere only the heap). Call it
// once, when start-up is over, off the path of any request.
func AfterStartup() {
	trimHeaps()
	dropExecMappings()
}

// trimHeaps collects, and returns the Go heap's and the C heap's free
// pages to the system.
func trimHeaps() {
	debug.FreeOSMemory()
	trimCHeap()
}
