package proxy

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminHandler serves /healthz (the process is up), /readyz (a snapshot is being served)
// and /metrics from gatherer.
func (s *Server) AdminHandler(gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch v := s.Version(); {
		case s.draining.Load():
			writeText(w, http.StatusServiceUnavailable, "not ready: draining\n")
		case v != "":
			writeText(w, http.StatusOK, "ready: serving snapshot "+v+"\n")
		default:
			writeText(w, http.StatusServiceUnavailable, "not ready: no snapshot yet\n")
		}
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}
