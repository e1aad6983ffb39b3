package memtrim

import (
	"strings"
	"testing"
)

// A mapping with pages of its own (RELRO: relocations written by the
// dynamic linker, then made read-only) is never dropped; clean code and
// read-only data are; writable data and other files never.
func TestCleanExecRanges(t *testing.T) {
	const smaps = `00400000-00403000 r--p 00000000 fd:01 77 /opt/orengen
Rss:                  12 kB
Anonymous:             0 kB
Private_Dirty:         0 kB
00403000-01c5b000 r-xp 00003000 fd:01 77 /opt/orengen
Rss:               13580 kB
Private_Dirty:         0 kB
Shared_Dirty:          0 kB
Anonymous:             0 kB
AnonHugePages:         0 kB
01c5b000-033b2000 r--p 0185b000 fd:01 77 /opt/orengen
Anonymous:             0 kB
033b2000-033b5000 r--p 02fb2000 fd:01 77 /opt/orengen
Private_Dirty:        12 kB
Anonymous:            12 kB
033b5000-03652000 rw-p 02fb5000 fd:01 77 /opt/orengen
Anonymous:           700 kB
7f00000-7f10000 r-xp 00000000 fd:01 9 /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
7f20000-7f30000 rw-p 00000000 00:00 0 
Anonymous:            64 kB
`
	got := cleanExecRanges(strings.NewReader(smaps), "/opt/orengen")
	want := [][2]uintptr{{0x400000, 0x403000}, {0x403000, 0x1c5b000}, {0x1c5b000, 0x33b2000}}
	if len(got) != len(want) {
		t.Fatalf("ranges %x, want %x", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("range %d: %x, want %x", i, got[i], want[i])
		}
	}
}

// AfterStartup in a running test binary (cgo or not) leaves it working:
// the dropped pages come back from the file when touched.
func TestAfterStartup_KeepsRunning(t *testing.T) {
	AfterStartup()
	var b strings.Builder
	for i := 0; i < 1000; i++ {
		b.WriteString("x")
	}
	if b.Len() != 1000 {
		t.Fatal("the process broke after dropping its mappings")
	}
}
