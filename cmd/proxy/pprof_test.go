package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProfiles: with --pprof the admin address serves the profiles beside what it
// served before; without it, not.
func TestProfiles(t *testing.T) {
	admin := http.NewServeMux()
	admin.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	get := func(h http.Handler, path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	require.Equal(t, http.StatusNotFound, get(admin, "/debug/pprof/"))
	with := withProfiles(admin)
	require.Equal(t, http.StatusOK, get(with, "/debug/pprof/"))
	require.Equal(t, http.StatusOK, get(with, "/debug/pprof/goroutine?debug=1"))
	require.Equal(t, http.StatusOK, get(with, "/healthz"))
}
