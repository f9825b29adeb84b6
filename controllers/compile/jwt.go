package compile

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"google.golang.org/protobuf/types/known/durationpb"
	"k8s.io/apimachinery/pkg/types"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Defaults of a JWT provider.
const (
	defaultClockSkewSeconds = 60
	defaultCacheDuration    = 5 * time.Minute
)

// The stages, indexing [2] arrays by snapshotv1.JwtStageName.
const (
	afterExtAuth  = int(snapshotv1.JwtStageName_AFTER_EXT_AUTH)
	beforeExtAuth = int(snapshotv1.JwtStageName_BEFORE_EXT_AUTH)
)

var stageFields = [2]string{afterExtAuth: "afterExtAuth", beforeExtAuth: "beforeExtAuth"}

// jwtStageIR is one compiled JWT stage of an option with the providers it uses.
type jwtStageIR struct {
	proto     *snapshotv1.JwtStage
	providers []*snapshotv1.JwtProvider
}

// optionRef names the option providers belong to, for their ids and problems.
type optionRef struct {
	state *policyState
	// idPrefix is "<namespace>/<option name>".
	idPrefix string
	ns       string
}

// compileStage compiles one stage. field is the option field it comes from (for
// messages); idSuffix keeps provider ids unique when both stages of one option name
// the same provider.
func (c *compiler) compileStage(o optionRef, stage int, ext *gatewayv1.JwtVhostExtension, field string, others map[string]bool) *jwtStageIR {
	names := make([]string, 0, len(ext.Providers))
	for name := range ext.Providers {
		names = append(names, name)
	}
	slices.Sort(names)
	ir := &jwtStageIR{proto: &snapshotv1.JwtStage{
		Stage:            snapshotv1.JwtStageName(stage),
		ValidationPolicy: validationPolicy(ext),
	}}
	for _, name := range names {
		id := o.idPrefix + "/" + name
		if stage == beforeExtAuth && others[name] {
			id += "#" + stageFields[stage]
		}
		p := ext.Providers[name]
		prov := c.compileProvider(o, id, name, &p, field+".providers."+name)
		ir.proto.Providers = append(ir.proto.Providers, id)
		ir.providers = append(ir.providers, prov)
	}
	return ir
}

// validationPolicy folds allowMissingOrFailedJwt (which wins when true) and
// validationPolicy into one value.
func validationPolicy(ext *gatewayv1.JwtVhostExtension) snapshotv1.ValidationPolicy {
	if ext.AllowMissingOrFailedJwt {
		return snapshotv1.ValidationPolicy_ALLOW_MISSING_OR_FAILED
	}
	switch ext.ValidationPolicy {
	case gatewayv1.AllowMissing:
		return snapshotv1.ValidationPolicy_ALLOW_MISSING
	case gatewayv1.AllowMissingOrFailed:
		return snapshotv1.ValidationPolicy_ALLOW_MISSING_OR_FAILED
	default:
		return snapshotv1.ValidationPolicy_REQUIRE_VALID
	}
}

// compileProvider compiles one provider. When its keys cannot be used, the provider
// is still emitted, with unusable set and no key source, so that the proxy rejects
// every token it would have verified: it fails closed.
func (c *compiler) compileProvider(o optionRef, id, name string, p *gatewayv1.JwtProvider, field string) *snapshotv1.JwtProvider {
	out := &snapshotv1.JwtProvider{
		Id:               id,
		Name:             name,
		Issuer:           p.Issuer,
		Audiences:        p.Audiences,
		KeepToken:        p.KeepToken,
		ClockSkewSeconds: defaultClockSkewSeconds,
		TokenSource:      tokenSource(p.TokenSource),
	}
	if p.ClockSkewSeconds != nil {
		out.ClockSkewSeconds = uint32(*p.ClockSkewSeconds) // 0-4294967295 by the schema
	}
	for _, ch := range p.ClaimsToHeaders {
		out.ClaimsToHeaders = append(out.ClaimsToHeaders, &snapshotv1.ClaimToHeader{Claim: ch.Claim, Header: ch.Header, Append: ch.Append})
	}
	switch {
	case p.Jwks.Local != nil:
		if err := c.checkLocalKey(p.Jwks.Local.Key); err != nil {
			return unusable(o, out, gatewayv1.ReasonInvalid, field, fmt.Sprintf("jwks.local.key: %v", err))
		}
		out.KeySource = &snapshotv1.JwtProvider_LocalJwks{LocalJwks: p.Jwks.Local.Key}
	case p.Jwks.Remote != nil:
		remote, reason, msg := c.remoteJwks(o.ns, p.Jwks.Remote)
		if remote == nil {
			return unusable(o, out, reason, field, msg)
		}
		out.KeySource = &snapshotv1.JwtProvider_RemoteJwks{RemoteJwks: remote}
	default:
		return unusable(o, out, gatewayv1.ReasonInvalid, field, "jwks: set local or remote")
	}
	return out
}

// unusable marks the provider unusable and records the problem on the option: a
// reference problem under ResolvedRefs, anything else under Accepted.
func unusable(o optionRef, p *snapshotv1.JwtProvider, reason, field, msg string) *snapshotv1.JwtProvider {
	p.Unusable = msg
	full := fmt.Sprintf("%s: %s; the provider rejects every token until this is fixed", field, msg)
	if reason == gatewayv1.ReasonInvalid {
		o.state.invalid.add(reason, full)
	} else {
		o.state.unresolved.add(reason, full)
	}
	return p
}

func tokenSource(ts *gatewayv1.TokenSource) *snapshotv1.TokenSource {
	if ts == nil {
		return nil
	}
	out := &snapshotv1.TokenSource{QueryParams: ts.QueryParams}
	for _, h := range ts.Headers {
		out.Headers = append(out.Headers, &snapshotv1.HeaderSource{Header: h.Header, Prefix: h.Prefix})
	}
	return out
}

// remoteJwks compiles jwks.remote; with upstreamRef, the fetch connects to the first
// static host of that Upstream.
func (c *compiler) remoteJwks(ns string, r *gatewayv1.RemoteJwks) (*snapshotv1.RemoteJwks, string, string) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, gatewayv1.ReasonInvalid, fmt.Sprintf("jwks.remote.url %q is not an http:// or https:// URL with a host", r.URL)
	}
	out := &snapshotv1.RemoteJwks{Url: r.URL, CacheDuration: durationpb.New(defaultCacheDuration), AsyncFetch: r.AsyncFetch != nil}
	if r.CacheDuration != nil && r.CacheDuration.Duration > 0 {
		out.CacheDuration = durationpb.New(r.CacheDuration.Duration)
	}
	if r.UpstreamRef == nil {
		return out, "", ""
	}
	key := types.NamespacedName{Namespace: r.UpstreamRef.Namespace, Name: r.UpstreamRef.Name}
	if key.Namespace == "" {
		key.Namespace = ns
	}
	us, ok := c.upstreams[key]
	switch {
	case !ok:
		return nil, gatewayv1.ReasonRefNotFound, fmt.Sprintf("jwks.remote.upstreamRef Upstream %s not found; create it or fix the reference", key)
	case us.proto.GetStatic() == nil || len(us.proto.GetStatic().Endpoints) == 0:
		return nil, gatewayv1.ReasonRefNotFound, fmt.Sprintf("jwks.remote.upstreamRef Upstream %s has no usable spec.static host; use a static Upstream", key)
	}
	out.Endpoint = us.proto.GetStatic().Endpoints[0]
	return out, "", ""
}

// checkLocalKey validates inline key material once per distinct content (and
// remembers the result in the Compiler for the next call).
func (c *compiler) checkLocalKey(key string) error {
	if err, ok := c.keys[key]; ok {
		return err
	}
	if err, ok := c.cache.keys[key]; ok {
		c.keys[key] = err
		return err
	}
	err := validateKeyMaterial(key)
	c.keys[key] = err
	return err
}

// validateKeyMaterial accepts a PEM public key (or certificate), one JWK or a JWKS
// document with at least one key and no asymmetric private key. Errors never quote
// the material.
func validateKeyMaterial(material string) error {
	t := strings.TrimSpace(material)
	var set jwk.Set
	var err error
	switch {
	case t == "":
		return errors.New("is empty")
	case strings.HasPrefix(t, "{"):
		if set, err = jwk.Parse([]byte(t)); err != nil {
			return errors.New("not a valid JWK or JWKS document")
		}
	case !strings.Contains(t, "-----BEGIN "):
		return errors.New("no PEM block found")
	default:
		if set, err = jwk.Parse([]byte(t), jwk.WithPEM(true)); err != nil {
			return errors.New("the PEM block is not a valid public key or certificate")
		}
	}
	if set.Len() == 0 {
		return errors.New("holds no key")
	}
	for i := range set.Len() {
		k, _ := set.Key(i)
		switch k.(type) {
		case jwk.RSAPrivateKey, jwk.ECDSAPrivateKey, jwk.OKPPrivateKey:
			return errors.New("holds a private key; put only the public key here")
		}
	}
	return nil
}
