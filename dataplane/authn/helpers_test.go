package authn

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/test/tokens"
)

// testNow is the fixed clock of most tests.
var testNow = time.Unix(1_800_000_000, 0)

// clock is an adjustable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// shared keys: generating RSA keys is slow, so tests reuse these.
var (
	keysOnce               sync.Once
	rsaA, rsaB, ecA, hmacA *tokens.Key
)

func keys(tb testing.TB) {
	keysOnce.Do(func() {
		rsaA = tokens.NewRSA(tb, "a", "RS256")
		rsaB = tokens.NewRSA(tb, "b", "RS256")
		ecA = tokens.NewEC(tb, "ec", "ES256")
		hmacA = tokens.NewHMAC(tb, "h", "HS256")
	})
}

type env struct {
	a     *Authenticator
	clock *clock
	reg   *prometheus.Registry
}

func newEnv(t testing.TB) *env {
	t.Helper()
	keys(t)
	c := &clock{t: testNow}
	reg := prometheus.NewRegistry()
	a := New(Config{Now: c.Now, Logger: logr.Discard(), Registerer: reg})
	t.Cleanup(a.cancel)
	return &env{a: a, clock: c, reg: reg}
}

// provider returns a provider with the default token source and a local key.
func localProvider(id, key string) *snapshotv1.JwtProvider {
	return &snapshotv1.JwtProvider{Id: "ns/opt/" + id, Name: id, KeySource: &snapshotv1.JwtProvider_LocalJwks{LocalJwks: key}, ClockSkewSeconds: 60}
}

func remoteProvider(id, url string, every time.Duration) *snapshotv1.JwtProvider {
	r := &snapshotv1.RemoteJwks{Url: url}
	if every > 0 {
		r.CacheDuration = durationpb.New(every)
	}
	return &snapshotv1.JwtProvider{Id: "ns/opt/" + id, Name: id, KeySource: &snapshotv1.JwtProvider_RemoteJwks{RemoteJwks: r}, ClockSkewSeconds: 60}
}

func oneStage(policy snapshotv1.ValidationPolicy, ps ...*snapshotv1.JwtProvider) *snapshotv1.JwtAuthentication {
	st := &snapshotv1.JwtStage{ValidationPolicy: policy}
	for _, p := range ps {
		st.Providers = append(st.Providers, p.GetId())
	}
	return &snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{st}}
}

// requirement compiles providers and a single REQUIRE_VALID stage over all of them.
func (e *env) requirement(t testing.TB, ps ...*snapshotv1.JwtProvider) *Requirement {
	t.Helper()
	return e.requirementFor(t, ps, oneStage(snapshotv1.ValidationPolicy_REQUIRE_VALID, ps...))
}

func (e *env) requirementFor(t testing.TB, ps []*snapshotv1.JwtProvider, j *snapshotv1.JwtAuthentication) *Requirement {
	t.Helper()
	compiled, err := e.a.Compile(ps)
	require.NoError(t, err)
	q, err := compiled.Requirement(j)
	require.NoError(t, err)
	return q
}

// bearer is a request to the tutorial's route with the token in Authorization.
func bearer(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://gw.example:8080/openai", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// answer writes f for r and returns the recorded response.
func answer(f *Failure, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.Write(w, r)
	return w
}

func requireFailure(t *testing.T, q *Requirement, r *http.Request, status int, body string) {
	t.Helper()
	toks, f := q.Authenticate(r)
	require.NotNil(t, f, "expected %q", body)
	require.Nil(t, toks)
	require.Equal(t, status, f.Status)
	require.Equal(t, body, f.Body)
}

func requireOK(t *testing.T, q *Requirement, r *http.Request) []authz.Token {
	t.Helper()
	toks, f := q.Authenticate(r)
	if f != nil {
		t.Fatalf("unexpected failure %d %q", f.Status, f.Body)
	}
	return toks
}

func claims(iss string, extra ...any) map[string]any {
	m := map[string]any{"sub": "alice"}
	if iss != "" {
		m["iss"] = iss
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}
