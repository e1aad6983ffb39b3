package backups

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Supervisor restart backoff.
const (
	MinRestartDelay = 500 * time.Millisecond
	MaxRestartDelay = 30 * time.Second
	HealthyAfter    = time.Minute // a child that ran this long resets the backoff
)

// Supervisor runs the replicator child process (`orengen replicate`) and
// restarts it with exponential backoff when it exits unexpectedly.
//
// The child gets SIGTERM if the parent dies (Pdeathsig; the goroutine that
// starts and waits for it is locked to its OS thread, since the signal fires
// when the creating thread exits) and EOF on its stdin pipe; both make it do
// a final sync and exit. It runs in its own process group so a terminal's
// Ctrl-C reaches only the parent, which stops it last. Its stdout and stderr
// are logged line by line. Secrets must be passed in env, never in args.
type Supervisor struct {
	exe    string
	args   []string
	env    []string
	logger *slog.Logger

	mu       sync.Mutex
	cmd      *exec.Cmd
	stopping bool
	started  bool
	starts   int
	done     chan struct{}
	wake     chan struct{}
}

// NewSupervisor returns a supervisor for exe with args (for example
// os.Executable() and ["replicate", "--data-dir", dir]) and env (the child's
// whole environment, e.g. os.Environ(); secrets go here).
func NewSupervisor(exe string, args []string, env []string, logger *slog.Logger) *Supervisor {
	if logger == nil {
		logger = slog.Default()
	}
	return &Supervisor{exe: exe, args: args, env: env, logger: logger.With("component", "backups"),
		done: make(chan struct{}), wake: make(chan struct{})}
}

// Start starts the child and returns; the supervisor keeps it running until
// Stop. It returns an error only if the first start fails.
func (s *Supervisor) Start() error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("supervisor already started")
	}
	s.started = true
	s.mu.Unlock()
	first := make(chan error, 1)
	go s.run(first)
	return <-first
}

// PID returns the running child's process id, or 0.
func (s *Supervisor) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		return s.cmd.Process.Pid
	}
	return 0
}

// Starts returns how many times the child was started.
func (s *Supervisor) Starts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

func (s *Supervisor) run(first chan<- error) {
	defer close(s.done)
	delay := MinRestartDelay
	for {
		t0 := time.Now()
		err := s.runOnce(first)
		first = nil
		s.mu.Lock()
		stopping := s.stopping
		s.mu.Unlock()
		if stopping {
			s.logger.Info("replicator exited", "error", err, "ran", time.Since(t0).Round(time.Millisecond))
			return
		}
		if time.Since(t0) >= HealthyAfter {
			delay = MinRestartDelay
		}
		s.logger.Error("replicator exited unexpectedly; restarting", "error", err,
			"ran", time.Since(t0).Round(time.Millisecond), "restart_in", delay)
		select {
		case <-time.After(delay):
		case <-s.wake: // Stop during the backoff
			return
		}
		delay = min(delay*2, MaxRestartDelay)
	}
}

// runOnce starts the child and waits for it. It must keep its OS thread for
// the child's whole life: Pdeathsig fires when the creating thread exits.
func (s *Supervisor) runOnce(first chan<- error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	report := func(err error) error {
		if first != nil {
			first <- err
		}
		return err
	}
	cmd := exec.Command(s.exe, s.args...)
	cmd.Env = s.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return report(fmt.Errorf("start replicator: %w", err))
	}
	cmd.Stdin = stdinR
	outR, outW, err := os.Pipe()
	if err != nil {
		stdinR.Close()
		stdinW.Close()
		return report(fmt.Errorf("start replicator: %w", err))
	}
	cmd.Stdout, cmd.Stderr = outW, outW

	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		stdinR.Close()
		stdinW.Close()
		outR.Close()
		outW.Close()
		return report(errors.New("supervisor stopping"))
	}
	err = cmd.Start()
	stdinR.Close()
	outW.Close()
	if err != nil {
		s.mu.Unlock()
		stdinW.Close()
		outR.Close()
		return report(fmt.Errorf("start replicator: %w", err))
	}
	s.cmd = cmd
	s.starts++
	n := s.starts
	s.mu.Unlock()
	s.logger.Info("replicator started", "pid", cmd.Process.Pid, "start", n)
	report(nil)

	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		s.logLines(outR)
	}()
	err = cmd.Wait()
	<-logDone // the pipe reaches EOF when the child (and any inheritor) exits
	outR.Close()
	s.mu.Lock()
	s.cmd = nil
	s.mu.Unlock()
	stdinW.Close()
	return err
}

// logLines logs the child's output. Its lines are slog records already, so
// they are passed on whole, at the level they name.
func (s *Supervisor) logLines(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		s.logger.Log(context.Background(), lineLevel(line), "replicator", "out", line)
	}
}

func lineLevel(line string) slog.Level {
	switch {
	case strings.Contains(line, "level=ERROR"), strings.Contains(line, `"level":"ERROR"`):
		return slog.LevelError
	case strings.Contains(line, "level=WARN"), strings.Contains(line, `"level":"WARN"`):
		return slog.LevelWarn
	case strings.Contains(line, "level=DEBUG"), strings.Contains(line, `"level":"DEBUG"`):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// Stop sends SIGTERM to the child, waits up to timeout for its final sync,
// then kills it. Call it after closing the application's database pools.
func (s *Supervisor) Stop(timeout time.Duration) error {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return nil
	}
	if !s.stopping {
		s.stopping = true
		close(s.wake)
	}
	cmd := s.cmd
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	s.mu.Unlock()
	t0 := time.Now()
	select {
	case <-s.done:
		s.logger.Info("replicator stopped", "took", time.Since(t0).Round(time.Millisecond))
		return nil
	case <-time.After(timeout):
	}
	s.mu.Lock()
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
	}
	s.mu.Unlock()
	<-s.done
	return fmt.Errorf("replicator did not stop within %s; killed", timeout)
}

// SyncNow asks the running replicator of dataDir to ship every committed
// transaction of every database to its replicas now, waits until it has
// (or timeout), and returns the restore points it reached. Serve calls it
// before applying new migrations and logs "restore point: orengen.db txid X
// at T".
func SyncNow(ctx context.Context, dataDir string, timeout time.Duration) ([]RestorePoint, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	// A replicator that was just started has not written its status or
	// found its databases yet: wait for it to be ready.
	// A replicator that died a moment ago left a fresh status with its
	// PID: the supervisor is restarting it, so wait for the new one's.
	var st Status
	dead := 0
	for {
		var err error
		st, err = ReadStatus(dataDir)
		if err == nil && st.Ready && !st.Stale() && st.PID > 0 && st.PID != dead {
			err = syscall.Kill(st.PID, SyncSignal)
			if err == nil {
				break
			}
			if !errors.Is(err, syscall.ESRCH) {
				return nil, fmt.Errorf("sync now: signal replicator %d: %w", st.PID, err)
			}
			dead = st.PID
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return nil, fmt.Errorf("sync now: %w", err)
			}
			return nil, fmt.Errorf("sync now: replicator not running (status updated %s)", st.UpdatedAt.Format(time.RFC3339))
		case <-t.C:
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("sync now: replicator did not answer within %s", timeout)
		case <-t.C:
		}
		cur, err := ReadStatus(dataDir)
		if err != nil || cur.PID != st.PID || cur.SyncSeq <= st.SyncSeq {
			continue
		}
		var errs []string
		for _, p := range cur.RestorePoints {
			if p.Error != "" {
				errs = append(errs, p.DB+": "+p.Error)
			}
		}
		if len(errs) > 0 {
			return cur.RestorePoints, fmt.Errorf("sync now: %s", strings.Join(errs, "; "))
		}
		return cur.RestorePoints, nil
	}
}
