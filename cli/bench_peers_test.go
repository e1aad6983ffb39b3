package cli

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startRounds is how many cold starts and restarts of each server the
// start-up figures are medians of. Three let one unlucky start on the shared
// 2-core machine move the median by 40 ms (164 ms in bench_peers against
// 122 ms in 16 alternating rounds of the same binary, 2026-12-07); seven
// starts of each cost about ten more seconds.
const startRounds = 7

// TestBenchPeers measures orengen side by side with PocketBase in one run
// (scripts/bench_peers.sh, part of `make bench`): binary size, cold start
// and restart to the first 200, idle memory (the serving process and the
// replicator child, anonymous and file-backed), and closed-loop creates
// per second at 64 connections (wrk) as the database grows: public lead
// capture against PocketBase's public record create, and the CRM API's
// person create against PocketBase's authenticated create.
//
// orengen runs as installed: replication on (a file replica), the seeded
// "Lead capture" workflow enabled (Twilio and SMTP point at loopback
// fakes), so every lead commits its submission, CRM person, timeline and
// workflow run before the 201 while the workers run the steps.
//
// It fails when the work failed: fewer rows stored than acknowledged, a
// server that did not start, or a run of non-2xx answers.
//
//	ORENGEN_BENCH_PEERS=1 ORENGEN_BENCH_BIN=./orengen ORENGEN_BENCH_POCKETBASE=/tmp/pb/base \
//	  go test -tags sqlite_fts5 -run TestBenchPeers -v -timeout 30m ./cli
func TestBenchPeers(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_PEERS") != "1" {
		t.Skip("peer figures: set ORENGEN_BENCH_PEERS=1, ORENGEN_BENCH_BIN and ORENGEN_BENCH_POCKETBASE (scripts/bench_peers.sh)")
	}
	bin, pb := mustAbs(t, os.Getenv("ORENGEN_BENCH_BIN")), mustAbs(t, os.Getenv("ORENGEN_BENCH_POCKETBASE"))
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Fatal("wrk is missing: apt-get install -y wrk")
	}
	windows := envInt("ORENGEN_BENCH_WINDOWS", 4) // 10 s windows of lead capture
	conns := envInt("ORENGEN_BENCH_CONNS", 64)
	work := t.TempDir()
	r := &peerReport{Conns: conns}
	r.Load = loadAvg()

	// Size: both binaries as built (orengen by `make build`: stripped).
	r.Size[0], r.Size[1] = fileSize(t, bin), fileSize(t, pb)

	// A binary just written by the linker sits in the page cache in huge
	// folios that are mapped whole (~all of it resident); after a reboot or
	// an install it is read in by readahead. Drop both binaries from the
	// page cache and start each once, unmeasured, so both are measured in
	// the second state.
	for _, b := range []string{bin, pb} {
		if err := dropPageCache(b); err != nil {
			t.Fatal(err)
		}
	}
	orengenStart(t, bin, filepath.Join(work, "o-warm"), nil).stop(t)
	pbStart(t, pb, filepath.Join(work, "pb-warm")).stop(t)

	// Start-up: startRounds cold starts (fresh data dir) and as many restarts of
	// each, alternating, median of each.
	var oc, or, pc, pr []time.Duration
	for i := 0; i < startRounds; i++ {
		dir := filepath.Join(work, fmt.Sprintf("o-start%d", i))
		oc = append(oc, orengenStart(t, bin, dir, nil).stop(t))
		or = append(or, orengenStart(t, bin, dir, nil).stop(t))
		pdir := filepath.Join(work, fmt.Sprintf("pb-start%d", i))
		pc = append(pc, pbStart(t, pb, pdir).stop(t))
		pr = append(pr, pbStart(t, pb, pdir).stop(t))
	}
	r.Cold = [2]time.Duration{median(oc), median(pc)}
	r.Restart = [2]time.Duration{median(or), median(pr)}

	// Idle memory: an existing data dir, after a few page views, then 3 s
	// of nothing.
	o := orengenStart(t, bin, filepath.Join(work, "o-start0"), nil)
	for _, p := range []string{"/", "/healthz", "/", "/pricing"} {
		httpGet(o.addr, "localhost", p)
	}
	httpGet(o.addr, "nexus.localhost", "/login")
	p := pbStart(t, pb, filepath.Join(work, "pb-start0"))
	for i := 0; i < 4; i++ {
		httpGet(p.addr, "", "/api/health")
	}
	httpGet(p.addr, "", "/_/")
	time.Sleep(3 * time.Second)
	r.IdleServe, r.IdleChild, r.IdlePB = memOf(o.pid()), memOf(o.childPID()), memOf(p.pid())
	o.stop(t)
	p.stop(t)

	if os.Getenv("ORENGEN_BENCH_SKIP_LOAD") == "1" { // start-up and memory only
		fmt.Println(r.markdown())
		return
	}
	// Throughput: orengen with the lead workflow live, PocketBase with a
	// comparable collection each.
	tw, sink := newFakeTwilio(t), newSMTPSink(t)
	odir := filepath.Join(work, "o-load")
	os.MkdirAll(odir, 0o700)
	prepareAutomationData(t, odir)
	cfgFile := filepath.Join(work, "o-load.env")
	os.WriteFile(cfgFile, []byte("ORENGEN_SMTP_URL="+sink.URL("bot@example.com")+"\n"), 0o600)
	o = orengenStart(t, bin, odir, []string{"--config", cfgFile, "--twilio-api-url", tw.srv.URL})
	key := orengenKey(t, bin, odir)
	p = pbStart(t, pb, filepath.Join(work, "pb-load"))
	token := pbSetup(t, pb, p)

	script := filepath.Join(work, "post.lua")
	os.WriteFile(script, []byte(wrkPostScript), 0o600)
	leadBody := `{"firstName":"Bench","lastName":"Lead %s","email":"lead%s@bench.test","phone":"%s","source":"bench"}`
	pbLeadBody := `{"name":"Bench Lead %s","email":"lead%s@bench.test","phone":"%s"}`
	personBody := `{"first_name":"Bench","last_name":"Person %s","email":"person%s@bench.test","phone":"%s"}`
	for w := 0; w < windows; w++ {
		done := profileWindow(fmt.Sprintf("leads-%d", w+1))
		r.Leads[0] = append(r.Leads[0], runWrk(t, o, script, conns, w, "/webhook/lead-capture", "localhost", "", leadBody))
		<-done
		r.Leads[1] = append(r.Leads[1], runWrk(t, p, script, conns, w, "/api/collections/leads/records", "", "", pbLeadBody))
	}
	// Latency below saturation: both at one fixed rate (open loop), after
	// the closed-loop windows above.
	r.Rate = float64(envInt("ORENGEN_BENCH_RATE", 1000))
	r.Paced[0] = runPaced(t, o, conns, r.Rate, "/webhook/lead-capture", "localhost", leadBody)
	r.Paced[1] = runPaced(t, p, conns, r.Rate, "/api/collections/leads/records", "", pbLeadBody)
	for i, pr := range r.Paced {
		if pr.OK < int(r.Rate*pacedWindow.Seconds()*0.95) || pr.Bad > 0 {
			t.Errorf("%s at %.0f/s: %d created, %d failed, of %.0f sent", peerNames[i], r.Rate, pr.OK, pr.Bad, r.Rate*pacedWindow.Seconds())
		}
	}
	for w := 0; w < 3; w++ {
		done := profileWindow(fmt.Sprintf("people-%d", w+1))
		r.People[0] = append(r.People[0], runWrk(t, o, script, conns, 100+w, "/api/v1/people", "app.localhost", "Bearer "+key, personBody))
		<-done
		r.People[1] = append(r.People[1], runWrk(t, p, script, conns, 100+w, "/api/collections/people/records", "", token, personBody))
	}
	r.PeakServe, r.PeakChild, r.PeakPB = o.peak, o.childPeak, p.peak

	// Every acknowledged create must be stored.
	stored := orengenCounts(t, odir)
	r.StoredLeads = [2]int{stored["form_submissions"], pbCount(t, p, token, "leads")}
	r.StoredPeople = [2]int{stored["crm_people"], pbCount(t, p, token, "people")}
	r.Runs, r.RunsDone = stored["runs"], stored["runs_succeeded"]
	for i := 0; i < 2; i++ {
		acked := sumOK(r.Leads[i]) + r.Paced[i].OK
		if r.StoredLeads[i] < acked {
			t.Errorf("%s: %d leads acknowledged, %d stored", peerNames[i], acked, r.StoredLeads[i])
		}
		ackedP := sumOK(r.People[i])
		if i == 0 {
			ackedP += acked // each lead created its CRM person
		}
		if r.StoredPeople[i] < ackedP {
			t.Errorf("%s: %d people acknowledged, %d stored", peerNames[i], ackedP, r.StoredPeople[i])
		}
		for _, ws := range append(append([]wrkResult{}, r.Leads[i]...), r.People[i]...) {
			if ws.OK == 0 || ws.Bad > ws.OK/100 {
				t.Errorf("%s: a window with %d created and %d failed: %s", peerNames[i], ws.OK, ws.Bad, ws.Raw)
			}
		}
	}
	if r.Runs < sumOK(r.Leads[0])+r.Paced[0].OK {
		t.Errorf("orengen: %d leads acknowledged but %d workflow runs enqueued", sumOK(r.Leads[0])+r.Paced[0].OK, r.Runs)
	}
	time.Sleep(5 * time.Second)
	r.AfterServe, r.AfterChild, r.AfterPB = memOf(o.pid()), memOf(o.childPID()), memOf(p.pid())
	o.stop(t)
	p.stop(t)

	out := r.markdown()
	fmt.Println(out)
	if f := os.Getenv("ORENGEN_BENCH_OUT"); f != "" {
		os.WriteFile(f, []byte(out), 0o644)
	}
}

var peerNames = [2]string{"orengen", "PocketBase"}

// profileWindow saves an 8-second CPU profile of orengen into
// ORENGEN_BENCH_PROFILE_DIR when the binary is a profiling build
// (-tags pprof) started with ORENGEN_PPROF_ADDR; otherwise it does nothing.
func profileWindow(name string) <-chan struct{} {
	done := make(chan struct{})
	dir, addr := os.Getenv("ORENGEN_BENCH_PROFILE_DIR"), os.Getenv("ORENGEN_PPROF_ADDR")
	if dir == "" || addr == "" {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		resp, err := http.Get("http://" + addr + "/debug/pprof/profile?seconds=8")
		if err != nil {
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(filepath.Join(dir, name+".pprof"))
		if err != nil {
			return
		}
		defer f.Close()
		io.Copy(f, resp.Body)
	}()
	return done
}

// wrkPostScript posts a JSON body made from a format with three %s: a
// unique tag (twice) and a unique phone number; wrk.lua args: body format,
// window number, Host, Authorization. A thread's phones repeat after
// 200,000 requests in a window (at 20,000 they did at 4,000 leads/s, and
// leads with a repeated phone were merged into one person); lead windows
// 0-9 use +1512 200-0000 to 599-9999, runPaced +1512 800-0000 and up.
const wrkPostScript = `
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  fmt = args[1]
  win = tonumber(args[2])
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[3] ~= "" then wrk.headers["Host"] = args[3] end
  if args[4] ~= "" then wrk.headers["Authorization"] = args[4] end
end
request = function()
  n = n + 1
  local tag = string.format("%d-%d-%d", win, tid, n)
  local phone = string.format("+1512%07d", 2000000 + (win % 10) * 400000 + tid * 200000 + (n % 200000))
  return wrk.format(nil, nil, nil, string.format(fmt, tag, tag, phone))
end
`

// pacedWindow is how long runPaced sends.
const pacedWindow = 10 * time.Second

// pacedResult is an open-loop window: latency percentiles over every
// request, each counted from the time it was due (a stalled server delays
// the requests queued behind it, and their wait counts), and the slowest
// second's p99.
type pacedResult struct {
	OK, Bad             int
	P50, P99, P999, Max time.Duration
	WorstSecondP99      time.Duration
}

// runPaced sends rate requests a second for pacedWindow over conns
// connections, each connection on its own schedule (wrk cannot pace). The
// bodies are wrkPostScript's formats with phones and emails of their own.
func runPaced(t *testing.T, s *peerProc, conns int, rate float64, path, host, body string) pacedResult {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	interval := time.Duration(float64(conns) / rate * float64(time.Second))
	start := time.Now().Add(100 * time.Millisecond)
	end := start.Add(pacedWindow)
	type sample struct{ due, lat time.Duration }
	var (
		mu      sync.Mutex
		samples []sample
		bad     int
		wg      sync.WaitGroup
	)
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var mine []sample
			failed := 0
			for i, due := 0, start.Add(interval*time.Duration(c)/time.Duration(conns)); due.Before(end); i, due = i+1, due.Add(interval) {
				time.Sleep(time.Until(due))
				tag := fmt.Sprintf("p%d-%d", c, i)
				phone := fmt.Sprintf("+1512%07d", 8000000+c*10000+i)
				req, _ := http.NewRequest("POST", "http://"+s.addr+path, strings.NewReader(fmt.Sprintf(body, tag, tag, phone)))
				if host != "" {
					req.Host = host
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := cl.Do(req)
				lat := time.Since(due)
				if err != nil {
					failed++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					failed++
					continue
				}
				mine = append(mine, sample{due.Sub(start), lat})
			}
			mu.Lock()
			samples, bad = append(samples, mine...), bad+failed
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	res := pacedResult{OK: len(samples), Bad: bad}
	if len(samples) == 0 {
		return res
	}
	pct := func(l []time.Duration, q float64) time.Duration { return l[int(q*float64(len(l)-1))] }
	all := make([]time.Duration, 0, len(samples))
	bySecond := map[int][]time.Duration{}
	for _, x := range samples {
		all = append(all, x.lat)
		bySecond[int(x.due/time.Second)] = append(bySecond[int(x.due/time.Second)], x.lat)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res.P50, res.P99, res.P999, res.Max = pct(all, .5), pct(all, .99), pct(all, .999), all[len(all)-1]
	for _, l := range bySecond {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		res.WorstSecondP99 = max(res.WorstSecondP99, pct(l, .99))
	}
	return res
}

type wrkResult struct {
	Window   int
	RPS      float64
	OK, Bad  int
	P50, P99 time.Duration
	// CPU is the server's CPU time (both processes for orengen) per
	// create: unlike creates/s, it hardly moves when other work on the
	// machine takes cores away.
	CPU time.Duration
	Raw string
}

var (
	reWrkReqs  = regexp.MustCompile(`(\d+) requests in`)
	reWrkRPS   = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reWrkNon2  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reWrkSock  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	reWrkLat   = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	durationOf = map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}
)

// runWrk runs one 10-second closed-loop window of wrk against a server.
func runWrk(t *testing.T, s *peerProc, script string, conns, window int, path, host, auth, body string) wrkResult {
	t.Helper()
	cmd := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", conns), "-d10s", "--timeout", "10s", "--latency", "-s", script,
		"http://"+s.addr+path, "--", body, strconv.Itoa(window), host, auth)
	cpu0 := cpuOf(s.pid()) + cpuOf(s.childPID())
	out, err := cmd.CombinedOutput()
	cpu := cpuOf(s.pid()) + cpuOf(s.childPID()) - cpu0
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	res := wrkResult{Window: window, Raw: string(out)}
	if m := reWrkReqs.FindStringSubmatch(res.Raw); m != nil {
		res.OK, _ = strconv.Atoi(m[1])
	}
	if m := reWrkRPS.FindStringSubmatch(res.Raw); m != nil {
		res.RPS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reWrkNon2.FindStringSubmatch(res.Raw); m != nil {
		res.Bad, _ = strconv.Atoi(m[1])
	}
	if m := reWrkSock.FindStringSubmatch(res.Raw); m != nil {
		for _, x := range m[1:] {
			n, _ := strconv.Atoi(x)
			res.Bad += n
		}
	}
	res.OK -= min(res.OK, res.Bad)
	res.CPU = cpu / time.Duration(max(1, res.OK))
	res.RPS = res.RPS * float64(res.OK) / float64(max(1, res.OK+res.Bad))
	for _, m := range reWrkLat.FindAllStringSubmatch(res.Raw, -1) {
		f, _ := strconv.ParseFloat(m[2], 64)
		d := time.Duration(f * float64(durationOf[m[3]]))
		if m[1] == "50" {
			res.P50 = d
		} else {
			res.P99 = d
		}
	}
	return res
}

func sumOK(ws []wrkResult) int {
	n := 0
	for _, w := range ws {
		n += w.OK
	}
	return n
}

// peerProc is a server under test: its process, address and the peak
// RSS seen while it ran (sampled every 200 ms).
type peerProc struct {
	cmd             *exec.Cmd
	addr            string
	started         time.Duration // exec to the first 200
	out             *syncBuffer
	mu              sync.Mutex
	peak, childPeak memInfo
	done            chan struct{}
	exited          chan error
}

func (p *peerProc) pid() int { return p.cmd.Process.Pid }

// childPID is the serving process's child (the replicator), 0 if none.
func (p *peerProc) childPID() int {
	// The child may be started from any thread of the process.
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p.pid()))
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.Atoi(f[0])
			return n
		}
	}
	return 0
}

// startPeer execs a server and waits for a 200 from url's path.
func startPeer(t *testing.T, name string, args []string, host, path string) *peerProc {
	t.Helper()
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := range args {
		args[i] = strings.ReplaceAll(args[i], "ADDR", addr)
	}
	p := &peerProc{addr: addr, out: &syncBuffer{}, done: make(chan struct{}), exited: make(chan error, 1)}
	p.cmd = exec.Command(name, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), "ORENGEN_TEST_RUN_MAIN=")
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	client := &http.Client{Timeout: time.Second}
	t0 := time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	for {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				p.started = time.Since(t0)
				break
			}
		}
		select {
		case err := <-p.exited:
			t.Fatalf("%s exited: %v\n%s", filepath.Base(name), err, p.out.String())
		case <-time.After(time.Millisecond):
		}
		if time.Since(t0) > 30*time.Second {
			p.cmd.Process.Kill()
			t.Fatalf("%s: no 200 from %s within 30 s\n%s", filepath.Base(name), path, p.out.String())
		}
	}
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-tick.C:
			}
			m, c := memOf(p.pid()), memOf(p.childPID())
			p.mu.Lock()
			if m.RSS > p.peak.RSS {
				p.peak = m
			}
			if c.RSS > p.childPeak.RSS {
				p.childPeak = c
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// stop sends SIGTERM and waits; it returns the start-up time.
func (p *peerProc) stop(t *testing.T) time.Duration {
	t.Helper()
	select {
	case <-p.done:
		return p.started
	default:
	}
	close(p.done)
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("%s did not stop within 30 s\n%s", p.cmd.Path, p.out.String())
	}
	return p.started
}

func (p *peerProc) kill() {
	select {
	case <-p.done:
	default:
		close(p.done)
		p.cmd.Process.Kill()
	}
}

func orengenStart(t *testing.T, bin, dir string, extra []string) *peerProc {
	args := append([]string{"serve", "--data-dir", dir, "--backup-dir", dir + "-replica", "--http-addr", "ADDR",
		// Neither the lead form's limit nor the API keys' (600 a minute by
		// default) may cap what the windows measure.
		"--log-level", "warn", "--lead-rate-limit", "-1", "--api-rate-limit", "1000000"}, extra...)
	return startPeer(t, bin, args, "localhost", "/healthz")
}

func pbStart(t *testing.T, bin, dir string) *peerProc {
	return startPeer(t, bin, []string{"serve", "--http", "ADDR", "--dir", dir}, "", "/api/health")
}

// orengenKey creates a write API key for the house tenant.
func orengenKey(t *testing.T, bin, dir string) string {
	t.Helper()
	cmd := exec.Command(bin, "apikey", "create", "--tenant", "house", "--scope", "write", "--data-dir", dir)
	cmd.Env = append(os.Environ(), "ORENGEN_TEST_RUN_MAIN=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("apikey create: %v %s", err, out)
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// pbSetup creates a superuser and the two collections (leads, people,
// each with an index on email, people's unique) and returns the
// superuser's token.
func pbSetup(t *testing.T, bin string, p *peerProc) string {
	t.Helper()
	dir := p.cmd.Args[len(p.cmd.Args)-1]
	if out, err := exec.Command(bin, "superuser", "upsert", "bench@bench.test", "bench-password-1", "--dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("pocketbase superuser: %v %s", err, out)
	}
	var auth struct{ Token string }
	pbJSON(t, p, "", "POST", "/api/collections/_superusers/auth-with-password", `{"identity":"bench@bench.test","password":"bench-password-1"}`, &auth)
	field := func(name, typ string) string { return fmt.Sprintf(`{"name":%q,"type":%q}`, name, typ) }
	pbJSON(t, p, auth.Token, "POST", "/api/collections", `{"name":"leads","type":"base","createRule":"","fields":[`+
		field("name", "text")+`,`+field("email", "email")+`,`+field("phone", "text")+`,{"name":"created","type":"autodate","onCreate":true}],`+
		`"indexes":["CREATE INDEX idx_leads_email ON leads (email)"]}`, nil)
	pbJSON(t, p, auth.Token, "POST", "/api/collections", `{"name":"people","type":"base","fields":[`+
		field("first_name", "text")+`,`+field("last_name", "text")+`,`+field("email", "email")+`,`+field("phone", "text")+
		`,{"name":"created","type":"autodate","onCreate":true}],`+
		`"indexes":["CREATE UNIQUE INDEX idx_people_email ON people (email)"]}`, nil)
	return auth.Token
}

func pbJSON(t *testing.T, p *peerProc, token, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+p.addr+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("pocketbase %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}

func pbCount(t *testing.T, p *peerProc, token, coll string) int {
	var res struct{ TotalItems int }
	pbJSON(t, p, token, "GET", "/api/collections/"+coll+"/records?perPage=1", "", &res)
	return res.TotalItems
}

// orengenCounts reads row counts from the data dir, read-only.
func orengenCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "orengen.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, tbl := range []string{"form_submissions", "crm_people", "runs"} {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + tbl).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tbl, err)
		}
		out[tbl] = n
	}
	var done int
	if err := db.QueryRow(`SELECT count(*) FROM runs WHERE status = 'succeeded'`).Scan(&done); err != nil {
		t.Fatalf("count finished runs: %v", err)
	}
	out["runs_succeeded"] = done
	return out
}

func httpGet(addr, host, path string) {
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	if host != "" {
		req.Host = host
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// cpuOf is a process's user and system CPU time so far (0 if gone).
func cpuOf(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): utime and
	// stime are the 12th and 13th, in clock ticks (USER_HZ, 100 on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// memInfo is a process's resident memory from /proc/PID/smaps_rollup.
type memInfo struct{ RSS, Anon, File int64 } // bytes

func memOf(pid int) memInfo {
	var m memInfo
	if pid == 0 {
		return m
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fs[1], 10, 64)
		switch fs[0] {
		case "Rss:":
			m.RSS = kb << 10
		case "Anonymous:":
			m.Anon = kb << 10
		}
	}
	m.File = m.RSS - m.Anon
	return m
}

func (m memInfo) String() string {
	return fmt.Sprintf("%.0f MiB (%.0f anon + %.0f file)", mib(m.RSS), mib(m.Anon), mib(m.File))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

type peerReport struct {
	Conns                           int
	Load                            string
	Size                            [2]int64
	Cold, Restart                   [2]time.Duration
	IdleServe, IdleChild, IdlePB    memInfo
	PeakServe, PeakChild, PeakPB    memInfo
	AfterServe, AfterChild, AfterPB memInfo
	Leads, People                   [2][]wrkResult
	StoredLeads, StoredPeople       [2]int
	Runs, RunsDone                  int // workflow runs enqueued, and succeeded by the end of the load
	Rate                            float64
	Paced                           [2]pacedResult
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func rateOf(ws []wrkResult) float64 {
	if len(ws) == 0 {
		return 0
	}
	s := 0.0
	for _, w := range ws {
		s += w.RPS
	}
	return s / float64(len(ws))
}

// cpuPer is the mean server CPU per create over the windows.
func cpuPer(ws []wrkResult) time.Duration {
	var cpu time.Duration
	n := 0
	for _, w := range ws {
		cpu += w.CPU * time.Duration(w.OK)
		n += w.OK
	}
	return cpu / time.Duration(max(1, n))
}

func maxP99(ws []wrkResult) time.Duration {
	var d time.Duration
	for _, w := range ws {
		d = max(d, w.P99)
	}
	return d
}

func (r *peerReport) markdown() string {
	var b bytes.Buffer
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Machine: %s, %d cores; %s UTC; load average before the run %s; wrk -t2 -c%d, 10 s windows, same run.\n\n",
		host, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02 15:04"), r.Load, r.Conns)
	fmt.Fprintf(&b, "| what | orengen | PocketBase | ratio |\n| --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| binary size | %.1f MB | %.1f MB | %s |\n", float64(r.Size[0])/1e6, float64(r.Size[1])/1e6, ratio(float64(r.Size[0]), float64(r.Size[1])))
	fmt.Fprintf(&b, "| cold start to first 200 (fresh data dir; median of %d) | %d ms | %d ms | %s |\n", startRounds, r.Cold[0].Milliseconds(), r.Cold[1].Milliseconds(), ratio(float64(r.Cold[0]), float64(r.Cold[1])))
	fmt.Fprintf(&b, "| restart to first 200 (median of %d) | %d ms | %d ms | %s |\n", startRounds, r.Restart[0].Milliseconds(), r.Restart[1].Milliseconds(), ratio(float64(r.Restart[0]), float64(r.Restart[1])))
	fmt.Fprintf(&b, "| idle RSS, serving process | %s | %s | %s |\n", r.IdleServe, r.IdlePB, ratio(float64(r.IdleServe.RSS), float64(r.IdlePB.RSS)))
	fmt.Fprintf(&b, "| idle RSS, replicator child | %s | (none) | %s |\n", r.IdleChild, ratio(float64(r.IdleChild.RSS), float64(r.IdlePB.RSS)))
	fmt.Fprintf(&b, "| idle RSS, both processes | %.0f MiB | %.0f MiB | %s |\n", mib(r.IdleServe.RSS+r.IdleChild.RSS), mib(r.IdlePB.RSS), ratio(float64(r.IdleServe.RSS+r.IdleChild.RSS), float64(r.IdlePB.RSS)))
	fmt.Fprintf(&b, "| peak RSS under load (serving; child) | %s; %s | %s | %s |\n", r.PeakServe, r.PeakChild, r.PeakPB, ratio(float64(r.PeakServe.RSS), float64(r.PeakPB.RSS)))
	fmt.Fprintf(&b, "| RSS 5 s after the load (serving; child) | %s; %s | %s | %s |\n", r.AfterServe, r.AfterChild, r.AfterPB, ratio(float64(r.AfterServe.RSS), float64(r.AfterPB.RSS)))
	row := func(what string, o, p []wrkResult) {
		fmt.Fprintf(&b, "| %s, creates/s (mean of %d windows) | %.0f | %.0f | %s |\n", what, len(o), rateOf(o), rateOf(p), ratio(rateOf(o), rateOf(p)))
		fmt.Fprintf(&b, "| %s, server CPU per create | %d µs | %d µs | %s |\n", what, cpuPer(o).Microseconds(), cpuPer(p).Microseconds(), ratio(float64(cpuPer(o)), float64(cpuPer(p))))
		fmt.Fprintf(&b, "| %s, worst window p99 | %.1f ms | %.1f ms | |\n", what, float64(maxP99(o))/1e6, float64(maxP99(p))/1e6)
	}
	row("lead capture (orengen: submission, CRM person, timeline, workflow run; PocketBase: one record)", r.Leads[0], r.Leads[1])
	row("CRM person create over the API (PocketBase: superuser create)", r.People[0], r.People[1])
	fmt.Fprintf(&b, "\nLead capture as the database grows (each window 10 s; rows stored before it; CPU: the server's CPU time per create):\n\n| window | orengen leads/s | p50 | p99 | CPU | PocketBase creates/s | p50 | p99 | CPU | ratio |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	var before [2]int
	for i := range r.Leads[0] {
		o, p := r.Leads[0][i], r.Leads[1][i]
		fmt.Fprintf(&b, "| %d (%d / %d stored) | %.0f | %.1f ms | %.1f ms | %d µs | %.0f | %.1f ms | %.1f ms | %d µs | %s |\n", i+1, before[0], before[1],
			o.RPS, float64(o.P50)/1e6, float64(o.P99)/1e6, o.CPU.Microseconds(), p.RPS, float64(p.P50)/1e6, float64(p.P99)/1e6, p.CPU.Microseconds(), ratio(o.RPS, p.RPS))
		before[0] += o.OK
		before[1] += p.OK
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
	fmt.Fprintf(&b, "\nLead capture at a fixed %.0f creates/s (open loop, %d connections, %s after the windows above; latency from each request's due time):\n\n| peer | created | failed | p50 | p99 | p99.9 | max | worst second's p99 |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n", r.Rate, r.Conns, pacedWindow)
	for i, pr := range r.Paced {
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s |\n", peerNames[i], pr.OK, pr.Bad, ms(pr.P50), ms(pr.P99), ms(pr.P999), ms(pr.Max), ms(pr.WorstSecondP99))
	}
	fmt.Fprintf(&b, "\nStored after the run: orengen %d submissions, %d people, %d workflow runs (%d of them run to the end by then); PocketBase %d leads, %d people.\n",
		r.StoredLeads[0], r.StoredPeople[0], r.Runs, r.RunsDone, r.StoredLeads[1], r.StoredPeople[1])
	return b.String()
}

// dropPageCache evicts a file's clean pages from the page cache.
func dropPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	if p == "" {
		t.Fatal("ORENGEN_BENCH_BIN and ORENGEN_BENCH_POCKETBASE must name the two binaries")
	}
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a); err != nil {
		t.Fatal(err)
	}
	return a
}

func fileSize(t *testing.T, p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
