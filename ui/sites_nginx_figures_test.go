package ui_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"orengen/internal/realtest"
)

// wrkPlain is requests/s of wrk on addr for host and path, without
// Accept-Encoding (the same uncompressed bytes from both servers).
func wrkPlain(t *testing.T, addr, host, path string, d time.Duration) float64 {
	t.Helper()
	out, err := exec.Command("wrk", "-t2", "-c32", "-d"+strconv.Itoa(int(d.Seconds()))+"s", "-H", "Host: "+host,
		"-H", "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "http://"+addr+path).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	if m := reWrkNon.FindStringSubmatch(string(out)); m != nil {
		t.Fatalf("wrk %s%s: %s answers were not 2xx\n%s", host, path, m[1], out)
	}
	m := reWrkRate.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("wrk output: %s", out)
	}
	rps, _ := strconv.ParseFloat(m[1], 64)
	return rps
}

// TestSitesNginxFigures (make bench, issue 21): a published page served by
// the builder against nginx serving the same bytes from a file, in the
// same run, windows alternating; the ratio is what docs/BENCHMARKS.md
// records (target at least 0.9). nginx is started on a loopback port with
// a temporary configuration; without it the test fails under
// ORENGEN_REQUIRE_REAL=1.
func TestSitesNginxFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_SITES") == "" {
		t.Skip("figures: ORENGEN_BENCH_SITES=1 (make bench)")
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr == nil {
			nginx = "/usr/sbin/nginx"
		} else {
			realtest.Missing(t, "nginx not installed: apt-get install -y nginx-light")
		}
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		realtest.Missing(t, "wrk not installed: apt-get install -y wrk")
	}
	e := newTenantEnv(t)
	e.App.Sites.Analytics = nil // nginx counts nothing either
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	t.Cleanup(func() { e.Server.Shutdown(context.Background()) })
	addr := ln.Addr().String()
	host := e.A.T.Slug + "-site.localhost"

	// The page's bytes as the builder serves them, into nginx's root.
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Host = host
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(page) < 500 {
		t.Fatalf("page: %d, %d bytes", resp.StatusCode, len(page))
	}
	dir := t.TempDir()
	for _, d := range []string{"www", "tmp", "logs"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	if err := os.WriteFile(filepath.Join(dir, "www", "index.html"), page, 0o644); err != nil {
		t.Fatal(err)
	}
	port := realtest.FreePort(t)
	conf := fmt.Sprintf(`user root;
worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on; tcp_nopush on; tcp_nodelay on;
	keepalive_requests 1000000;
	client_body_temp_path %[1]s/tmp/body; proxy_temp_path %[1]s/tmp/proxy; fastcgi_temp_path %[1]s/tmp/fcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi; scgi_temp_path %[1]s/tmp/scgi;
	server {
		listen 127.0.0.1:%[2]d;
		root %[1]s/www;
		location = / { default_type "text/html; charset=utf-8"; try_files /index.html =404; }
	}
}
`, dir, port)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// No pipes to the process (its workers would hold them open): its
	// log is the error log in dir.
	cmd := exec.Command(nginx, "-p", dir, "-c", confPath, "-g", "daemon off;")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // SIGINT: a fast shutdown, the workers with it
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
			t.Logf("nginx error log:\n%s", b)
		}
	})
	nginxAddr := realtest.Addr(port)
	realtest.WaitTCP(t, nginxAddr, 10*time.Second)
	req2, _ := http.NewRequest("GET", "http://"+nginxAddr+"/", nil)
	resp2, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if string(same) != string(page) {
		t.Fatalf("nginx serves other bytes (%d vs %d)", len(same), len(page))
	}

	window := 4 * time.Second
	fmt.Printf("load average at start: %s\n", loadavg())
	var builder, ng []float64
	for i := 0; i < 3; i++ { // alternating, so the machine's load falls on both alike
		builder = append(builder, wrkPlain(t, addr, host, "/", window))
		ng = append(ng, wrkPlain(t, nginxAddr, "localhost", "/", window))
	}
	fmt.Printf("load average at end: %s\n", loadavg())
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	b, n := mean(builder), mean(ng)
	fmt.Printf("published page, %d bytes, wrk -t2 -c32, %s windows x3 alternating, no Accept-Encoding\n", len(page), window)
	fmt.Printf("builder req/s: %.0f (windows %.0f)\nnginx   req/s: %.0f (windows %.0f)\nratio builder/nginx: %.2f\n", b, builder, n, ng, b/n)
}
