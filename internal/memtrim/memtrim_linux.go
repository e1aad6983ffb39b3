package memtrim

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropExecMappings madvises MADV_DONTNEED over every read-only private
// mapping of /proc/self/exe whose pages are all the file's (code,
// read-only data, the pc tables). A mapping holding any page of its own
// (the dynamic linker's relocations, made read-only after: RELRO) is left
// alone: dropping it would lose them. Errors are ignored: this only saves
// memory.
func dropExecMappings() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	for _, r := range cleanExecRanges(f, exe) {
		unix.Syscall(unix.SYS_MADVISE, r[0], r[1]-r[0], unix.MADV_DONTNEED)
	}
}

// cleanExecRanges lists the [start, end) of exe's read-only private
// mappings that hold no anonymous or dirty page, from /proc/PID/smaps.
func cleanExecRanges(smaps io.Reader, exe string) [][2]uintptr {
	var out [][2]uintptr
	var cur [2]uintptr
	ok := false // the mapping being read is a candidate so far
	flush := func() {
		if ok {
			out = append(out, cur)
		}
		ok = false
	}
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		line := sc.Text()
		fs := strings.Fields(line)
		if len(fs) == 0 {
			continue
		}
		if lo, hi, isRange := strings.Cut(fs[0], "-"); isRange && len(fs) >= 5 {
			// 00403000-01c5b000 r-xp 00003000 fd:01 1234   /path/to/exe
			flush()
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			ok = err1 == nil && err2 == nil && b > a && len(fs) >= 6 && strings.Join(fs[5:], " ") == exe && (fs[1] == "r-xp" || fs[1] == "r--p")
			cur = [2]uintptr{uintptr(a), uintptr(b)}
			continue
		}
		switch fs[0] {
		case "Anonymous:", "Private_Dirty:", "Shared_Dirty:", "AnonHugePages:":
			if len(fs) < 2 || fs[1] != "0" {
				ok = false
			}
		}
	}
	flush()
	return out
}
