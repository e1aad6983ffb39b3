//go:build pprof

package cli

// Profiling builds (go build -tags 'sqlite_fts5 pprof'): ORENGEN_PPROF_ADDR
// (a loopback host:port) serves net/http/pprof from serve; the replicator
// child serves it on the next port. Never in a release build: the default
// build has no such listener.

import (
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
)

func init() {
	addr := os.Getenv("ORENGEN_PPROF_ADDR")
	if addr == "" {
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		panic("ORENGEN_PPROF_ADDR must be a loopback host:port")
	}
	if len(os.Args) > 1 && os.Args[1] == "replicate" {
		p, _ := strconv.Atoi(port)
		addr = net.JoinHostPort(host, strconv.Itoa(p+1))
	}
	go http.ListenAndServe(addr, nil)
}
