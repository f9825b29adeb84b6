package bench

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/claimgate/claimgate/test/tokens"
)

// Issuer is the tutorial's issuer, which the policies require.
const Issuer = tokens.TutorialIssuer

// Signer mints RS256 tokens with the tutorial's claims.
type Signer struct {
	key *rsa.PrivateKey
}

// NewSigner generates an RSA-2048 key pair.
func NewSigner() (*Signer, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating an RSA key: %w", err)
	}
	return &Signer{key: k}, nil
}

// PublicPEM is the public key as a PKIX PEM block.
func (s *Signer) PublicPEM() (string, error) {
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		return "", fmt.Errorf("encoding the public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// Claims are the tutorial's claims for a user allowed on OpenAI (like alice), made
// unique by jti when it is not empty.
func Claims(sub, jti string) map[string]any {
	c := map[string]any{
		"iss": Issuer, "org": "solo.io", "sub": sub, "team": "dev",
		"llms": map[string]any{"openai": []string{"gpt-3.5-turbo"}},
	}
	if jti != "" {
		c["jti"] = jti
	}
	return c
}

// Mint signs claims with RS256.
func (s *Signer) Mint(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w", err)
	}
	input := tokens.Encode(`{"alg":"RS256","typ":"JWT"}`) + "." + tokens.Encode(string(payload))
	sig, err := tokens.Sign("RS256", s.key, []byte(input))
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	return input + "." + tokens.Encode(string(sig)), nil
}

// Pool mints n unique tokens, in parallel.
func (s *Signer) Pool(n int) ([]string, error) {
	out := make([]string, n)
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	workers := runtime.NumCPU()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				tok, err := s.Mint(Claims("user", fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)))
				if err != nil {
					errs <- err
					return
				}
				out[i] = tok
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, nil
}

// BadTokens are the flood's invalid tokens: each must be answered 401.
func (s *Signer) BadTokens() (map[string]string, error) {
	expired := Claims("late", "")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	exp, err := s.Mint(expired)
	if err != nil {
		return nil, err
	}
	other, err := NewSigner()
	if err != nil {
		return nil, err
	}
	forged, err := other.Mint(Claims("mallory", ""))
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"malformed":     "not-a-jwt.at-all",
		"expired":       exp,
		"bad signature": forged,
	}, nil
}

// readSeedToken reads one of the tutorial's tokens (they verify with the seed public key
// that config/samples/20-jwt-provider.yaml holds).
func readSeedToken(name string) (string, error) {
	return tokens.ReadSeed(name)
}
