package bench

import (
	"context"
	"fmt"
	"io"
	"time"
)

// fixture is everything the data-plane scenarios share.
type fixture struct {
	ctx     context.Context // ends the scenarios early (Ctrl-C)
	cfg     Config
	dir     string
	log     io.Writer
	backend *backend
	signer  *Signer
	pem     string // the public key verifying the tokens
	good    string // one token with the tutorial's claims
	noClaim string // a valid token without llms.openai
	bad     map[string]string
	systems []*system
}

const (
	sysDirect      = "direct"
	sysNoPolicy    = "claimgate, no policy"
	sysPolicy      = "claimgate, JWT+RBAC, same token"
	sysFresh       = "claimgate, JWT+RBAC, fresh token"
	sysHAProxyNone = "HAProxy, no checks"
	sysHAProxy     = "HAProxy, jwt_verify + claim ACL"
)

func (f *fixture) system(name string) *system {
	for _, s := range f.systems {
		if s.name == name {
			return s
		}
	}
	return nil
}

// newFixture starts the backend, mints the keys and tokens, and starts every system.
func newFixture(ctx context.Context, cfg Config, dir string, log io.Writer) (*fixture, error) {
	f := &fixture{ctx: ctx, cfg: cfg, dir: dir, log: log}
	var err error
	if f.backend, err = startBackend(); err != nil {
		return nil, err
	}
	if err := f.mint(); err != nil {
		f.close()
		return nil, err
	}
	if cfg.OnlyStreams {
		return f, nil // the concurrent-streams scenario starts its own systems
	}
	if err := f.startSystems(); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *fixture) mint() error {
	var err error
	if f.signer, err = NewSigner(); err != nil {
		return err
	}
	if f.pem, err = f.signer.PublicPEM(); err != nil {
		return err
	}
	if f.good, err = f.signer.Mint(Claims("alice", "")); err != nil {
		return err
	}
	noClaim := Claims("bob", "")
	noClaim["llms"] = map[string]any{"mistralai": []string{"mistral-large-latest"}}
	if f.noClaim, err = f.signer.Mint(noClaim); err != nil {
		return err
	}
	f.bad, err = f.signer.BadTokens()
	return err
}

func (f *fixture) startSystems() error {
	pemKey, err := f.signer.PublicPEM()
	if err != nil {
		return err
	}
	f.systems = append(f.systems, &system{name: sysDirect, url: "http://" + f.backend.addr + "/v1/chat/completions"})
	fmt.Fprintf(f.log, "minting %d unique tokens for the fresh-token system\n", f.cfg.TokenPool)
	pool, err := f.signer.Pool(f.cfg.TokenPool)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name   string
		policy bool
		token  func(uint64) string
	}{{sysNoPolicy, false, nil}, {sysPolicy, true, fixed(f.good)}, {sysFresh, true, cycling(pool)}} {
		p, url, err := startClaimgate(f.dir, f.cfg.Bin, procName(c.name), f.backend.port(), pemKey, c.policy)
		if err != nil {
			return err
		}
		f.systems = append(f.systems, &system{name: c.name, url: url, proc: p, token: c.token, policy: c.policy})
	}
	f.startHAProxy(pemKey)
	for _, s := range f.systems {
		if s.unavailable != "" {
			continue
		}
		if err := checkAnswers(s, f.good, f.noClaim, f.bad); err != nil {
			return err
		}
	}
	return nil
}

func (f *fixture) startHAProxy(pemKey string) {
	bin, err := ensureHAProxy()
	for _, c := range []struct{ name, key string }{{sysHAProxyNone, ""}, {sysHAProxy, pemKey}} {
		s := &system{name: c.name, policy: c.key != "", token: fixed(f.good)}
		f.systems = append(f.systems, s)
		if err != nil {
			s.unavailable = "not available: " + err.Error()
			continue
		}
		p, url, startErr := startHAProxy(bin, f.dir, procName(c.name), f.backend.port(), c.key)
		if startErr != nil {
			s.unavailable = "not available: " + startErr.Error()
			continue
		}
		s.proc, s.url = p, url
	}
}

func procName(system string) string {
	out := make([]rune, 0, len(system))
	for _, r := range system {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = append(out, r)
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		case len(out) > 0 && out[len(out)-1] != '-':
			out = append(out, '-')
		}
	}
	return string(out)
}

func (f *fixture) close() {
	for _, s := range f.systems {
		s.proc.Stop(5 * time.Second)
	}
	if f.backend != nil {
		f.backend.close()
	}
}
