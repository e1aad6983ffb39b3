package backups

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// LockSuffix is appended to a database path for the replicator's lock file.
const LockSuffix = ".replicate.lock"

// tryLock takes an exclusive flock on path+LockSuffix without blocking. It
// returns (nil, nil) when another process holds it.
func tryLock(dbPath string) (*os.File, error) {
	f, err := os.OpenFile(dbPath+LockSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("lock %s: %w", dbPath+LockSuffix, err)
	}
	return f, nil
}

// replicatorRunning reports whether a replicator holds dbPath's lock.
func replicatorRunning(dbPath string) bool {
	if _, err := os.Stat(dbPath + LockSuffix); err != nil {
		return false
	}
	f, err := tryLock(dbPath)
	if err != nil {
		return false
	}
	if f == nil {
		return true
	}
	f.Close()
	return false
}

// fileLocked reports whether another process holds a POSIX (fcntl) lock on
// any byte of path: SQLite holds one on the -shm file for as long as a
// connection to a WAL database is open, and on the database file while it
// reads or writes.
func fileLocked(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false
	}
	return lk.Type != syscall.F_UNLCK
}

// dbInUse reports whether a process has dbPath open (SQLite locks) or a
// replicator is running on it.
func dbInUse(dbPath string) bool {
	return replicatorRunning(dbPath) || fileLocked(dbPath+"-shm") || fileLocked(dbPath)
}
