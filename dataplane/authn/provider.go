package authn

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unsafe"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Providers are one snapshot's compiled JWT providers, by id.
type Providers struct {
	a    *Authenticator
	byID map[string]*provider
}

// provider is one compiled JwtProvider.
type provider struct {
	id, name  string
	issuer    string
	audiences []string
	skew      int64
	// fingerprint identifies the whole configuration in the token cache.
	fingerprint [16]byte

	local *keySet  // inline keys
	jwks  *fetcher // remote keys
	// closed is why the provider verifies nothing (fail closed); the failure answered.
	closed *Failure

	sources         tokenSources
	keepToken       bool
	claimsToHeaders []claimHeader

	a *Authenticator
}

// claimHeader is a compiled ClaimToHeader.
type claimHeader struct {
	path   []string
	header string
	append bool
}

// Compile precompiles the providers of one snapshot. It fails only on input the compiler
// never produces (a nil or duplicate id). A provider marked unusable, or whose key
// material does not parse, rejects every token with "Jwks doesn't have key to match kid
// or alg from Jwt"; one whose remote URL is unusable with "Jwks remote fetch is failed".
func (a *Authenticator) Compile(providers []*snapshotv1.JwtProvider) (*Providers, error) {
	out := &Providers{a: a, byID: make(map[string]*provider, len(providers))}
	var fetcherIDs []string
	for i, pb := range providers {
		if pb == nil || pb.GetId() == "" {
			a.release(fetcherIDs)
			return nil, fmt.Errorf("jwt provider #%d has no id", i)
		}
		if _, dup := out.byID[pb.GetId()]; dup {
			a.release(fetcherIDs)
			return nil, fmt.Errorf("jwt provider %q is listed twice", pb.GetId())
		}
		p, fid := a.compileProvider(pb)
		if fid != "" {
			fetcherIDs = append(fetcherIDs, fid)
		}
		out.byID[p.id] = p
	}
	a.releaseWhenUnreachable(out, fetcherIDs)
	return out, nil
}

// compileProvider never fails: a provider that cannot work fails closed. fid is the
// fetcher it holds, if any.
func (a *Authenticator) compileProvider(pb *snapshotv1.JwtProvider) (p *provider, fid string) {
	p = &provider{
		id: pb.GetId(), name: pb.GetName(), issuer: pb.GetIssuer(), audiences: pb.GetAudiences(),
		skew: int64(pb.GetClockSkewSeconds()), fingerprint: fingerprint(pb),
		sources: compileSources(pb.GetTokenSource()), keepToken: pb.GetKeepToken(), a: a,
	}
	for _, c := range pb.GetClaimsToHeaders() {
		p.claimsToHeaders = append(p.claimsToHeaders, claimHeader{
			path: strings.Split(c.GetClaim(), "."), header: http.CanonicalHeaderKey(c.GetHeader()), append: c.GetAppend(),
		})
	}
	log := a.log.WithValues("provider", p.id)
	switch {
	case pb.GetUnusable() != "":
		log.Info("JWT provider fails closed", "reason", pb.GetUnusable())
		p.closed = failNoKey
	case pb.GetRemoteJwks() != nil:
		r := pb.GetRemoteJwks()
		fid = fetcherID(r)
		f, err := a.acquire(fid, func() (*fetcher, error) { return a.newFetcher(r) })
		if err != nil {
			log.Info("JWT provider fails closed", "reason", err.Error())
			p.closed, fid = failJwksFetch, ""
			break
		}
		p.jwks = f
	default:
		keys, err := parseLocalKeys(pb.GetLocalJwks())
		if err != nil {
			log.Info("JWT provider fails closed", "reason", "jwks.local.key: "+err.Error())
			p.closed = failNoKey
			break
		}
		p.local = &keySet{keys: keys}
	}
	return p, fid
}

func fingerprint(pb *snapshotv1.JwtProvider) [16]byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(pb)
	if err != nil {
		// Unreachable for a valid message; an id-only fingerprint still separates providers.
		b = []byte(pb.GetId())
	}
	sum := sha256.Sum256(b)
	var fp [16]byte
	copy(fp[:], sum[:])
	return fp
}

// lookup returns a provider by id.
func (ps *Providers) lookup(id string) (*provider, error) {
	p, ok := ps.byID[id]
	if !ok {
		return nil, fmt.Errorf("jwt provider %q is not in the snapshot", id)
	}
	return p, nil
}

// authenticate checks tok: from the cache when this configuration verified it before and
// it is still within exp/nbf, else fully, in Envoy's order: parse, exp/nbf, issuer,
// audiences, key set, key selection and signature. memo decodes the token once for all
// the providers of a stage.
//
// Only a token in its canonical spelling is looked up: the cache is keyed on the token's
// bytes, and only tokens that parsed (so are canonical) are ever stored, so no other
// spelling of a cached token can be answered from it.
func (p *provider) authenticate(ctx context.Context, tok string, memo *parseMemo) (map[string]any, *Failure) {
	if canonicalJWS(tok) {
		if claims, ok := p.cached(tok); ok {
			return claims, nil
		}
	}
	p.a.metrics.cacheMisses.Inc()
	t, f := memo.parse(tok)
	if f != nil {
		return nil, f
	}
	if f := p.checkClaims(t); f != nil {
		return nil, f
	}
	set, f := p.keysFor(ctx, t)
	if f != nil {
		return nil, f
	}
	if f := verifySignature(set, t); f != nil {
		return nil, f
	}
	p.a.cache.put(cacheKey{token: tokenHash(t.raw), provider: p.fingerprint, gen: set.gen},
		cacheEntry{claims: t.claims, exp: t.exp, hasExp: t.hasExp, nbf: t.nbf, hasNbf: t.hasNbf})
	return t.claims, nil
}

// cached returns the claims of tok when this configuration verified it with the current
// key set and it is still within exp/nbf; an entry out of its time window is dropped.
func (p *provider) cached(tok string) (map[string]any, bool) {
	set := p.currentSet()
	if set == nil {
		return nil, false
	}
	key := cacheKey{token: tokenHash(tok), provider: p.fingerprint, gen: set.gen}
	e, ok := p.a.cache.get(key)
	if !ok {
		return nil, false
	}
	if p.checkTime(e.exp, e.hasExp, e.nbf, e.hasNbf) != nil {
		p.a.cache.remove(key)
		return nil, false
	}
	p.a.metrics.cacheHits.Inc()
	return e.claims, true
}

// tokenHash is the SHA-256 of tok, without copying it: the hot path of a cache hit.
func tokenHash(tok string) [32]byte {
	return sha256.Sum256(readOnlyBytes(tok))
}

// readOnlyBytes views s as bytes without copying; the bytes must never be written.
func readOnlyBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s)) //nolint:gosec // read-only view of an immutable string
}

func (p *provider) currentSet() *keySet {
	if p.jwks != nil {
		return p.jwks.set.Load()
	}
	return p.local
}

// checkTime applies nbf then exp with the clock skew, in whole seconds as Envoy does.
func (p *provider) checkTime(exp float64, hasExp bool, nbf float64, hasNbf bool) *Failure {
	now := p.a.now().Unix()
	if hasNbf && float64(now+p.skew) < nbf {
		return failNotYetValid
	}
	if hasExp && float64(now-p.skew) > exp {
		return failExpired
	}
	return nil
}

func (p *provider) checkClaims(t *jwt) *Failure {
	if f := p.checkTime(t.exp, t.hasExp, t.nbf, t.hasNbf); f != nil {
		return f
	}
	if p.issuer != "" && (!t.hasIss || t.iss != p.issuer) {
		return failIssuer
	}
	if len(p.audiences) > 0 && !anyIn(t.aud, p.audiences) {
		return failAudience
	}
	return nil
}

func anyIn(have, allowed []string) bool {
	for _, h := range have {
		for _, a := range allowed {
			if h == a {
				return true
			}
		}
	}
	return false
}

// keysFor returns the key set to verify t with. For a remote set it waits for a first
// fetch still running, and refetches once (rate-limited) when no key fits t's kid.
func (p *provider) keysFor(ctx context.Context, t *jwt) (*keySet, *Failure) {
	if p.closed != nil {
		return nil, p.closed
	}
	if p.jwks == nil {
		return p.local, nil
	}
	set := p.jwks.keys(ctx)
	if set == nil {
		return nil, failJwksFetch
	}
	if t.kid != "" && !set.fits(t.alg, t.kid) {
		wait(ctx, p.jwks.refetchEarly())
		set = p.jwks.set.Load()
	}
	return set, nil
}

// verifySignature tries every key that fits the token's alg and kid, each with jwx's
// verifier for the token's alg. The signature is checked over the token's own header and
// payload segments, exactly as it spells them: nothing is decoded and encoded again.
func verifySignature(set *keySet, t *jwt) *Failure {
	v, ok := verifiers[t.alg]
	if !ok {
		return failNoKey
	}
	tried := false
	for i := range set.keys {
		k := &set.keys[i]
		if !k.fits(t.alg, t.kid) {
			continue
		}
		tried = true
		if v.Verify(readOnlyBytes(t.signed), t.sig, k.raw) == nil {
			return nil
		}
	}
	if !tried {
		return failNoKey
	}
	return failBadSignature
}

// verifiers are jwx's signature verifiers for the accepted algorithms. They keep no
// state, so one per algorithm serves every request.
var verifiers = func() map[string]jws.Verifier {
	m := make(map[string]jws.Verifier, len(algs))
	for alg := range algs {
		v, err := jws.NewVerifier(jwa.SignatureAlgorithm(alg))
		if err != nil {
			panic(fmt.Sprintf("jwx has no verifier for %s: %v", alg, err))
		}
		m[alg] = v
	}
	return m
}()

var errNoProviders = errors.New("stage has no providers")
