package bench

import (
	"fmt"
	"net/http"
	"sort"
)

// floodRow is one flood of one kind of invalid token at one system.
type floodRow struct {
	system, kind string
	perSecond    float64
	requests     int
	bad          int // answers other than 401, plus transport errors
}

// runFloods sends each kind of invalid token, and no token, to every system that
// enforces the policy, at 16 concurrent clients.
func (f *fixture) runFloods() []floodRow {
	kinds := make([]string, 0, len(f.bad)+1)
	for k := range f.bad {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	kinds = append(kinds, "missing")
	var rows []floodRow
	for _, name := range []string{sysPolicy, sysHAProxy} {
		s := f.system(name)
		if s == nil || s.unavailable != "" {
			continue
		}
		for _, kind := range kinds {
			if f.ctx.Err() != nil {
				return rows
			}
			t := Target{URL: s.url, Body: requestBody, Token: fixed(f.bad[kind]), Want: http.StatusUnauthorized}
			r := ClosedLoop(t, 16, f.cfg.FloodStep)
			rows = append(rows, floodRow{
				system: name, kind: kind, perSecond: r.RPS(), requests: r.Requests,
				bad: r.Unexpected + r.Errors,
			})
			fmt.Fprintf(f.log, "flood %-10s %-36s %8.0f rejections/s, %d not 401\n", kind, name, r.RPS(), r.Unexpected+r.Errors)
		}
	}
	return rows
}
