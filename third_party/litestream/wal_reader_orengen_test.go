package litestream_test

// Tests of orengen's read-ahead in WALReader and its WALChecksum
// (PATCH.md).

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/benbjohnson/litestream"
)

// countingReaderAt counts ReadAt calls.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.n.Add(1)
	return c.r.ReadAt(p, off)
}

// realWAL returns the WAL SQLite wrote for n single-row transactions.
func realWAL(t *testing.T, n int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{`PRAGMA journal_mode = wal`, `PRAGMA wal_autocheckpoint = 0`, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if _, err := db.Exec(`INSERT INTO t (v) VALUES (?)`, strings.Repeat("x", 500)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every frame of a real WAL is read, with its page and commit flag as the
// file holds them, in far fewer reads than frames (two per frame before).
func TestWALReader_ReadsAhead(t *testing.T) {
	b := realWAL(t, 300)
	frameSize := litestream.WALFrameHeaderSize + 4096
	want := (len(b) - litestream.WALHeaderSize) / frameSize
	if want < 300 {
		t.Fatalf("WAL holds %d frames, want at least 300", want)
	}
	cr := &countingReaderAt{r: bytes.NewReader(b)}
	r, err := litestream.NewWALReader(cr, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 4096)
	frames, commits := 0, 0
	for {
		pgno, commit, err := r.ReadFrame(context.Background(), data)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		off := litestream.WALHeaderSize + frames*frameSize
		if got := binary.BigEndian.Uint32(b[off:]); got != pgno {
			t.Fatalf("frame %d: pgno %d, the file says %d", frames, pgno, got)
		}
		if !bytes.Equal(data, b[off+litestream.WALFrameHeaderSize:off+frameSize]) {
			t.Fatalf("frame %d: page data differs from the file", frames)
		}
		if commit != 0 {
			commits++
		}
		frames++
	}
	if frames != want || commits < 300 {
		t.Fatalf("read %d frames (%d commits), want %d frames and at least 300 commits", frames, commits, want)
	}
	if reads := cr.n.Load(); reads > int64(frames/16) {
		t.Fatalf("%d reads for %d frames, want at most one per 16 frames", reads, frames)
	}
}

// Frames appended after the reader reached the end of the WAL are read:
// what lies past the last fill is read again, not taken from the buffer.
func TestWALReader_SeesFramesAppendedAfterTheEnd(t *testing.T) {
	b := realWAL(t, 20)
	frameSize := litestream.WALFrameHeaderSize + 4096
	path := filepath.Join(t.TempDir(), "wal")
	// The header, three whole frames and half of the fourth.
	cut := litestream.WALHeaderSize + 3*frameSize + frameSize/2
	if err := os.WriteFile(path, b[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := litestream.NewWALReader(f, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 4096)
	n := 0
	for ; ; n++ {
		if _, _, err := r.ReadFrame(context.Background(), data); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if n != 3 {
		t.Fatalf("read %d frames of a WAL cut in the fourth, want 3", n)
	}
	if _, err := f.WriteAt(b[cut:], int64(cut)); err != nil {
		t.Fatal(err)
	}
	total := (len(b) - litestream.WALHeaderSize) / frameSize
	for ; ; n++ {
		pgno, _, err := r.ReadFrame(context.Background(), data)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		off := litestream.WALHeaderSize + n*frameSize
		if want := binary.BigEndian.Uint32(b[off:]); pgno != want || !bytes.Equal(data, b[off+litestream.WALFrameHeaderSize:off+frameSize]) {
			t.Fatalf("frame %d after the append: pgno %d (want %d) or its data differs from the file", n, pgno, want)
		}
	}
	if n != total {
		t.Fatalf("read %d frames once the rest was written, want %d", n, total)
	}
}

// WALChecksum agrees with SQLite's definition (walChecksumBytes: two
// running sums over 32-bit words in the WAL's byte order), written out
// here word by word, for both byte orders and for a ByteOrder of neither
// kind.
func TestWALChecksum_BothByteOrders(t *testing.T) {
	ref := func(big bool, s0, s1 uint32, b []byte) (uint32, uint32) {
		word := func(p []byte) uint32 {
			if big {
				return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
			}
			return uint32(p[3])<<24 | uint32(p[2])<<16 | uint32(p[1])<<8 | uint32(p[0])
		}
		for i := 0; i < len(b); i += 8 {
			s0 += word(b[i:]) + s1
			s1 += word(b[i+4:]) + s0
		}
		return s0, s1
	}
	b := make([]byte, 4096)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	for _, tc := range []struct {
		name string
		bo   binary.ByteOrder
		big  bool
	}{{"little", binary.LittleEndian, false}, {"big", binary.BigEndian, true}, {"other", otherBigEndian{}, true}} {
		g0, g1 := litestream.WALChecksum(tc.bo, 7, 11, b)
		w0, w1 := ref(tc.big, 7, 11, b)
		if g0 != w0 || g1 != w1 {
			t.Errorf("%s endian: %08x %08x, want %08x %08x", tc.name, g0, g1, w0, w1)
		}
	}
	// The real WAL's own checksums (little-endian on this machine's SQLite)
	// verify: the reader reads every frame.
	wal := realWAL(t, 5)
	r, err := litestream.NewWALReader(bytes.NewReader(wal), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	data, n := make([]byte, 4096), 0
	for ; ; n++ {
		if _, _, err := r.ReadFrame(context.Background(), data); err != nil {
			break
		}
	}
	if want := (len(wal) - litestream.WALHeaderSize) / (litestream.WALFrameHeaderSize + 4096); n != want {
		t.Fatalf("checksums verified for %d of %d frames", n, want)
	}
}

// otherBigEndian is a ByteOrder that is neither of encoding/binary's.
type otherBigEndian struct{ binary.AppendByteOrder }

func (otherBigEndian) Uint16(b []byte) uint16       { return binary.BigEndian.Uint16(b) }
func (otherBigEndian) Uint32(b []byte) uint32       { return binary.BigEndian.Uint32(b) }
func (otherBigEndian) Uint64(b []byte) uint64       { return binary.BigEndian.Uint64(b) }
func (otherBigEndian) PutUint16(b []byte, v uint16) { binary.BigEndian.PutUint16(b, v) }
func (otherBigEndian) PutUint32(b []byte, v uint32) { binary.BigEndian.PutUint32(b, v) }
func (otherBigEndian) PutUint64(b []byte, v uint64) { binary.BigEndian.PutUint64(b, v) }
func (otherBigEndian) String() string               { return "otherBigEndian" }
