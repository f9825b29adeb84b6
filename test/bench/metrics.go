package bench

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scrape returns the samples of a Prometheus text endpoint by their full name with
// labels, e.g. `claimgate_snapshot_size_bytes{gateway="gloo-system/ai-gateway"}`.
func scrape(url string) (map[string]float64, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url) //nolint:noctx // a local scrape with a timeout
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", url, err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// compileTotals returns the sum and count of claimgate_compile_duration_seconds.
func compileTotals(m map[string]float64) (sum, count float64) {
	return m["claimgate_compile_duration_seconds_sum"], m["claimgate_compile_duration_seconds_count"]
}

// statusBacklog is the number of statuses the controller has queued or is writing;
// false when m has no metric of its status queue.
func statusBacklog(m map[string]float64) (float64, bool) {
	var n float64
	found := false
	for k, v := range m {
		if strings.Contains(k, `name="claimgate_status"`) &&
			(strings.HasPrefix(k, "workqueue_depth{") || strings.HasPrefix(k, "workqueue_unfinished_work_seconds{")) {
			n, found = n+v, true
		}
	}
	return n, found
}
