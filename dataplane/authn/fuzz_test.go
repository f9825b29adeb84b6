package authn

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/tokens"
)

// bodies are every answer a failure may carry.
var bodies = map[string]int{
	"Jwt is missing": 401,
	"Jwt is not in the form of Header.Payload.Signature":          401,
	"Jwt header is an invalid Base64url input or an invalid JSON": 401,
	"Jwt payload is an invalid Base64 or an invalid JSON":         401,
	"Jwt issuer is not configured":                                401,
	"Jwt is expired":                                              401,
	"Jwt not yet valid":                                           401,
	noKey:                                                         401,
	"Jwt verification fails":                                      401,
	"Jwks remote fetch is failed":                                 401,
	"Audiences in Jwt are not allowed":                            403,
}

// checkOutcome fails unless Authenticate answered a known failure or a verified token.
func checkOutcome(t *testing.T, r *http.Request, q *Requirement) {
	toks, f := q.Authenticate(r)
	if f == nil {
		if len(toks) != 1 || toks[0].Claims == nil {
			t.Fatalf("success without exactly one verified token: %v", toks)
		}
		return
	}
	if want, ok := bodies[f.Body]; !ok || want != f.Status {
		t.Fatalf("unexpected failure %d %q", f.Status, f.Body)
	}
	w := httptest.NewRecorder()
	f.Write(w, r)
	if w.Code != f.Status || w.Body.String() != f.Body {
		t.Fatalf("Write answered %d %q", w.Code, w.Body.String())
	}
}

// FuzzAuthenticate feeds arbitrary Authorization values to providers of every kind: the
// answer is a verified token or a 401/403 failure, never a panic.
func FuzzAuthenticate(f *testing.F) {
	keys(f)
	e := newEnv(f)
	pem := localProvider("pem", rsaA.PublicPEM(f))
	pem.Issuer = "https://issuer.example"
	pem.Audiences = []string{"llm"}
	set := localProvider("jwks", tokens.JWKS(f, rsaB, ecA, hmacA))
	tutorial := localProvider("tutorial", tokens.PublicKeyPEM(f))
	tutorial.Issuer = tokens.TutorialIssuer
	tutorial.ClaimsToHeaders = []*snapshotv1.ClaimToHeader{{Claim: "llms.openai", Header: "x-models"}, {Claim: "sub", Header: "x-sub"}}
	q := e.requirement(f, pem, set, tutorial)

	for _, seed := range []string{
		"", "Bearer ", "Bearer a.b.c", "Bearer ..", "Bearer a.b.c.d", "bearer x",
		"Bearer " + tokens.Alice(f), "Bearer " + tokens.Bob(f),
		"Bearer " + rsaA.Mint(f, claims("https://issuer.example", "aud", "llm")),
		"Bearer " + rsaA.Mint(f, claims("https://issuer.example", "aud", []any{"x"})),
		"Bearer " + rsaB.Mint(f, claims("", "exp", 1.0)),
		"Bearer " + ecA.Mint(f, claims("", "nbf", 1e12)),
		"Bearer " + hmacA.Mint(f, claims("")),
		"Bearer " + tokens.Encode(`{"alg":"none"}`) + "." + tokens.Encode(`{}`) + ".",
		"Bearer " + tokens.Encode(`{"alg":"HS256","kid":"a"}`) + "." + tokens.Encode(`{"iss":"https://issuer.example"}`) + ".AAAA",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		r := httptest.NewRequest(http.MethodGet, "http://gw.example/openai", nil)
		r.Header.Set("Authorization", auth)
		checkOutcome(t, r, q)
	})
}

// FuzzKeySet compiles arbitrary inline key text: the provider fails closed or verifies,
// never panics, and a key text is never usable as an HMAC secret unless it is a JWK.
func FuzzKeySet(f *testing.F) {
	keys(f)
	e := newEnv(f)
	for _, seed := range []string{
		"", "{}", `{"keys":[]}`, `{"keys":null}`, `{"kty":"oct","k":""}`, `{"kty":"oct","k":"c2VjcmV0"}`,
		`{"kty":"RSA","n":"AQAB","e":"AQAB"}`, `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`,
		`{"kty":"OKP","crv":"Ed25519","x":"AA"}`, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
		rsaA.PublicPEM(f), ecA.PublicPEM(f), rsaA.JWKJSON(f), hmacA.JWKJSON(f), tokens.JWKS(f, rsaA, ecA, hmacA),
		tokens.PublicKeyPEM(f),
	} {
		f.Add(seed)
	}
	rsTok := rsaA.Mint(f, claims(""))
	hsTok := hmacA.Mint(f, claims(""))
	f.Fuzz(func(t *testing.T, text string) {
		ps, err := e.a.Compile([]*snapshotv1.JwtProvider{localProvider("p", text)})
		if err != nil {
			t.Fatalf("Compile must fail closed, not fail: %v", err)
		}
		q, err := ps.Requirement(&snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{{Providers: []string{"ns/opt/p"}}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{rsTok, hsTok} {
			checkOutcome(t, bearer(tok), q)
		}
		forged := (&tokens.Key{Alg: "HS256", Private: []byte(text)}).Mint(t, claims(""))
		if _, fail := q.Authenticate(bearer(forged)); fail == nil && !strings.HasPrefix(strings.TrimSpace(text), "{") {
			t.Fatalf("key text that is not a JWK verified an HS256 token signed with it")
		}
	})
}

// FuzzParseOneSpelling parses arbitrary tokens: parsing never panics, and a token that
// parses is the one canonical spelling of its bytes, so a lax decoder's re-encoding of it
// is itself.
func FuzzParseOneSpelling(f *testing.F) {
	keys(f)
	tok := respellableToken(f, rsaA)
	f.Add(tok)
	for i := range 3 {
		for _, respelled := range respellings {
			f.Add(respell(tok, i, respelled))
		}
	}
	for _, seed := range []string{"", ".", "..", "a.b.c", "e30.e30.", "e30=.e30.", tokens.Encode(`{"alg":"RS256"}`) + ".e30.AA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		parsed, fail := parseJWT(tok)
		if fail != nil {
			if _, ok := bodies[fail.Body]; !ok || fail.Status != 401 {
				t.Fatalf("parse answered %d %q", fail.Status, fail.Body)
			}
			return
		}
		if again, ok := laxRespell(tok); !ok || again != tok {
			t.Fatalf("accepted token %q is not canonical (canonical: %q)", tok, again)
		}
		if parsed.raw != tok {
			t.Fatalf("parsed token %q kept as %q", tok, parsed.raw)
		}
	})
}

// FuzzRespelledToken edits one byte of a verified token (insert, replace or delete) and
// authenticates the result, after the original is in the cache: whatever is accepted is
// the original token, byte for byte.
func FuzzRespelledToken(f *testing.F) {
	keys(f)
	e := newEnv(f)
	q := e.requirement(f, localProvider("jwks", tokens.JWKS(f, rsaA, hmacA)))
	originals := []string{respellableToken(f, rsaA), respellableToken(f, hmacA)}
	for _, tok := range originals {
		requireOKTB(f, q, tok)
	}
	for _, seed := range []struct {
		which, op byte
		pos       uint16
		b         byte
	}{
		{0, 0, 10, '\n'},   // a newline in the header
		{1, 0, 10, '\r'},   // a CR in the header
		{0, 0, 9999, '='},  // padding somewhere
		{1, 0, 9999, '\n'}, // a newline somewhere
		{0, 1, 3, '+'},     // the standard alphabet
		{1, 1, 3, '/'},
		{0, 2, 0, 0},      // a byte fewer
		{1, 0, 0, ' '},    // a leading blank
		{0, 1, 9999, 'B'}, // another character
	} {
		f.Add(seed.which, seed.op, seed.pos, seed.b)
	}
	f.Fuzz(func(t *testing.T, which, op byte, pos uint16, b byte) {
		orig := originals[int(which)%len(originals)]
		variant := editByte(orig, op, int(pos), b)
		toks, fail := q.Authenticate(inQuery(variant))
		if fail != nil {
			if want, ok := bodies[fail.Body]; !ok || want != fail.Status {
				t.Fatalf("unexpected failure %d %q", fail.Status, fail.Body)
			}
			return
		}
		if variant != orig || len(toks) != 1 {
			t.Fatalf("a respelling of a verified token was accepted: %q", variant)
		}
	})
}

// editByte inserts (op 0), replaces (1) or deletes (2) the byte at pos (taken modulo the
// token's length; insertion may append).
func editByte(tok string, op byte, pos int, b byte) string {
	switch op % 3 {
	case 0:
		pos %= len(tok) + 1
		return tok[:pos] + string([]byte{b}) + tok[pos:]
	case 1:
		pos %= len(tok)
		return tok[:pos] + string([]byte{b}) + tok[pos+1:]
	}
	pos %= len(tok)
	return tok[:pos] + tok[pos+1:]
}

// inQuery is a request carrying tok, whatever its bytes, in the access_token parameter.
func inQuery(tok string) *http.Request {
	return httptest.NewRequestWithContext(context.Background(), http.MethodGet, "http://gw.example/openai?access_token="+url.QueryEscape(tok), nil)
}

func requireOKTB(tb testing.TB, q *Requirement, tok string) {
	tb.Helper()
	if _, f := q.Authenticate(inQuery(tok)); f != nil {
		tb.Fatalf("unexpected failure %d %q", f.Status, f.Body)
	}
}

// FuzzUniqueMembers checks the duplicate-name scan of JOSE headers and claim sets against
// encoding/json's own reading of any valid JSON document: the same names, compared as
// decoded, and each top-level member's raw value.
func FuzzUniqueMembers(f *testing.F) {
	for _, seed := range []string{
		`{}`, `[]`, `1`, `"s"`, `{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `{"a":1,"\u0061":2}`,
		"{\"\xff\":1,\"\xfe\":2}", `{ "a" : [ 1 , { "b" : null } ] , "b" : "x\"y" }`, `[{"a":1},{"a":1}]`,
		`{"alg":"RS256","kid":"a","crit":["b64"],"b64":false}`, `{"a":-1.5e3,"b":true,"c":false}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		visited := map[string]string{}
		got := uniqueMembers(doc, func(name, raw []byte) { visited[string(name)] = string(raw) })
		want := refUnique(doc)
		if got != want {
			t.Fatalf("uniqueMembers(%q) = %v, encoding/json reads unique = %v", doc, got, want)
		}
		var top map[string]json.RawMessage
		if !got || json.Unmarshal(doc, &top) != nil {
			return
		}
		if len(top) != len(visited) {
			t.Fatalf("visited %v, want the members of %q", visited, doc)
		}
		for name, raw := range top {
			if visited[name] != string(raw) {
				t.Fatalf("member %q: visited %q, want %q", name, visited[name], raw)
			}
		}
	})
}

// refUnique reports, with encoding/json's token reader, whether no object in doc names a
// member twice.
func refUnique(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		object bool
		names  map[string]bool
		key    bool // the next token of an object is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			name, _ := tok.(string)
			if top.names[name] {
				return false
			}
			top.names[name] = true
			top.key = false
			continue
		}
		if top != nil && top.object {
			top.key = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, names: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}
