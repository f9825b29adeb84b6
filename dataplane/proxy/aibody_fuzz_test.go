package proxy

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/test/fakellm"
)

// aiBodyRoute is an AI route doing everything a request body goes through: prompt
// enrichment and defaults, the Upstream's fixed model, and a token budget that reserves
// max_tokens.
func aiBodyRoute(f *testing.F, backend string) *snapshotv1.Snapshot {
	host, p, err := net.SplitHostPort(backend)
	if err != nil {
		f.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	budget := &snapshotv1.RateLimitPolicy{
		Name: "ns/budget", Tokens: true, ReserveMaxTokens: true,
		Descriptors: []*snapshotv1.RateLimitDescriptor{{Key: "remote_address", Limit: &snapshotv1.RateLimit{RequestsPerUnit: 1 << 31, Unit: snapshotv1.RateLimitUnit_HOUR}}},
		Actions:     []*snapshotv1.RateLimitActions{{Actions: []*snapshotv1.RateLimitAction{{Kind: &snapshotv1.RateLimitAction_RemoteAddress{RemoteAddress: &snapshotv1.RemoteAddressAction{}}}}}},
	}
	return &snapshotv1.Snapshot{
		Version: "v1", GatewayNamespace: "ns", GatewayName: "gw",
		Listeners: []*snapshotv1.Listener{{Name: "http", Port: 8080, Protocol: snapshotv1.Protocol_HTTP, VirtualHosts: []*snapshotv1.VirtualHost{{
			Name: "any", Domains: []string{"*"}, Routes: []*snapshotv1.Route{{
				Name: "llm", Backends: []*snapshotv1.WeightedBackend{{Upstream: "up", Weight: 1}},
				RateLimits: &snapshotv1.RateLimits{Regular: []*snapshotv1.RateLimitPolicy{budget}},
				AiRequest: &snapshotv1.AiRequest{
					Prepend:  []*snapshotv1.AiMessage{{Role: "system", Content: "Be brief."}},
					Append:   []*snapshotv1.AiMessage{{Role: "user", Content: "Thanks."}},
					Defaults: []*snapshotv1.AiFieldDefault{{Field: "temperature", ValueJson: "0.2"}, {Field: "max_tokens", ValueJson: "64", Override: true}},
				},
			}},
		}}}},
		Upstreams: []*snapshotv1.Upstream{{Name: "up", Kind: &snapshotv1.Upstream_Llm{Llm: &snapshotv1.LlmUpstream{
			Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "sk-fuzz", Model: "gpt-4o",
			Endpoint: &snapshotv1.Endpoint{Host: host, Port: uint32(port)},
		}}}},
	}
}

// FuzzAIRequestBody: any request body on an AI route is answered below 500 (the fake
// provider answers every request it gets), or refused with a 4xx before the provider
// is called; one that is not a JSON object reaches the
// provider byte for byte, and a JSON object with messages reaches it enriched.
func FuzzAIRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true,"max_tokens":9}`,
		`{"messages":"x","max_tokens":-1}`, `{"messages":[1,null,{}],"max_tokens":1e308}`,
		`{"model":7}`, `[]`, `null`, `not json`, `{"a":`, "{\"messages\":[]}\x00", `{"max_tokens":"9"}`,
		`{"model":"m","model":"n","messages":[{"role":"user","content":"dup"}]}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	fake := fakellm.New(fakellm.Config{})
	fake.Start()
	f.Cleanup(fake.Close)
	srv, err := New(Config{Authenticator: authn.New(authn.Config{Logger: logr.Discard()}), Logger: logr.Discard(), Now: time.Now})
	if err != nil {
		f.Fatal(err)
	}
	tbl, err := srv.compile(aiBodyRoute(f, fake.HostPort()))
	if err != nil {
		f.Fatal(err)
	}
	srv.table.Store(tbl)
	f.Fuzz(func(t *testing.T, body []byte, chunked bool) {
		fake.Reset()
		r := httptest.NewRequest(http.MethodPost, "http://gw/v1/chat/completions", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if chunked {
			r.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		srv.Handler(8080).ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
		}
		last, ok := fake.Last()
		if !ok {
			if rec.Code < 400 {
				t.Fatalf("%q: %d %s without calling the provider", body, rec.Code, rec.Body)
			}
			return // refused before the provider: a reservation that does not fit
		}
		sent := last.Body
		var doc map[string]json.RawMessage
		if json.Unmarshal(body, &doc) != nil || doc == nil {
			if !bytes.Equal(sent, body) {
				t.Fatalf("%q reached the provider as %q", body, sent)
			}
			return
		}
		var msgs []json.RawMessage
		if json.Unmarshal(doc["messages"], &msgs) != nil {
			return
		}
		var got struct {
			Model    string            `json:"model"`
			Messages []json.RawMessage `json:"messages"`
		}
		if err := json.Unmarshal(sent, &got); err != nil {
			t.Fatalf("%q reached the provider as %q: %v", body, sent, err)
		}
		if got.Model != "gpt-4o" || len(got.Messages) != len(msgs)+2 {
			t.Fatalf("%q reached the provider as %q", body, sent)
		}
	})
}
