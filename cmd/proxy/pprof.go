package main

import (
	"net/http"
	"net/http/pprof"
)

// withProfiles adds Go's runtime profiles (/debug/pprof/, as net/http/pprof serves
// them) to the admin handler. They show what the proxy spends its CPU and memory on;
// they are served only with --pprof, as a profile can be asked for by anyone who
// reaches the admin address.
func withProfiles(admin http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", admin)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
