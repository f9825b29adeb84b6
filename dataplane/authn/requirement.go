package authn

import (
	"fmt"
	"net/http"
	"strconv"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
)

// Requirement is a route's compiled JWT authentication: stages that must all pass, in
// order. It is immutable and safe for concurrent use.
type Requirement struct {
	// owner keeps the snapshot's Providers (and so their remote key-set fetchers) alive
	// as long as a route uses them.
	owner  *Providers
	stages []stage
	// strip are the claimsToHeaders headers without append, removed from every request
	// that passes, so a client can never supply them.
	strip []string
	// carriers are every place a provider that does not keep its token reads one from:
	// all of them are removed from a request that passes (but where a provider that keeps
	// its token found the one it verified), so no second token reaches the upstream.
	carriers []carrier
}

type stage struct {
	providers []*provider
	policy    snapshotv1.ValidationPolicy
}

// Requirement compiles a route's effective JWT authentication against these providers.
// A nil j, or one without stages, requires nothing.
func (ps *Providers) Requirement(j *snapshotv1.JwtAuthentication) (*Requirement, error) {
	q := &Requirement{owner: ps}
	seen := map[string]bool{}
	for i, s := range j.GetStages() {
		if len(s.GetProviders()) == 0 {
			return nil, fmt.Errorf("jwt stage #%d (%s): %w", i, s.GetStage(), errNoProviders)
		}
		st := stage{policy: s.GetValidationPolicy()}
		for _, id := range s.GetProviders() {
			p, err := ps.lookup(id)
			if err != nil {
				return nil, fmt.Errorf("jwt stage #%d (%s): %w", i, s.GetStage(), err)
			}
			st.providers = append(st.providers, p)
			if !p.keepToken {
				q.carriers = p.sources.addCarriers(q.carriers)
			}
			for _, c := range p.claimsToHeaders {
				if !c.append && !seen[c.header] {
					seen[c.header] = true
					q.strip = append(q.strip, c.header)
				}
			}
		}
		q.stages = append(q.stages, st)
	}
	return q, nil
}

// verified is a token a stage accepted and where it was found.
type verified struct {
	p      *provider
	claims map[string]any
	where  carrier
}

// Authenticate runs every stage on r. On success it returns the verified tokens (for
// authz) and, once every stage has passed (so stages may share a token), has removed the
// carriers of verified tokens whose provider does not keep them and applied
// claimsToHeaders. On failure it returns a non-nil *Failure and changes nothing.
func (q *Requirement) Authenticate(r *http.Request) ([]authz.Token, *Failure) {
	if q == nil || len(q.stages) == 0 {
		return nil, nil
	}
	var toks []authz.Token
	var buf [2]verified
	ok := buf[:0]
	for i := range q.stages {
		v, f := q.stages[i].run(r)
		if f != nil {
			return nil, f
		}
		if v.p != nil {
			ok = append(ok, v)
		}
	}
	if len(ok) > 0 {
		toks = make([]authz.Token, len(ok))
		for i, v := range ok {
			toks[i] = authz.Token{Provider: v.p.name, Claims: v.claims}
		}
	}
	for _, c := range q.carriers {
		if !keptBy(ok, c) {
			c.remove(r)
		}
	}
	for _, h := range q.strip {
		r.Header.Del(h)
	}
	for _, v := range ok {
		v.p.copyClaims(r.Header, v.claims)
	}
	return toks, nil
}

// keptBy reports whether a verified token that its provider keeps was found at c.
func keptBy(ok []verified, c carrier) bool {
	for _, v := range ok {
		if v.p.keepToken && v.where == c {
			return true
		}
	}
	return false
}

// attempt is one provider's failure on a token it found.
type attempt struct {
	p *provider
	f *Failure
	t *jwt // nil when the token did not parse
}

// run passes when any provider verifies its token (returned; its p is nil when the stage
// passes without one); a missing or failed token is judged by the validation policy.
func (st *stage) run(r *http.Request) (verified, *Failure) {
	var memo parseMemo
	var fails []attempt
	for _, p := range st.providers {
		tok, where, found := p.sources.extract(r)
		if !found {
			continue
		}
		claims, f := p.authenticate(r.Context(), tok, &memo)
		if f == nil {
			return verified{p: p, claims: claims, where: where}, nil
		}
		t, _ := memo.parse(tok)
		fails = append(fails, attempt{p: p, f: f, t: t})
	}
	switch {
	case st.policy == snapshotv1.ValidationPolicy_ALLOW_MISSING_OR_FAILED:
		return verified{}, nil
	case len(fails) == 0 && st.policy == snapshotv1.ValidationPolicy_ALLOW_MISSING:
		return verified{}, nil
	case len(fails) == 0:
		return verified{}, failMissing
	}
	return verified{}, pickFailure(fails)
}

// pickFailure chooses the answer when every provider failed: the failure of a provider
// whose issuer the token names; else, as Envoy's requires_any does, the first failure
// that says more than "issuer not configured"; else the first.
func pickFailure(fails []attempt) *Failure {
	for _, a := range fails {
		if a.t != nil && a.p.issuer != "" && a.t.hasIss && a.t.iss == a.p.issuer {
			return a.f
		}
	}
	for _, a := range fails {
		if a.f != failIssuer {
			return a.f
		}
	}
	return fails[0].f
}

// parseMemo decodes one token once for all the providers of a stage.
type parseMemo struct {
	tok string
	t   *jwt
	f   *Failure
}

func (m *parseMemo) parse(tok string) (*jwt, *Failure) {
	if m.t == nil && m.f == nil || m.tok != tok {
		m.tok = tok
		m.t, m.f = parseJWT(tok)
	}
	return m.t, m.f
}

// copyClaims writes the provider's primitive claims to headers: set (the header was
// stripped before) or appended.
func (p *provider) copyClaims(h http.Header, claims map[string]any) {
	for _, c := range p.claimsToHeaders {
		v, ok := authz.ClaimAt(claims, c.path)
		if !ok {
			continue
		}
		s, ok := primitive(v)
		if !ok {
			continue
		}
		if c.append {
			h.Add(c.header, s)
		} else {
			h.Set(c.header, s)
		}
	}
}

// primitive formats a string, number or bool claim; integers have no fraction.
func primitive(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}
