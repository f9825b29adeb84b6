package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/llm"
	"github.com/claimgate/claimgate/dataplane/ratelimit"
	dpsync "github.com/claimgate/claimgate/dataplane/sync"
)

// FuzzCompileAndServe: any decodable snapshot either compiles or is rejected with an
// error, and a compiled one answers requests without panicking.
func FuzzCompileAndServe(f *testing.F) {
	f.Add([]byte(`{"version":"v","listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],
		"routes":[{"match":{"path":{"type":"REGULAR_EXPRESSION","value":"/a.*"},"headers":[{"name":"x","type":"VALUE_REGULAR_EXPRESSION","value":"b+"}]},
		"filters":[{"urlRewrite":{"path":{"type":"REPLACE_PREFIX_MATCH","value":"/x"}}}]}]}]}]}`), "/a/b")
	f.Add([]byte(`{"version":"v","listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*.example.com"],
		"routes":[{"match":{"path":{"value":"/old"}},"filters":[{"requestRedirect":{"path":{"type":"REPLACE_PREFIX_MATCH","value":"/"}}}]},
		{"directResponse":{"status":200,"body":"ok"},"rbac":{}}]}]}]}`), "/old/x?y")
	f.Add([]byte(`{"version":"v","upstreams":[{"name":"u","static":{"endpoints":[{"host":"h","port":1}]}}],
		"listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],"routes":[{"backends":[{"upstream":"u","weight":0}]}]}]}]}`), "/")
	f.Add([]byte(`{"version":"v","listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],
		"routes":[{"match":{"path":{"value":"/a/"}},"cors":{"allowOrigin":["https://o.example"],"allowOriginRegex":["https://.*\\.t\\.example"],
		"allowMethods":["*"],"allowHeaders":["x"],"exposeHeaders":["y"],"maxAge":"5","allowCredentials":true},
		"headerManipulation":{"requestHeadersToAdd":[{"name":"x-a","value":"1","append":true},{"name":"x-b","value":"2"}],
		"requestHeadersToRemove":["x-c"],"responseHeadersToAdd":[{"name":"x-d","value":"3"}],"responseHeadersToRemove":["server"]},
		"upstreamRewrite":{"regex":{"pattern":"^/a/(.*)$","substitution":"/\\1/\\0"},"autoHost":true}},
		{"match":{"path":{"type":"EXACT","value":"/e"}},"upstreamRewrite":{"prefix":"","host":"h.example:8080"}}]}]}]}`), "a/b")
	f.Add([]byte(`{"version":"v","upstreams":[{"name":"u","static":{"endpoints":[{"host":"h","port":443,"tls":true,
		"verifySubjectAltNames":["h"],"alpnProtocols":["h2","http/1.1"],"minTlsVersion":"1.2","maxTlsVersion":"1.3"}]}}],
		"listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],"routes":[{"backends":[{"upstream":"u","weight":1}],
		"upstreamRewrite":{"prefix":"/p"},"cors":{"allowOrigin":["*"]}}]}]}]}`), "x")
	f.Add([]byte(`{"version":"v","upstreams":[{"name":"u","static":{"endpoints":[{"host":"h","port":1}]}}],
		"listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],"routes":[{"backends":[{"upstream":"u","weight":1}],
		"timeouts":{"request":"1s","backendRequest":"0.1s"},"idleTimeout":"0.5s","maxStreamDuration":"2s",
		"retry":{"retryOn":["5xx","reset","retriable-status-codes"],"numRetries":2,"baseInterval":"0.01s","maxInterval":"0.1s","retriableStatusCodes":[429],"previousPriorities":true},
		"includeRequestAttemptCount":true,"includeAttemptCountInResponse":true}]}]}]}`), "/")
	f.Add([]byte(`{"version":"v","listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],"routes":[
		{"match":{"path":{"value":"/f"}},"fault":{"abort":{"httpStatus":503,"percentage":100}},"directResponse":{"status":200,"body":"ok"}},
		{"fault":{"delay":{"fixedDelay":"0.001s","percentage":50},"abort":{"httpStatus":418,"percentage":0.5}},"directResponse":{"status":200}}]}]}]}`), "f")
	f.Add([]byte(`{"version":"v","listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],"routes":[
		{"retry":{"retryOn":["gateway-error","bogus"],"baseInterval":"-1s"},"fault":{"abort":{"httpStatus":700,"percentage":101}},"idleTimeout":"-1s"}]}]}]}`), "/")
	f.Add([]byte(`{"version":"v","upstreams":[{"name":"u","static":{"endpoints":[{"host":"h","port":1}]}}],
		"listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],"routes":[{"backends":[{"upstream":"u","weight":1}],
		"rateLimits":{"early":[{"name":"ns/ip","descriptors":[{"key":"remote_address","limit":{"requestsPerUnit":1,"unit":"SECOND"}}],
		"actions":[{"actions":[{"remoteAddress":{}}]}]}],"regular":[{"name":"ns/user","tokens":true,
		"descriptors":[{"key":"user-id","limit":{"requestsPerUnit":70,"unit":"HOUR"},"descriptors":[{"key":"d","value":"u","weight":1}]}],
		"actions":[{"actions":[{"claim":{"descriptorKey":"user-id","path":["sub"],"defaultValue":"unknown"}},{"destinationCluster":{}}]},
		{"setStyle":true,"actions":[{"requestHeader":{"headerName":"origin","descriptorKey":"o"}},{"headerValueMatch":{"descriptorValue":"m",
		"expectMatch":true,"headers":[{"name":"origin","regex":"https://.*"}]}}]}],
		"setDescriptors":[{"entries":[{"key":"o"}],"limit":{"requestsPerUnit":2,"unit":"MINUTE"},"alwaysApply":true}]}]}}]}]}]}`), "/")
	f.Add([]byte(`{"version":"v","upstreams":[{"name":"u","failover":{"priorities":[{"pool":[
		{"provider":"OPENAI","authToken":"k","model":"a","endpoint":{"host":"h","port":1}},{"provider":"ANTHROPIC","endpoint":{"host":"h","port":2}}]},
		{"pool":[{"provider":"AZURE_OPENAI","deploymentName":"d","endpoint":{"host":"h","port":443,"tls":true}}]}]}}],
		"listeners":[{"port":1,"protocol":"HTTP","virtualHosts":[{"domains":["*"],"routes":[{"backends":[{"upstream":"u","weight":1}],
		"retry":{"retryOn":["5xx"],"numRetries":2,"previousPriorities":true,"previousPrioritiesUpdateFrequency":2}}]}]}]}`), "/")
	srv := &Server{
		cfg: Config{Authenticator: authn.New(authn.Config{Logger: logr.Discard()}), Now: time.Now, Transports: llm.NewTransports(llm.TransportConfig{})},
		log: logr.Discard(), localLimiter: ratelimit.New(ratelimit.Config{}),
	}
	srv.limiters.Store(&limiterState{limiter: srv.localLimiter})
	m, err := newMetrics(nil, srv)
	if err != nil {
		f.Fatal(err)
	}
	srv.metrics = m
	f.Fuzz(func(t *testing.T, data []byte, target string) {
		s, err := dpsync.Decode(data)
		if err != nil {
			return
		}
		tbl, err := srv.compile(s)
		if err != nil {
			return
		}
		// Requests never leave the process: routes lose their backends (and answer 500).
		for _, pt := range tbl.ports {
			for _, vh := range allVhosts(pt) {
				for _, rt := range vh.routes {
					rt.backends = backendSet{}
					if rt.res != nil && rt.res.fault != nil { // nor are they held long
						rt.res.fault.delay = min(rt.res.fault.delay, time.Millisecond)
					}
				}
			}
		}
		srv.table.Store(tbl)
		for port := range tbl.ports {
			r, err := http.NewRequest(http.MethodGet, "http://a.example.com", nil)
			if err != nil {
				return
			}
			r.URL.Path = "/" + target
			srv.Handler(port).ServeHTTP(httptest.NewRecorder(), r)
			// The same path as a CORS preflight.
			r, err = http.NewRequest(http.MethodOptions, "http://a.example.com", nil)
			if err != nil {
				return
			}
			r.URL.Path = "/" + target
			r.Header = http.Header{"Origin": {"https://o.example"}, "Access-Control-Request-Method": {"POST"}}
			srv.Handler(port).ServeHTTP(httptest.NewRecorder(), r)
		}
	})
}

func allVhosts(pt *portTable) []*vhost {
	var out []*vhost
	for _, vh := range pt.hosts.exact {
		out = append(out, vh)
	}
	for _, w := range pt.hosts.wildcards {
		out = append(out, w.vh)
	}
	if pt.hosts.any != nil {
		out = append(out, pt.hosts.any)
	}
	return out
}
