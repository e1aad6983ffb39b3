package cli

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/letsencrypt/challtestsrv"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// TestBenchPebble is the ACME server for scripts/bench_tls.sh: with
// ORENGEN_BENCH_PEBBLE=DIR it runs pebble and its DNS on loopback, writes
// DIR/env (the flags for `orengen serve`), and waits for DIR/stop (at most
// five minutes). Without the variable it skips.
func TestBenchPebble(t *testing.T) {
	dir := os.Getenv("ORENGEN_BENCH_PEBBLE")
	if dir == "" {
		t.Skip("ORENGEN_BENCH_PEBBLE not set (used by scripts/bench_tls.sh)")
	}
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	plog := log.New(io.Discard, "", 0)
	dnsAddr := "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
	cts, err := challtestsrv.New(challtestsrv.Config{DNSAddrs: []string{dnsAddr}, Log: plog})
	if err != nil {
		t.Fatal(err)
	}
	cts.SetDefaultDNSIPv4("127.0.0.1")
	cts.SetDefaultDNSIPv6("")
	go cts.Run()
	defer cts.Shutdown()
	httpPort, httpsPort := freeTCPPort(t), freeTCPPort(t)
	pb := startPebble(t, dnsAddr, httpPort, httpsPort, plog)
	root := filepath.Join(dir, "acme-root.pem")
	if err := os.WriteFile(root, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pb.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d\nHTTPS_ADDR=127.0.0.1:%d\nHTTPS_PORT=%d\nACME_CA=%s\nACME_ROOT=%s\nDNS=%s\n",
		httpPort, httpsPort, httpsPort, pb.srv.URL+wfe.DirectoryPath, root, dnsAddr)
	if err := os.WriteFile(filepath.Join(dir, "env.tmp"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "env.tmp"), filepath.Join(dir, "env")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			return
		}
	}
}

// TestBenchHandshakes measures TLS handshakes per second against
// ORENGEN_BENCH_HTTPS (host:port of a running `orengen serve --tls=auto`
// for example.test), for scripts/bench_tls.sh: full and resumed, TLS 1.3
// and 1.2, with ORENGEN_BENCH_CONC goroutines for ORENGEN_BENCH_DUR each.
func TestBenchHandshakes(t *testing.T) {
	addr := os.Getenv("ORENGEN_BENCH_HTTPS")
	if addr == "" {
		t.Skip("ORENGEN_BENCH_HTTPS not set (used by scripts/bench_tls.sh)")
	}
	dur, _ := time.ParseDuration(os.Getenv("ORENGEN_BENCH_DUR"))
	if dur <= 0 {
		dur = 5 * time.Second
	}
	conc, _ := strconv.Atoi(os.Getenv("ORENGEN_BENCH_CONC"))
	if conc <= 0 {
		conc = 2
	}
	for _, v := range []struct {
		name string
		ver  uint16
	}{{"TLS1.3", tls.VersionTLS13}, {"TLS1.2", tls.VersionTLS12}} {
		for _, resume := range []bool{false, true} {
			var cache tls.ClientSessionCache
			if resume {
				cache = tls.NewLRUClientSessionCache(64)
				// One full conversation so the client holds a ticket (TLS 1.3
				// tickets arrive after the handshake, on the first read).
				c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "example.test", InsecureSkipVerify: true, MinVersion: v.ver, MaxVersion: v.ver, ClientSessionCache: cache})
				if err != nil {
					t.Fatal(err)
				}
				io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n")
				io.Copy(io.Discard, c)
				c.Close()
			}
			var total, resumed atomic.Int64
			var failures atomic.Int64
			stopAt := time.Now().Add(dur)
			var wg sync.WaitGroup
			t0 := time.Now()
			for range conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cfg := &tls.Config{ServerName: "example.test", InsecureSkipVerify: true, MinVersion: v.ver, MaxVersion: v.ver, ClientSessionCache: cache}
					for time.Now().Before(stopAt) {
						c, err := tls.Dial("tcp", addr, cfg)
						if err != nil {
							failures.Add(1)
							continue
						}
						total.Add(1)
						if c.ConnectionState().DidResume {
							resumed.Add(1)
						}
						c.Close()
					}
				}()
			}
			wg.Wait()
			el := time.Since(t0).Seconds()
			kind := "full"
			if resume {
				kind = "resumed"
			}
			fmt.Printf("%s %-7s handshakes: %7.0f/s  (%d in %.1fs, %d goroutines, %d resumed, %d failed)\n",
				v.name, kind, float64(total.Load())/el, total.Load(), el, conc, resumed.Load(), failures.Load())
		}
	}
}
