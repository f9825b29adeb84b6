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

// The Redis rate-limit store's counters (dataplane/ratelimit/redismetrics.go).
const (
	metricRedisRoundTrips = "claimgate_proxy_ratelimit_redis_round_trips_total"
	metricRedisErrors     = "claimgate_proxy_ratelimit_redis_errors_total"
	metricRedisLocalOver  = "claimgate_proxy_ratelimit_redis_local_over_total"
	metricRedisSeconds    = "claimgate_proxy_ratelimit_redis_round_trip_seconds_sum"
)

// redisCounters are the Redis store's counters, summed over proxies.
type redisCounters struct {
	roundTrips, errors, localOver float64
	seconds                       float64 // time spent in round trips
}

func (c redisCounters) sub(o redisCounters) redisCounters {
	return redisCounters{
		roundTrips: c.roundTrips - o.roundTrips, errors: c.errors - o.errors,
		localOver: c.localOver - o.localOver, seconds: c.seconds - o.seconds,
	}
}

// scrapeRedis sums the Redis store's counters over the proxies whose admin endpoints are
// adminAddrs; a proxy without them has no Redis store in use, which is an error.
func scrapeRedis(adminAddrs []string) (redisCounters, error) {
	var out redisCounters
	for _, a := range adminAddrs {
		m, err := scrape("http://" + a + "/metrics")
		if err != nil {
			return redisCounters{}, err
		}
		rt, ok := m[metricRedisRoundTrips]
		if !ok {
			return redisCounters{}, fmt.Errorf("the proxy at %s exports no %s: it counts in no Redis", a, metricRedisRoundTrips)
		}
		out.roundTrips += rt
		out.errors += m[metricRedisErrors]
		out.localOver += m[metricRedisLocalOver]
		out.seconds += m[metricRedisSeconds]
	}
	return out, nil
}
